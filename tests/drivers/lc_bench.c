/*
 * lc_bench - what lc_log costs the calling thread (benchmark driver).
 *
 *   lc_bench [--calls N] [--rounds R] [--threads T] [--queue BYTES] [--syslog]
 *            [--offline]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE; the
 * collector should be running (else the queue fills and records are
 * dropped, which is cheap too but not what is measured).  Each round makes
 * N calls lc_log(c, LC_INFO, "bench %d", i) in each of T threads, timed as
 * a whole, then waits for the acknowledgements (not timed).  The queue is
 * 256 MiB by default so that no call waits or drops.  Prints:
 *
 *   lc_log ns/call median M (rounds: r1 r2 ...)    (wall clock)
 *   lc_log thread-CPU ns/call median C (rounds: ...)  (the calling threads'
 *                                       CPU time: not inflated by other load)
 *   lc_log per-call ns p50 A p90 B p99 C          (one round, 1 thread)
 *   end-to-end records/s E                        (calls until all acked)
 *   dropped D
 *   syslog ns/call S                              (with --syslog)
 *
 * --offline: no collector; the calls only fill the queue (make it big
 * enough: rounds x calls x threads x ~80 bytes), nothing is sent or
 * awaited.  This measures the calling thread alone, without the sender
 * thread and the collector competing for the CPUs.
 *
 * Exit 0, or 1 with the reason on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "logcollect.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static long number(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > INT_MAX) {
        fprintf(stderr, "lc_bench: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

typedef struct {
    lc_client *c;
    long calls;
    int failed;
    double cpu_ns; /* the thread's CPU time for its calls */
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    double t0 = thread_cpu_ns();
    for (long i = 0; i < w->calls; i++)
        if (lc_log(w->c, LC_INFO, "bench %ld", i) != LC_OK)
            w->failed++;
    w->cpu_ns = thread_cpu_ns() - t0;
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"calls", required_argument, NULL, 'n'},
        {"rounds", required_argument, NULL, 'r'},
        {"threads", required_argument, NULL, 't'},
        {"queue", required_argument, NULL, 'q'},
        {"syslog", no_argument, NULL, 's'},
        {"offline", no_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    long calls = 200000, rounds = 7, threads = 1, queue = 256L << 20;
    int with_syslog = 0, offline = 0, ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': calls = number(optarg, "--calls"); break;
        case 'r': rounds = number(optarg, "--rounds"); break;
        case 't': threads = number(optarg, "--threads"); break;
        case 'q': queue = number(optarg, "--queue"); break;
        case 's': with_syslog = 1; break;
        case 'o': offline = 1; break;
        default:
            fprintf(stderr, "usage: lc_bench [--calls N] [--rounds R] [--threads T] "
                            "[--queue BYTES] [--syslog]\n");
            return 2;
        }
    }
    int rc;
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_queue_bytes(o, (size_t)queue) != LC_OK ||
        lc_options_set_app(o, "lc_bench") != LC_OK) {
        fprintf(stderr, "lc_bench: options: %s\n", lc_last_error());
        return 1;
    }
    lc_client *c = lc_open_opts(o, &rc);
    lc_options_free(o);
    if (!c) {
        fprintf(stderr, "lc_bench: lc_open: %s\n", lc_last_error());
        return 1;
    }
    /* Warm up: connect, fault the queue's pages in. */
    for (int i = 0; i < 10000; i++)
        lc_log(c, LC_INFO, "warm %d", i);
    if (!offline && (rc = lc_flush(c, 30000)) != LC_OK) {
        fprintf(stderr, "lc_bench: lc_flush: %s\n", lc_last_error());
        lc_close(c);
        return 1;
    }

    double *per_round = calloc((size_t)rounds, sizeof *per_round);
    double *cpu_round = calloc((size_t)rounds, sizeof *cpu_round);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    worker *ws = calloc((size_t)threads, sizeof *ws);
    if (!per_round || !tids || !ws)
        return 1;
    double total_ns = 0;
    long total_records = 0;
    int failed = 0;
    for (long r = 0; r < rounds; r++) {
        double t0 = now_ns();
        if (threads == 1) {
            ws[0] = (worker){c, calls, 0, 0};
            work(&ws[0]);
        } else {
            for (long t = 0; t < threads; t++) {
                ws[t] = (worker){c, calls, 0, 0};
                pthread_create(&tids[t], NULL, work, &ws[t]);
            }
            for (long t = 0; t < threads; t++)
                pthread_join(tids[t], NULL);
        }
        double t1 = now_ns();
        double cpu = 0;
        for (long t = 0; t < threads; t++) {
            failed += ws[t].failed;
            cpu += ws[t].cpu_ns;
        }
        per_round[r] = (t1 - t0) / (double)calls; /* per call, per thread */
        cpu_round[r] = cpu / (double)(calls * threads);
        if (!offline && (rc = lc_flush(c, 60000)) != LC_OK) {
            fprintf(stderr, "lc_bench: lc_flush: %s\n", lc_last_error());
            lc_close(c);
            return 1;
        }
        total_ns += now_ns() - t0;
        total_records += calls * threads;
    }
    double *sorted = calloc((size_t)rounds, sizeof *sorted);
    memcpy(sorted, per_round, (size_t)rounds * sizeof *sorted);
    qsort(sorted, (size_t)rounds, sizeof *sorted, cmp_double);
    printf("lc_log ns/call median %.0f (rounds:", sorted[rounds / 2]);
    for (long r = 0; r < rounds; r++)
        printf(" %.0f", per_round[r]);
    printf(") threads %ld calls %ld\n", threads, calls);
    memcpy(sorted, cpu_round, (size_t)rounds * sizeof *sorted);
    qsort(sorted, (size_t)rounds, sizeof *sorted, cmp_double);
    printf("lc_log thread-CPU ns/call median %.0f (rounds:", sorted[rounds / 2]);
    for (long r = 0; r < rounds; r++)
        printf(" %.0f", cpu_round[r]);
    printf(")\n");

    /* Each call timed on its own, minus the cost of reading the clock. */
    long n1 = calls < 100000 ? calls : 100000;
    double *each = calloc((size_t)n1, sizeof *each);
    double clk = now_ns(), overhead = 0;
    for (int i = 0; i < 1000; i++) {
        double a = now_ns();
        overhead += a - clk;
        clk = a;
    }
    overhead /= 1000;
    for (long i = 0; i < n1; i++) {
        double a = now_ns();
        lc_log(c, LC_INFO, "bench %ld", i);
        each[i] = now_ns() - a - overhead;
    }
    qsort(each, (size_t)n1, sizeof *each, cmp_double);
    printf("lc_log per-call ns p50 %.0f p90 %.0f p99 %.0f (clock overhead %.0f "
           "subtracted)\n",
           each[n1 / 2], each[n1 * 9 / 10], each[n1 * 99 / 100], overhead);
    if (!offline) {
        lc_flush(c, 60000);
        printf("end-to-end records/s %.0f\n", (double)total_records / (total_ns / 1e9));
    }
    lc_stats st;
    lc_get_stats(c, &st, sizeof st);
    printf("dropped %llu failed %d\n", st.dropped, failed);

    if (with_syslog) {
        openlog("lc_bench", LOG_NDELAY, LOG_USER);
        long n = calls < 100000 ? calls : 100000;
        double t0 = now_ns();
        for (long i = 0; i < n; i++)
            syslog(LOG_INFO, "bench %ld", i);
        printf("syslog ns/call %.0f\n", (now_ns() - t0) / (double)n);
        closelog();
    }
    free(each);
    free(sorted);
    free(per_round);
    free(cpu_round);
    free(tids);
    free(ws);
    rc = lc_close(c);
    return rc == LC_OK || offline ? 0 : 1;
}
