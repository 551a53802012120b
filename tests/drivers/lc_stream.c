/*
 * lc_stream - send N records through liblogcollect (test driver).
 *
 *   lc_stream [--count N] [--app NAME] [--flush] [--json] [--kv]
 *             [--drop] [--block-ms MS] [--queue BYTES] [--flush-ms MS]
 *             [--close-ms MS] [--fail-fast] [--stats] [--rate R]
 *             [--wait-failures N]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  Record i
 * (from 1) has msg "rec <i>":
 *   default  lc_log(c, LC_INFO, "rec %d", i)
 *   --kv     lc_log_kv(c, LC_INFO, "rec <i>", "i", "<i>", NULL)
 *   --json   lc_send_json(c, "{\"level\":\"info\",\"msg\":\"rec <i>\",\"i\":<i>}")
 *
 * The queue is full-policy LC_FULL_BLOCK with a 2000 ms limit (--block-ms)
 * unless --drop; --queue sets its size.  lc_open is not fail-fast unless
 * --fail-fast, so the collector may start after the driver.  --rate paces
 * the stream at about R records a second (so a test can act while it is
 * under way, however fast the machine).
 *
 * Prints "sent N" once all N calls returned LC_OK; with --flush then waits
 * for the acknowledgement (lc_flush, --flush-ms, default 30 s) and prints
 * "acked".  --wait-failures N: after "sent", first wait (up to 30 s) until
 * lc_stats.connect_failures is at least N and print "failures K", so a
 * test can wait for failed attempts instead of sleeping.  --stats then prints one line "stats name=value ..." of
 * lc_get_stats.  Any failure: the message on stderr, exit 1.  A failing log
 * call stops the stream: the driver prints "sent K" where K is the number
 * of records the library wrote to a connection (lc_stats.sent: what
 * reached a collector), then "acked" if the collector acknowledged all K
 * within 10 s, else "not acked".  Usage errors: exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "logcollect.h"

static int fail(const char *what, int rc)
{
    fprintf(stderr, "lc_stream: %s: %s: %s\n", what, lc_strerror(rc), lc_last_error());
    return 1;
}

static long number(const char *s, const char *opt, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > INT_MAX) {
        fprintf(stderr, "lc_stream: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

/* Wait (up to 30 s) for at least n failed connection attempts; print how
 * many there were. */
