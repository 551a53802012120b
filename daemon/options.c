/*
 * options.c - one table describes every setting: its name, its kind, its
 * bounds and its help line.  getopt_long's table and --help come from it.
 */
#include "options.h"

#include "record.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

typedef enum { OPT_STR, OPT_NUM, OPT_SIZE, OPT_MS, OPT_FLAG, OPT_FSYNC } opt_kind;

typedef struct {
    const char *name;
    opt_kind kind;
    size_t offset;
    long min, max;
    const char *arg, *help;
    int cli_only; /* not a config file setting */
} opt_def;

#define OFF(f) offsetof(lcd_options, f)

static const opt_def defs[] = {
    {"bind", OPT_STR, OFF(bind), 0, 0, "ADDR", "address to listen on (default 127.0.0.1; IPv6 too)", 0},
    {"port", OPT_NUM, OFF(port), 0, 65535, "N", "TCP port (default 0: the kernel picks one)", 0},
    {"port-file", OPT_STR, OFF(port_file), 0, 0, "PATH", "where to publish the port (default /run/logcollectord/port)", 0},
    {"key-file", OPT_STR, OFF(key_file), 0, 0, "PATH", "shared key file (default /etc/logcollectord/key)", 0},
    {"output", OPT_STR, OFF(output), 0, 0, "PATH", "output file, JSON Lines (default /var/log/logcollectord/collected.jsonl)", 0},
    {"max-record", OPT_SIZE, OFF(max_record), 64, 64L << 20, "BYTES", "largest record accepted, suffix K or M allowed (default 1M)", 0},
    {"max-depth", OPT_NUM, OFF(max_depth), LCP_REC_DEPTH_MIN, LCP_REC_DEPTH_MAX, "N", "refuse records nested deeper than N levels, the record itself being level 1 (default 64: jq and Python's json read every line)", 0},
    {"max-unwritten", OPT_SIZE, OFF(max_unwritten), 4096, 1L << 30, "BYTES", "per connection: bytes received but not yet written before reading pauses (default 1M)", 0},
    {"max-clients", OPT_NUM, OFF(max_clients), 1, 1000000, "N", "most authenticated connections at once (default 1024)", 0},
    {"max-handshakes", OPT_NUM, OFF(max_handshakes), 1, 1000000, "N", "most connections still in the handshake; at the limit the oldest is closed (default 1024)", 0},
    {"max-partial-bytes", OPT_SIZE, OFF(max_partial), 1L << 20, 1L << 40, "BYTES", "all connections together: bytes of partly received frames before reading pauses (default 64M)", 0},
    {"max-sessions", OPT_NUM, OFF(max_sessions), 16, 10000000, "N", "sessions remembered for de-duplicating resends (default 16384)", 0},
    {"handshake-timeout", OPT_MS, OFF(handshake_timeout_ms), 1, 3600000, "SECONDS", "time a peer has to authenticate (default 5)", 0},
    {"allow-legacy-md5", OPT_FLAG, OFF(allow_legacy_md5), 0, 0, NULL, "accept Python <= 3.11's HMAC-MD5 handshake (weaker)", 0},
    {"tls-cert", OPT_STR, OFF(tls_cert), 0, 0, "PATH", "serve TLS with this certificate chain (PEM); needs --tls-key", 0},
    {"tls-key", OPT_STR, OFF(tls_key), 0, 0, "PATH", "the certificate's private key (PEM)", 0},
    {"tls-client-ca", OPT_STR, OFF(tls_client_ca), 0, 0, "PATH", "require client certificates signed by this CA (PEM)", 0},
    {"http", OPT_STR, OFF(http), 0, 0, "ADDR:PORT", "serve GET /metrics (Prometheus) and /healthz over HTTP there, e.g. 127.0.0.1:9464 (port 0: the kernel picks, see the port file); default off", 0},
    {"http-allow-remote", OPT_FLAG, OFF(http_allow_remote), 0, 0, NULL, "allow a non-loopback --http address (plain HTTP, no authentication)", 0},
    {"allow-plaintext", OPT_FLAG, OFF(allow_plaintext), 0, 0, NULL, "allow a non-loopback --bind without TLS", 0},
    {"user", OPT_STR, OFF(user), 0, 0, "NAME", "started as root: open socket, files and keys, then run as NAME", 0},
    {"allow-root", OPT_FLAG, OFF(allow_root), 0, 0, NULL, "allow running as root without --user (not recommended)", 0},
    {"fsync", OPT_FSYNC, OFF(fsync_mode), 1, 3600000, "WHEN", "never, batch (before every ack), or interval=MS (default interval=1000)", 0},
    {"rotate-size", OPT_SIZE, OFF(rotate_size), 0, LONG_MAX, "BYTES", "rotate the output when it reaches this size, K/M/G allowed (default 0: never; or use SIGHUP and logrotate)", 0},
    {"rotate-keep", OPT_NUM, OFF(rotate_keep), 1, 1000, "N", "rotated files to keep, OUTPUT.1 (newest) to OUTPUT.N (default 5)", 0},
    {"config", OPT_STR, OFF(config), 0, 0, "PATH", "config file of 'name = value' lines (default " LCD_DEFAULT_CONFIG " when present)", 1},
    {"gen-key", OPT_STR, OFF(gen_key), 0, 0, "PATH", "write a new random key file (mode 0600) and exit", 1},
    {"help", OPT_FLAG, OFF(help), 0, 0, NULL, "show this help and exit", 1},
    {"version", OPT_FLAG, OFF(version), 0, 0, NULL, "show the version and exit", 1},
};
#define NDEFS (sizeof defs / sizeof defs[0])

