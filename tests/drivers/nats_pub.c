/*
 * nats_pub - publish lines into a JetStream stream (test driver; built only
 * where libnats-dev is installed).  Stands in for a forwarding daemon where
 * a scenario only needs records in a stream (tail --nats).
 *
 *   nats_pub --url URL --subject SUBJECT [--stream NAME --create [--replicas R]] < lines
 *
 * Each line of standard input (without its newline) is one message on
 * SUBJECT, published synchronously: the call returns once JetStream has
 * stored it.  --create adds the stream NAME (subjects "logs.>", R replicas,
 * default 1, file storage) when it is missing.  Prints "published N" at the
 * end.
 *
 *   nats_pub --url URL --probe R
 *
 * Whether a JetStream cluster can place a stream of R replicas now: creates
 * the stream LCTEST_PROBE (subject lctest.probe) and deletes it again.
 * Exit 0 yes, 3 not yet (e.g. "no suitable peers for placement" while the
 * nodes are still getting to know each other).
 *
 *   nats_pub --url URL --cluster-info STREAM
 *
 * The stream's replicas as the cluster sees them, one JSON line:
 * {"msgs":N,"last_seq":L,"leader":"n2","replicas":[{"name":"n1",
 * "current":true,"offline":false,"lag":0},...]} (the leader is not among
 * the replicas).  A replica that is current with lag 0 holds every message.
 *
 * Exit status: 0 ok, 1 a publish or the stream creation failed (the reason
 * on stderr), 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

static int fail(const char *what, natsStatus s, jsErrCode jerr)
{
    const char *detail = nats_GetLastError(NULL);
    fprintf(stderr, "nats_pub: %s: %s (jetstream error %d)%s%s\n", what, natsStatus_GetText(s),
            (int)jerr, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static natsStatus ensure_stream(jsCtx *js, const char *stream, int replicas, jsErrCode *jerr)
{
    jsStreamInfo *si = NULL;
    natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return s;
    }
    const char *subjects[] = {"logs.>"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = replicas;
    s = js_AddStream(&si, js, &cfg, NULL, jerr);
    if (s == NATS_OK)
        jsStreamInfo_Destroy(si);
    return s;
}

static int probe(jsCtx *js, int replicas)
{
    const char *subjects[] = {"lctest.probe"};
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "LCTEST_PROBE";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_MemoryStorage;
    cfg.Replicas = replicas;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddStream(&si, js, &cfg, NULL, &jerr);
    if (s != NATS_OK) {
        fail("probe stream", s, jerr);
        return 3;
    }
    jsStreamInfo_Destroy(si);
    s = js_DeleteStream(js, "LCTEST_PROBE", NULL, &jerr);
    return s == NATS_OK ? 0 : fail("deleting the probe stream", s, jerr);
}

static int cluster_info(jsCtx *js, const char *stream)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
    if (s != NATS_OK)
        return fail("stream info", s, jerr);
    jsClusterInfo *c = si->Cluster;
    printf("{\"msgs\":%llu,\"last_seq\":%llu,\"leader\":\"%s\",\"replicas\":[",
           (unsigned long long)si->State.Msgs, (unsigned long long)si->State.LastSeq,
           c && c->Leader ? c->Leader : "");
    for (int i = 0; c && i < c->ReplicasLen; i++) {
        jsPeerInfo *p = c->Replicas[i];
        printf("%s{\"name\":\"%s\",\"current\":%s,\"offline\":%s,\"lag\":%llu}",
               i ? "," : "", p->Name, p->Current ? "true" : "false",
               p->Offline ? "true" : "false", (unsigned long long)p->Lag);
    }
    printf("]}\n");
    jsStreamInfo_Destroy(si);
    return 0;
}

/* Each line of stdin, acknowledged by JetStream; prints "published N". */
static int publish_lines(jsCtx *js, const char *subject)
{
    jsErrCode jerr = 0;
    natsStatus s;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long n = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        len -= line[len - 1] == '\n';
        jsPubAck *pa = NULL;
        s = js_Publish(&pa, js, subject, line, (int)len, NULL, &jerr);
        if (s != NATS_OK) {
            rc = fail("publish", s, jerr);
            break;
        }
        jsPubAck_Destroy(pa);
        n++;
    }
    free(line);
    printf("published %ld\n", n);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},
        {"subject", required_argument, NULL, 's'},
        {"stream", required_argument, NULL, 'S'},
        {"create", no_argument, NULL, 'c'},
        {"replicas", required_argument, NULL, 'r'},
        {"probe", required_argument, NULL, 'p'},
        {"cluster-info", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    const char *url = NULL, *subject = NULL, *stream = "LOGS", *info = NULL;
    int create = 0, replicas = 1, probe_r = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 's': subject = optarg; break;
        case 'S': stream = optarg; break;
        case 'c': create = 1; break;
        case 'r': replicas = atoi(optarg); break;
        case 'p': probe_r = atoi(optarg); break;
        case 'i': info = optarg; break;
        default: url = NULL; optind = argc; break;
        }
    }
    if (!url || (!subject && !probe_r && !info)) {
        fprintf(stderr, "usage: nats_pub --url URL --subject SUBJECT [--stream NAME --create [--replicas R]] "
                        "< lines\n");
        return 64;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsErrCode jerr = 0;
    int rc = 0;
    natsStatus s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        rc = fail(url, s, 0);
    else if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK)
        rc = fail("JetStream context", s, 0);
    else if (probe_r)
        rc = probe(js, probe_r);
    else if (info)
        rc = cluster_info(js, info);
    else if (create && (s = ensure_stream(js, stream, replicas, &jerr)) != NATS_OK)
        rc = fail("creating the stream", s, jerr);
    else
        rc = publish_lines(js, subject);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
