/*
 * tail_nats.c - `logcollect tail --nats URL`: the records of a JetStream
 * stream, with tail's filters and output (tail.c's callbacks).
 *
 * Reading:
 *   -n N (no --since)  the last N wanted records: the stream is read forward
 *                      in windows of stream sequences ending at its last
 *                      message (N, then twice as many each time further
 *                      back) until N wanted ones are found or the stream's
 *                      first message is reached; so -n 10 on a stream of
 *                      millions reads 10 messages when no filter hides any.
 *   --since TIME       from TIME to the end, the last N of them with -n N.
 *                      The first message at or after TIME is found by a
 *                      binary search on the stream's own timestamps
 *                      (js_GetMsg, log2(messages) requests), and the
 *                      consumer starts there: nats-server 2.9's
 *                      DeliverByStartTime sometimes starts after messages
 *                      stored well after TIME (seen here: none of the last
 *                      ones shown).
 *   -f                 then every new message, as it arrives.
 * Each window is an ephemeral ordered consumer (no acks, the server resends
 * nothing, the library recreates it after a reconnection), bound to the
 * stream and filtered on --subject.  With --durable NAME a durable consumer
 * is used instead: created on first use where -n/--since say, then resumed
 * where the last reader acknowledged; every message shown is acknowledged.
 * A read without -f ends at the message that was last when it started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tail_nats.h"

#ifndef LCD_HAVE_NATS

int lcli_tail_nats(const lcli_nats_source *src, const lcli_nats_reader *r)
{
    (void)src;
    (void)r;
    fprintf(stderr, "logcollect: this logcollect was built without NATS support (libnats-dev); "
                    "rebuild it with libnats-dev installed to use --nats\n");
    return 1;
}

#else

#include <nats/nats.h>

#define READ_TIMEOUT_MS 5000   /* a message the server said is there must come by then */
#define FOLLOW_WAIT_MS 1000
#define EMPTY_GRACE_MS 300     /* how long "nothing to read" is double-checked */
#define ORDERED_HEARTBEAT_NS 1000000000LL

typedef struct {
    const lcli_nats_source *src;
    const lcli_nats_reader *r;
    natsConnection *nc;
    jsCtx *js;
} nats_tail;

/* The lines kept for -n, oldest first. */
typedef struct {
    char **line;
    size_t *len;
    size_t n, cap;
} kept;

static int kept_push(kept *k, const char *s, size_t len)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        char **l = realloc(k->line, cap * sizeof *l);
        if (l)
            k->line = l;
        size_t *n = realloc(k->len, cap * sizeof *n);
        if (n)
            k->len = n;
        if (!l || !n)
            return -1;
        k->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    k->line[k->n] = c;
    k->len[k->n++] = len;
    return 0;
}

/* Keep only the newest max lines. */
static void kept_trim(kept *k, size_t max)
{
    if (k->n <= max)
        return;
    size_t drop = k->n - max;
    for (size_t i = 0; i < drop; i++)
        free(k->line[i]);
    memmove(k->line, k->line + drop, max * sizeof *k->line);
    memmove(k->len, k->len + drop, max * sizeof *k->len);
    k->n = max;
}

/* Put the lines of older before those of k. */
static int kept_prepend(kept *k, kept *older)
{
    for (size_t i = 0; i < k->n; i++)
        if (kept_push(older, k->line[i], k->len[i]) != 0)
            return -1;
    for (size_t i = 0; i < k->n; i++)
        free(k->line[i]);
    free(k->line);
    free(k->len);
    *k = *older;
    memset(older, 0, sizeof *older);
    return 0;
}

static void kept_free(kept *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->line[i]);
    free(k->line);
    free(k->len);
    memset(k, 0, sizeof *k);
}

