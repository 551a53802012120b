/*
 * lc_fork - a parent that logs while its forked children log (test driver
 * for fork safety; uses the process-wide default client and its macros).
 *
 *   lc_fork [--children N] [--count M] [--pre P] [--post Q] [--grandchild G]
 *           [--settle MS]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  The parent
 * calls lc_init, logs P records "parent pre <i>" (no flush: they are still
 * queued when it forks), forks N children, logs Q records "parent post
 * <i>", waits for the children, then lc_shutdown.  Child k logs M records
 * "child <k> <i>" with LC_LOG_INFO; even children then call lc_shutdown and
 * _exit, odd ones just exit(0) (the atexit flush delivers).  With G > 0,
 * child 0 first forks a grandchild that logs G records "grandchild <i>".
 * With --settle, the parent waits until its P records are acknowledged,
 * then MS more milliseconds, before forking: its sender thread is then
 * connected and idle (under ASan, whose allocator in clang 14 is not
 * fork-safe, no other thread is inside malloc at the fork).
 *
 * Prints "child K pid PID" per child (and "grandchild pid PID"), then
 * "parent pid PID sid SID" and "done".  Exit 0 when every process
 * succeeded, else 1 with reasons on stderr.
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

static long number(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX) {
        fprintf(stderr, "lc_fork: bad %s '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

static int log_n(const char *what, long k, long n)
{
    for (long i = 1; i <= n; i++) {
        int rc = k >= 0 ? LC_LOG_INFO("%s %ld %ld", what, k, i)
                        : LC_LOG_INFO("%s %ld", what, i);
        if (rc != LC_OK) {
            fprintf(stderr, "lc_fork[%d]: %s record %ld: %s\n", (int)getpid(), what, i,
                    lc_last_error());
            return -1;
        }
    }
    return 0;
}

static int wait_ok(pid_t pid, const char *who)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("lc_fork: waitpid");
            return -1;
        }
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "lc_fork: %s (pid %d) failed (status %#x)\n", who, (int)pid,
                status);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"children", required_argument, NULL, 'c'},
        {"count", required_argument, NULL, 'n'},
        {"pre", required_argument, NULL, 'p'},
        {"post", required_argument, NULL, 'P'},
        {"grandchild", required_argument, NULL, 'g'},
        {"settle", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    long children = 8, count = 10000, pre = 20000, post = 20000, grand = 0, settle = -1;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': children = number(optarg, "--children"); break;
        case 'n': count = number(optarg, "--count"); break;
        case 'p': pre = number(optarg, "--pre"); break;
        case 'P': post = number(optarg, "--post"); break;
        case 'g': grand = number(optarg, "--grandchild"); break;
        case 's': settle = number(optarg, "--settle"); break;
        default:
            fprintf(stderr, "usage: lc_fork [--children N] [--count M] [--pre P] "
                            "[--post Q] [--grandchild G] [--settle MS]\n");
            return 2;
        }
    }
    lc_options *o = lc_options_new();
    if (!o || lc_options_set_app(o, "lc_fork") != LC_OK ||
        lc_options_set_queue_full(o, LC_FULL_BLOCK, 30000) != LC_OK ||
        lc_options_set_close_timeout(o, 60000) != LC_OK || lc_init(o) != LC_OK) {
        fprintf(stderr, "lc_fork: lc_init: %s\n", lc_last_error());
        return 1;
    }
    lc_options_free(o);
    if (log_n("parent pre", -1, pre) != 0)
        return 1;
    if (settle >= 0) {
        if (lc_flush(lc_default(), 30000) != LC_OK) {
            fprintf(stderr, "lc_fork: settle: %s\n", lc_last_error());
            return 1;
        }
        struct timespec ts = {settle / 1000, (settle % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }

    pid_t *pids = calloc((size_t)children + 1, sizeof *pids);
    if (!pids)
        return 1;
    fflush(stdout);
    for (long k = 0; k < children; k++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("lc_fork: fork");
            return 1;
        }
        if (pid == 0) {
            free(pids); /* the parent's */
            int rc = 0;
            if (k == 0 && grand > 0) {
                pid_t g = fork();
                if (g == 0) {
                    int grc = log_n("grandchild", -1, grand);
                    exit(grc == 0 ? 0 : 1);
                }
                printf("grandchild pid %d\n", (int)g);
                fflush(stdout);
                if (g < 0 || log_n("child", k, count) != 0 || wait_ok(g, "grandchild"))
                    rc = 1;
            } else if (log_n("child", k, count) != 0) {
                rc = 1;
            }
            if (k % 2 == 0) {
                int src = lc_shutdown();
                if (src != LC_OK) {
                    fprintf(stderr, "lc_fork: child %ld: lc_shutdown: %s\n", k,
                            lc_last_error());
                    rc = 1;
                }
                _exit(rc);
            }
            exit(rc);
        }
        pids[k] = pid;
        printf("child %ld pid %d\n", k, (int)pid);
        fflush(stdout);
    }
    int rc = log_n("parent post", -1, post) == 0 ? 0 : 1;
    for (long k = 0; k < children; k++)
        if (wait_ok(pids[k], "child") != 0)
            rc = 1;
    free(pids);
    lc_stats st;
    lc_get_stats(lc_default(), &st, sizeof st);
    printf("parent pid %d sid %s\n", (int)getpid(), st.sid);
    int src = lc_shutdown();
    if (src != LC_OK) {
        fprintf(stderr, "lc_fork: parent: lc_shutdown: %s\n", lc_last_error());
        rc = 1;
    }
    if (rc == 0)
        printf("done\n");
    return rc;
}
