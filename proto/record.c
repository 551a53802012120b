/*
 * record.c - record validation, trusted-field splicing, JSON escaping.
 *
 * Validation: lcp_record_check uses the scanner in jsonscan.c, which builds
 * no tree and allocates nothing.  lcp_record_check_jansson does the same
 * with jansson, the project's JSON oracle; the two must agree on every
 * input (tests/unit/test_record.c, tests/fuzz/fuzz_record.c).  jansson's
 * flags: integers are decoded as reals so that a uint64 id that overflows
 * jansson's json_int_t is still accepted (we only validate; the bytes pass
 * through unchanged), and so every number goes through strtod.
 *
 * jansson's depth limit is fixed (2048); the oracle reaches a lower
 * max_depth by also parsing the input wrapped in 2048 - max_depth arrays,
 * "[[[" + input + "]]]", which puts its object at level 2048 - max_depth + 1
 * and so its values' levels where a parser limited to max_depth would
 * refuse them.  Up to the end of the object the two parses read the same
 * tokens, so a depth error in the wrapped parse that comes no later than
 * the plain parse's own error (or when the plain parse succeeds) is the
 * answer; after the object, or where the input ends inside it, they differ
 * (the wrapper's brackets), and there the plain parse is right (but for a
 * value cut by the end of the input: too_deep_first).
 */
#include "record.h"

#include "jsonscan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

const char *lcp_rec_status_name(lcp_rec_status s)
{
    switch (s) {
    case LCP_REC_OK: return "ok";
    case LCP_REC_NOT_OBJECT: return "not a JSON object";
    case LCP_REC_INVALID_JSON: return "invalid JSON";
    case LCP_REC_INVALID_UTF8: return "invalid UTF-8";
    case LCP_REC_TOO_DEEP: return "nested too deeply";
    case LCP_REC_RESERVED: return "uses a reserved field name";
    case LCP_REC_TOO_LARGE: return "too large";
    }
    return "unknown";
}

const char *lcp_rec_status_key(lcp_rec_status s)
{
    switch (s) {
    case LCP_REC_OK: return "ok";
    case LCP_REC_NOT_OBJECT: return "not_object";
    case LCP_REC_INVALID_JSON: return "invalid_json";
    case LCP_REC_INVALID_UTF8: return "invalid_utf8";
    case LCP_REC_TOO_DEEP: return "too_deep";
    case LCP_REC_RESERVED: return "reserved";
    case LCP_REC_TOO_LARGE: return "too_large";
    }
    return "unknown";
}

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static lcp_rec_status jansson_status(const json_error_t *e)
{
    switch (json_error_code(e)) {
    case json_error_invalid_utf8: return LCP_REC_INVALID_UTF8;
    case json_error_stack_overflow: return LCP_REC_TOO_DEEP;
    default: return LCP_REC_INVALID_JSON;
    }
}

/* What both checks do first: clear the results, and refuse anything that
 * does not even start like an object.  Returns 1 to go on. */
static int starts_object(const uint8_t *buf, size_t len, lcp_rec_info *info, char *detail,
                         size_t detail_len)
{
    if (detail_len)
        detail[0] = '\0';
    memset(info, 0, sizeof *info);
    if (len > 0 && buf[0] == '{')
        return 1;
    if (detail_len)
        snprintf(detail, detail_len, "a record must be one JSON object starting with '{'");
    return 0;
}

_Static_assert(LCP_REC_DEPTH_MAX == LCP_JSCAN_MAX_DEPTH, "one depth ceiling");

static int clamp_depth(int max_depth)
{
    return max_depth < 1 || max_depth > LCP_REC_DEPTH_MAX ? LCP_REC_DEPTH_MAX : max_depth;
}

/* Would jansson limited to max_depth (< 2048) stop with a depth error no
 * later than where the plain parse stopped (plain_pos, or the end when it
 * succeeded)?  See the top of this file.  -1: out of memory. */
