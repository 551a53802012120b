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
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "logcollect.h"

#define DEFAULT_OUTPUT "/var/log/logcollectord/collected.jsonl"
#define FOLLOW_POLL_US 100000
#define MAX_FIELDS 16
#define BLOCK 65536

typedef struct {
    const char *path;
    long n;            /* lines to show from the end; -1: all */
    int follow, json, dedup, utc, color, verbose;
    int max_level;     /* show severities <= this (0 emergency .. 7 debug) */
    const char *app;
    int has_since, has_until;
    long long since_us, until_us;
    int has_re;
    regex_t re;
    const char *fkey[MAX_FIELDS], *fval[MAX_FIELDS];
    size_t fkeylen[MAX_FIELDS];
    int nfields;
    json_t *seen;      /* --dedup: session id -> highest _seq shown */
    unsigned long warned;
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
    "      --json           print the lines unchanged (for jq)\n"
    "      --dedup          drop repeated _sid/_seq pairs (re-sends after a crash)\n"
    "      --utc            show times in UTC (default: local time)\n"
    "      --color WHEN     auto (default: when stdout is a terminal), always, never\n"
    "  -v, --verbose        also show the collector's _ fields\n"
    "  -h, --help           show this help\n"
    "\n"
    "The time shown and filtered on is the record's ts, else its _rt.\n";

/* ---- time -------------------------------------------------------------- */

/* RFC 3339 ("2026-11-27T13:37:24.123456Z", "+01:00" offsets, or a space
 * instead of T; no zone means local time).  Returns 0 and microseconds. */
static int parse_time(const char *s, long long *us)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 || n != 10)
        return -1;
    const char *p = s + n;
    long frac_us = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &m) != 2 || m != 5)
            return -1;
        p += 1 + m;
        if (*p == ':') {
            if (sscanf(p + 1, "%2d%n", &tm.tm_sec, &m) != 1 || m != 2)
                return -1;
            p += 1 + m;
            if (*p == '.') {
                long scale = 100000;
                p++;
                if (*p < '0' || *p > '9')
                    return -1;
                while (*p >= '0' && *p <= '9') {
                    frac_us += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t;
    if (*p == 'Z' || *p == 'z') {
        t = timegm(&tm);
        p++;
    } else if (*p == '+' || *p == '-') {
        int hh, mm, m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &m) != 2 || m != 5)
            return -1;
        t = timegm(&tm) - (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
        p += 1 + m;
    } else {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    }
    if (*p != '\0' || t == (time_t)-1)
        return -1;
    *us = (long long)t * 1000000 + frac_us;
    return 0;
}

/* "30s", "10m", "2h", "1d" ago, or an absolute time. */
static int parse_when(const char *s, long long *us)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!errno && end != s && v >= 0 && strchr("smhd", *end) && *end && end[1] == '\0') {
        long mult = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 86400;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        *us = ((long long)now.tv_sec - (long long)v * mult) * 1000000 + now.tv_nsec / 1000;
        return 0;
    }
    return parse_time(s, us);
}

static int record_time(json_t *rec, long long *us)
{
    json_t *t = json_object_get(rec, "ts");
    if (json_is_string(t) && parse_time(json_string_value(t), us) == 0)
        return 0;
    t = json_object_get(rec, "_rt");
    if (json_is_string(t) && parse_time(json_string_value(t), us) == 0)
        return 0;
    return -1;
}

/* ---- reading a line ---------------------------------------------------- */

/* The collector accepts any number a double can hold (it validates records
 * as jansson reads them with JSON_DECODE_INT_AS_REAL), but jansson without
 * that flag refuses an integer outside int64 ("too big integer"), and with
 * it turns every integer into a double, _seq included, which --dedup needs
 * exact (a double holds integers exactly only up to 2^53).  So a line that
 * fails that way is read again from a copy in which each integer outside
 * int64 gets a ".0": jansson then reads it, like JSON_DECODE_INT_AS_REAL,
 * as the nearest double, and every other integer stays exact.  The copy
 * needs only strings told apart from numbers: inside a string, '"' after
 * an odd number of backslashes does not end it. */
