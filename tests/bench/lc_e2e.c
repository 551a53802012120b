/*
 * lc_e2e - end-to-end throughput through the real client library.
 *
 *   lc_e2e [--procs P] [--records N] [--size BYTES] [--mode json|log]
 *          [--queue BYTES] [--port-file F] [--key-file K]
 *
 * Forks P client processes.  Each opens its own client (lc_open_opts,
 * fail-fast, queue full policy LC_FULL_BLOCK without limit, so that no
 * record is ever dropped), says it is ready, and waits; the parent then
 * starts the clock and releases them all at once.  Each sends N records:
 *   json  lc_send_json(c, record)        the benchmark record (bench_common.h,
 *                                        SIZE bytes: the same bytes the peers get)
 *   log   lc_log(c, LC_INFO, "request served %ld", i)
 * then lc_flush(c, no limit): every record is then written to the daemon's
 * output file and acknowledged.  The clock stops when the last process has
 * exited.  Paths default to $LOGCOLLECT_PORT_FILE / $LOGCOLLECT_KEY_FILE.
 *
 * Prints one line:
 *   procs P records T seconds S rate R/s call_seconds C failed F dropped D
 *   format_cpu_seconds X
 * where C is the longest time a process spent in its N log calls (the rest,
 * up to S, is waiting for the acknowledgements) and X the CPU time all
 * processes together spend making their records with bench_record() (json
 * mode; measured on its own before the clock starts, so that the client's
 * CPU can be reported with and without the benchmark's own formatting).  Exit 0 when every
 * process flushed everything, else 1.
 */
#include <getopt.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "logcollect.h"

typedef struct {
    int ok;
    double call_seconds;
    double format_cpu; /* CPU seconds bench_record() alone takes for the records */
    unsigned long long dropped, rejected;
} result;