static int too_deep_first(const uint8_t *buf, size_t len, int max_depth, int plain_ok,
                          int plain_pos)
{
    /* No value is deeper than the '[' and '{' bytes in the input, plus one
     * for a scalar: when that is within the limit, nothing to look for. */
    size_t opens = 0;
    for (size_t i = 0; i < len; i++)
        opens += buf[i] == '[' || buf[i] == '{';
    if (opens + 1 <= (size_t)max_depth)
        return 0;
    size_t k = (size_t)(LCP_REC_DEPTH_MAX - max_depth);
    char *w = malloc(len + 2 * k);
    if (!w)
        return -1;
    memset(w, '[', k);
    memcpy(w + k, buf, len);
    memset(w + k + len, ']', k);
    json_error_t err;
    json_t *root = json_loadb(w, len + 2 * k, JSON_DECODE_INT_AS_REAL, &err);
    free(w);
    if (root) {
        json_decref(root);
        return 0;
    }
    if (json_error_code(&err) != json_error_stack_overflow)
        return 0;
    /* Where the input ends inside the object, the plain parse meets the end
     * (a token of no length) where the wrapped one meets a ']': one byte
     * further on. */
    long at = (long)err.position - (long)k;
    return plain_ok || at <= (long)plain_pos ||
           ((long)plain_pos >= (long)len && at == (long)len + 1);
}

lcp_rec_status lcp_record_check_jansson(const uint8_t *buf, size_t len, int max_depth,
                                        lcp_rec_info *info, char *detail,
                                        size_t detail_len)
{
    if (!starts_object(buf, len, info, detail, detail_len))
        return LCP_REC_NOT_OBJECT;
    max_depth = clamp_depth(max_depth);

    json_error_t err;
    json_t *root = json_loadb((const char *)buf, len, JSON_DECODE_INT_AS_REAL, &err);
    if (max_depth < LCP_REC_DEPTH_MAX) {
        int deep = too_deep_first(buf, len, max_depth, root != NULL, root ? 0 : err.position);
        if (deep != 0) {
            json_decref(root);
            if (detail_len)
                snprintf(detail, detail_len, deep < 0 ? "out of memory"
                                                      : "deeper than %d levels (--max-depth)",
                         max_depth);
            return deep < 0 ? LCP_REC_INVALID_JSON : LCP_REC_TOO_DEEP;
        }
    }
    if (!root) {
        if (detail_len)
            snprintf(detail, detail_len, "%s at byte %d", err.text, err.position);
        return jansson_status(&err);
    }
    lcp_rec_status st = LCP_REC_OK;
    if (!json_is_object(root)) {
        st = LCP_REC_NOT_OBJECT;
        if (detail_len)
            snprintf(detail, detail_len, "a record must be one JSON object");
        goto out;
    }
    /* jansson reads the byte after a number or a literal and puts it back;
     * a NUL byte put back is lost, so it accepts {"a":1<NUL>}.  Such a
     * record is not JSON for any other reader: refuse it. */
    const void *nul = memchr(buf, '\0', len);
    if (nul) {
        st = LCP_REC_INVALID_JSON;
        if (detail_len)
            snprintf(detail, detail_len, "raw NUL byte at byte %zu",
                     (size_t)((const uint8_t *)nul - buf));
        goto out;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        (void)value;
        if (key[0] == '_') {
            st = LCP_REC_RESERVED;
            if (detail_len)
                snprintf(detail, detail_len,
                         "field name \"%.64s\" is reserved: names starting with '_' "
                         "are added by the collector",
                         key);
            goto out;
        }
    }
    info->empty = json_object_size(root) == 0;
    size_t end = len;
    while (end > 0 && is_ws(buf[end - 1]))
        end--;
    info->close = end - 1; /* jansson accepted it, so this is the '}' */
    info->has_crlf = memchr(buf, '\n', end) != NULL || memchr(buf, '\r', end) != NULL;
out:
    json_decref(root);
    return st;
}

