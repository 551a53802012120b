/*
 * main.c - the logcollect command: dispatch to a subcommand; send one
 * record; make a key.  pipe, status, tail and web live in pipe.c, status.c, tail.c
 * and web*.c.  It uses
 * only the public API (logcollect.h), like any program linked with the
 * shared library.
 *
 * Exit status: 0 done, 1 failed (one line on stderr says why), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "logcollect.h"

#define DEFAULT_APP "logcollect-cli"
#define DEFAULT_TIMEOUT_MS 10000

static const char usage_main[] =
    "usage: logcollect send [OPTIONS] MESSAGE [KEY=VALUE ...]\n"
    "       logcollect pipe [OPTIONS] < lines\n"
    "       logcollect tail [OPTIONS] [FILE]\n"
    "       logcollect status [OPTIONS]\n"
    "       logcollect web [OPTIONS] [FILE]\n"
    "       logcollect keygen PATH\n"
    "       logcollect --help | --version\n"
    "\n"
    "Commands:\n"
    "  send      send one record to logcollectord and wait until it is written\n"
    "  pipe      send each line of standard input as a record (like logger)\n"
    "  tail      show the collector's output file for people, or follow it\n"
    "  status    say whether the collector is up and print its counters\n"
    "  web       serve a live, filterable view of the output file to a browser\n"
    "  keygen    create a new key file (mode 0600) for logcollectord and its clients\n"
    "\n"
    "Run 'logcollect COMMAND --help' for the options of a command.\n"
    "\n"
    "Environment:\n"
    "  LOGCOLLECT_PORT_FILE  port file (default /run/logcollectord/port)\n"
    "  LOGCOLLECT_KEY_FILE   key file (default /etc/logcollectord/key)\n"
    "  LOGCOLLECT_APP        application name (default " DEFAULT_APP ")\n"
    "  LOGCOLLECT_TLS_CA     CA file that checks a TLS collector's certificate\n"
    "  LOGCOLLECT_TLS_FINGERPRINT  or that certificate's pinned SHA-256 fingerprint\n"
    "  LOGCOLLECT_TLS_CERT, LOGCOLLECT_TLS_KEY  client certificate and key, if the\n"
    "                        collector requires one\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

static const char usage_send[] =
    "usage: logcollect send [OPTIONS] MESSAGE [KEY=VALUE ...]\n"
    "\n"
    "Send one record {\"ts\":...,\"level\":...,\"msg\":MESSAGE,KEY:VALUE,...} to\n"
    "logcollectord and wait until it is written to the collector's output.\n"
    "Values are strings.  Put '--' before a MESSAGE that starts with '-'.\n"
    "\n"
    "Options:\n"
    "  -l, --level LEVEL    debug, info (default), notice, warning, error,\n"
    "                       critical, alert, emergency, or 0-7\n"
    "  -a, --app NAME       application name (default $LOGCOLLECT_APP, else\n"
    "                       " DEFAULT_APP ")\n"
    "  -p, --port-file P    port file (default $LOGCOLLECT_PORT_FILE, else\n"
    "                       /run/logcollectord/port)\n"
    "  -k, --key-file K     key file (default $LOGCOLLECT_KEY_FILE, else\n"
    "                       /etc/logcollectord/key)\n"
    "  -t, --timeout MS     how long to wait for the collector's acknowledgement\n"
    "                       (default 10000; 0: do not wait)\n"
    LCLI_TLS_HELP
    "  -h, --help           show this help\n"
    "\n"
    LCLI_TLS_NOTE;

static const char usage_keygen[] =
    "usage: logcollect keygen PATH\n"
    "\n"
    "Create PATH (mode 0600) holding a new random key.  Refuses to overwrite an\n"
    "existing file.  Give the same file to logcollectord (--key-file) and to its\n"
    "clients (LOGCOLLECT_KEY_FILE).\n";

int lcli_usage_error(const char *help_cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("logcollect: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'logcollect %s--help')\n", help_cmd);
    return 2;
}

const char *lcli_app(const char *given, const char *def)
{
    if (given)
        return given;
    const char *env = getenv("LOGCOLLECT_APP");
    return env && *env ? env : def;
}

int lcli_parse_ms(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

int lcli_conn_option(lcli_conn *c, int ch, const char *arg, const char *help_cmd)
{
    switch (ch) {
    case 'p': c->port_file = arg; return 0;
    case 'k': c->key_file = arg; return 0;
    case 't':
        if (lcli_parse_ms(arg, &c->timeout_ms) != 0)
            return lcli_usage_error(help_cmd, "--timeout wants milliseconds (0 or more), not '%s'",
                                    arg);
        return 0;
    case LCLI_OPT_TLS_CA: c->ca = arg; return 0;
    case LCLI_OPT_TLS_FP: c->fingerprint = arg; return 0;
    case LCLI_OPT_TLS_CERT: c->cert = arg; return 0;
    case LCLI_OPT_TLS_KEY: c->key = arg; return 0;
    }
    return -1;
}

int lcli_conn_check(const lcli_conn *t, const char *help_cmd)
{
    if (t->key && !t->cert)
        return lcli_usage_error(help_cmd, "--tls-key needs --tls-cert");
    if (t->fingerprint) {
        lc_options *o = lc_options_new();
        int rc = o ? lc_options_set_tls_fingerprint(o, t->fingerprint) : LC_ENOMEM;
        lc_options_free(o);
        if (rc == LC_EINVAL)
            return lcli_usage_error(help_cmd, "--tls-fingerprint: %s",
                                    strchr(lc_last_error(), '"') ? strchr(lc_last_error(), '"')
                                                                 : lc_last_error());
    }
    return 0;
}

int lcli_conn_apply(lc_options *o, const lcli_conn *t)
{
    int rc = lc_options_set_port_file(o, t->port_file);
    if (rc == LC_OK)
        rc = lc_options_set_key_file(o, t->key_file);
    if (rc == LC_OK && t->ca)
        rc = lc_options_set_tls_ca(o, t->ca);
    if (rc == LC_OK && t->fingerprint)
        rc = lc_options_set_tls_fingerprint(o, t->fingerprint);
    if (rc == LC_OK && t->cert)
        rc = lc_options_set_tls_cert(o, t->cert, t->key);
    return rc;
}

lc_client *lcli_open(const lcli_conn *conn, const char *app, int block_when_full, int *err)
{
    /* A command exits at once when the collector is not there (fail fast),
     * and waits for its records rather than dropping them. */
    lc_client *c = NULL;
    lc_options *o = lc_options_new();
    *err = LC_ENOMEM;
    if (o && (*err = lcli_conn_apply(o, conn)) == LC_OK &&
        (*err = lc_options_set_app(o, app)) == LC_OK &&
        /* -t 0 (logcollect(1)): no wait for the ACK, 1 ms to connect */
        (*err = lc_options_set_connect_timeout(o, conn->timeout_ms > 0 ? conn->timeout_ms
                                                                        : 1)) == LC_OK &&
        (*err = lc_options_set_close_timeout(o, 0)) == LC_OK &&
        (*err = lc_options_set_queue_full(o, block_when_full ? LC_FULL_BLOCK : LC_FULL_DROP,
                                          -1)) == LC_OK &&
        (*err = lc_options_set_fail_fast(o, 1)) == LC_OK)
        c = lc_open_opts(o, err);
    lc_options_free(o);
    return c;
}

