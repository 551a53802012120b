/*
 * nats_dump - read a JetStream stream (test driver; built only where
 * libnats-dev is installed).
 *
 *   nats_dump --url URL --stream NAME            every message, one JSON line each
 *   nats_dump --url URL --stream NAME --info     {"msgs":N,"bytes":B,"first_seq":F,"last_seq":L}
 *   nats_dump --url URL --subscribe SUBJECT      a plain core subscription: prints
 *                                                "ready", then one JSON line per
 *                                                message as it arrives, until killed
 *
 * A message line is {"seq":N,"subject":"...","msgid":"<Nats-Msg-Id or null>",
 * "data":"<the data as a string>"}; data that is not UTF-8 is given as
 * "data_hex" instead.  With --subscribe "seq" is the count of messages seen
 * so far (a core subscription sees every publish, repeats included: what
 * JetStream's duplicate window would hide).
 *
 * Messages are read one by one with js_GetMsg from the stream's first to
 * its last sequence (gaps left by deleted messages are skipped).
 *
 * Exit status: 0 ok, 2 the stream does not exist, 1 any other error (the
 * reason on stderr), 64 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>

static int fail(const char *what, natsStatus s, jsErrCode jerr)
{
    const char *detail = nats_GetLastError(NULL);
    fprintf(stderr, "nats_dump: %s: %s (jetstream error %d)%s%s\n", what,
            natsStatus_GetText(s), (int)jerr, detail ? ": " : "", detail ? detail : "");
    return 1;
}

/* Print one message as a JSON line (seq given by the caller). */
static void print_msg(natsMsg *m, unsigned long long seq)
{
    const char *id = NULL;
    if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK)
        id = NULL;
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer((json_int_t)seq));
    json_object_set_new(o, "subject", json_string(natsMsg_GetSubject(m)));
    json_object_set_new(o, "msgid", id ? json_string(id) : json_null());
    const char *data = natsMsg_GetData(m);
    size_t len = (size_t)natsMsg_GetDataLength(m);
    json_t *s = json_stringn(data ? data : "", data ? len : 0);
    if (s) {
        json_object_set_new(o, "data", s);
    } else {
        char *hex = malloc(len * 2 + 1);
        for (size_t i = 0; hex && i < len; i++)
            sprintf(hex + 2 * i, "%02x", (unsigned char)data[i]);
        if (hex) {
            hex[len * 2] = 0;
            json_object_set_new(o, "data_hex", json_string(hex));
        }
        free(hex);
    }
    char *line = json_dumps(o, JSON_COMPACT);
    if (line)
        printf("%s\n", line);
    free(line);
    json_decref(o);
}

static int dump_stream(natsConnection *nc, const char *stream, int info_only)
{
    jsCtx *js = NULL;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = natsConnection_JetStream(&js, nc, NULL);
    if (s != NATS_OK)
        return fail("jetstream context", s, 0);
    s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        fprintf(stderr, "nats_dump: stream %s does not exist\n", stream);
        jsCtx_Destroy(js);
        return 2;
    }
    if (s != NATS_OK) {
        jsCtx_Destroy(js);
        return fail("stream info", s, jerr);
    }
    uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
    if (info_only) {
        printf("{\"msgs\":%llu,\"bytes\":%llu,\"first_seq\":%llu,\"last_seq\":%llu}\n",
               (unsigned long long)si->State.Msgs, (unsigned long long)si->State.Bytes,
               (unsigned long long)first, (unsigned long long)last);
        jsStreamInfo_Destroy(si);
        jsCtx_Destroy(js);
        return 0;
    }
    jsStreamInfo_Destroy(si);
    int rc = 0;
    for (uint64_t seq = first; seq && seq <= last; seq++) {
        natsMsg *m = NULL;
        jerr = 0;
        s = js_GetMsg(&m, js, stream, seq, NULL, &jerr);
        if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
            continue; /* deleted: a gap */
        if (s != NATS_OK) {
            rc = fail("get message", s, jerr);
            break;
        }
        print_msg(m, (unsigned long long)seq);
        natsMsg_Destroy(m);
    }
    jsCtx_Destroy(js);
    return rc;
}

static int watch_subject(natsConnection *nc, const char *subject)
{
    natsSubscription *sub = NULL;
    natsStatus s = natsConnection_SubscribeSync(&sub, nc, subject);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (s == NATS_OK)
        s = natsConnection_Flush(nc);
    if (s != NATS_OK)
        return fail("subscribe", s, 0);
    printf("ready\n");
    fflush(stdout);
    unsigned long long n = 0;
    for (;;) {
        natsMsg *m = NULL;
        s = natsSubscription_NextMsg(&m, sub, 1000);
        if (s == NATS_TIMEOUT)
            continue;
        if (s != NATS_OK)
            return fail("next message", s, 0);
        print_msg(m, ++n);
        fflush(stdout);
        natsMsg_Destroy(m);
    }
}

int main(int argc, char **argv)
{
    const char *url = "nats://127.0.0.1:4222", *stream = NULL, *subject = NULL;
    int info = 0;
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},  {"stream", required_argument, NULL, 's'},
        {"info", no_argument, NULL, 'i'},       {"subscribe", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 's': stream = optarg; break;
        case 'i': info = 1; break;
        case 'w': subject = optarg; break;
        default:
            fprintf(stderr, "usage: nats_dump --url URL (--stream NAME [--info] | --subscribe SUBJECT)\n");
            return 64;
        }
    }
    if (!stream == !subject) {
        fprintf(stderr, "nats_dump: give exactly one of --stream and --subscribe\n");
        return 64;
    }
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, url);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, 5000);
    if (s == NATS_OK)
        s = natsConnection_Connect(&nc, o);
    if (s != NATS_OK) {
        fprintf(stderr, "nats_dump: cannot connect to %s: %s\n", url, natsStatus_GetText(s));
        natsOptions_Destroy(o);
        return 1;
    }
    int rc = subject ? watch_subject(nc, subject) : dump_stream(nc, stream, info);
    fflush(stdout);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(o);
    nats_Close();
    return rc;
}