lcp_rec_status lcp_record_check(const uint8_t *buf, size_t len, int max_depth,
                                lcp_rec_info *info, char *detail,
                                size_t detail_len)
{
    if (!starts_object(buf, len, info, detail, detail_len))
        return LCP_REC_NOT_OBJECT;
    max_depth = clamp_depth(max_depth);

    lcp_jscan_result r;
    lcp_rec_status st;
    switch (lcp_jscan_object(buf, len, (size_t)max_depth, &r)) {
    case LCP_JSCAN_OK:
        if (r.underscore != LCP_JSCAN_NONE) {
            if (detail_len) {
                char key[64 + 1];
                lcp_jscan_string(buf, len, r.underscore, key, sizeof key);
                snprintf(detail, detail_len,
                         "field name \"%s\" is reserved: names starting with '_' "
                         "are added by the collector",
                         key);
            }
            return LCP_REC_RESERVED;
        }
        info->close = r.close;
        info->empty = r.empty;
        info->has_crlf = r.has_crlf;
        return LCP_REC_OK;
    case LCP_JSCAN_UTF8:
        st = LCP_REC_INVALID_UTF8;
        if (detail_len)
            snprintf(detail, detail_len, "%s at byte %zu (0x%02x)", r.err_what, r.err_pos,
                     r.err_pos < len ? buf[r.err_pos] : 0u);
        return st;
    case LCP_JSCAN_DEPTH:
        if (detail_len)
            snprintf(detail, detail_len, "deeper than %d levels (%s) at byte %zu", max_depth,
                     max_depth == LCP_REC_DEPTH_MAX ? "the most any collector allows"
                                                    : "--max-depth",
                     r.err_pos);
        return LCP_REC_TOO_DEEP;
    case LCP_JSCAN_SYNTAX:
    default:
        st = LCP_REC_INVALID_JSON;
        break;
    }
    if (detail_len)
        snprintf(detail, detail_len, "%s at byte %zu", r.err_what, r.err_pos);
    return st;
}

size_t lcp_record_splice(uint8_t *dst, const uint8_t *rec,
                         const lcp_rec_info *info, const char *trusted,
                         size_t trusted_len)
{
    size_t n = info->close;
    memcpy(dst, rec, n);
    if (info->has_crlf) {
        /* Raw CR/LF can only be insignificant whitespace in valid JSON
         * (inside strings they must be escaped), so spaces are equivalent
         * and keep one record on one line. */
        for (size_t i = 0; i < n; i++)
            if (dst[i] == '\n' || dst[i] == '\r')
                dst[i] = ' ';
    }
    if (trusted_len) {
        if (!info->empty)
            dst[n++] = ',';
        memcpy(dst + n, trusted, trusted_len);
        n += trusted_len;
    }
    dst[n++] = '}';
    dst[n++] = '\n';
    return n;
}

/* Length of the valid UTF-8 sequence starting at s, or 0. */
static size_t utf8_seq(const uint8_t *s, size_t avail)
{
    return s[0] < 0x80 ? 1 : lcp_utf8_len(s, avail);
}

char *lcp_put_decimal(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

size_t lcp_utf8_valid_prefix(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq(s + i, len - i);
        if (n == 0)
            break;
        i += n;
    }
    return i;
}

size_t lcp_json_escape(char *dst, const char *src, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *s = (const uint8_t *)src;
    char *d = dst;
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            *d++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = utf8_seq(s + i, len - i);
            if (n) {
                memcpy(d, s + i, n);
                d += n;
                i += n;
            } else {
                memcpy(d, "\xef\xbf\xbd", 3); /* U+FFFD */
                d += 3;
                i++;
            }
            continue;
        }
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        default:
            *d++ = 'u';
            *d++ = '0';
            *d++ = '0';
            *d++ = hex[c >> 4];
            *d++ = hex[c & 15];
        }
        i++;
    }
    return (size_t)(d - dst);
}

void lcp_format_time(char out[LCP_TIME_LEN + 1], long long sec, long usec)
{
    struct tm tm;
    time_t t = (time_t)sec;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm); /* year out of range: no real clock says so */
    /* Unsigned and reduced to each field's range, so that every directive
     * has its fixed width and gcc can see the line fits (-Wformat-truncation). */
    snprintf(out, LCP_TIME_LEN + 1, "%04u-%02u-%02uT%02u:%02u:%02u.%06luZ",
             ((unsigned)tm.tm_year + 1900u) % 10000u, (unsigned)tm.tm_mon % 12u + 1u,
             (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u,
             (unsigned)tm.tm_min % 60u, (unsigned)tm.tm_sec % 61u,
             (unsigned long)usec % 1000000ul);
}
