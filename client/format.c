/*
 * format.c - record formatting (see format.h).
 */
#include "format.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record.h"

/* {"ts":"<27>","level":"emergency","msg":"..."} without the message (65
 * bytes: "emergency" is the longest level name), and one field's ,"":"" */
#define LIT(s) (sizeof(s) - 1)
#define FIXED_BYTES                                                                       \
    (LIT("{\"ts\":\"") + LCP_TIME_LEN + LIT("\",\"level\":\"") + LIT("emergency") + \
     LIT("\",\"msg\":\"") + LIT("\"}"))
#define FIELD_BYTES LIT(",\"\":\"\"")

size_t lcc_record_bound(size_t msg_len, size_t kv_bytes, size_t nkv)
{
    if (msg_len > SIZE_MAX / 8 || kv_bytes > SIZE_MAX / 8 || nkv > SIZE_MAX / 8)
        return SIZE_MAX;
    size_t n = FIXED_BYTES + LCP_JSON_ESC_MAX(msg_len);
    size_t k = LCP_JSON_ESC_MAX(kv_bytes) + nkv * FIELD_BYTES;
    return n > SIZE_MAX - k ? SIZE_MAX : n + k;
}

/* The escaped form of s[0..n), NUL bytes as U+FFFD (3 bytes, fewer than
 * the 6 reserved per byte). */
static char *escape(char *d, const char *s, size_t n)
{
    while (n > 0) {
        const char *nul = memchr(s, '\0', n);
        size_t run = nul ? (size_t)(nul - s) : n;
        d += lcp_json_escape(d, s, run);
        s += run;
        n -= run;
        if (nul) {
            memcpy(d, "\xef\xbf\xbd", 3);
            d += 3;
            s++;
            n--;
        }
    }
    return d;
}

int lcc_check_field_name(const char *name, char *err, size_t errlen)
{
    if (!name) {
        snprintf(err, errlen, "field name is NULL");
        return LC_EINVAL;
    }
    if (name[0] == '\0') {
        snprintf(err, errlen, "field name is empty");
        return LC_EINVAL;
    }
    if (name[0] == '_') {
        snprintf(err, errlen,
                 "field name \"%.64s\" is reserved: names starting with '_' are "
                 "added by the collector (rename the field)",
                 name);
        return LC_EINVAL;
    }
    if (strcmp(name, "ts") == 0 || strcmp(name, "level") == 0 ||
        strcmp(name, "msg") == 0) {
        snprintf(err, errlen,
                 "field name \"%s\" is already used by the record itself "
                 "(ts, level and msg are set by the library; rename the field)",
                 name);
        return LC_EINVAL;
    }
    return LC_OK;
}

int lcc_check_kv(const char *const *kv, size_t nkv, size_t *kv_bytes, char *err,
                 size_t errlen)
{
    if (nkv % 2 != 0) {
        snprintf(err, errlen,
                 "field \"%.64s\" has no value (name/value pairs must end with NULL "
                 "after a value)",
                 kv[nkv - 1] ? kv[nkv - 1] : "(null)");
        return LC_EINVAL;
    }
    size_t total = 0;
    for (size_t i = 0; i < nkv; i += 2) {
        int rc = lcc_check_field_name(kv[i], err, errlen);
        if (rc != LC_OK)
            return rc;
        if (!kv[i + 1]) {
            snprintf(err, errlen, "field \"%.64s\" has a NULL value", kv[i]);
            return LC_EINVAL;
        }
        for (size_t j = 0; j < i; j += 2) {
            if (strcmp(kv[i], kv[j]) == 0) {
                snprintf(err, errlen, "field name \"%.64s\" is given twice", kv[i]);
                return LC_EINVAL;
            }
        }
        size_t a = strlen(kv[i]), b = strlen(kv[i + 1]);
        if (a > SIZE_MAX / 16 || b > SIZE_MAX / 16 || total > SIZE_MAX / 16) {
            snprintf(err, errlen, "field \"%.64s\" is too long", kv[i]);
            return LC_EINVAL;
        }
        total += a + b;
    }
    *kv_bytes += total;
    return LC_OK;
}

#define PUT(d, lit) (memcpy((d), (lit), sizeof(lit) - 1), (d) + sizeof(lit) - 1)

size_t lcc_format_record(char *dst, const char *ts, lc_level level, const char *msg,
                         size_t msg_len, const char *const *kv, size_t nkv)
{
    const char *lname = lc_level_name(level);
    char *d = dst;
    d = PUT(d, "{\"ts\":\"");
    memcpy(d, ts, LCP_TIME_LEN);
    d += LCP_TIME_LEN;
    d = PUT(d, "\",\"level\":\"");
    size_t ln = strlen(lname);
    memcpy(d, lname, ln);
    d += ln;
    d = PUT(d, "\",\"msg\":\"");
    d = escape(d, msg, msg_len);
    *d++ = '"';
    for (size_t i = 0; i + 1 < nkv; i += 2) {
        d = PUT(d, ",\"");
        d = escape(d, kv[i], strlen(kv[i]));
        d = PUT(d, "\":\"");
        d = escape(d, kv[i + 1], strlen(kv[i + 1]));
        *d++ = '"';
    }
    *d++ = '}';
    return (size_t)(d - dst);
}

size_t lcc_format_notice(char *dst, const char *ts, uint64_t dropped)
{
    char t[LCP_TIME_LEN + 1];
    memcpy(t, ts, LCP_TIME_LEN);
    t[LCP_TIME_LEN] = '\0';
    int n = snprintf(dst, LCC_NOTICE_MAX,
                     "{\"ts\":\"%s\",\"level\":\"warning\",\"msg\":\"logcollect client "
                     "dropped %llu records\",\"dropped\":%llu}",
                     t, (unsigned long long)dropped, (unsigned long long)dropped);
    return n > 0 && n < LCC_NOTICE_MAX ? (size_t)n : 0;
}

/* The date and time down to the second ("2026-11-27T13:37:24.") only
 * change once a second: keep them per thread. */
static _Thread_local struct {
    long long sec;
    char head[20];
} ts_cache = {-1, {0}};

void lcc_timestamp(char out[LCP_TIME_LEN])
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != ts_cache.sec) {
        char full[LCP_TIME_LEN + 1];
        lcp_format_time(full, (long long)now.tv_sec, 0);
        memcpy(ts_cache.head, full, 20);
        ts_cache.sec = now.tv_sec;
    }
    memcpy(out, ts_cache.head, 20);
    unsigned long us = (unsigned long)now.tv_nsec / 1000ul;
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + us % 10);
        us /= 10;
    }
    out[26] = 'Z';
}
