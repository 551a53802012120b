/*
 * pipe.c - logcollect pipe: each line of standard input becomes a
 * record, like logger(1).  With --json each line must be a JSON object and
 * is sent as it is.  A line the collector would refuse is reported with its
 * line number and skipped; the rest still go.  Exits only once everything
 * sent is acknowledged, and non-zero if any line was refused.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "logcollect.h"

#define DEFAULT_APP "logcollect-pipe"
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_FIELDS 32

static const char usage_pipe[] =
    "usage: logcollect pipe [OPTIONS] < lines\n"
    "\n"
    "Send each line of standard input as a record {\"ts\",\"level\",\"msg\":LINE} (or,\n"
    "with --json, the line itself, which must be a JSON object), then wait until\n"
    "the collector has written them all.  Empty lines are skipped.  A refused\n"
    "line is reported as 'line N: why' and the exit status is 1.\n"
    "\n"
    "Options:\n"
    "      --json           each line is a whole JSON record\n"
    "  -l, --level LEVEL    level of the records (default info)\n"
    "  -a, --app NAME       application name (default $LOGCOLLECT_APP, else " DEFAULT_APP ")\n"
    "      --field K=V      add field K with string value V to every record (repeatable)\n"
    "  -p, --port-file P    port file (default $LOGCOLLECT_PORT_FILE, else /run/logcollectord/port)\n"
    "  -k, --key-file K     key file (default $LOGCOLLECT_KEY_FILE, else /etc/logcollectord/key)\n"
    "  -t, --timeout MS     how long to wait for the last acknowledgement (default\n"
    "                       30000; 0: do not wait)\n"
    LCLI_TLS_HELP
    "  -h, --help           show this help\n"
    "\n"
    LCLI_TLS_NOTE;

typedef struct {
    int json, level;
    const char *app;
    lcli_conn conn;
    const char *names[MAX_FIELDS], *values[MAX_FIELDS];
    char *owned[MAX_FIELDS];
    size_t nfields;
} pipe_opts;

static int send_line(lc_client *c, const pipe_opts *o, char *line, size_t len)
{
    line[len] = '\0';
    if (o->json)
        return lc_send_json(c, line);
    return lc_log_fields(c, (lc_level)o->level, line, o->names, o->values, o->nfields);
}

static int run_pipe(const pipe_opts *o)
{
    int err;
    lc_client *c = lcli_open(&o->conn, o->app, 1, &err);
    if (!c) {
        fprintf(stderr, "logcollect: %s\n", lc_last_error());
        return err == LC_EINVAL ? 2 : 1; /* as send */
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0, refused = 0, sent = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if (memchr(line, '\0', len)) {
            fprintf(stderr, "logcollect: line %lu: contains a NUL byte; skipped\n", lineno);
            refused++;
            continue;
        }
        err = send_line(c, o, line, len);
        if (err == LC_EINVAL || err == LC_ETOOBIG) {
            fprintf(stderr, "logcollect: line %lu: %s\n", lineno, lc_last_error());
            refused++;
            continue;
        }
        if (err != LC_OK) {
            fprintf(stderr, "logcollect: line %lu: %s; %lu lines sent before it\n", lineno,
                    lc_last_error(), sent);
            rc = 1;
            break;
        }
        sent++;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "logcollect: cannot read standard input: %s\n", strerror(errno));
        rc = 1;
    }
    free(line);
    err = lc_flush(c, o->conn.timeout_ms);
    if (err != LC_OK) {
        fprintf(stderr, "logcollect: %s\n", lc_last_error());
        rc = 1;
    }
    lc_close(c);
    if (refused) {
        fprintf(stderr, "logcollect: %lu of %lu lines refused\n", refused, lineno);
        rc = 1;
    }
    return rc;
}

int lcli_cmd_pipe(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_FIELD };
    static const struct option opts[] = {
        {"json", no_argument, NULL, OPT_JSON},
        {"level", required_argument, NULL, 'l'},
        {"app", required_argument, NULL, 'a'},
        {"field", required_argument, NULL, OPT_FIELD},
        {"help", no_argument, NULL, 'h'},
        LCLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    pipe_opts o;
    memset(&o, 0, sizeof o);
    o.level = LC_INFO;
    o.conn.timeout_ms = DEFAULT_TIMEOUT_MS;
    opterr = 0;
    optind = 1;
    int ch, rc = 2;
    while ((ch = getopt_long(argc, argv, ":l:a:h" LCLI_CONN_SHORTOPTS, opts, NULL)) != -1) {
        switch (ch) {
        case OPT_JSON: o.json = 1; break;
        case 'l':
            o.level = lcli_parse_level(optarg);
            if (o.level < 0) {
                rc = lcli_usage_error("pipe ", "unknown level '%s'", optarg);
                goto out;
            }
            break;
        case 'a': o.app = optarg; break;
        case OPT_FIELD: {
            size_t nl;
            const char *val;
            if (o.nfields == MAX_FIELDS || lcli_split_field(optarg, &nl, &val) != 0) {
                rc = lcli_usage_error("pipe ", "--field wants KEY=VALUE (at most %d), not '%s'",
                                      MAX_FIELDS, optarg);
                goto out;
            }
            if (optarg[0] == '_' || (nl == 2 && strncmp(optarg, "ts", 2) == 0) ||
                (nl == 5 && strncmp(optarg, "level", 5) == 0) ||
                (nl == 3 && strncmp(optarg, "msg", 3) == 0)) {
                rc = lcli_usage_error("pipe ", "--field %.*s: names starting with '_' belong to the "
                                      "collector, and ts, level and msg are set by pipe",
                                      (int)nl, optarg);
                goto out;
            }
            o.owned[o.nfields] = strndup(optarg, nl);
            if (!o.owned[o.nfields]) {
                fputs("logcollect: out of memory\n", stderr);
                rc = 1;
                goto out;
            }
            o.names[o.nfields] = o.owned[o.nfields];
            o.values[o.nfields++] = val;
            break;
        }
        case 'h':
            fputs(usage_pipe, stdout);
            rc = 0;
            goto out;
        case ':':
            rc = lcli_usage_error("pipe ", "option %s needs a value", argv[optind - 1]);
            goto out;
        default:
            rc = lcli_conn_option(&o.conn, ch, optarg, "pipe ");
            if (rc == 0)
                break;
            if (rc < 0)
                rc = lcli_usage_error("pipe ", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc) {
        rc = lcli_usage_error("pipe ", "unexpected argument '%s' (pipe reads standard input)",
                              argv[optind]);
        goto out;
    }
    if (o.json && o.nfields) {
        rc = lcli_usage_error("pipe ", "--field cannot be combined with --json");
        goto out;
    }
    if ((rc = lcli_conn_check(&o.conn, "pipe ")) != 0)
        goto out;
    o.app = lcli_app(o.app, DEFAULT_APP);
    rc = run_pipe(&o);
out:
    for (size_t i = 0; i < o.nfields; i++)
        free(o.owned[i]);
    return rc;
}
