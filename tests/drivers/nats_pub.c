/*
 * nats_pub - publish lines into a JetStream stream (test driver; built only
 * where libnats-dev is installed).  Stands in for a forwarding daemon where
 * a scenario only needs records in a stream (tail --nats).
 *
 *   nats_pub --url URL --subject SUBJECT [--stream NAME --create] < lines
 *
 * Each line of standard input (without its newline) is one message on
 * SUBJECT, published synchronously: the call returns once JetStream has
 * stored it.  --create adds the stream NAME (subjects "logs.>", R=1, file
 * storage) when it is missing.  Prints "published N" at the end.
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

static natsStatus ensure_stream(jsCtx *js, const char *stream, jsErrCode *jerr)
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
    s = js_AddStream(&si, js, &cfg, NULL, jerr);
    if (s == NATS_OK)
        jsStreamInfo_Destroy(si);
    return s;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},
        {"subject", required_argument, NULL, 's'},
        {"stream", required_argument, NULL, 'S'},
        {"create", no_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *url = NULL, *subject = NULL, *stream = "LOGS";
    int create = 0, c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 's': subject = optarg; break;
        case 'S': stream = optarg; break;
        case 'c': create = 1; break;
        default: url = NULL; optind = argc; break;
        }
    }
    if (!url || !subject) {
        fprintf(stderr, "usage: nats_pub --url URL --subject SUBJECT [--stream NAME --create] "
                        "< lines\n");
        return 64;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsErrCode jerr = 0;
    natsStatus s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        return fail(url, s, 0);
    if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK)
        return fail("JetStream context", s, 0);
    if (create && (s = ensure_stream(js, stream, &jerr)) != NATS_OK)
        return fail("creating the stream", s, jerr);
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
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    nats_Close();
    return rc;
}