static int nats_fail(const nats_tail *t, const char *what, natsStatus s, jsErrCode jerr)
{
    const char *detail = nats_GetLastError(NULL);
    fprintf(stderr, "logcollect: %s on NATS %s: %s%s%s", what, t->src->url,
            natsStatus_GetText(s), detail && *detail ? ": " : "", detail ? detail : "");
    if (jerr)
        fprintf(stderr, " (JetStream error %d)", (int)jerr);
    if (s == NATS_NO_SERVER || s == NATS_CONNECTION_CLOSED)
        fputs("; is nats-server running there, and is the URL right?", stderr);
    fputc('\n', stderr);
    return 1;
}

/* "nats://a:4222,nats://b:4222": natsOptions_SetURL takes one URL only (a
 * comma-separated list is split by natsConnection_ConnectTo, not by it). */
static natsStatus set_servers(natsOptions *o, const char *urls)
{
    char *copy = strdup(urls), *save = NULL;
    const char *list[64];
    int n = 0;
    if (!copy)
        return NATS_NO_MEMORY;
    for (char *u = strtok_r(copy, ", ", &save); u && n < 64; u = strtok_r(NULL, ", ", &save))
        list[n++] = u;
    natsStatus s = n ? natsOptions_SetServers(o, list, n) : NATS_INVALID_ARG;
    free(copy);
    return s;
}

static int connect_nats(nats_tail *t)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = set_servers(o, t->src->url);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, "logcollect tail");
    /* following: ride out a server restart; a one-shot read just fails */
    if (s == NATS_OK && t->r->follow)
        s = natsOptions_SetMaxReconnect(o, -1);
    if (s == NATS_OK && t->src->creds)
        s = natsOptions_SetUserCredentialsFromFiles(o, t->src->creds, NULL);
    if (s == NATS_OK)
        s = natsConnection_Connect(&t->nc, o);
    natsOptions_Destroy(o);
    if (s != NATS_OK)
        return nats_fail(t, "cannot connect", s, 0);
    if ((s = natsConnection_JetStream(&t->js, t->nc, NULL)) != NATS_OK)
        return nats_fail(t, "no JetStream context", s, 0);
    return 0;
}

/* The stream's first and last sequence (0, 0 when empty). */
static int stream_bounds(nats_tail *t, uint64_t *first, uint64_t *last)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, t->js, t->src->stream, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        fprintf(stderr, "logcollect: NATS %s has no stream '%s' (is logcollectord forwarding "
                        "there? --stream names another one)\n", t->src->url, t->src->stream);
        return 1;
    }
    if (s != NATS_OK)
        return nats_fail(t, "cannot read the stream's state", s, jerr);
    *first = si->State.Msgs ? si->State.FirstSeq : 0;
    *last = si->State.Msgs ? si->State.LastSeq : 0;
    jsStreamInfo_Destroy(si);
    return 0;
}

/* The stream's own timestamp (ns) of the first message at or after seq
 * and before end, and its sequence in *found; 0 when there is none
 * (deleted ones are skipped), -1 on an error. */
static int msg_time(nats_tail *t, uint64_t seq, uint64_t end, uint64_t *found, int64_t *ns)
{
    for (; seq < end; seq++) {
        natsMsg *m = NULL;
        jsErrCode jerr = 0;
        natsStatus s = js_GetMsg(&m, t->js, t->src->stream, seq, NULL, &jerr);
        if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr)
            continue;
        if (s != NATS_OK)
            return -nats_fail(t, "cannot read a message by sequence", s, jerr);
        *ns = natsMsg_GetTime(m);
        *found = seq;
        natsMsg_Destroy(m);
        return 1;
    }
    return 0;
}

/* The first sequence in [first, last] stored at or after since_ns (last +
 * 1 if none): a binary search on the stream's timestamps, which only grow. */
