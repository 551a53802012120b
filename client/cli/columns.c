/*
 * columns.c - a record as people read it (columns.h).  The escaping is the
 * defence against records that try to drive the reader's terminal: anyone
 * holding the key can put bytes into the output file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "columns.h"
#include "logcollect.h"
#include "line.h"

void lcli_format_escape(struct evbuffer *out, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0; /* bytes copied as they are, added in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char b = p[i];
        int c1 = b == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f;
        if (b >= 0x20 && b != 0x7f && !c1) {
            run++;
            continue;
        }
        evbuffer_add(out, p + i - run, run);
        run = 0;
        if (b == '\n')
            evbuffer_add(out, "\\n", 2);
        else if (b == '\t')
            evbuffer_add(out, "\\t", 2);
        else if (b == '\r')
            evbuffer_add(out, "\\r", 2);
        else if (c1)
            evbuffer_add_printf(out, "\\u%04x", p[++i]);
        else
            evbuffer_add_printf(out, "\\x%02x", b);
    }
    evbuffer_add(out, p + n - run, run);
}

static void escape_str(struct evbuffer *out, const char *s)
{
    lcli_format_escape(out, s, strlen(s));
}

void lcli_format_time(struct evbuffer *out, json_t *rec, int utc)
{
    long long us;
    if (lcli_record_time(rec, &us) != 0) {
        evbuffer_add_printf(out, "%-23s", "-");
        return;
    }
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    char buf[32];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    evbuffer_add_printf(out, "%s.%03lld", buf, (us / 1000) % 1000);
}

const char *lcli_format_level_name(int level)
{
    const char *n = lc_level_name((lc_level)level);
    return n ? n : "?";
}

const char *lcli_format_level_color(int level)
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

void lcli_format_source(struct evbuffer *out, json_t *rec)
{
    json_t *app = json_object_get(rec, "_app"), *pid = json_object_get(rec, "_pid");
    escape_str(out, json_is_string(app) ? json_string_value(app) : "-");
    if (json_is_integer(pid))
        evbuffer_add_printf(out, "[%lld]", (long long)json_integer_value(pid));
}

void lcli_format_msg(struct evbuffer *out, json_t *rec)
{
    json_t *msg = json_object_get(rec, "msg");
    if (json_is_string(msg))
        lcli_format_escape(out, json_string_value(msg), json_string_length(msg));
}

int lcli_format_is_extra(const char *k, int verbose)
{
    if (strcmp(k, "msg") == 0 || strcmp(k, "level") == 0 || strcmp(k, "ts") == 0)
        return 0;
    if (k[0] == '_' && (!verbose || strcmp(k, "_app") == 0 || strcmp(k, "_pid") == 0))
        return 0;
    return 1;
}

/* A value as key=value wants it: bare when it is a plain word. */
static void format_value(struct evbuffer *out, json_t *v)
{
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        int plain = *s != '\0';
        for (const char *p = s; *p && plain; p++)
            if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
                plain = 0;
        if (plain) {
            escape_str(out, s);
            return;
        }
    }
    char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    escape_str(out, d ? d : "?"); /* JSON escapes C0, not DEL or C1 */
    free(d);
}

void lcli_format_fields(struct evbuffer *out, json_t *rec, int verbose, int lead)
{
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(rec, k, v) {
        if (!lcli_format_is_extra(k, verbose))
            continue;
        if (lead || !first)
            evbuffer_add(out, " ", 1);
        first = 0;
        escape_str(out, k);
        evbuffer_add(out, "=", 1);
        format_value(out, v);
    }
}

void lcli_format_columns(struct evbuffer *out, json_t *rec, const lcli_format_opts *o)
{
    int level = lcli_record_level(rec);
    lcli_format_time(out, rec, o->utc);
    if (o->color)
        evbuffer_add_printf(out, " %s%-9s\033[0m", lcli_format_level_color(level),
                            lcli_format_level_name(level));
    else
        evbuffer_add_printf(out, " %-9s", lcli_format_level_name(level));
    evbuffer_add(out, " ", 1);
    lcli_format_source(out, rec);
    json_t *msg = json_object_get(rec, "msg");
    if (json_is_string(msg)) {
        evbuffer_add(out, " ", 1);
        lcli_format_msg(out, rec);
    }
    lcli_format_fields(out, rec, o->verbose, 1);
    evbuffer_add(out, "\n", 1);
}

void lcli_format_line_as_is(struct evbuffer *out, const char *line, size_t len)
{
    lcli_format_escape(out, line, len);
    evbuffer_add(out, "\n", 1);
}

int lcli_format_write(struct evbuffer *b, FILE *f)
{
    size_t n = evbuffer_get_length(b);
    const unsigned char *p = n ? evbuffer_pullup(b, -1) : NULL;
    int rc = n && fwrite(p, 1, n, f) != n ? -1 : 0;
    evbuffer_drain(b, n);
    return rc;
}
