/*
 * status.c - logcollect status: is the collector up, and its counters.
 *
 * Exit status: 0 the collector answered, 1 it did not (the reason on
 * stderr), 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "logcollect.h"

static const char usage_status[] =
    "usage: logcollect status [OPTIONS]\n"
    "\n"
    "Connect to logcollectord, authenticate, and print its counters.  The exit\n"
    "status says whether the collector is up (0) or not (1).\n"
    "\n"
    "Options:\n"
    "      --json           print the counters as one JSON object\n"
    "  -p, --port-file P    port file (default $LOGCOLLECT_PORT_FILE, else /run/logcollectord/port)\n"
    "  -k, --key-file K     key file (default $LOGCOLLECT_KEY_FILE, else /etc/logcollectord/key)\n"
    "  -t, --timeout MS     how long to wait for the answer (default 5000; 0: the\n"
    "                       default)\n"
    LCLI_TLS_HELP
    "  -h, --help           show this help\n";

static long long num(json_t *o, const char *path)
{
    /* "a.b" walks nested objects */
    char buf[64];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = o;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && v;
         tok = strtok_r(NULL, ".", &save))
        v = json_object_get(v, tok);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

static void print_bytes(const char *label, long long n)
{
    if (n >= 10LL << 20)
        printf("%s%.1f MiB", label, (double)n / (1 << 20));
    else if (n >= 10LL << 10)
        printf("%s%.1f KiB", label, (double)n / 1024);
    else
        printf("%s%lld bytes", label, n);
}

static void print_human(json_t *o)
{
    json_t *up = json_object_get(o, "uptime_s");
    double secs = json_is_number(up) ? json_number_value(up) : 0;
    long s = (long)secs;
    printf("logcollectord pid %lld: up %ldd %02ldh %02ldm %02lds\n", num(o, "pid"), s / 86400,
           s / 3600 % 24, s / 60 % 60, s % 60);
    printf("connections  %lld now (%lld in the handshake), %lld in all, %lld refused (max "
           "clients)\n", num(o, "connections.current"), num(o, "connections.handshaking"),
           num(o, "connections.total"), num(o, "connections.refused_full"));
    printf("handshakes   %lld failed (%lld answered late, %lld unanswered: failing addresses), "
           "%lld cut short (max handshakes)\n",
           num(o, "handshakes_failed"), num(o, "handshakes_delayed"), num(o, "handshakes_dropped"),
           num(o, "handshakes_evicted"));
    printf("records      %lld written, %lld duplicate re-sends skipped, rejected:",
           num(o, "records.accepted"), num(o, "records.duplicate"));
    json_t *rej = json_object_get(json_object_get(o, "records"), "rejected");
    const char *k;
    json_t *v;
    long long total = 0;
    json_object_foreach(rej, k, v) {
        if (json_integer_value(v) > 0)
            printf(" %s %lld", k, (long long)json_integer_value(v));
        total += json_integer_value(v);
    }
    printf("%s\n", total ? "" : " none");
    print_bytes("output       ", num(o, "bytes_written"));
    printf(" written, %lld write errors, %lld syncs, ", num(o, "write_errors"), num(o, "syncs"));
    print_bytes("", num(o, "output_pending"));
    printf(" waiting%s\n", json_is_true(json_object_get(o, "output_failing"))
                               ? "; OUTPUT FAILING: not acknowledging, clients keep their records"
                               : "");
    if (num(o, "output_reopened_missing") > 0)
        printf("             reopened %lld time(s): the file was deleted or renamed without "
               "SIGHUP\n", num(o, "output_reopened_missing"));
    printf("protocol     %lld errors, %lld sessions remembered\n", num(o, "protocol_errors"),
           num(o, "sessions"));
}

int lcli_cmd_status(int argc, char **argv)
{
    enum { OPT_JSON = 256 };
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        LCLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    int as_json = 0;
    lcli_conn conn = {.timeout_ms = 5000};
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h" LCLI_CONN_SHORTOPTS, opts, NULL)) != -1) {
        switch (ch) {
        case OPT_JSON: as_json = 1; break;
        case 'h':
            fputs(usage_status, stdout);
            return 0;
        case ':':
            return lcli_usage_error("status ", "option %s needs a value", argv[optind - 1]);
        default: {
            int r = lcli_conn_option(&conn, ch, optarg, "status ");
            if (r >= 0) {
                if (r)
                    return r;
                break;
            }
            return lcli_usage_error("status ", "unknown option '%s'", argv[optind - 1]);
        }
        }
    }
    if (optind < argc)
        return lcli_usage_error("status ", "unexpected argument '%s'", argv[optind]);
    int bad = lcli_conn_check(&conn, "status ");
    if (bad)
        return bad;

    lc_options *o = lc_options_new();
    int rc = o ? lcli_conn_apply(o, &conn) : LC_ENOMEM;
    char *text = NULL;
    if (rc == LC_OK)
        rc = lc_query_status(o, &text, conn.timeout_ms);
    lc_options_free(o);
    if (rc != LC_OK) {
        fprintf(stderr, "logcollect: collector not available: %s\n", lc_last_error());
        return 1;
    }
    json_t *obj = json_loads(text, 0, NULL);
    if (as_json || !obj)
        printf("%s\n", text);
    else
        print_human(obj);
    json_decref(obj);
    free(text);
    return 0;
}