int lcli_cmd_send(int argc, char **argv)
{
    static const struct option opts[] = {
        {"level", required_argument, NULL, 'l'},
        {"app", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        LCLI_CONN_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    int level = LC_INFO;
    const char *app = NULL;
    lcli_conn conn = {.timeout_ms = DEFAULT_TIMEOUT_MS};

    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":l:a:h" LCLI_CONN_SHORTOPTS, opts, NULL)) != -1) {
        switch (ch) {
        case 'l':
            level = lcli_parse_level(optarg);
            if (level < 0)
                return lcli_usage_error("send ", "unknown level '%s'", optarg);
            break;
        case 'a':
            app = optarg;
            break;
        case 'h':
            fputs(usage_send, stdout);
            return 0;
        case ':':
            return lcli_usage_error("send ", "option %s needs a value", argv[optind - 1]);
        default: {
            int r = lcli_conn_option(&conn, ch, optarg, "send ");
            if (r >= 0) {
                if (r)
                    return r;
                break;
            }
            return lcli_usage_error("send ", "unknown option '%s'", argv[optind - 1]);
        }
        }
    }
    if (optind >= argc)
        return lcli_usage_error("send ", "send needs a MESSAGE");
    int bad = lcli_conn_check(&conn, "send ");
    if (bad)
        return bad;

    const char *msg = argv[optind++];
    int n = argc - optind;
    const char **names = calloc((size_t)n + 1, sizeof *names);
    const char **values = calloc((size_t)n + 1, sizeof *values);
    char **copies = calloc((size_t)n + 1, sizeof *copies);
    if (!names || !values || !copies) {
        fputs("logcollect: out of memory\n", stderr);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *arg = argv[optind + i];
        size_t kl;
        if (lcli_split_field(arg, &kl, &values[i]) != 0) {
            rc = lcli_usage_error("send ", "'%s' is not KEY=VALUE", arg);
            goto out;
        }
        copies[i] = strndup(arg, kl);
        if (!copies[i]) {
            fputs("logcollect: out of memory\n", stderr);
            rc = 1;
            goto out;
        }
        names[i] = copies[i];
    }
    app = lcli_app(app, DEFAULT_APP);

    int err;
    lc_client *c = lcli_open(&conn, app, 0, &err);
    if (!c) {
        fprintf(stderr, "logcollect: %s\n", lc_last_error());
        rc = err == LC_EINVAL ? 2 : 1;
        goto out;
    }
    err = lc_log_fields(c, (lc_level)level, msg, names, values, (size_t)n);
    if (err == LC_OK)
        err = lc_flush(c, conn.timeout_ms);
    if (err != LC_OK) {
        fprintf(stderr, "logcollect: %s\n", lc_last_error());
        rc = err == LC_EINVAL ? 2 : 1;
    }
    lc_close(c);
out:
    for (int i = 0; i < n; i++)
        free(copies[i]);
    free(copies);
    free(names);
    free(values);
    return rc;
}

int lcli_cmd_keygen(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_keygen, stdout);
        return 0;
    }
    if (argc != 2)
        return lcli_usage_error("keygen ", "keygen needs exactly one PATH");
    if (argv[1][0] == '-' && argv[1][1] != '\0')
        return lcli_usage_error("keygen ", "unknown option '%s'", argv[1]);
    if (lc_keygen(argv[1]) != LC_OK) {
        fprintf(stderr, "logcollect: %s\n", lc_last_error());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return lcli_usage_error("", "no command given");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("logcollect %s\n", LC_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"send", lcli_cmd_send},
        {"pipe", lcli_cmd_pipe},
        {"tail", lcli_cmd_tail},
        {"status", lcli_cmd_status},
        {"keygen", lcli_cmd_keygen},
        {"web", lcli_cmd_web},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    return lcli_usage_error("", "unknown command '%s'", cmd);
}
