/*
 * lc_stream - send N records through liblogcollect (test driver).
 *
 *   lc_stream [--count N] [--app NAME] [--flush] [--json] [--kv]
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  Record i
 * (from 1) has msg "rec <i>":
 *   default  lc_log(c, LC_INFO, "rec %d", i)
 *   --kv     lc_log_kv(c, LC_INFO, "rec <i>", "i", "<i>", NULL)
 *   --json   lc_send_json(c, "{\"level\":\"info\",\"msg\":\"rec <i>\",\"i\":<i>}")
 * Prints "sent N"; with --flush then waits for the acknowledgement
 * (lc_flush, 30 s) and prints "acked".  Any failure: the message on stderr,
 * exit 1; a failing log call first prints "sent K" (the calls that
 * succeeded) and "acked" or "not acked" after a final lc_flush.  Usage
 * errors: exit 2.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "logcollect.h"

static int fail(const char *what, int rc)
{
    fprintf(stderr, "lc_stream: %s: %s: %s\n", what, lc_strerror(rc), lc_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'n'},
        {"app", required_argument, NULL, 'a'},
        {"flush", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"kv", no_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    long count = 1;
    const char *app = "lc_stream";
    int flush = 0, mode = 0; /* 0 lc_log, 'j' json, 'k' kv */
    int ch;
    while ((ch = getopt_long(argc, argv, "n:a:fjk", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': {
            char *end;
            errno = 0;
            count = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || count < 0 || count > INT_MAX) {
                fprintf(stderr, "lc_stream: bad --count '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'a': app = optarg; break;
        case 'f': flush = 1; break;
        case 'j':
        case 'k': mode = ch; break;
        default:
            fprintf(stderr, "usage: lc_stream [--count N] [--app NAME] [--flush] "
                            "[--json] [--kv]\n");
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "usage: lc_stream [--count N] [--app NAME] [--flush] "
                        "[--json] [--kv]\n");
        return 2;
    }

    int rc;
    lc_client *c = lc_open(NULL, NULL, app, &rc);
    if (!c)
        return fail("lc_open", rc);
    for (long i = 1; i <= count; i++) {
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
            /* Say how many were accepted: tests check those all arrive. */
            printf("sent %ld\n", i - 1);
            fflush(stdout);
            int frc = lc_flush(c, 10000);
            printf("%s\n", frc == LC_OK ? "acked" : "not acked");
            lc_close(c);
            return fail(what, rc);
        }
    }
    printf("sent %ld\n", count);
    fflush(stdout);
    if (flush) {
        rc = lc_flush(c, 30000);
        if (rc != LC_OK) {
            lc_close(c);
            return fail("lc_flush", rc);
        }
        printf("acked\n");
    }
    lc_close(c);
    return 0;
}