static int seq_from_time(nats_tail *t, uint64_t first, uint64_t last, int64_t since_ns,
                         uint64_t *seq)
{
    uint64_t lo = first ? first : 1, hi = last + 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2, found = 0;
        int64_t ns = 0;
        int r = msg_time(t, mid, hi, &found, &ns);
        if (r < 0)
            return 1;
        if (r == 0 || ns >= since_ns)
            hi = mid; /* mid..hi-1 are gone or late enough */
        else
            lo = found + 1;
    }
    *seq = lo;
    return 0;
}

/* The message's data without a trailing newline. */
static void msg_line(natsMsg *m, const char **line, size_t *len)
{
    *line = natsMsg_GetData(m);
    *len = (size_t)natsMsg_GetDataLength(m);
    if (*len && (*line)[*len - 1] == '\n')
        (*len)--;
    if (!*line)
        *line = "";
}

/* Start a consumer: ordered (durable NULL) or durable, delivering from
 * policy (js_DeliverByStartSequence: from start_seq). */
static int subscribe(nats_tail *t, natsSubscription **sub, jsDeliverPolicy policy,
                     uint64_t start_seq, const char *durable)
{
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = t->src->stream;
    so.Config.DeliverPolicy = policy;
    so.Config.OptStartSeq = policy == js_DeliverByStartSequence ? start_seq : 0;
    if (durable) {
        so.Config.Durable = durable;
        so.Config.AckPolicy = js_AckExplicit;
    } else {
        so.Ordered = true;
        /* missed heartbeats are how nats.c notices a restarted server and
         * recreates the consumer: 1 s instead of 5 */
        so.Config.Heartbeat = ORDERED_HEARTBEAT_NS;
    }
    jsErrCode jerr = 0;
    natsStatus s = js_SubscribeSync(sub, t->js, t->src->subject, NULL, &so, &jerr);
    if (s != NATS_OK)
        return nats_fail(t, "cannot start a consumer", s, jerr);
    return 0;
}

/* Whether a consumer has anything for us: an ordered one just made,
 * messages still to deliver or already pushed to this client; a durable
 * one (by name: nats.c 3.4 does not keep it in the subscription), messages
 * to deliver or delivered and not yet acknowledged. */
static int pending(nats_tail *t, natsSubscription *sub, const char *durable, uint64_t *n)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = durable ? js_GetConsumerInfo(&ci, t->js, t->src->stream, durable, NULL, &jerr)
                           : natsSubscription_GetConsumerInfo(&ci, sub, NULL, &jerr);
    if (s != NATS_OK)
        return nats_fail(t, "cannot read the consumer's state", s, jerr);
    *n = ci->NumPending + (durable ? (uint64_t)ci->NumAckPending : ci->Delivered.Consumer);
    jsConsumerInfo_Destroy(ci);
    return 0;
}

typedef enum { READ_MORE, READ_DONE } read_step;

/* What to do with each message of a read: keep the wanted ones (k), or
 * show them; ack when durable. */
typedef struct {
    kept *k;           /* NULL: show each */
    size_t keep_max;   /* 0: keep all */
    uint64_t end_seq;  /* stop after this stream sequence (0: at the end) */
    int durable;
    uint64_t *shown;   /* following: the last stream sequence shown; older ones are repeats */
} read_plan;

static read_step take(nats_tail *t, const read_plan *p, natsMsg *m)
{
    jsMsgMetaData *meta = NULL;
    uint64_t seq = 0, left = 0;
    if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
        seq = meta->Sequence.Stream;
        left = meta->NumPending;
        jsMsgMetaData_Destroy(meta);
    }
    if (p->end_seq && seq > p->end_seq)
        return READ_DONE; /* arrived since the read started */
    if (p->shown) {
        /* nats.c recreates an ordered consumer after a reconnection from
         * the last message it delivered; before the first one, from the
         * stream's start: what was shown already is not shown again */
        if (seq && seq <= *p->shown)
            return READ_MORE;
        *p->shown = seq;
    }
    const char *line;
    size_t len;
    msg_line(m, &line, &len);
    if (!p->k) {
        t->r->show(t->r->ctx, line, len);
    } else if (t->r->wanted(t->r->ctx, line, len)) {
        if (kept_push(p->k, line, len) != 0)
            return READ_DONE;
        if (p->keep_max && p->k->n > p->keep_max + 4096)
            kept_trim(p->k, p->keep_max);
    }
    if (p->durable)
        natsMsg_Ack(m, NULL);
    return left == 0 || (p->end_seq && seq >= p->end_seq) ? READ_DONE : READ_MORE;
}