static char *dup_or_die(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort(); /* startup only: nothing to recover */
    return d;
}

void lcd_options_defaults(lcd_options *o)
{
    memset(o, 0, sizeof *o);
    o->bind = dup_or_die("127.0.0.1");
    o->port = 0;
    o->port_file = dup_or_die("/run/logcollectord/port");
    o->key_file = dup_or_die("/etc/logcollectord/key");
    o->output = dup_or_die("/var/log/logcollectord/collected.jsonl");
    o->max_record = 1L << 20;
    o->max_depth = LCP_REC_DEPTH_DEFAULT;
    o->max_clients = 1024;
    o->max_handshakes = 1024;
    o->max_partial = 64L << 20;
    o->max_unwritten = 1L << 20;
    o->max_sessions = 16384;
    o->handshake_timeout_ms = 5000;
    o->rotate_keep = 5;
    o->fsync_mode = LCD_FSYNC_INTERVAL;
    o->fsync_ms = 1000;
}

void lcd_options_free(lcd_options *o)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (defs[i].kind == OPT_STR) {
            char **p = (char **)((char *)o + defs[i].offset);
            free(*p);
            *p = NULL;
        }
}

/* Parse a whole number with an optional K/M/G suffix (powers of 1024). */
static int parse_number(const char *s, int allow_suffix, long *out)
{
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    long mult = 1;
    if (allow_suffix && *end) {
        switch (*end) {
        case 'k': case 'K': mult = 1L << 10; break;
        case 'm': case 'M': mult = 1L << 20; break;
        case 'g': case 'G': mult = 1L << 30; break;
        default: return -1;
        }
        end++;
    }
    if (*end || v > LONG_MAX / mult)
        return -1;
    *out = v * mult;
    return 0;
}

/* dash is "--" on the command line and "" in the config file, so messages
 * name the setting the way the user wrote it. */
static int set_option(lcd_options *o, const opt_def *d, const char *val,
                      const char *dash, char *err, size_t errlen)
{
    void *field = (char *)o + d->offset;
    long v;
    switch (d->kind) {
    case OPT_FLAG:
        *(int *)field = 1;
        return 0;
    case OPT_FSYNC:
        if (strcmp(val, "never") == 0) {
            o->fsync_mode = LCD_FSYNC_NEVER;
            return 0;
        }
        if (strcmp(val, "batch") == 0) {
            o->fsync_mode = LCD_FSYNC_BATCH;
            return 0;
        }
        if (strncmp(val, "interval=", 9) == 0 && parse_number(val + 9, 0, &v) == 0 &&
            v >= d->min && v <= d->max) {
            o->fsync_mode = LCD_FSYNC_INTERVAL;
            o->fsync_ms = v;
            return 0;
        }
        snprintf(err, errlen, "%s%s must be never, batch or interval=MS (MS from %ld to %ld), "
                 "not '%s'", dash, d->name, d->min, d->max, val);
        return -1;
    case OPT_STR:
        if (!*val) {
            snprintf(err, errlen, "%s%s needs a non-empty value", dash, d->name);
            return -1;
        }
        free(*(char **)field);
        *(char **)field = dup_or_die(val);
        return 0;
    case OPT_NUM:
    case OPT_SIZE:
    case OPT_MS:
        if (parse_number(val, d->kind == OPT_SIZE, &v) != 0 ||
            (d->kind == OPT_MS && v > d->max / 1000) || /* v * 1000 must not overflow */
            (d->kind == OPT_MS ? v * 1000 : v) < d->min ||
            (d->kind == OPT_MS ? v * 1000 : v) > d->max) {
            if (d->kind == OPT_MS)
                snprintf(err, errlen, "%s%s must be a number of seconds from %ld to %ld, not '%s'",
                         dash, d->name, d->min / 1000 ? d->min / 1000 : 1, d->max / 1000, val);
            else
                snprintf(err, errlen, "%s%s must be a number from %ld to %ld%s, not '%s'",
                         dash, d->name, d->min, d->max,
                         d->kind == OPT_SIZE ? " (K, M and G suffixes allowed)" : "", val);
            return -1;
        }
        *(long *)field = d->kind == OPT_MS ? v * 1000 : v;
        return 0;
    }
    return -1;
}

