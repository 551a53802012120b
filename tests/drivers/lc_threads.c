/*
 * lc_threads - many threads logging through one client (test driver).
 *
 *   lc_threads [--threads T] [--count N] [--queue BYTES]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  T threads
 * start together; thread t logs N records: even threads with
 * lc_log(c, LC_INFO, "t<t> <i>"), odd ones with lc_log_kv(c, LC_INFO,
 * "t<t> <i>", "t", "<t>", "i", "<i>", NULL).  The queue blocks when full
 * (LC_FULL_BLOCK, 30 s).  Then lc_flush (60 s) and prints "sent T*N" and
 * "acked", and "stats dropped=D resent=R".  Exit 0, or 1 with the reason
 * on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "logcollect.h"

static lc_client *client;
static long count = 10000;
static pthread_barrier_t start;

static long number(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > INT_MAX) {
        fprintf(stderr, "lc_threads: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

static void *work(void *arg)
{
    long t = (long)(intptr_t)arg;
    pthread_barrier_wait(&start);
    for (long i = 1; i <= count; i++) {
        int rc;
        if (t % 2 == 0) {
            rc = lc_log(client, LC_INFO, "t%ld %ld", t, i);
        } else {
            char msg[64], ts[24], is[24];
            snprintf(msg, sizeof msg, "t%ld %ld", t, i);
            snprintf(ts, sizeof ts, "%ld", t);
            snprintf(is, sizeof is, "%ld", i);
            rc = lc_log_kv(client, LC_INFO, msg, "t", ts, "i", is, NULL);
        }
        if (rc != LC_OK) {
            fprintf(stderr, "lc_threads: thread %ld record %ld: %s\n", t, i,
                    lc_last_error());
            return (void *)1;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"threads", required_argument, NULL, 't'},
        {"count", required_argument, NULL, 'n'},
        {"queue", required_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    long threads = 16, queue = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 't': threads = number(optarg, "--threads"); break;
        case 'n': count = number(optarg, "--count"); break;
        case 'q': queue = number(optarg, "--queue"); break;
        default:
            fprintf(stderr, "usage: lc_threads [--threads T] [--count N] [--queue B]\n");
            return 2;
        }
    }
    int rc;
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_app(o, "lc_threads") != LC_OK ||
        lc_options_set_queue_full(o, LC_FULL_BLOCK, 30000) != LC_OK ||
        (queue && lc_options_set_queue_bytes(o, (size_t)queue) != LC_OK)) {
        fprintf(stderr, "lc_threads: options: %s\n", lc_last_error());
        return 1;
    }
    client = lc_open_opts(o, &rc);
    lc_options_free(o);
    if (!client) {
        fprintf(stderr, "lc_threads: lc_open: %s\n", lc_last_error());
        return 1;
    }
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!tids || pthread_barrier_init(&start, NULL, (unsigned)threads) != 0)
        return 1;
    for (long t = 0; t < threads; t++)
        if (pthread_create(&tids[t], NULL, work, (void *)(intptr_t)t) != 0) {
            fprintf(stderr, "lc_threads: cannot start thread %ld\n", t);
            return 1;
        }
    int bad = 0;
    for (long t = 0; t < threads; t++) {
        void *r;
        pthread_join(tids[t], &r);
        if (r)
            bad = 1;
    }
    free(tids);
    pthread_barrier_destroy(&start);
    if (bad) {
        lc_close(client);
        return 1;
    }
    printf("sent %ld\n", threads * count);
    rc = lc_flush(client, 60000);
    if (rc != LC_OK) {
        fprintf(stderr, "lc_threads: lc_flush: %s\n", lc_last_error());
        lc_close(client);
        return 1;
    }
    printf("acked\n");
    lc_stats st;
    lc_get_stats(client, &st, sizeof st);
    printf("stats dropped=%llu resent=%llu\n", st.dropped, st.resent);
    return lc_close(client) == LC_OK ? 0 : 1;
}