/* Read sub until the plan's end (the messages there when it started). */
static int read_until_end(nats_tail *t, natsSubscription *sub, const read_plan *p)
{
    uint64_t n = 0;
    if (pending(t, sub, p->durable ? t->src->durable : NULL, &n) != 0)
        return 1;
    /* "Nothing" gets a short wait to be sure: the count comes from another
     * request than the one that made the consumer. */
    int timeout = n ? READ_TIMEOUT_MS : EMPTY_GRACE_MS;
    for (;;) {
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, sub, timeout);
        if (s == NATS_TIMEOUT && (p->durable || timeout == EMPTY_GRACE_MS))
            return 0; /* nothing; or what is left waits for its redelivery (AckWait) */
        timeout = READ_TIMEOUT_MS;
        if (s != NATS_OK)
            return nats_fail(t, "reading the stream failed", s, 0);
        read_step step = take(t, p, m);
        natsMsg_Destroy(m);
        if (step == READ_DONE)
            return 0;
    }
}

/* The wanted messages of stream sequences [from, to], oldest first. */
static int read_window(nats_tail *t, uint64_t from, uint64_t to, kept *k)
{
    natsSubscription *sub = NULL;
    if (subscribe(t, &sub, js_DeliverByStartSequence, from, NULL) != 0)
        return 1;
    read_plan p = {.k = k, .end_seq = to};
    int rc = read_until_end(t, sub, &p);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    return rc;
}

/* -n N: windows further and further back from last until N are found. */
static int last_n(nats_tail *t, uint64_t first, uint64_t last, kept *out)
{
    uint64_t want = (uint64_t)t->r->n, window = want, to = last;
    while (out->n < want && to >= first && to > 0) {
        uint64_t from = to - first + 1 > window ? to - window + 1 : first;
        kept k = {0};
        if (read_window(t, from, to, &k) != 0) {
            kept_free(&k);
            return 1;
        }
        kept_prepend(out, &k); /* out = k's lines, then out's */
        kept_free(&k);
        to = from - 1;
        window *= 2;
    }
    if (out->n > want) { /* the oldest window gave too many */
        size_t drop = out->n - want;
        for (size_t i = 0; i < drop; i++)
            free(out->line[i]);
        memmove(out->line, out->line + drop, want * sizeof *out->line);
        memmove(out->len, out->len + drop, want * sizeof *out->len);
        out->n = want;
    }
    return 0;
}

/* --since: from that time to last; all of them, or the newest N. */
static int since_to_end(nats_tail *t, uint64_t first, uint64_t last, kept *out)
{
    natsSubscription *sub = NULL;
    uint64_t from = 0;
    if (last == 0)
        return 0;
    if (seq_from_time(t, first, last, (int64_t)t->r->since_us * 1000, &from) != 0)
        return 1;
    if (from > last)
        return 0;
    if (subscribe(t, &sub, js_DeliverByStartSequence, from, NULL) != 0)
        return 1;
    read_plan p = {.k = t->r->n >= 0 ? out : NULL, .end_seq = last,
                   .keep_max = t->r->n >= 0 ? (size_t)t->r->n : 0};
    int rc = read_until_end(t, sub, &p);
    if (t->r->n >= 0)
        kept_trim(out, (size_t)t->r->n);
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    return rc;
}

/* -f: everything after *shown (ordered; NULL: durable), as it comes, until
 * killed. */