static char *big_ints_as_reals(const char *line, size_t len, size_t *outlen)
{
    /* an integer outside int64 has at least 19 digits and gains 2 bytes */
    char *out = malloc(len + len / 9 + 1);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    int in_str = 0;
    while (i < len) {
        char c = line[i];
        if (in_str) {
            out[o++] = line[i++];
            if (c == '\\' && i < len)
                out[o++] = line[i++];
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c != '-' && (c < '0' || c > '9')) {
            in_str = c == '"';
            out[o++] = line[i++];
            continue;
        }
        /* a whole number token: -?digits(.digits)?([eE][+-]?digits)? */
        size_t start = i;
        i += c == '-';
        while (i < len && line[i] >= '0' && line[i] <= '9')
            i++;
        size_t int_end = i;
        if (i < len && line[i] == '.')
            for (i++; i < len && line[i] >= '0' && line[i] <= '9'; i++)
                ;
        if (i < len && (line[i] == 'e' || line[i] == 'E')) {
            i++;
            if (i < len && (line[i] == '+' || line[i] == '-'))
                i++;
            while (i < len && line[i] >= '0' && line[i] <= '9')
                i++;
        }
        memcpy(out + o, line + start, i - start);
        o += i - start;
        if (i == int_end && i - start >= 19) { /* an integer of 19 digits or more */
            char digits[32];
            int big = i - start >= sizeof digits;
            if (!big) {
                memcpy(digits, line + start, i - start);
                digits[i - start] = '\0';
                errno = 0;
                (void)strtoll(digits, NULL, 10); /* jansson's json_strtoint */
                big = errno == ERANGE;
            }
            if (big) {
                memcpy(out + o, ".0", 2);
                o += 2;
            }
        }
    }
    *outlen = o;
    return out;
}

/* A line of the output file, as jansson reads it: NULL when it is not JSON. */
static json_t *load_line(const char *line, size_t len)
{
    json_error_t e;
    json_t *rec = json_loadb(line, len, 0, &e);
    if (rec || json_error_code(&e) != json_error_numeric_overflow)
        return rec;
    size_t n;
    char *copy = big_ints_as_reals(line, len, &n);
    if (!copy)
        return NULL;
    rec = json_loadb(copy, n, 0, NULL);
    free(copy);
    return rec;
}

/* ---- filters ----------------------------------------------------------- */

static int record_level(json_t *rec)
{
    json_t *l = json_object_get(rec, "level");
    if (json_is_string(l)) {
        int v = lcli_parse_level(json_string_value(l));
        return v < 0 ? LC_INFO : v;
    }
    if (json_is_integer(l) && json_integer_value(l) >= 0 && json_integer_value(l) <= 7)
        return (int)json_integer_value(l);
    return LC_INFO;
}

static int field_matches(json_t *rec, const char *key, size_t keylen, const char *want)
{
    json_t *v = json_object_getn(rec, key, keylen);
    if (!v)
        return 0;
    if (json_is_string(v))
        return strcmp(json_string_value(v), want) == 0;
    char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    int eq = dump && strcmp(dump, want) == 0;
    free(dump);
    return eq;
}

static int matches(tail_opts *o, json_t *rec)
{
    if (o->max_level >= 0 && record_level(rec) > o->max_level)
        return 0;
    if (o->app) {
        json_t *a = json_object_get(rec, "_app");
        if (!json_is_string(a) || strcmp(json_string_value(a), o->app) != 0)
            return 0;
    }
    if (o->has_since || o->has_until) {
        long long us;
        if (record_time(rec, &us) != 0)
            return 0;
        if ((o->has_since && us < o->since_us) || (o->has_until && us >= o->until_us))
            return 0;
    }
    if (o->has_re) {
        json_t *m = json_object_get(rec, "msg");
        if (!json_is_string(m) || regexec(&o->re, json_string_value(m), 0, NULL, 0) != 0)
            return 0;
    }
    for (int i = 0; i < o->nfields; i++)
        if (!field_matches(rec, o->fkey[i], o->fkeylen[i], o->fval[i]))
            return 0;
    return 1;
}

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

