/*
 * control.c - encode and decode control messages (see control.h).
 *
 * HELLO and WELCOME are rare (one per connection), so they are plain JSON
 * handled by jansson; unknown members are ignored so that later versions can
 * add to them.
 */
#include "control.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "frame.h"
#include "hex.h"
#include "record.h"

int lcp_sid_valid(const char *s)
{
    size_t i;
    for (i = 0; i < LCP_SID_HEX; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return s[i] == '\0';
}

void lcp_sid_format(char out[LCP_SID_HEX + 1], const uint8_t raw[16])
{
    lcp_hex_lower(out, raw, 16);
}

#define SID_DOMAIN "logcollect-sid:"

int lcp_sid_derive(const char *secret, char sid[LCP_SID_HEX + 1])
{
    if (!lcp_sid_valid(secret))
        return -1;
    uint8_t in[sizeof SID_DOMAIN - 1 + 16], md[32];
    size_t raw = 0;
    memcpy(in, SID_DOMAIN, sizeof SID_DOMAIN - 1);
    unsigned int mdlen = 0;
    int ok = OPENSSL_hexstr2buf_ex(in + sizeof SID_DOMAIN - 1, 16, &raw, secret, '\0') == 1 &&
             raw == 16 && EVP_Digest(in, sizeof in, md, &mdlen, EVP_sha256(), NULL) == 1;
    OPENSSL_cleanse(in, sizeof in);
    if (!ok || mdlen != sizeof md)
        return -1;
    lcp_sid_format(sid, md);
    return 0;
}

static int dump_with_type(json_t *obj, uint8_t type, uint8_t *out, size_t cap)
{
    if (!obj)
        return -1;
    if (cap < 1) {
        json_decref(obj);
        return -1;
    }
    out[0] = type;
    size_t n = json_dumpb(obj, (char *)out + 1, cap - 1, JSON_COMPACT);
    json_decref(obj);
    if (n == 0 || n > cap - 1)
        return -1;
    return (int)(n + 1);
}

/* Load the JSON object body of a control message of the given type. */
static json_t *load_body(const uint8_t *msg, size_t len, uint8_t type,
                         const char *what, char *err, size_t errlen)
{
    if (len < 1 || msg[0] != type) {
        snprintf(err, errlen, "not a %s message", what);
        return NULL;
    }
    json_error_t je;
    json_t *o = json_loadb((const char *)msg + 1, len - 1, 0, &je);
    if (!o || !json_is_object(o)) {
        snprintf(err, errlen, "%s body is not a JSON object%s%s", what,
                 o ? "" : ": ", o ? "" : je.text);
        json_decref(o);
        return NULL;
    }
    return o;
}

static int get_string(json_t *o, const char *name, char *dst, size_t cap,
                      int required, const char *what, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, name);
    if (!v) {
        dst[0] = '\0';
        if (required)
            snprintf(err, errlen, "%s lacks \"%s\"", what, name);
        return required ? -1 : 0;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap) {
        snprintf(err, errlen, "%s \"%s\" must be a string of at most %zu bytes",
                 what, name, cap - 1);
        return -1;
    }
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_uint(json_t *o, const char *name, uint64_t *dst, uint64_t min,
                    int required, const char *what, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, name);
    if (!v) {
        *dst = 0;
        if (required)
            snprintf(err, errlen, "%s lacks \"%s\"", what, name);
        return required ? -1 : 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min) {
        snprintf(err, errlen, "%s \"%s\" must be an integer >= %llu", what, name,
                 (unsigned long long)min);
        return -1;
    }
    *dst = (uint64_t)json_integer_value(v);
    return 0;
}

int lcp_hello_encode(const lcp_hello *h, uint8_t *out, size_t cap)
{
    if (!lcp_sid_valid(h->secret) || h->seq < 1 || h->seq > INT64_MAX || h->pid < 0)
        return -1;
    json_t *o = json_pack("{s:i,s:s,s:I,s:s,s:I,s:s}", "v", LCP_PROTO_VERSION,
                          "secret", h->secret, "seq", (json_int_t)h->seq, "app", h->app,
                          "pid", (json_int_t)h->pid, "host", h->host);
    return dump_with_type(o, LCP_MSG_HELLO, out, cap);
}

