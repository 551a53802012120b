/*
 * lc_timed - how long each client call takes, when things are wrong (test
 * driver: a FIFO or a directory as the port file, a FIFO as the key file).
 *
 *   lc_timed [--close-ms MS] [--flush-ms MS] [--fail-fast]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  In order:
 * lc_open_opts (close timeout MS, default 500), three lc_log calls, lc_flush
 * with --flush-ms (default 300), fork() (the child logs once, calls
 * lc_close and exits), waitpid, lc_close.  Each step prints one line
 *
 *   STEP rc=N ms=M err=LAST_ERROR
 *
 * (steps: open, log, flush, fork, child-log, child-close, wait, close);
 * when lc_open fails, only "open" is printed.  Exit 0 once every step has
 * returned; a test bounds the whole with its own timeout and asserts the
 * milliseconds.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logcollect.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void step(const char *name, int rc, long since)
{
    printf("%s rc=%d ms=%ld err=%s\n", name, rc, now_ms() - since,
           rc == LC_OK ? "" : lc_last_error());
    fflush(stdout);
}

static int number(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX) {
        fprintf(stderr, "lc_timed: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"close-ms", required_argument, NULL, 'c'},
        {"flush-ms", required_argument, NULL, 'f'},
        {"fail-fast", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    int close_ms = 500, flush_ms = 300, fail_fast = 0, ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': close_ms = number(optarg, "--close-ms"); break;
        case 'f': flush_ms = number(optarg, "--flush-ms"); break;
        case 'F': fail_fast = 1; break;
        default:
            fprintf(stderr, "usage: lc_timed [--close-ms MS] [--flush-ms MS] [--fail-fast]\n");
            return 2;
        }
    }
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_app(o, "lc_timed") != LC_OK ||
        lc_options_set_close_timeout(o, close_ms) != LC_OK ||
        lc_options_set_fail_fast(o, fail_fast) != LC_OK) {
        fprintf(stderr, "lc_timed: options: %s\n", lc_last_error());
        return 2;
    }
    long t = now_ms();
    int err = 0;
    lc_client *c = lc_open_opts(o, &err);
    lc_options_free(o);
    step("open", c ? LC_OK : err, t);
    if (!c)
        return 0;

    t = now_ms();
    int rc = LC_OK;
    for (int i = 1; i <= 3 && rc == LC_OK; i++)
        rc = lc_log(c, LC_INFO, "timed %d", i);
    step("log", rc, t);

    t = now_ms();
    step("flush", lc_flush(c, flush_ms), t);

    t = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        long ct = now_ms();
        step("child-log", lc_log(c, LC_INFO, "child"), ct);
        ct = now_ms();
        step("child-close", lc_close(c), ct);
        _exit(0);
    }
    step("fork", pid < 0 ? LC_ECLOSED : LC_OK, t);

    t = now_ms();
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    step("wait", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? LC_OK : LC_ECLOSED, t);

    t = now_ms();
    step("close", lc_close(c), t);
    return 0;
}
