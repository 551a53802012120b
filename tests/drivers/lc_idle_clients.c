/*
 * lc_idle_clients - what idle liblogcollect clients cost their process
 * (test driver, also used by tests/bench/bench.py).
 *
 *   lc_idle_clients [--clients N] [--records K] [--seconds S]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  Opens N
 * clients in this process (default 1), each logs K records (default 0)
 * and waits until its sender has written them all to a connection
 * (lc_stats.sent == K) and, with K = 0, until it is connected.  Then it
 * measures S seconds (default 2.0) of doing nothing and prints one line:
 *
 *   idle clients=N records=K seconds=S cpu_s=C wakeups=W wakeups_per_client_s=R acked=A
 *
 * cpu_s: the process's CPU time (all threads) over the S seconds;
 * wakeups: voluntary plus involuntary context switches of every thread but
 * the main one (the sender threads), from /proc/self/task/\*\/status;
 * acked: records acknowledged, all clients together, at the end.
 * With K > 0 against a daemon that does not acknowledge (its disk full),
 * this is the cost of a client waiting for ACKs.  Then it closes the
 * clients without waiting for ACKs (close timeout 0) and exits 0.
 * Failure: a message on stderr, exit 1; usage errors: exit 2.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "logcollect.h"

static double now_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Context switches of every thread of this process but the caller. */
static unsigned long long sender_switches(void)
{
    char self[32];
    snprintf(self, sizeof self, "%ld", (long)syscall(SYS_gettid));
    DIR *d = opendir("/proc/self/task");
    if (!d) {
        perror("lc_idle_clients: /proc/self/task");
        exit(1);
    }
    unsigned long long total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, self) == 0)
            continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* the thread ended meanwhile */
        while (fgets(line, sizeof line, f)) {
            unsigned long long v;
            if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
                total += v;
        }
        fclose(f);
    }
    closedir(d);
    return total;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Wait (up to 30 s) until every client has written its records (and is
 * connected). */
static int wait_sent(lc_client **c, long n, long k)
{
    for (int tries = 0; tries < 3000; tries++) {
        long ok = 0;
        for (long i = 0; i < n; i++) {
            lc_stats st;
            lc_get_stats(c[i], &st, sizeof st);
            ok += st.connected && st.sent >= (unsigned long long)k;
        }
        if (ok == n)
            return 0;
        nap_ms(10);
    }
    fprintf(stderr, "lc_idle_clients: the clients did not all connect and send their "
                    "records within 30 s (is logcollectord running?)\n");
    return -1;
}

static long number(const char *s, const char *opt, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > INT_MAX) {
        fprintf(stderr, "lc_idle_clients: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"clients", required_argument, NULL, 'c'},
        {"records", required_argument, NULL, 'k'},
        {"seconds", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    long n = 1, k = 0;
    double secs = 2.0;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': n = number(optarg, "--clients", 1); break;
        case 'k': k = number(optarg, "--records", 0); break;
        case 's':
            secs = atof(optarg);
            if (secs <= 0) {
                fprintf(stderr, "lc_idle_clients: bad --seconds '%s'\n", optarg);
                return 2;
            }
            break;
        default:
            fprintf(stderr, "usage: lc_idle_clients [--clients N] [--records K] "
                            "[--seconds S]\n");
            return 2;
        }
    }
    lc_client **c = calloc((size_t)n, sizeof *c);
    lc_options *o = lc_options_new();
    if (!c || !o || lc_options_set_close_timeout(o, 0) != LC_OK ||
        lc_options_set_app(o, "idle") != LC_OK) {
        fprintf(stderr, "lc_idle_clients: out of memory\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        int err;
        c[i] = lc_open_opts(o, &err);
        if (!c[i]) {
            fprintf(stderr, "lc_idle_clients: lc_open_opts (client %ld): %s\n", i,
                    lc_last_error());
            return 1;
        }
        for (long r = 1; r <= k; r++) {
            if (lc_log(c[i], LC_INFO, "idle %ld %ld", i, r) != LC_OK) {
                fprintf(stderr, "lc_idle_clients: lc_log: %s\n", lc_last_error());
                return 1;
            }
        }
    }
    lc_options_free(o);
    if (wait_sent(c, n, k) != 0)
        return 1;
    nap_ms(300); /* let the senders settle into their idle state */
    double t0 = now_s(CLOCK_MONOTONIC), cpu0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    unsigned long long w0 = sender_switches();
    nap_ms((long)(secs * 1000));
    unsigned long long w1 = sender_switches();
    double t1 = now_s(CLOCK_MONOTONIC), cpu1 = now_s(CLOCK_PROCESS_CPUTIME_ID);
    double el = t1 - t0;
    unsigned long long acked = 0;
    for (long i = 0; i < n; i++) {
        lc_stats st;
        lc_get_stats(c[i], &st, sizeof st);
        acked += st.acked;
    }
    printf("idle clients=%ld records=%ld seconds=%.3f cpu_s=%.4f wakeups=%llu "
           "wakeups_per_client_s=%.2f acked=%llu\n",
           n, k, el, cpu1 - cpu0, w1 - w0, (double)(w1 - w0) / el / (double)n, acked);
    fflush(stdout);
    for (long i = 0; i < n; i++)
        lc_close(c[i]);
    free(c);
    return 0;
}