static int follow_from(nats_tail *t, natsSubscription *sub, uint64_t *shown)
{
    read_plan p = {.durable = shown == NULL, .shown = shown};
    for (;;) {
        natsMsg *m = NULL;
        natsStatus s = natsSubscription_NextMsg(&m, sub, FOLLOW_WAIT_MS);
        if (s == NATS_TIMEOUT)
            continue; /* nothing new (or reconnecting) */
        if (s != NATS_OK)
            return nats_fail(t, "following the stream failed", s, 0);
        take(t, &p, m);
        natsMsg_Destroy(m);
        fflush(stdout);
    }
}

static int ordered_tail(nats_tail *t, uint64_t first, uint64_t last)
{
    kept k = {0};
    int rc = 0;
    if (t->r->has_since)
        rc = since_to_end(t, first, last, &k);
    else if (t->r->n > 0 && last > 0)
        rc = last_n(t, first, last, &k);
    for (size_t i = 0; rc == 0 && i < k.n; i++)
        t->r->show(t->r->ctx, k.line[i], k.len[i]);
    kept_free(&k);
    fflush(stdout);
    if (rc != 0 || !t->r->follow)
        return rc;
    /* From the last message (shown already, or not wanted: take() skips
     * it), not the one after: once the consumer delivered it, nats.c
     * recreates the consumer after a reconnection from there, instead of
     * from the stream's start. */
    natsSubscription *sub = NULL;
    if (subscribe(t, &sub, js_DeliverByStartSequence, last ? last : 1, NULL) != 0)
        return 1;
    rc = follow_from(t, sub, &last);
    natsSubscription_Destroy(sub);
    return rc;
}

/* --durable NAME: resume it, or create it where -n / --since say (-n N: the
 * last N messages of the stream, before the filters). */
static int durable_tail(nats_tail *t, uint64_t first, uint64_t last)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, t->js, t->src->stream, t->src->durable, NULL, &jerr);
    natsSubscription *sub = NULL;
    int rc;
    if (s == NATS_OK) {
        jsConsumerInfo_Destroy(ci);
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = t->src->stream;
        so.Consumer = t->src->durable;
        s = js_SubscribeSync(&sub, t->js, t->src->subject, NULL, &so, &jerr);
        if (s != NATS_OK)
            return nats_fail(t, "cannot resume the durable consumer", s, jerr);
    } else if (t->r->has_since) {
        uint64_t from = 0;
        if (seq_from_time(t, first, last, (int64_t)t->r->since_us * 1000, &from) != 0 ||
            subscribe(t, &sub, js_DeliverByStartSequence, from, t->src->durable) != 0)
            return 1;
    } else {
        uint64_t n = t->r->n < 0 ? last : (uint64_t)t->r->n;
        uint64_t from = last - first + 1 > n ? last - n + 1 : (first ? first : 1);
        if (subscribe(t, &sub, js_DeliverByStartSequence, from, t->src->durable) != 0)
            return 1;
    }
    if (t->r->follow) {
        rc = follow_from(t, sub, NULL);
    } else {
        read_plan p = {.durable = 1};
        rc = read_until_end(t, sub, &p);
        fflush(stdout);
    }
    /* leave the consumer on the server: that is the point of a durable */
    natsSubscription_Destroy(sub);
    return rc;
}

int lcli_tail_nats(const lcli_nats_source *src, const lcli_nats_reader *r)
{
    nats_tail t = {.src = src, .r = r};
    uint64_t first = 0, last = 0;
    int rc = connect_nats(&t);
    if (rc == 0)
        rc = stream_bounds(&t, &first, &last);
    if (rc == 0)
        rc = src->durable ? durable_tail(&t, first, last) : ordered_tail(&t, first, last);
    jsCtx_Destroy(t.js);
    natsConnection_Destroy(t.nc);
    nats_Close();
    return rc;
}

#endif
