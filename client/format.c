/*
 * format.c - record formatting (see format.h).
 */
#include "format.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

void lcc_buf_free(lcc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int lcc_buf_reserve(lcc_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return -1;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int lcc_buf_append(lcc_buf *b, const void *p, size_t n)
{
    if (lcc_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int lcc_buf_append_json_string(lcc_buf *b, const char *s, size_t n)
{
    if (n > (SIZE_MAX - 2) / 6 || lcc_buf_reserve(b, LCP_JSON_ESC_MAX(n) + 2) != 0)
        return -1;
    char *d = b->data + b->len;
    *d++ = '"';
    /* lcp_json_escape would write a NUL byte as \u0000, which the collector
     * (jansson) refuses; a NUL is replaced like invalid UTF-8 instead.  The
     * replacement (3 bytes) is shorter than the 6 reserved per byte. */
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
    *d++ = '"';
    b->len = (size_t)(d - b->data);
    return 0;
}

int lcc_buf_vprintf(lcc_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int rc = -1;
    b->len = 0;
    if (lcc_buf_reserve(b, 256) != 0)
        goto out;
    int n = vsnprintf(b->data, b->cap, fmt, ap);
    if (n >= 0 && (size_t)n >= b->cap) {
        if (lcc_buf_reserve(b, (size_t)n + 1) != 0)
            goto out;
        n = vsnprintf(b->data, b->cap, fmt, ap2);
    }
    if (n < 0) {
        rc = -2;
        goto out;
    }
    b->len = (size_t)n;
    rc = 0;
out:
    va_end(ap2);
    return rc;
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

/* Append ,"name":"value" */
static int append_field(lcc_buf *b, const char *name, const char *value,
                        size_t value_len)
{
    if (lcc_buf_append(b, ",", 1) != 0 ||
        lcc_buf_append_json_string(b, name, strlen(name)) != 0 ||
        lcc_buf_append(b, ":", 1) != 0 ||
        lcc_buf_append_json_string(b, value, value_len) != 0)
        return -1;
    return 0;
}

int lcc_format_record(lcc_buf *b, const char *ts, lc_level level,
                      const char *msg, size_t msg_len,
                      const char *const *kv, size_t nkv, char *err,
                      size_t errlen)
{
    const char *lname = lc_level_name(level);
    if (!lname) {
        snprintf(err, errlen, "level %d is not one of LC_EMERGENCY (0) .. LC_DEBUG (7)",
                 (int)level);
        return LC_EINVAL;
    }
    if (!msg) {
        snprintf(err, errlen, "message is NULL");
        return LC_EINVAL;
    }
    if (nkv % 2 != 0) {
        snprintf(err, errlen,
                 "field \"%.64s\" has no value (name/value pairs must end with NULL "
                 "after a value)",
                 kv[nkv - 1] ? kv[nkv - 1] : "(null)");
        return LC_EINVAL;
    }
    /* Check every name before writing anything. */
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
    }

    b->len = 0;
    if (lcc_buf_append(b, "{\"ts\":\"", 7) != 0 ||
        lcc_buf_append(b, ts, strlen(ts)) != 0 ||
        lcc_buf_append(b, "\",\"level\":\"", 11) != 0 ||
        lcc_buf_append(b, lname, strlen(lname)) != 0 ||
        lcc_buf_append(b, "\",\"msg\":", 8) != 0 ||
        lcc_buf_append_json_string(b, msg, msg_len) != 0)
        goto nomem;
    for (size_t i = 0; i < nkv; i += 2)
        if (append_field(b, kv[i], kv[i + 1], strlen(kv[i + 1])) != 0)
            goto nomem;
    if (lcc_buf_append(b, "}", 1) != 0)
        goto nomem;
    return LC_OK;
nomem:
    b->len = 0;
    snprintf(err, errlen, "out of memory formatting a record");
    return LC_ENOMEM;
}

void lcc_format_now(char out[LCP_TIME_LEN + 1])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lcp_format_time(out, (long long)ts.tv_sec, ts.tv_nsec / 1000);
}
