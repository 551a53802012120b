/*
 * lc_cost - what one log call costs the calling thread: lc_log against
 * syslog(3), in the same process, same run, same short message.
 *
 *   lc_cost [--calls N] [--rounds R] [--syslog] [--port-file F] [--key-file K]
 *
 * lc_log: a client with a 256 MiB queue (so no call waits or drops), warmed
 * up with 10,000 records.  Each round times N calls of
 * lc_log(c, LC_INFO, "bench %ld", i) as a whole, then waits (untimed) for
 * the acknowledgements.  Then N calls are timed one by one (the cost of
 * reading the clock subtracted) for the distribution.
 *
 * --syslog: the same for syslog(LOG_INFO, "bench %ld", i) after
 * openlog(..., LOG_NDELAY, LOG_USER): the datagram goes to /dev/log, where
 * the harness runs a private rsyslog (imuxsock -> omfile).  Rounds are
 * 200 ms apart so that rsyslog can drain its socket.
 *
 * Prints key=value lines:
 *   lc_log rounds_ns_per_call=r1,r2,... median=M min=A max=B
 *   lc_log per_call_ns p50=.. p90=.. p99=.. p999=.. clock_ns=..
 *   syslog rounds_ns_per_call=... median=M min=A max=B
 *   syslog per_call_ns p50=.. p90=.. p99=.. p999=..
 *   lc_log dropped=D failed=F
 */
#include <getopt.h>
#include <syslog.h>
#include <unistd.h>

#include "bench_common.h"
#include "logcollect.h"

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static lc_client *client;
static long failures;

static void call_lc(long i)
{
    if (lc_log(client, LC_INFO, "bench %ld", i) != LC_OK)
        failures++;
}

static void call_syslog(long i)
{
    syslog(LOG_INFO, "bench %ld", i);
}

static void between_lc(void)
{
    if (lc_flush(client, 120000) != LC_OK)
        fprintf(stderr, "lc_cost: lc_flush: %s\n", lc_last_error());
}

static void between_syslog(void)
{
    usleep(200000);
}

static void measure(const char *name, void (*call)(long), void (*between)(void), long calls,
                    long rounds)
{
    double *per = calloc((size_t)rounds, sizeof *per);
    long long *each = calloc((size_t)calls, sizeof *each);
    if (!per || !each)
        exit(1);
    printf("%s rounds_ns_per_call=", name);
    for (long r = 0; r < rounds; r++) {
        long long t0 = bench_now_ns();
        for (long i = 0; i < calls; i++)
            call(i);
        per[r] = (double)(bench_now_ns() - t0) / (double)calls;
        printf("%s%.1f", r ? "," : "", per[r]);
        between();
    }
    double lo = per[0], hi = per[0];
    for (long r = 1; r < rounds; r++) {
        lo = per[r] < lo ? per[r] : lo;
        hi = per[r] > hi ? per[r] : hi;
    }
    /* median of the rounds */
    for (long a = 1; a < rounds; a++)
        for (long b = a; b > 0 && per[b - 1] > per[b]; b--) {
            double t = per[b];
            per[b] = per[b - 1];
            per[b - 1] = t;
        }
    double med = rounds % 2 ? per[rounds / 2] : (per[rounds / 2 - 1] + per[rounds / 2]) / 2;
    printf(" median=%.1f min=%.1f max=%.1f\n", med, lo, hi);

    long long clk = 0, prev = bench_now_ns();
    for (int i = 0; i < 1000; i++) {
        long long t = bench_now_ns();
        clk += t - prev;
        prev = t;
    }
    clk /= 1000;
    for (long i = 0; i < calls; i++) {
        long long t0 = bench_now_ns();
        call(i);
        each[i] = bench_now_ns() - t0 - clk;
    }
    between();
    qsort(each, (size_t)calls, sizeof *each, cmp_ll);
    printf("%s per_call_ns p50=%lld p90=%lld p99=%lld p999=%lld clock_ns=%lld\n", name,
           each[calls / 2], each[calls * 9 / 10], each[calls * 99 / 100],
           each[calls * 999 / 1000], clk);
    fflush(stdout);
    free(per);
    free(each);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"calls", required_argument, NULL, 'n'},    {"rounds", required_argument, NULL, 'r'},
        {"syslog", no_argument, NULL, 's'},         {"port-file", required_argument, NULL, 'p'},
        {"key-file", required_argument, NULL, 'k'}, {NULL, 0, NULL, 0},
    };
    long calls = 100000, rounds = 7;
    int with_syslog = 0, ch, rc;
    const char *port_file = NULL, *key_file = NULL;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': calls = bench_number("lc_cost", optarg, "--calls", 1000, 10000000); break;
        case 'r': rounds = bench_number("lc_cost", optarg, "--rounds", 1, 1000); break;
        case 's': with_syslog = 1; break;
        case 'p': port_file = optarg; break;
        case 'k': key_file = optarg; break;
        default:
            fprintf(stderr, "usage: lc_cost [--calls N] [--rounds R] [--syslog] "
                            "[--port-file F] [--key-file K]\n");
            return 2;
        }
    }
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_app(o, "lc_cost") != LC_OK ||
        (port_file && lc_options_set_port_file(o, port_file) != LC_OK) ||
        (key_file && lc_options_set_key_file(o, key_file) != LC_OK) ||
        lc_options_set_queue_bytes(o, (size_t)256 << 20) != LC_OK ||
        lc_options_set_fail_fast(o, 1) != LC_OK) {
        fprintf(stderr, "lc_cost: options: %s\n", lc_last_error());
        return 1;
    }
    client = lc_open_opts(o, &rc);
    lc_options_free(o);
    if (!client) {
        fprintf(stderr, "lc_cost: lc_open: %s\n", lc_last_error());
        return 1;
    }
    for (long i = 0; i < 10000; i++)
        call_lc(i);
    between_lc();
    measure("lc_log", call_lc, between_lc, calls, rounds);

    if (with_syslog) {
        openlog("lc_cost", LOG_NDELAY, LOG_USER);
        for (long i = 0; i < 1000; i++)
            call_syslog(i);
        between_syslog();
        measure("syslog", call_syslog, between_syslog, calls, rounds);
        closelog();
    }
    lc_stats st;
    lc_get_stats(client, &st, sizeof st);
    printf("lc_log dropped=%llu failed=%ld\n", st.dropped, failures);
    rc = lc_close(client);
    return rc == LC_OK && st.dropped == 0 && failures == 0 ? 0 : 1;
}