static void print_failures(lc_client *c, unsigned long long n)
{
    lc_stats st;
    for (int k = 0; k < 3000; k++) {
        lc_get_stats(c, &st, sizeof st);
        if (st.connect_failures >= n)
            break;
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    printf("failures %llu\n", st.connect_failures);
    fflush(stdout);
}

static void print_stats(lc_client *c)
{
    lc_stats st;
    lc_get_stats(c, &st, sizeof st);
    printf("stats records=%llu dropped=%llu notices=%llu last_seq=%llu sent=%llu "
           "acked=%llu resent=%llu rejected=%llu connects=%llu failures=%llu "
           "queue_bytes=%llu connected=%d sid=%s\n",
           st.records, st.dropped, st.notices, st.last_seq, st.sent, st.acked,
           st.resent, st.rejected, st.connects, st.connect_failures, st.queue_bytes,
           st.connected, st.sid);
}

static const char usage[] =
    "usage: lc_stream [--count N] [--app NAME] [--flush] [--json] [--kv] [--drop]\n"
    "                 [--block-ms MS] [--queue BYTES] [--flush-ms MS] [--close-ms MS]\n"
    "                 [--fail-fast] [--stats] [--rate R] [--wait-failures N]\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'n'},
        {"app", required_argument, NULL, 'a'},
        {"flush", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"kv", no_argument, NULL, 'k'},
        {"drop", no_argument, NULL, 'd'},
        {"block-ms", required_argument, NULL, 'b'},
        {"queue", required_argument, NULL, 'q'},
        {"flush-ms", required_argument, NULL, 'F'},
        {"close-ms", required_argument, NULL, 'C'},
        {"fail-fast", no_argument, NULL, 'x'},
        {"stats", no_argument, NULL, 's'},
        {"rate", required_argument, NULL, 'r'},
        {"wait-failures", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    long count = 1, block_ms = 2000, queue = 0, flush_ms = 30000, close_ms = 2000, rate = 0,
         wait_failures = 0;
    const char *app = "lc_stream";
    int flush = 0, mode = 0, drop = 0, fail_fast = 0, stats = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "n:a:fjk", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': count = number(optarg, "--count", 0); break;
        case 'a': app = optarg; break;
        case 'f': flush = 1; break;
        case 'j':
        case 'k': mode = ch; break;
        case 'd': drop = 1; break;
        case 'b': block_ms = number(optarg, "--block-ms", -1); break;
        case 'q': queue = number(optarg, "--queue", 1); break;
        case 'F': flush_ms = number(optarg, "--flush-ms", -1); break;
        case 'C': close_ms = number(optarg, "--close-ms", 0); break;
        case 'x': fail_fast = 1; break;
        case 's': stats = 1; break;
        case 'r': rate = number(optarg, "--rate", 1); break;
        case 'w': wait_failures = number(optarg, "--wait-failures", 1); break;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 2;
    }

    int rc;
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_app(o, app) != LC_OK ||
        lc_options_set_queue_full(o, drop ? LC_FULL_DROP : LC_FULL_BLOCK, (int)block_ms) ||
        (queue && lc_options_set_queue_bytes(o, (size_t)queue)) ||
        lc_options_set_close_timeout(o, (int)close_ms) ||
        lc_options_set_fail_fast(o, fail_fast))
        return fail("options", LC_EINVAL);
    lc_client *c = lc_open_opts(o, &rc);
    lc_options_free(o);
    if (!c)
        return fail("lc_open", rc);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 1; i <= count; i++) {
        if (rate && i % 100 == 0) {
            /* record i is due (i / rate) s after the start */
            long long due_ns = (long long)i * 1000000000LL / rate;
            struct timespec at = {start.tv_sec + (time_t)(due_ns / 1000000000LL),
                                  start.tv_nsec + (long)(due_ns % 1000000000LL)};
            if (at.tv_nsec >= 1000000000L) {
                at.tv_sec++;
                at.tv_nsec -= 1000000000L;
            }
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
                ;
        }
        char msg[64], num[32], json[128];
        snprintf(msg, sizeof msg, "rec %ld", i);
        snprintf(num, sizeof num, "%ld", i);
        if (mode == 'j') {
            snprintf(json, sizeof json, "{\"level\":\"info\",\"msg\":\"%s\",\"i\":%ld}",
                     msg, i);
            rc = lc_send_json(c, json);
        } else if (mode == 'k') {
            rc = lc_log_kv(c, LC_INFO, msg, "i", num, NULL);
        } else {
            rc = lc_log(c, LC_INFO, "rec %ld", i);
        }
        if (rc != LC_OK) {
            char what[64];
            snprintf(what, sizeof what, "record %ld", i);
            fail(what, rc);
            /* Say how many reached the collector: tests check that those
             * all arrive, once. */
            lc_stats st;
            lc_get_stats(c, &st, sizeof st);
            printf("sent %llu\n", st.sent);
            fflush(stdout);
            int ok = 0;
            for (int k = 0; k < 1000 && !ok; k++) {
                lc_stats now;
                lc_get_stats(c, &now, sizeof now);
                ok = now.acked >= st.sent;
                if (!ok)
                    nanosleep(&(struct timespec){0, 10000000}, NULL);
            }
            printf("%s\n", ok ? "acked" : "not acked");
            if (stats)
                print_stats(c);
            fflush(stdout);
            lc_close(c);
            return 1;
        }
    }
    printf("sent %ld\n", count);
    fflush(stdout);
    if (wait_failures)
        print_failures(c, (unsigned long long)wait_failures);
    if (flush) {
        rc = lc_flush(c, (int)flush_ms);
        if (rc != LC_OK) {
            fail("lc_flush", rc);
            if (stats)
                print_stats(c);
            fflush(stdout);
            lc_close(c);
            return 1;
        }
        printf("acked\n");
    }
    if (stats)
        print_stats(c);
    fflush(stdout);
    rc = lc_close(c);
    if (rc != LC_OK && rc != LC_EREJECTED)
        return fail("lc_close", rc);
    return 0;
}
