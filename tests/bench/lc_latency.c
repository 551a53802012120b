/*
 * lc_latency - latency from the lc_log call to the record's line being in
 * the collector's output file, at a steady rate.
 *
 *   lc_latency --out FILE [--rate R] [--seconds S] [--pace sleep|spin]
 *              [--port-file F] [--key-file K]
 *
 * The main thread calls lc_log(c, LC_INFO, "lat %ld", k) for k = 0, 1, ...
 * at R records a second (default 50,000) for S seconds (default 10): record
 * k is due at start + k / R; the thread waits until the next one is due
 * and then makes every call that is due, each timed just before its call.
 * --pace sleep (the default): it waits in clock_nanosleep (absolute
 * deadline, timer slack 1 ns); --pace spin: it reads the clock in a loop
 * (a whole core, but no timer wake-up delay in the figures).  A reader thread watches FILE (the
 * daemon's --output) with inotify, reads what is appended, and notes for
 * each line "msg":"lat k" the time it read it.  Latency = read time - call
 * time, both CLOCK_MONOTONIC.  The reader's own wake-up delay is included,
 * so the figures are an upper bound.
 *
 * Prints:
 *   latency_us p50=.. p90=.. p99=.. p999=.. max=.. records=N lost=L rate=R/s late_calls=X
 *              failed=F pace=P driver_cpu_s=C
 * (late_calls: calls made more than 1 ms after they were due, i.e. the
 * load generator itself fell behind; driver_cpu_s: the CPU time of the
 * calling thread over the run, pacing included).  Exit 0 when nothing was lost.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "bench_common.h"
#include "logcollect.h"

static long long *t_call, *t_seen;
static long total;
static volatile int reader_stop;
static const char *out_path;
static int out_fd;

/* Note the lines in buf; returns the bytes consumed (whole lines). */
static size_t parse_lines(char *buf, size_t len, long long now)
{
    static const char key[] = "\"msg\":\"lat ";
    char *p = buf, *end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        *nl = '\0';
        char *m = strstr(p, key);
        if (m) {
            long k = strtol(m + sizeof key - 1, NULL, 10);
            if (k >= 0 && k < total && !__atomic_load_n(&t_seen[k], __ATOMIC_RELAXED))
                __atomic_store_n(&t_seen[k], now, __ATOMIC_RELAXED);
        }
        p = nl + 1;
    }
    return (size_t)(p - buf);
}

