/*
 * lc_dropper - fill the queue while the collector is down (test driver).
 *
 *   lc_dropper --queue BYTES --count N [--block MS] [--max-drops M]
 *              [--after] [--app NAME] [--flush-ms MS]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  Opens a
 * client with a queue of BYTES (LC_FULL_DROP, or LC_FULL_BLOCK with a
 * limit of MS), then calls lc_log(c, LC_INFO, "rec %d", i) for i = 1..N,
 * stopping early after M drops, timing each call.  Prints
 *
 *   phase1 ok=K dropped=D first_drop=I max_ok_us=A max_drop_us=B
 *          min_drop_us=C stats_dropped=S stats_records=R elapsed_ms=E
 *
 * then waits for a line on standard input (the test starts the collector
 * meanwhile).  With --after it waits (up to 30 s) until every record
 * queued is acknowledged, then logs one more record, msg "after"; then
 * lc_flush (--flush-ms, default 30 s) and prints "flush <lc_strerror>" and
 * "stats dropped=D notices=N acked=A last_seq=L".  Exit 0 unless a call
 * failed in another way than LC_EDROPPED (message on stderr, exit 1).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "logcollect.h"

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long number(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX) {
        fprintf(stderr, "lc_dropper: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"queue", required_argument, NULL, 'q'},
        {"count", required_argument, NULL, 'n'},
        {"block", required_argument, NULL, 'b'},
        {"max-drops", required_argument, NULL, 'm'},
        {"after", no_argument, NULL, 'A'},
        {"app", required_argument, NULL, 'a'},
        {"flush-ms", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    long queue = 65536, count = 1000, block = -1, max_drops = LONG_MAX, flush_ms = 30000;
    int after = 0, ch;
    const char *app = "lc_dropper";
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'q': queue = number(optarg, "--queue"); break;
        case 'n': count = number(optarg, "--count"); break;
        case 'b': block = number(optarg, "--block"); break;
        case 'm': max_drops = number(optarg, "--max-drops"); break;
        case 'A': after = 1; break;
        case 'a': app = optarg; break;
        case 'F': flush_ms = number(optarg, "--flush-ms"); break;
        default:
            fprintf(stderr, "usage: lc_dropper --queue BYTES --count N [--block MS] "
                            "[--max-drops M] [--after] [--app NAME] [--flush-ms MS]\n");
            return 2;
        }
    }
    int rc;
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_queue_bytes(o, (size_t)queue) != LC_OK ||
        lc_options_set_app(o, app) != LC_OK ||
        lc_options_set_queue_full(o, block >= 0 ? LC_FULL_BLOCK : LC_FULL_DROP,
                                  (int)block) != LC_OK) {
        fprintf(stderr, "lc_dropper: options: %s\n", lc_last_error());
        return 1;
    }
    lc_client *c = lc_open_opts(o, &rc);
    lc_options_free(o);
    if (!c) {
        fprintf(stderr, "lc_dropper: lc_open: %s\n", lc_last_error());
        return 1;
    }
    long ok = 0, dropped = 0, first_drop = 0;
    long long max_ok = 0, max_drop = 0, min_drop = -1;
    long long start = now_us();
    for (long i = 1; i <= count && dropped < max_drops; i++) {
        long long t0 = now_us();
        rc = lc_log(c, LC_INFO, "rec %ld", i);
        long long dt = now_us() - t0;
        if (rc == LC_OK) {
            ok++;
            if (dt > max_ok)
                max_ok = dt;
        } else if (rc == LC_EDROPPED) {
            if (!dropped++)
                first_drop = i;
            if (dt > max_drop)
                max_drop = dt;
            if (min_drop < 0 || dt < min_drop)
                min_drop = dt;
        } else {
            fprintf(stderr, "lc_dropper: record %ld: %s: %s\n", i, lc_strerror(rc),
                    lc_last_error());
            lc_close(c);
            return 1;
        }
    }
    long long elapsed = now_us() - start;
    lc_stats st;
    lc_get_stats(c, &st, sizeof st);
    printf("phase1 ok=%ld dropped=%ld first_drop=%ld max_ok_us=%lld max_drop_us=%lld "
           "min_drop_us=%lld stats_dropped=%llu stats_records=%llu elapsed_ms=%lld\n",
           ok, dropped, first_drop, max_ok, max_drop, min_drop, st.dropped, st.records,
           elapsed / 1000);
    fflush(stdout);

    char line[64];
    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "lc_dropper: no go-ahead on stdin\n");
        lc_close(c);
        return 1;
    }
    /* With --after, let the queue drain first (no lc_flush: that would
     * announce the drops itself), so that "after" finds room. */
    for (int k = 0; after && k < 3000; k++) {
        lc_get_stats(c, &st, sizeof st);
        if (st.acked == st.last_seq)
            break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    if (after && (rc = lc_log(c, LC_INFO, "after")) != LC_OK) {
        fprintf(stderr, "lc_dropper: after: %s\n", lc_last_error());
        lc_close(c);
        return 1;
    }
    rc = lc_flush(c, (int)flush_ms);
    printf("flush %s\n", rc == LC_OK ? "ok" : lc_last_error());
    lc_get_stats(c, &st, sizeof st);
    printf("stats dropped=%llu notices=%llu acked=%llu last_seq=%llu\n", st.dropped,
           st.notices, st.acked, st.last_seq);
    fflush(stdout);
    lc_close(c);
    return 0;
}
