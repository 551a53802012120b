/*
 * tail.c - logcollect tail: the collector's output file, for people.
 *
 * Reads JSON Lines written by logcollectord and prints them as columns
 * (time, level, app[pid], msg, other fields as key=value), or unchanged
 * with --json.  -f follows the file by name across rotation, like tail -F.
 * Never trusts the file: a line that is not a JSON object is printed as it
 * is, with a warning on stderr.
 *
 * Without --since/--until/--dedup, -n N reads the file backwards from the
 * end, so it costs the same on a 10 GB file as on a small one.
 *
 * --nats URL reads a JetStream stream instead (tail_nats.c), through the
 * same show_line.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "cli.h"
#include "filter.h"
#include "columns.h"
#include "logcollect.h"
#include "line.h"
#include "tail_nats.h"

#define DEFAULT_OUTPUT "/var/log/logcollectord/collected.jsonl"
#define FOLLOW_POLL_US 100000
#define BLOCK 65536

typedef struct {
    const char *path;
    long n;            /* lines to show from the end; -1: all */
    int follow, json, dedup;
    lcli_filter filter;
    lcli_format_opts fmt;
    struct evbuffer *out; /* a line being formatted */
    json_t *seen;      /* --dedup: session id -> highest _seq shown */
} tail_opts;

static const char usage_tail[] =
    "usage: logcollect tail [OPTIONS] [FILE]\n"
    "\n"
    "Show the collector's output file (default $LOGCOLLECT_OUTPUT, else\n"
    DEFAULT_OUTPUT ") as readable columns:\n"
    "time, level, app[pid], message, then the other fields as key=value.\n"
    "\n"
    "Options:\n"
    "  -n, --lines N        show the last N matching lines (default 10; all\n"
    "                       with --since or --until)\n"
    "  -f, --follow         keep reading as the file grows; follows the file\n"
    "                       name across rotation (like tail -F)\n"
    "  -l, --level LEVEL    only records at LEVEL or more severe\n"
    "  -a, --app NAME       only records whose _app is NAME\n"
    "      --since TIME     only records at or after TIME\n"
    "      --until TIME     only records before TIME\n"
    "                       TIME: 2026-11-27T13:00:00Z, '2026-11-27 14:00' (local),\n"
    "                       or an age: 30s, 10m, 2h, 1d\n"
    "  -g, --grep REGEX     only records whose msg matches REGEX (POSIX extended)\n"
    "      --field K=V      only records whose top-level field K is V (repeatable)\n"
    "      --pid N          only records whose _pid is N\n"
    "      --json           print the lines unchanged (for jq)\n"
    "      --dedup          drop repeated _sid/_seq pairs (re-sends after a crash)\n"
    "      --utc            show times in UTC (default: local time)\n"
    "      --color WHEN     auto (default: when stdout is a terminal), always, never\n"
    "  -v, --verbose        also show the collector's _ fields\n"
    "  -h, --help           show this help\n"
    "\n"
    "Reading NATS JetStream instead (where logcollectord --forward-nats sends):\n"
    "      --nats URL       the stream's servers, nats://host:4222[,nats://...]\n"
    "      --subject S      only these subjects (default logs.>, every host)\n"
    "      --stream NAME    the stream (default LOGS)\n"
    "      --durable NAME   a durable consumer: resume where the last run with\n"
    "                       this NAME stopped (else an ephemeral ordered one)\n"
    "      --nats-creds FILE  NATS credentials (user JWT and NKey seed)\n"
    "  -n N is then the last N matching records of the stream, --since starts\n"
    "  the consumer at that time, -f follows new records.\n"
    "\n"
    "The time shown and filtered on is the record's ts, else its _rt.\n";

/* ---- filters ----------------------------------------------------------- */

/* --dedup: 1 if this (_sid, _seq) was shown already. */
static int seen_before(tail_opts *o, json_t *rec)
{
    json_t *sid = json_object_get(rec, "_sid"), *seq = json_object_get(rec, "_seq");
    if (!json_is_string(sid) || !json_is_integer(seq))
        return 0;
    json_t *top = json_object_get(o->seen, json_string_value(sid));
    json_int_t q = json_integer_value(seq);
    if (top && json_integer_value(top) >= q)
        return 1;
    json_object_set_new(o->seen, json_string_value(sid), json_integer(q));
    return 0;
}

