/*
 * line.c - a line of the collector's output file read as a record, its
 * level and its time (line.h).  Never trusts the line: anyone holding
 * the key can write it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "logcollect.h"
#include "line.h"

/* ---- time -------------------------------------------------------------- */

/* RFC 3339 ("2026-11-27T13:37:24.123456Z", "+01:00" offsets, or a space
 * instead of T; no zone means local time).  Returns 0 and microseconds. */
int lcli_parse_time(const char *s, long long *us)
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
int lcli_parse_when(const char *s, long long *us)
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
    return lcli_parse_time(s, us);
}

int lcli_record_time(json_t *rec, long long *us)
{
    json_t *t = json_object_get(rec, "ts");
    if (json_is_string(t) && lcli_parse_time(json_string_value(t), us) == 0)
        return 0;
    t = json_object_get(rec, "_rt");
    if (json_is_string(t) && lcli_parse_time(json_string_value(t), us) == 0)
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
json_t *lcli_record_load(const char *line, size_t len)
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

/* ---- level ----------------------------------------------------------- */

int lcli_record_level(json_t *rec)
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

/* ---- option values (cli.h) --------------------------------------------- */

int lcli_parse_level(const char *s)
{
    if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
        return s[0] - '0';
    return lc_level_from_name(s);
}

int lcli_split_field(const char *arg, size_t *keylen, const char **value)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return -1;
    *keylen = (size_t)(eq - arg);
    *value = eq + 1;
    return 0;
}