int lcp_hello_decode(const uint8_t *msg, size_t len, lcp_hello *h, char *err,
                     size_t errlen)
{
    memset(h, 0, sizeof *h);
    json_t *o = load_body(msg, len, LCP_MSG_HELLO, "HELLO", err, errlen);
    if (!o)
        return -1;
    uint64_t v, pid;
    int rc = -1;
    if (!json_object_get(o, "secret") && json_object_get(o, "sid")) {
        snprintf(err, errlen, "HELLO carries \"sid\" instead of \"secret\" (a client older "
                 "than the session secret): update the client");
        goto out;
    }
    if (get_uint(o, "v", &v, 1, 1, "HELLO", err, errlen) ||
        get_string(o, "secret", h->secret, sizeof h->secret, 1, "HELLO", err, errlen) ||
        get_uint(o, "seq", &h->seq, 1, 1, "HELLO", err, errlen) ||
        get_string(o, "app", h->app, sizeof h->app, 0, "HELLO", err, errlen) ||
        get_string(o, "host", h->host, sizeof h->host, 0, "HELLO", err, errlen) ||
        get_uint(o, "pid", &pid, 0, 0, "HELLO", err, errlen))
        goto out;
    if (!lcp_sid_valid(h->secret)) {
        snprintf(err, errlen, "HELLO \"secret\" must be %d lower-case hex digits",
                 LCP_SID_HEX);
        goto out;
    }
    h->pid = (int64_t)pid;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

int lcp_welcome_encode(const lcp_welcome *w, uint8_t *out, size_t cap)
{
    if (!lcp_sid_valid(w->sid) || w->written > INT64_MAX)
        return -1;
    json_t *o = json_pack("{s:i,s:s,s:I,s:I}", "v", LCP_PROTO_VERSION, "sid",
                          w->sid, "written", (json_int_t)w->written,
                          "max_record", (json_int_t)w->max_record);
    return dump_with_type(o, LCP_MSG_WELCOME, out, cap);
}

int lcp_welcome_decode(const uint8_t *msg, size_t len, lcp_welcome *w,
                       char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    json_t *o = load_body(msg, len, LCP_MSG_WELCOME, "WELCOME", err, errlen);
    if (!o)
        return -1;
    uint64_t v, maxrec;
    int rc = -1;
    if (get_uint(o, "v", &v, 1, 1, "WELCOME", err, errlen) ||
        get_string(o, "sid", w->sid, sizeof w->sid, 1, "WELCOME", err, errlen) ||
        get_uint(o, "written", &w->written, 0, 1, "WELCOME", err, errlen) ||
        get_uint(o, "max_record", &maxrec, 0, 0, "WELCOME", err, errlen))
        goto out;
    if (!lcp_sid_valid(w->sid)) {
        snprintf(err, errlen, "WELCOME \"sid\" must be %d lower-case hex digits",
                 LCP_SID_HEX);
        goto out;
    }
    w->max_record = maxrec > UINT32_MAX ? UINT32_MAX : (uint32_t)maxrec;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

void lcp_ack_encode(uint64_t seq, uint8_t out[LCP_ACK_LEN])
{
    out[0] = LCP_MSG_ACK;
    lcp_put_u64(out + 1, seq);
}

int lcp_ack_decode(const uint8_t *msg, size_t len, uint64_t *seq)
{
    if (len != LCP_ACK_LEN || msg[0] != LCP_MSG_ACK)
        return -1;
    *seq = lcp_get_u64(msg + 1);
    return 0;
}

int lcp_error_encode(uint64_t seq, uint16_t code, const char *text,
                     uint8_t *out, size_t cap)
{
    size_t n = strlen(text);
    if (n > LCP_ERROR_TEXT_MAX)
        n = LCP_ERROR_TEXT_MAX;
    n = lcp_utf8_valid_prefix((const uint8_t *)text, n);
    if (cap < LCP_ERROR_HEAD + n)
        return -1;
    out[0] = LCP_MSG_ERROR;
    lcp_put_u64(out + 1, seq);
    lcp_put_u16(out + 9, code);
    memcpy(out + LCP_ERROR_HEAD, text, n);
    return (int)(LCP_ERROR_HEAD + n);
}

int lcp_error_decode(const uint8_t *msg, size_t len, uint64_t *seq,
                     uint16_t *code, char *text, size_t textlen)
{
    if (len < LCP_ERROR_HEAD || msg[0] != LCP_MSG_ERROR || textlen == 0)
        return -1;
    *seq = lcp_get_u64(msg + 1);
    *code = lcp_get_u16(msg + 9);
    size_t n = len - LCP_ERROR_HEAD;
    if (n >= textlen)
        n = textlen - 1;
    memcpy(text, msg + LCP_ERROR_HEAD, n);
    text[n] = '\0';
    return 0;
}