static const char *level_color(int level)
{
    if (level <= LC_ERROR)
        return "\033[1;31m";
    if (level == LC_WARNING)
        return "\033[33m";
    if (level == LC_NOTICE)
        return "\033[1m";
    if (level == LC_DEBUG)
        return "\033[2m";
    return "";
}

static void print_time(tail_opts *o, json_t *rec)
{
    long long us;
    if (record_time(rec, &us) != 0) {
        fputs("-                      ", stdout);
        return;
    }
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    if (o->utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    printf("%s.%03lld", buf, (us / 1000) % 1000);
}

/* Text from the file, made harmless for a terminal: anyone holding the
 * key can put bytes there, so control characters (C0, DEL, and the C1
 * range U+0080..U+009F, which some terminals obey as CSI/OSC) are shown
 * as escapes (\n, \t, \xNN, \u009b) and never sent to the screen. */
static void put_safe(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = p[i];
        if (b == '\n')
            fputs("\\n", stdout);
        else if (b == '\t')
            fputs("\\t", stdout);
        else if (b == '\r')
            fputs("\\r", stdout);
        else if (b < 0x20 || b == 0x7f)
            printf("\\x%02x", b);
        else if (b == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
            printf("\\u%04x", p[++i]);
        else
            putchar(b);
    }
}

static void put_safe_str(const char *s)
{
    put_safe(s, strlen(s));
}

/* A value as key=value wants it: bare when it is a plain word. */
static void print_value(json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int plain = *s != '\0';
        for (const char *p = s; *p && plain; p++)
            if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
                plain = 0;
        if (plain) {
            put_safe_str(s);
            return;
        }
    }
    char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    put_safe_str(d ? d : "?"); /* JSON escapes C0, not DEL or C1 */
    free(d);
}

static void print_columns(tail_opts *o, json_t *rec)
{
    int level = record_level(rec);
    const char *lname = lc_level_name((lc_level)level);
    print_time(o, rec);
    if (o->color)
        printf(" %s%-9s\033[0m", level_color(level), lname ? lname : "?");
    else
        printf(" %-9s", lname ? lname : "?");
    json_t *app = json_object_get(rec, "_app"), *pid = json_object_get(rec, "_pid");
    putchar(' ');
    put_safe_str(json_is_string(app) ? json_string_value(app) : "-");
    if (json_is_integer(pid))
        printf("[%lld]", (long long)json_integer_value(pid));
    json_t *msg = json_object_get(rec, "msg");
    if (json_is_string(msg)) {
        putchar(' ');
        put_safe(json_string_value(msg), json_string_length(msg));
    }
    const char *k;
    json_t *v;
    json_object_foreach(rec, k, v) {
        if (strcmp(k, "msg") == 0 || strcmp(k, "level") == 0 || strcmp(k, "ts") == 0)
            continue;
        if (k[0] == '_' && (!o->verbose || strcmp(k, "_app") == 0 || strcmp(k, "_pid") == 0))
            continue;
        putchar(' ');
        put_safe_str(k);
        putchar('=');
        print_value(v);
    }
    putchar('\n');
}

/* Decide and print one line (without its newline).  lineno is for the
 * warning about a malformed line (0: unknown). */
static void show_line(tail_opts *o, const char *line, size_t len, unsigned long lineno)
{
    json_t *rec = load_line(line, len);
    if (!json_is_object(rec)) {
        json_decref(rec);
        if (lineno)
            fprintf(stderr, "logcollect: %s line %lu is not a JSON object; shown as is\n",
                    o->path, lineno);
        else
            fprintf(stderr, "logcollect: a line of %s is not a JSON object; shown as is\n",
                    o->path);
        put_safe(line, len);
        putchar('\n');
        return;
    }
    if (matches(o, rec) && !(o->dedup && seen_before(o, rec))) {
        if (o->json) {
            fwrite(line, 1, len, stdout);
            putchar('\n');
        } else {
            print_columns(o, rec);
        }
    }
    json_decref(rec);
}