/* ---- output ------------------------------------------------------------ */

/* Decide and print one line (without its newline).  lineno is for the
 * warning about a malformed line (0: unknown). */
static void show_line(tail_opts *o, const char *line, size_t len, unsigned long lineno)
{
    json_t *rec = lcli_record_load(line, len);
    if (!json_is_object(rec)) {
        json_decref(rec);
        if (lineno)
            fprintf(stderr, "logcollect: %s line %lu is not a JSON object; shown as is\n",
                    o->path, lineno);
        else
            fprintf(stderr, "logcollect: a line of %s is not a JSON object; shown as is\n",
                    o->path);
        lcli_format_line_as_is(o->out, line, len);
        lcli_format_write(o->out, stdout);
        return;
    }
    if (lcli_filter_match(&o->filter, rec) && !(o->dedup && seen_before(o, rec))) {
        if (o->json) {
            fwrite(line, 1, len, stdout);
            putchar('\n');
        } else {
            lcli_format_columns(o->out, rec, &o->fmt);
            lcli_format_write(o->out, stdout);
        }
    }
    json_decref(rec);
}

static int wanted(tail_opts *o, const char *line, size_t len)
{
    return lcli_filter_line(&o->filter, line, len);
}

/* ---- reading ----------------------------------------------------------- */

typedef struct {
    char **lines;
    size_t *lens;
    size_t n, cap;
} line_list;

static int list_push(line_list *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **nl = realloc(l->lines, cap * sizeof *nl);
        if (!nl)
            return -1;
        l->lines = nl;
        size_t *ns = realloc(l->lens, cap * sizeof *ns);
        if (!ns)
            return -1;
        l->lens = ns;
        l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c)
        return -1;
    memcpy(c, s, len);
    l->lines[l->n] = c;
    l->lens[l->n++] = len;
    return 0;
}

static void list_free(line_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    free(l->lines);
    free(l->lens);
}

/* The last o->n wanted complete lines of fd (size bytes; end is the offset
 * after the last newline), newest first, read backwards in blocks. */
static int last_lines(tail_opts *o, int fd, off_t end, line_list *out)
{
    char *carry = NULL;
    size_t carry_len = 0;
    off_t pos = end;
    int rc = 0;
    while (pos > 0 && (long)out->n < o->n) {
        size_t blk = pos > BLOCK ? BLOCK : (size_t)pos;
        pos -= (off_t)blk;
        char *buf = malloc(blk + carry_len);
        if (!buf || pread(fd, buf, blk, pos) != (ssize_t)blk) {
            free(buf);
            rc = -1;
            break;
        }
        if (carry_len)
            memcpy(buf + blk, carry, carry_len);
        size_t total = blk + carry_len;
        free(carry);
        carry = NULL;
        /* Lines end at buf[total-1] == '\n' (or at the previous carry). */
        size_t stop = total;
        if (stop > 0 && buf[stop - 1] == '\n')
            stop--;
        for (;;) {
            char *nl = memrchr(buf, '\n', stop);
            if (!nl)
                break;
            size_t start = (size_t)(nl - buf) + 1;
            if (wanted(o, buf + start, stop - start) &&
                list_push(out, buf + start, stop - start) != 0) {
                free(buf);
                return -1;
            }
            if ((long)out->n >= o->n)
                break;
            stop = (size_t)(nl - buf);
        }
        if ((long)out->n < o->n) {
            carry_len = stop;
            carry = malloc(carry_len + 1);
            if (carry)
                memcpy(carry, buf, carry_len);
            if (!carry) {
                free(buf);
                return -1;
            }
            carry[carry_len] = '\n';
            carry_len++;
        }
        free(buf);
    }
    if (carry && pos == 0 && (long)out->n < o->n && carry_len > 1 &&
        wanted(o, carry, carry_len - 1))
        rc = list_push(out, carry, carry_len - 1);
    free(carry);
    return rc;
}

/* Feed bytes to show_line, a line at a time; keeps a partial last line in
 * *pend for the next call. */