static void *reader(void *arg)
{
    (void)arg;
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in < 0 || inotify_add_watch(in, out_path, IN_MODIFY) < 0) {
        perror("lc_latency: inotify");
        exit(1);
    }
    size_t cap = 1 << 20, have = 0;
    char *buf = malloc(cap + 1);
    char evbuf[4096];
    for (;;) {
        struct pollfd pfd = {.fd = in, .events = POLLIN};
        poll(&pfd, 1, 20);
        while (read(in, evbuf, sizeof evbuf) > 0)
            ;
        for (;;) {
            ssize_t r = read(out_fd, buf + have, cap - have);
            if (r <= 0)
                break;
            long long now = bench_now_ns();
            have += (size_t)r;
            size_t keep = have - parse_lines(buf, have, now);
            if (keep == cap) /* an absurd line: drop it */
                keep = 0;
            memmove(buf, buf + have - keep, keep);
            have = keep;
        }
        if (reader_stop)
            break;
    }
    free(buf);
    close(in);
    return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},       {"rate", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'},   {"port-file", required_argument, NULL, 'p'},
        {"key-file", required_argument, NULL, 'k'},  {"pace", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    long rate = 50000, seconds = 10;
    int spin = 0;
    const char *port_file = NULL, *key_file = NULL;
    int ch, rc;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'o': out_path = optarg; break;
        case 'r': rate = bench_number("lc_latency", optarg, "--rate", 1, 10000000); break;
        case 's': seconds = bench_number("lc_latency", optarg, "--seconds", 1, 3600); break;
        case 'p': port_file = optarg; break;
        case 'k': key_file = optarg; break;
        case 'P':
            if (strcmp(optarg, "spin") != 0 && strcmp(optarg, "sleep") != 0) {
                fprintf(stderr, "lc_latency: --pace is sleep or spin, not '%s'\n", optarg);
                return 2;
            }
            spin = optarg[1] == 'p';
            break;
        default:
            fprintf(stderr, "usage: lc_latency --out FILE [--rate R] [--seconds S] "
                            "[--pace sleep|spin] [--port-file F] [--key-file K]\n");
            return 2;
        }
    }
    if (!out_path) {
        fprintf(stderr, "lc_latency: --out FILE (the daemon's output) is required\n");
        return 2;
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_app(o, "lc_latency") != LC_OK ||
        (port_file && lc_options_set_port_file(o, port_file) != LC_OK) ||
        (key_file && lc_options_set_key_file(o, key_file) != LC_OK) ||
        lc_options_set_queue_bytes(o, (size_t)64 << 20) != LC_OK ||
        lc_options_set_fail_fast(o, 1) != LC_OK) {
        fprintf(stderr, "lc_latency: options: %s\n", lc_last_error());
        return 1;
    }
    lc_client *c = lc_open_opts(o, &rc);
    lc_options_free(o);
    if (!c) {
        fprintf(stderr, "lc_latency: lc_open: %s\n", lc_last_error());
        return 1;
    }
    lc_log(c, LC_INFO, "warm up");
    if (lc_flush(c, 10000) != LC_OK) {
        fprintf(stderr, "lc_latency: lc_flush: %s\n", lc_last_error());
        return 1;
    }
    out_fd = open(out_path, O_RDONLY | O_CLOEXEC);
    if (out_fd < 0 || lseek(out_fd, 0, SEEK_END) < 0) {
        fprintf(stderr, "lc_latency: %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    total = rate * seconds;
    t_call = calloc((size_t)total, sizeof *t_call);
    t_seen = calloc((size_t)total, sizeof *t_seen);
    if (!t_call || !t_seen)
        return 1;
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);

    long late = 0, failed = 0;
    struct timespec cpu0, cpu1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
    long long start = bench_now_ns() + 1000000;
    for (long k = 0; k < total;) {
        long long due = start + (long long)((double)k * 1e9 / (double)rate);
        long long now = bench_now_ns();
        if (now < due && spin)
            continue;
        if (now < due) {
            struct timespec ts = {.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
            continue;
        }
        if (now - due > 1000000)
            late++;
        t_call[k] = bench_now_ns();
        if (lc_log(c, LC_INFO, "lat %ld", k) != LC_OK)
            failed++;
        k++;
    }
    double send_secs = (double)(bench_now_ns() - start) / 1e9;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
    double driver_cpu = (double)(cpu1.tv_sec - cpu0.tv_sec) +
                        (double)(cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
    rc = lc_flush(c, 30000);
    /* wait for the reader to see every line (at most 5 s) */
    for (int i = 0; i < 500; i++) {
        long seen = 0;
        for (long k = 0; k < total; k++)
            seen += __atomic_load_n(&t_seen[k], __ATOMIC_RELAXED) != 0;
        if (seen == total)
            break;
        usleep(10000);
    }
    reader_stop = 1;
    pthread_join(th, NULL);

    long long *lat = calloc((size_t)total, sizeof *lat);
    long n = 0;
    for (long k = 0; k < total; k++)
        if (t_seen[k])
            lat[n++] = t_seen[k] - t_call[k];
    qsort(lat, (size_t)n, sizeof *lat, cmp_ll);
    if (n == 0) {
        printf("latency_us records=%ld lost=%ld\n", total, total);
        return 1;
    }
    printf("latency_us p50=%.1f p90=%.1f p99=%.1f p999=%.1f max=%.1f records=%ld lost=%ld "
           "rate=%.0f/s late_calls=%ld failed=%ld pace=%s driver_cpu_s=%.2f\n",
           (double)lat[n / 2] / 1e3, (double)lat[n * 9 / 10] / 1e3,
           (double)lat[n * 99 / 100] / 1e3, (double)lat[n * 999 / 1000] / 1e3,
           (double)lat[n - 1] / 1e3, total, total - n, (double)total / send_secs, late, failed,
           spin ? "spin" : "sleep", driver_cpu);
    lc_close(c);
    free(lat);
    free(t_call);
    free(t_seen);
    return total == n && rc == LC_OK && failed == 0 ? 0 : 1;
}
