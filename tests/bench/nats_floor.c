/*
 * nats_floor - the floor the forwarder is measured against: a minimal
 * nats.c program that publishes records to a JetStream stream
 * asynchronously, with a bounded window of unacknowledged messages, and
 * does nothing else (no file, no state, no event loop of its own).
 *
 *   nats_floor --url URL [--subject S] [--stream NAME] [--create]
 *              [--window N] [--file PATH | --records N] [--msg-id]
 *
 * The records are the lines of --file (read into memory before the clock
 * starts: give it the daemon's output file and it publishes the very
 * records the forwarder does), else N records of bench_record().  With
 * --msg-id each message carries a Nats-Msg-Id header, as the forwarder's
 * do (the server's duplicate window then costs the same in both).  The
 * clock runs from the first publish until JetStream acknowledged the last.
 * --create adds the stream (R=1, file storage) when it is missing.
 *
 * Prints one line: "records N seconds S rate R/s failed F".
 */
#include <getopt.h>
#include <inttypes.h>

#include <nats/nats.h>

#include "bench_common.h"

typedef struct {
    char **data;
    int *len;
    long n, cap;
} recs;

static int recs_push(recs *r, const char *s, size_t len)
{
    if (r->n == r->cap) {
        long cap = r->cap ? r->cap * 2 : 4096;
        char **d = realloc(r->data, (size_t)cap * sizeof *d);
        int *l = realloc(r->len, (size_t)cap * sizeof *l);
        if (d)
            r->data = d;
        if (l)
            r->len = l;
        if (!d || !l)
            return -1;
        r->cap = cap;
    }
    char *c = malloc(len ? len : 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    r->data[r->n] = c;
    r->len[r->n++] = (int)len;
    return 0;
}

static int load_file(recs *r, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "nats_floor: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0)
        rc = recs_push(r, line, (size_t)len - (line[len - 1] == '\n'));
    free(line);
    fclose(f);
    return rc;
}

static int make_records(recs *r, long n)
{
    char buf[BENCH_MAX_SIZE + 1];
    for (long i = 0; i < n; i++) {
        int len = bench_record(buf, sizeof buf, BENCH_DEFAULT_SIZE, 0, i);
        if (len < 0 || recs_push(r, buf, (size_t)len) != 0)
            return -1;
    }
    return 0;
}

static long failed;

static void on_pub_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
    (void)js;
    (void)closure;
    if (failed++ == 0)
        fprintf(stderr, "nats_floor: publish failed: %s (%d)\n",
                pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err), (int)pae->ErrCode);
}

static natsStatus ensure_stream(jsCtx *js, const char *stream, const char *subject)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return s;
    }
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream;
    cfg.Subjects = &subject;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = 1;
    s = js_AddStream(&si, js, &cfg, NULL, &jerr);
    if (s == NATS_OK)
        jsStreamInfo_Destroy(si);
    return s;
}

static int die(const char *what, natsStatus s)
{
    fprintf(stderr, "nats_floor: %s: %s\n", what, natsStatus_GetText(s));
    nats_PrintLastErrorStack(stderr);
    return 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, 'u'},     {"subject", required_argument, NULL, 's'},
        {"stream", required_argument, NULL, 'S'},  {"create", no_argument, NULL, 'c'},
        {"window", required_argument, NULL, 'w'},  {"file", required_argument, NULL, 'f'},
        {"records", required_argument, NULL, 'n'}, {"msg-id", no_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    const char *url = NULL, *subject = "logs.bench", *stream = "LOGS", *file = NULL;
    long window = 1024, nrec = 100000;
    int create = 0, msg_id = 0, ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'u': url = optarg; break;
        case 's': subject = optarg; break;
        case 'S': stream = optarg; break;
        case 'c': create = 1; break;
        case 'w': window = bench_number("nats_floor", optarg, "--window", 1, 1 << 20); break;
        case 'f': file = optarg; break;
        case 'n': nrec = bench_number("nats_floor", optarg, "--records", 1, 100000000); break;
        case 'm': msg_id = 1; break;
        default:
            fprintf(stderr, "usage: nats_floor --url URL [--subject S] [--stream NAME] [--create]"
                            " [--window N] [--file PATH | --records N] [--msg-id]\n");
            return 2;
        }
    }
    if (!url) {
        fprintf(stderr, "nats_floor: --url is required\n");
        return 2;
    }
    recs r = {0};
    if ((file ? load_file(&r, file) : make_records(&r, nrec)) != 0 || r.n == 0) {
        fprintf(stderr, "nats_floor: no records to publish\n");
        return 1;
    }

    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsStatus s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        return die(url, s);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = window;
    jo.PublishAsync.ErrHandler = on_pub_error;
    if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
        return die("JetStream context", s);
    if (create && (s = ensure_stream(js, stream, subject)) != NATS_OK)
        return die("creating the stream", s);

    char id[64];
    jsPubOptions po;
    double t0 = bench_now();
    for (long i = 0; i < r.n; i++) {
        jsPubOptions_Init(&po);
        if (msg_id) {
            snprintf(id, sizeof id, "floor:%ld", i);
            po.MsgId = id;
        }
        /* a full window stalls the call (StallWait); try again */
        while ((s = js_PublishAsync(js, subject, r.data[i], r.len[i], &po)) == NATS_TIMEOUT)
            ;
        if (s != NATS_OK)
            return die("publish", s);
    }
    jsPubOptions_Init(&po);
    po.MaxWait = 60000;
    if ((s = js_PublishAsyncComplete(js, &po)) != NATS_OK)
        return die("waiting for the acknowledgements", s);
    double secs = bench_now() - t0;
    printf("records %ld seconds %.3f rate %.0f/s failed %ld\n", r.n, secs, (double)r.n / secs,
           failed);

    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    for (long i = 0; i < r.n; i++)
        free(r.data[i]);
    free(r.data);
    free(r.len);
    nats_Close();
    return failed ? 1 : 0;
}