typedef struct {
    char *buf;
    size_t len, cap;
    unsigned long lineno;
} pending;

static int feed(tail_opts *o, pending *p, const char *data, size_t n)
{
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 65536;
        while (cap < p->len + n)
            cap *= 2;
        char *b = realloc(p->buf, cap);
        if (!b)
            return -1;
        p->buf = b;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, data, n);
    p->len += n;
    size_t start = 0;
    for (;;) {
        char *nl = memchr(p->buf + start, '\n', p->len - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - p->buf);
        p->lineno++;
        show_line(o, p->buf + start, end - start, p->lineno);
        start = end + 1;
    }
    memmove(p->buf, p->buf + start, p->len - start);
    p->len -= start;
    return 0;
}

/* Read fd from its offset to EOF through feed().  0 ok, -1 read error. */
static int drain(tail_opts *o, int fd, pending *p)
{
    char buf[BLOCK];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        if (feed(o, p, buf, (size_t)r) != 0)
            return -1;
    }
}

static int open_file(tail_opts *o, int quiet)
{
    int fd = open(o->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && !quiet)
        fprintf(stderr, "logcollect: cannot open %s: %s%s\n", o->path, strerror(errno),
                errno == EACCES ? " (readers of the collector's output need its group, "
                                  "e.g. logcollect)"
                                : "");
    return fd;
}

/* tail -F: poll the file; when the name points to a new file, finish the
 * old one and start the new one from its beginning. */
static int follow(tail_opts *o, int fd, pending *p)
{
    for (;;) {
        if (drain(o, fd, p) != 0) {
            fprintf(stderr, "logcollect: cannot read %s: %s\n", o->path, strerror(errno));
            return 1;
        }
        fflush(stdout);
        usleep(FOLLOW_POLL_US);
        struct stat cur, by_name;
        if (fstat(fd, &cur) != 0)
            return 1;
        if (stat(o->path, &by_name) != 0)
            continue; /* renamed away, the new one not there yet */
        if (by_name.st_ino != cur.st_ino || by_name.st_dev != cur.st_dev) {
            if (drain(o, fd, p) != 0)
                return 1;
            int nfd = open_file(o, 1);
            if (nfd < 0)
                continue;
            close(fd);
            fd = nfd;
            p->len = 0; /* a partial line of the old file stays unfinished */
            p->lineno = 0;
            fprintf(stderr, "logcollect: %s was replaced (rotated); following the new file\n",
                    o->path);
        } else if (cur.st_size < lseek(fd, 0, SEEK_CUR)) {
            lseek(fd, 0, SEEK_SET);
            p->len = 0;
            p->lineno = 0;
            fprintf(stderr, "logcollect: %s was truncated; reading it from the start\n",
                    o->path);
        }
    }
}

/* Every wanted line up to end, forwards. */
static void show_all(tail_opts *o, int fd, off_t end, pending *p)
{
    char buf[BLOCK];
    off_t done = 0;
    lseek(fd, 0, SEEK_SET);
    while (done < end) {
        size_t want = (size_t)(end - done) < sizeof buf ? (size_t)(end - done) : sizeof buf;
        ssize_t r = read(fd, buf, want);
        if (r <= 0 || feed(o, p, buf, (size_t)r) != 0)
            break;
        done += r;
    }
}

/* The last n wanted lines when deciding needs the lines in order (--dedup
 * keeps the first of repeats): a forward pass keeping the newest n. */
