/*
 * filter.c - which records to show (filter.h): tail's options and web's
 * query parameters go through lcli_filter_set, records through
 * lcli_filter_match.
 */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "filter.h"
#include "line.h"

void lcli_filter_init(lcli_filter *f)
{
    memset(f, 0, sizeof *f);
    f->max_level = -1;
}

void lcli_filter_free(lcli_filter *f)
{
    free(f->app);
    if (f->has_re)
        regfree(&f->re);
    for (int i = 0; i < f->nfields; i++) {
        free(f->fkey[i]);
        free(f->fval[i]);
    }
    lcli_filter_init(f);
}

static int set_level(lcli_filter *f, const char *value, char *why, size_t whylen)
{
    int l = lcli_parse_level(value);
    if (l < 0) {
        snprintf(why, whylen, "unknown level '%s'", value);
        return -1;
    }
    f->max_level = l;
    return 0;
}

static int set_app(lcli_filter *f, const char *value, char *why, size_t whylen)
{
    char *a = strdup(value);
    if (!a) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    free(f->app);
    f->app = a;
    return 0;
}

static int set_pid(lcli_filter *f, const char *value, char *why, size_t whylen)
{
    char *end;
    errno = 0;
    long long p = strtoll(value, &end, 10);
    if (errno || end == value || *end || p < 0) {
        snprintf(why, whylen, "a pid is a number (0 or more), not '%s'", value);
        return -1;
    }
    f->has_pid = 1;
    f->pid = p;
    return 0;
}

static int set_time(lcli_filter *f, int since, const char *value, char *why, size_t whylen)
{
    long long us;
    if (lcli_parse_when(value, &us) != 0) {
        snprintf(why, whylen, "cannot read the time '%s' (e.g. 2026-11-27T13:00:00Z, "
                 "'2026-11-27 14:00' or 10m)", value);
        return -1;
    }
    if (since) {
        f->has_since = 1;
        f->since_us = us;
    } else {
        f->has_until = 1;
        f->until_us = us;
    }
    return 0;
}

static int set_grep(lcli_filter *f, const char *value, char *why, size_t whylen)
{
    regex_t re;
    int e = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);
    if (e != 0) {
        char err[128];
        regerror(e, &re, err, sizeof err);
        snprintf(why, whylen, "bad regular expression '%s': %s", value, err);
        return -1;
    }
    if (f->has_re)
        regfree(&f->re);
    f->re = re;
    f->has_re = 1;
    return 0;
}

static int set_field(lcli_filter *f, const char *value, char *why, size_t whylen)
{
    size_t keylen;
    const char *v;
    if (f->nfields == LCLI_FILTER_MAX_FIELDS || lcli_split_field(value, &keylen, &v) != 0) {
        snprintf(why, whylen, "a field condition is KEY=VALUE (at most %d), not '%s'",
                 LCLI_FILTER_MAX_FIELDS, value);
        return -1;
    }
    char *k = strndup(value, keylen), *val = strdup(v);
    if (!k || !val) {
        free(k);
        free(val);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    f->fkey[f->nfields] = k;
    f->fkeylen[f->nfields] = keylen;
    f->fval[f->nfields++] = val;
    return 0;
}

int lcli_filter_set(lcli_filter *f, const char *name, const char *value, char *why,
                    size_t whylen)
{
    if (strcmp(name, "level") == 0)
        return set_level(f, value, why, whylen);
    if (strcmp(name, "app") == 0)
        return set_app(f, value, why, whylen);
    if (strcmp(name, "pid") == 0)
        return set_pid(f, value, why, whylen);
    if (strcmp(name, "since") == 0 || strcmp(name, "until") == 0)
        return set_time(f, name[0] == 's', value, why, whylen);
    if (strcmp(name, "grep") == 0)
        return set_grep(f, value, why, whylen);
    if (strcmp(name, "field") == 0)
        return set_field(f, value, why, whylen);
    snprintf(why, whylen, "unknown filter '%s' (level, app, pid, since, until, grep, field)",
             name);
    return -1;
}

int lcli_filter_has_time(const lcli_filter *f)
{
    return f->has_since || f->has_until;
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

int lcli_filter_match(const lcli_filter *f, json_t *rec)
{
    if (f->max_level >= 0 && lcli_record_level(rec) > f->max_level)
        return 0;
    if (f->app) {
        json_t *a = json_object_get(rec, "_app");
        if (!json_is_string(a) || strcmp(json_string_value(a), f->app) != 0)
            return 0;
    }
    if (f->has_pid) {
        json_t *p = json_object_get(rec, "_pid");
        if (!json_is_integer(p) || json_integer_value(p) != f->pid)
            return 0;
    }
    if (f->has_since || f->has_until) {
        long long us;
        if (lcli_record_time(rec, &us) != 0)
            return 0;
        if ((f->has_since && us < f->since_us) || (f->has_until && us >= f->until_us))
            return 0;
    }
    if (f->has_re) {
        json_t *m = json_object_get(rec, "msg");
        if (!json_is_string(m) || regexec(&f->re, json_string_value(m), 0, NULL, 0) != 0)
            return 0;
    }
    for (int i = 0; i < f->nfields; i++)
        if (!field_matches(rec, f->fkey[i], f->fkeylen[i], f->fval[i]))
            return 0;
    return 1;
}

int lcli_filter_line(const lcli_filter *f, const char *line, size_t len)
{
    json_t *rec = lcli_record_load(line, len);
    int w = !json_is_object(rec) || lcli_filter_match(f, rec);
    json_decref(rec);
    return w;
}