static int wanted(tail_opts *o, const char *line, size_t len)
{
    json_t *rec = load_line(line, len);
    int w = !json_is_object(rec) || matches(o, rec);
    json_decref(rec);
    return w;
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
        json_t *rec = load_line(line, l);
        int want = !json_is_object(rec) || (matches(o, rec) && !seen_before(o, rec));
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

int lcli_cmd_tail(int argc, char **argv)
{
    enum { OPT_SINCE = 256, OPT_UNTIL, OPT_FIELD, OPT_JSON, OPT_DEDUP, OPT_UTC, OPT_COLOR };
    static const struct option opts[] = {
        {"lines", required_argument, NULL, 'n'},  {"follow", no_argument, NULL, 'f'},
        {"level", required_argument, NULL, 'l'},  {"app", required_argument, NULL, 'a'},
        {"since", required_argument, NULL, OPT_SINCE}, {"until", required_argument, NULL, OPT_UNTIL},
        {"grep", required_argument, NULL, 'g'},   {"field", required_argument, NULL, OPT_FIELD},
        {"json", no_argument, NULL, OPT_JSON},    {"dedup", no_argument, NULL, OPT_DEDUP},
        {"utc", no_argument, NULL, OPT_UTC},      {"color", required_argument, NULL, OPT_COLOR},
        {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    tail_opts o;
    memset(&o, 0, sizeof o);
    o.n = 10;
    o.max_level = -1;
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
            o.max_level = lcli_parse_level(optarg);
            if (o.max_level < 0) {
                rc = lcli_usage_error("tail ", "unknown level '%s'", optarg);
                goto out;
            }
            break;
        case 'a': o.app = optarg; break;
        case OPT_SINCE:
        case OPT_UNTIL: {
            long long us;
            if (parse_when(optarg, &us) != 0) {
                rc = lcli_usage_error("tail ", "cannot read the time '%s' (e.g. 2026-11-27T13:00:00Z, "
                                      "'2026-11-27 14:00' or 10m)", optarg);
                goto out;
            }
            if (ch == OPT_SINCE) {
                o.has_since = 1;
                o.since_us = us;
            } else {
                o.has_until = 1;
                o.until_us = us;
            }
            break;
        }
        case 'g': {
            if (o.has_re)
                regfree(&o.re);
            int e = regcomp(&o.re, optarg, REG_EXTENDED | REG_NOSUB);
            if (e != 0) {
                char why[128];
                regerror(e, &o.re, why, sizeof why);
                rc = lcli_usage_error("tail ", "bad --grep '%s': %s", optarg, why);
                goto out;
            }
            o.has_re = 1;
            break;
        }
        case OPT_FIELD: {
            if (o.nfields == MAX_FIELDS ||
                lcli_split_field(optarg, &o.fkeylen[o.nfields], &o.fval[o.nfields]) != 0) {
                rc = lcli_usage_error("tail ", "--field wants KEY=VALUE (at most %d), not '%s'",
                                      MAX_FIELDS, optarg);
                goto out;
            }
            o.fkey[o.nfields++] = optarg;
            break;
        }
        case OPT_JSON: o.json = 1; break;
        case OPT_DEDUP: o.dedup = 1; break;
        case OPT_UTC: o.utc = 1; break;
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
        case 'v': o.verbose = 1; break;
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
    if (optind < argc)
        o.path = argv[optind++];
    if (optind < argc) {
        rc = lcli_usage_error("tail ", "one FILE at most");
        goto out;
    }
    if (!n_set && (o.has_since || o.has_until))
        o.n = -1;
    o.color = color >= 0 ? color : (isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
    if (o.dedup)
        o.seen = json_object();
    if (o.follow)
        setvbuf(stdout, NULL, _IOLBF, 0);
    rc = run_tail(&o);
out:
    if (o.has_re)
        regfree(&o.re);
    json_decref(o.seen);
    return rc;
}