static void show_last_forward(tail_opts *o, int fd, off_t end)
{
    line_list keep = {0};
    FILE *f = fdopen(dup(fd), "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    off_t done = 0;
    while (f && done < end && (len = getline(&line, &cap, f)) > 0) {
        done += len;
        size_t l = (size_t)len - (line[len - 1] == '\n');
        json_t *rec = lcli_record_load(line, l);
        int want = !json_is_object(rec) || (lcli_filter_match(&o->filter, rec) && !seen_before(o, rec));
        json_decref(rec);
        if (want && list_push(&keep, line, l) != 0)
            break;
        if (keep.n > (size_t)o->n + 4096) { /* drop all but the newest n */
            size_t drop = keep.n - (size_t)o->n;
            for (size_t i = 0; i < drop; i++)
                free(keep.lines[i]);
            memmove(keep.lines, keep.lines + drop, (keep.n - drop) * sizeof *keep.lines);
            memmove(keep.lens, keep.lens + drop, (keep.n - drop) * sizeof *keep.lens);
            keep.n -= drop;
        }
    }
    free(line);
    if (f)
        fclose(f);
    int dedup = o->dedup;
    o->dedup = 0; /* decided above */
    for (size_t i = keep.n > (size_t)o->n ? keep.n - (size_t)o->n : 0; i < keep.n; i++)
        show_line(o, keep.lines[i], keep.lens[i], 0);
    o->dedup = dedup;
    list_free(&keep);
}

/* Offset after the file's last newline: a line still being written is
 * shown once it is complete. */
static off_t complete_end(int fd, off_t size)
{
    off_t end = size;
    char c;
    while (end > 0 && pread(fd, &c, 1, end - 1) == 1 && c != '\n')
        end--;
    return end;
}

static int run_tail(tail_opts *o)
{
    int fd = open_file(o, 0);
    if (fd < 0)
        return 1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "logcollect: cannot stat %s: %s\n", o->path, strerror(errno));
        close(fd);
        return 1;
    }
    off_t end = complete_end(fd, st.st_size);
    pending p = {0};
    int rc = 0;
    if (o->n < 0) {
        show_all(o, fd, end, &p);
    } else if (o->dedup) {
        show_last_forward(o, fd, end);
    } else if (o->n > 0) {
        line_list l = {0};
        if (last_lines(o, fd, end, &l) != 0) {
            fprintf(stderr, "logcollect: cannot read %s: %s\n", o->path, strerror(errno));
            rc = 1;
        }
        for (size_t i = l.n; i > 0; i--)
            show_line(o, l.lines[i - 1], l.lens[i - 1], 0);
        list_free(&l);
    }
    fflush(stdout);
    lseek(fd, end, SEEK_SET);
    if (o->follow && rc == 0)
        rc = follow(o, fd, &p);
    free(p.buf);
    close(fd);
    return rc;
}

enum { OPT_SINCE = 256, OPT_UNTIL, OPT_FIELD, OPT_PID, OPT_JSON, OPT_DEDUP, OPT_UTC, OPT_COLOR,
       OPT_NATS, OPT_SUBJECT, OPT_STREAM, OPT_DURABLE, OPT_NATS_CREDS };

/* --nats: tail_nats.c hands each message's line to show_line. */
static void nats_show(void *o, const char *line, size_t len)
{
    show_line(o, line, len, 0);
}

static int nats_wanted(void *o, const char *line, size_t len)
{
    return wanted(o, line, len);
}

static int run_tail_nats(tail_opts *o, const lcli_nats_source *src)
{
    lcli_nats_reader r = {.n = o->n, .follow = o->follow, .has_since = o->filter.has_since,
                          .since_us = o->filter.since_us, .wanted = nats_wanted,
                          .show = nats_show, .ctx = o};
    o->path = "the NATS stream"; /* for the warning about a line that is not JSON */
    return lcli_tail_nats(src, &r);
}

/* The filter condition (filter.h) an option sets. */
static const char *filter_name(int opt)
{
    switch (opt) {
    case 'l': return "level";
    case 'a': return "app";
    case 'g': return "grep";
    case OPT_PID: return "pid";
    case OPT_SINCE: return "since";
    case OPT_UNTIL: return "until";
    default: return "field";
    }
}

