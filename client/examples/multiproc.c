/*
 * multiproc.c - a parent that forks workers, each logging to logcollectord
 * through liblogcollect's process-wide client.
 *
 * Build against the installed library (see Makefile):
 *     make
 * Run (paths of a running collector):
 *     LOGCOLLECT_PORT_FILE=/run/logcollectord/port \
 *     LOGCOLLECT_KEY_FILE=/etc/logcollectord/key ./multiproc [WORKERS [RECORDS]]
 *
 * What it shows:
 *  - lc_init opens one client for the process; LC_LOG_* log through it.
 *  - Logging only queues the record: the call does not wait for the
 *    network.  A background thread sends and re-sends until the collector
 *    has written it.
 *  - After fork() the child's client starts afresh on its first record: own
 *    session (_sid), own connection and thread.  Records the parent queued
 *    before the fork are sent by the parent only.
 *  - exit() flushes (up to the close timeout); lc_shutdown closes the
 *    client and says whether everything was acknowledged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <logcollect.h>

static void worker(int w, int records)
{
    char wid[16], item[16];
    snprintf(wid, sizeof wid, "%d", w);
    for (int i = 1; i <= records; i++) {
        snprintf(item, sizeof item, "%d", i);
        /* Name/value pairs end with NULL; values are strings. */
        if (lc_log_kv(lc_default(), LC_INFO, "item done", "worker", wid, "item", item,
                      NULL) != LC_OK)
            fprintf(stderr, "worker %d: %s\n", w, lc_last_error());
    }
    /* exit() runs the library's atexit handler, which flushes. */
    exit(0);
}

int main(int argc, char **argv)
{
    int workers = argc > 1 ? atoi(argv[1]) : 4;
    int records = argc > 2 ? atoi(argv[2]) : 1000;
    if (workers < 1 || records < 0) {
        fprintf(stderr, "usage: multiproc [WORKERS [RECORDS]]\n");
        return 2;
    }

    /* Options are copied by lc_init: free them right after. */
    lc_options *o = lc_options_new();
    if (!o)
        return 1;
    lc_options_set_app(o, "multiproc");
    /* Wait (up to 5 s) rather than drop when the queue is full. */
    lc_options_set_queue_full(o, LC_FULL_BLOCK, 5000);
    lc_options_set_close_timeout(o, 10000);
    int rc = lc_init(o);
    lc_options_free(o);
    if (rc != LC_OK) {
        fprintf(stderr, "multiproc: %s\n", lc_last_error());
        return 1;
    }

    LC_LOG_INFO("parent %d starting %d workers", (int)getpid(), workers);
    for (int w = 1; w <= workers; w++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0)
            worker(w, records);
    }
    int failed = 0;
    for (int w = 1; w <= workers; w++) {
        int status;
        if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    LC_LOG_NOTICE("all %d workers finished, %d failed", workers, failed);

    rc = lc_shutdown(); /* flush (close timeout), stop the thread, free */
    if (rc != LC_OK) {
        fprintf(stderr, "multiproc: %s\n", lc_last_error());
        return 1;
    }
    printf("%d workers x %d records delivered\n", workers, records);
    return failed ? 1 : 0;
}