static int parse_flag_value(const char *v)
{
    static const char *yes[] = {"yes", "true", "on", "1"};
    static const char *no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static const opt_def *find_def(const char *name)
{
    for (size_t i = 0; i < NDEFS; i++)
        if (strcmp(defs[i].name, name) == 0)
            return &defs[i];
    return NULL;
}

/* One "name = value" line.  Returns 0, or -1 with err (without file:line). */
static int config_line(lcd_options *o, char *line, char *err, size_t errlen)
{
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
        return 0;
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "expected 'name = value', got '%.80s'", s);
        return -1;
    }
    *eq = '\0';
    char *name = trim(s), *val = trim(eq + 1);
    size_t vl = strlen(val);
    if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
        val[vl - 1] = '\0';
        val++;
    }
    const opt_def *d = find_def(name);
    if (!d || d->cli_only) {
        snprintf(err, errlen, "unknown setting '%.80s'%s", name,
                 d ? " (only on the command line)" : " (see logcollectord --help)");
        return -1;
    }
    if (d->kind == OPT_FLAG) {
        int f = parse_flag_value(val);
        if (f < 0) {
            snprintf(err, errlen, "%s must be yes or no, not '%.80s'", name, val);
            return -1;
        }
        *(int *)((char *)o + d->offset) = f;
        return 0;
    }
    return set_option(o, d, val, "", err, errlen);
}

int lcd_options_load_config(lcd_options *o, const char *path, int must_exist,
                            char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        if (!must_exist && errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096], why[512];
    unsigned n = 0;
    int rc = 0;
    while (fgets(line, sizeof line, f)) {
        n++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line longer than %zu bytes", path, n, sizeof line - 2);
            rc = -1;
            break;
        }
        if (config_line(o, line, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s:%u: %s", path, n, why);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* --config PATH or --config=PATH, looked for before the real parse so the
 * file is applied first and the command line wins.  Like getopt_long, this
 * takes an abbreviation (--conf) and, if repeated, the last one. */
static const char *find_config_arg(int argc, char **argv)
{
    const char *found = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strncmp(argv[i], "--", 2) != 0)
            continue;
        const char *name = argv[i] + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        if (len == 0 || len > 6 || strncmp(name, "config", len) != 0)
            continue;
        if (eq)
            found = eq + 1;
        else if (i + 1 < argc)
            found = argv[++i];
    }
    return found;
}

/* --help, --version and --gen-key must work whatever the config file says. */
static int config_irrelevant(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 ||
            strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "--gen-key") == 0 ||
            strncmp(argv[i], "--gen-key=", 10) == 0)
            return 1;
    }
    return 0;
}

int lcd_options_parse(lcd_options *o, int argc, char **argv, char *err,
                      size_t errlen)
{
    const char *config = find_config_arg(argc, argv);
    if (!config_irrelevant(argc, argv) &&
        lcd_options_load_config(o, config ? config : LCD_DEFAULT_CONFIG, config != NULL,
                                err, errlen) != 0)
        return -1;

    struct option longopts[NDEFS + 1];
    for (size_t i = 0; i < NDEFS; i++) {
        longopts[i].name = defs[i].name;
        longopts[i].has_arg = defs[i].kind == OPT_FLAG ? no_argument : required_argument;
        longopts[i].flag = NULL;
        longopts[i].val = 256 + (int)i;
    }
    memset(&longopts[NDEFS], 0, sizeof longopts[NDEFS]);

    opterr = 0;
    optind = 1;
    for (;;) {
        int idx = -1;
        int c = getopt_long(argc, argv, "+h", longopts, &idx);
        if (c == -1)
            break;
        if (c == 'h') {
            o->help = 1;
            continue;
        }
        if (c == '?' || c == ':') {
            const char *bad = argv[optind - 1];
            if (optopt >= 256)
                snprintf(err, errlen, "option --%s %s (see --help)", defs[optopt - 256].name,
                         defs[optopt - 256].kind == OPT_FLAG ? "takes no value"
                                                             : "needs a value");
            else
                snprintf(err, errlen, "unknown option '%s' (see --help)", bad);
            return -1;
        }
        if (set_option(o, &defs[c - 256], optarg, "--", err, errlen) != 0)
            return -1;
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s' (all settings are --options; see --help)",
                 argv[optind]);
        return -1;
    }
    return 0;
}

void lcd_options_usage(FILE *f)
{
    fprintf(f, "usage: logcollectord [OPTIONS]\n"
               "Collect authenticated JSON log records from local processes into one\n"
               "JSON Lines file.  Runs in the foreground.\n\n");
    for (size_t i = 0; i < NDEFS; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", defs[i].name, defs[i].arg ? " " : "",
                 defs[i].arg ? defs[i].arg : "");
        fprintf(f, "  %-26s %s\n", left, defs[i].help);
    }
    fprintf(f, "\nSee logcollectord(8).\n");
}