int lcli_cmd_tail(int argc, char **argv)
{
    static const struct option opts[] = {
        {"lines", required_argument, NULL, 'n'},  {"follow", no_argument, NULL, 'f'},
        {"level", required_argument, NULL, 'l'},  {"app", required_argument, NULL, 'a'},
        {"since", required_argument, NULL, OPT_SINCE}, {"until", required_argument, NULL, OPT_UNTIL},
        {"grep", required_argument, NULL, 'g'},   {"field", required_argument, NULL, OPT_FIELD},
        {"pid", required_argument, NULL, OPT_PID},
        {"json", no_argument, NULL, OPT_JSON},    {"dedup", no_argument, NULL, OPT_DEDUP},
        {"utc", no_argument, NULL, OPT_UTC},      {"color", required_argument, NULL, OPT_COLOR},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {"nats", required_argument, NULL, OPT_NATS},
        {"subject", required_argument, NULL, OPT_SUBJECT},
        {"stream", required_argument, NULL, OPT_STREAM},
        {"durable", required_argument, NULL, OPT_DURABLE},
        {"nats-creds", required_argument, NULL, OPT_NATS_CREDS},
        {NULL, 0, NULL, 0},
    };
    lcli_nats_source nats = {.subject = "logs.>", .stream = "LOGS"};
    int nats_only = 0; /* an option that means nothing without --nats */
    tail_opts o;
    memset(&o, 0, sizeof o);
    o.n = 10;
    lcli_filter_init(&o.filter);
    int n_set = 0, color = -1;
    const char *env = getenv("LOGCOLLECT_OUTPUT");
    o.path = env && *env ? env : DEFAULT_OUTPUT;

    opterr = 0;
    optind = 1;
    int ch, rc = 2;
    while ((ch = getopt_long(argc, argv, ":n:fl:a:g:vh", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': {
            char *end;
            errno = 0;
            o.n = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || o.n < 0) {
                rc = lcli_usage_error("tail ", "--lines wants a number (0 or more), not '%s'", optarg);
                goto out;
            }
            n_set = 1;
            break;
        }
        case 'f': o.follow = 1; break;
        case 'l':
        case 'a':
        case 'g':
        case OPT_PID:
        case OPT_SINCE:
        case OPT_UNTIL:
        case OPT_FIELD: {
            char why[256];
            if (lcli_filter_set(&o.filter, filter_name(ch), optarg, why, sizeof why) != 0) {
                rc = lcli_usage_error("tail ", "%s", why);
                goto out;
            }
            break;
        }
        case OPT_JSON: o.json = 1; break;
        case OPT_DEDUP: o.dedup = 1; break;
        case OPT_UTC: o.fmt.utc = 1; break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") == 0)
                color = -1;
            else if (strcmp(optarg, "always") == 0)
                color = 1;
            else if (strcmp(optarg, "never") == 0)
                color = 0;
            else {
                rc = lcli_usage_error("tail ", "--color is auto, always or never, not '%s'", optarg);
                goto out;
            }
            break;
        case 'v': o.fmt.verbose = 1; break;
        case OPT_NATS: nats.url = optarg; break;
        case OPT_SUBJECT: nats.subject = optarg; nats_only = 1; break;
        case OPT_STREAM: nats.stream = optarg; nats_only = 1; break;
        case OPT_DURABLE: nats.durable = optarg; nats_only = 1; break;
        case OPT_NATS_CREDS: nats.creds = optarg; nats_only = 1; break;
        case 'h':
            fputs(usage_tail, stdout);
            rc = 0;
            goto out;
        case ':':
            rc = lcli_usage_error("tail ", "option %s needs a value", argv[optind - 1]);
            goto out;
        default:
            rc = lcli_usage_error("tail ", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (optind < argc && nats.url) {
        rc = lcli_usage_error("tail ", "a FILE or --nats, not both");
        goto out;
    }
    if (nats_only && !nats.url) {
        rc = lcli_usage_error("tail ", "--subject, --stream, --durable and --nats-creds go "
                              "with --nats URL");
        goto out;
    }
    if (optind < argc)
        o.path = argv[optind++];
    if (optind < argc) {
        rc = lcli_usage_error("tail ", "one FILE at most");
        goto out;
    }
    if (!n_set && lcli_filter_has_time(&o.filter))
        o.n = -1;
    o.fmt.color = color >= 0 ? color : (isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
    if (o.dedup)
        o.seen = json_object();
    if (o.follow)
        setvbuf(stdout, NULL, _IOLBF, 0);
    o.out = evbuffer_new();
    if (!o.out) {
        fprintf(stderr, "logcollect: out of memory\n");
        rc = 1;
        goto out;
    }
    rc = nats.url ? run_tail_nats(&o, &nats) : run_tail(&o);
out:
    lcli_filter_free(&o.filter);
    if (o.out)
        evbuffer_free(o.out);
    json_decref(o.seen);
    return rc;
}