static int child(int proc, long records, int size, int json, long queue, const char *port_file,
                 const char *key_file, int ready_fd, int go_fd, int result_fd)
{
    result res = {0};
    int rc;
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_app(o, "lc_e2e") != LC_OK ||
        (port_file && lc_options_set_port_file(o, port_file) != LC_OK) ||
        (key_file && lc_options_set_key_file(o, key_file) != LC_OK) ||
        lc_options_set_queue_bytes(o, (size_t)queue) != LC_OK ||
        lc_options_set_queue_full(o, LC_FULL_BLOCK, -1) != LC_OK ||
        lc_options_set_close_timeout(o, 60000) != LC_OK ||
        lc_options_set_fail_fast(o, 1) != LC_OK) {
        fprintf(stderr, "lc_e2e[%d]: options: %s\n", proc, lc_last_error());
        return 1;
    }
    lc_client *c = lc_open_opts(o, &rc);
    lc_options_free(o);
    char rec[BENCH_MAX_SIZE + 1];
    if (c && json) {
        /* What making the records costs, on its own (before the clock):
         * reported separately from the library's CPU. */
        struct timespec a, b;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
        volatile size_t sink = 0;
        for (long i = 1; i <= records; i++)
            sink += (size_t)bench_record(rec, sizeof rec, size, proc, i);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        (void)sink;
        res.format_cpu = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    }
    char ready = c ? 'r' : 'f';
    if (write(ready_fd, &ready, 1) != 1 || !c) {
        fprintf(stderr, "lc_e2e[%d]: lc_open: %s\n", proc, c ? "" : lc_last_error());
        return 1;
    }
    char go;
    if (read(go_fd, &go, 1) != 0) /* EOF is the start signal */
        return 1;
    double t0 = bench_now();
    int failed = 0;
    for (long i = 1; i <= records; i++) {
        if (json) {
            bench_record(rec, sizeof rec, size, proc, i);
            rc = lc_send_json(c, rec);
        } else {
            rc = lc_log(c, LC_INFO, "request served %ld", i);
        }
        if (rc != LC_OK && !failed++)
            fprintf(stderr, "lc_e2e[%d]: record %ld: %s: %s\n", proc, i, lc_strerror(rc),
                    lc_last_error());
    }
    res.call_seconds = bench_now() - t0;
    rc = lc_flush(c, -1);
    if (rc != LC_OK)
        fprintf(stderr, "lc_e2e[%d]: lc_flush: %s: %s\n", proc, lc_strerror(rc), lc_last_error());
    lc_stats st;
    lc_get_stats(c, &st, sizeof st);
    res.dropped = st.dropped;
    res.rejected = st.rejected;
    res.ok = rc == LC_OK && !failed && st.dropped == 0;
    lc_close(c);
    if (write(result_fd, &res, sizeof res) != (ssize_t)sizeof res)
        return 1;
    return res.ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"procs", required_argument, NULL, 'P'},     {"records", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},      {"mode", required_argument, NULL, 'm'},
        {"queue", required_argument, NULL, 'q'},     {"port-file", required_argument, NULL, 'p'},
        {"key-file", required_argument, NULL, 'k'},  {NULL, 0, NULL, 0},
    };
    long procs = 1, records = 100000, size = BENCH_DEFAULT_SIZE, queue = 64L << 20;
    int json = 1, ch;
    const char *port_file = NULL, *key_file = NULL;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'P': procs = bench_number("lc_e2e", optarg, "--procs", 1, 4096); break;
        case 'n': records = bench_number("lc_e2e", optarg, "--records", 1, LONG_MAX); break;
        case 's': size = bench_number("lc_e2e", optarg, "--size", 1, BENCH_MAX_SIZE); break;
        case 'q': queue = bench_number("lc_e2e", optarg, "--queue", 4096, LONG_MAX); break;
        case 'p': port_file = optarg; break;
        case 'k': key_file = optarg; break;
        case 'm':
            if (strcmp(optarg, "log") == 0)
                json = 0;
            else if (strcmp(optarg, "json") != 0) {
                fprintf(stderr, "lc_e2e: --mode json or log\n");
                return 2;
            }
            break;
        default:
            fprintf(stderr, "usage: lc_e2e [--procs P] [--records N] [--size B] "
                            "[--mode json|log] [--queue BYTES] [--port-file F] [--key-file K]\n");
            return 2;
        }
    }
    char probe[BENCH_MAX_SIZE + 1];
    if (json && bench_record(probe, sizeof probe, (int)size, 0, 1) < 0) {
        fprintf(stderr, "lc_e2e: --size too small\n");
        return 2;
    }
    int ready[2], go[2], res[2];
    if (pipe(ready) || pipe(go) || pipe(res))
        return 1;
    pid_t *pids = calloc((size_t)procs, sizeof *pids);
    for (long p = 0; p < procs; p++) {
        fflush(NULL);
        pids[p] = fork();
        if (pids[p] < 0) {
            perror("lc_e2e: fork");
            return 1;
        }
        if (pids[p] == 0) {
            close(ready[0]);
            close(go[1]);
            close(res[0]);
            _exit(child((int)p, records, (int)size, json, queue, port_file, key_file, ready[1],
                        go[0], res[1]));
        }
    }
    close(ready[1]);
    close(go[0]);
    close(res[1]);
    int open_failed = 0;
    for (long p = 0; p < procs; p++) {
        char r = 'f';
        if (read(ready[0], &r, 1) != 1 || r != 'r')
            open_failed++;
    }
    if (open_failed) {
        fprintf(stderr, "lc_e2e: %d of %ld clients could not open\n", open_failed, procs);
        close(go[1]);
        for (long p = 0; p < procs; p++)
            kill(pids[p], SIGTERM);
        while (wait(NULL) > 0)
            ;
        return 1;
    }
    double t0 = bench_now();
    close(go[1]); /* go */
    int failed = 0;
    for (long p = 0; p < procs; p++) {
        int status;
        if (waitpid(pids[p], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    double secs = bench_now() - t0;
    double call_max = 0, format_cpu = 0;
    unsigned long long dropped = 0;
    result r;
    int got = 0;
    while (read(res[0], &r, sizeof r) == (ssize_t)sizeof r) {
        got++;
        dropped += r.dropped;
        format_cpu += r.format_cpu;
        if (r.call_seconds > call_max)
            call_max = r.call_seconds;
    }
    if (got < procs && !failed)
        failed = (int)(procs - got);
    long total = procs * records;
    printf("procs %ld records %ld seconds %.3f rate %.0f/s call_seconds %.3f failed %d "
           "dropped %llu format_cpu_seconds %.3f\n",
           procs, total, secs, (double)total / secs, call_max, failed, dropped, format_cpu);
    free(pids);
    return failed ? 1 : 0;
}
