/*
 * test_control.c - unit tests for proto/control.c: HELLO, WELCOME, ACK and
 * ERROR messages, and session ids.
 *
 * Messages handed to decoders are copied into heap blocks of their exact
 * size so that a sanitizer build catches a read past the end.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control.h"

#define SID "0123456789abcdef0123456789abcdef"
#define SID2 "ffffffffffffffffffffffffffffffff"

static uint8_t *dup_exact(const void *s, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    if (n)
        memcpy(b, s, n);
    return b;
}

static int hello_decode_exact(const void *msg, size_t len, lcp_hello *h, char *err,
                              size_t errlen)
{
    uint8_t *b = dup_exact(msg, len);
    int rc = lcp_hello_decode(b, len, h, err, errlen);
    free(b);
    return rc;
}

static int welcome_decode_exact(const void *msg, size_t len, lcp_welcome *w, char *err,
                                size_t errlen)
{
    uint8_t *b = dup_exact(msg, len);
    int rc = lcp_welcome_decode(b, len, w, err, errlen);
    free(b);
    return rc;
}

/* type byte + JSON text */
static size_t typed(uint8_t type, const char *json, uint8_t *out)
{
    out[0] = type;
    size_t n = strlen(json);
    memcpy(out + 1, json, n);
    return n + 1;
}

static void fill_hello(lcp_hello *h, const char *sid, uint64_t seq, const char *app,
                       const char *host, int64_t pid)
{
    memset(h, 0, sizeof *h);
    snprintf(h->secret, sizeof h->secret, "%s", sid);
    h->seq = seq;
    snprintf(h->app, sizeof h->app, "%s", app);
    snprintf(h->host, sizeof h->host, "%s", host);
    h->pid = pid;
}

/* ============================ HELLO ============================ */

/* The public id is derived from the secret (vectors from Python:
 * hashlib.sha256(b"logcollect-sid:" + bytes.fromhex(s)).hexdigest()[:32]). */
START_TEST(test_sid_derive)
{
    char sid[LCP_SID_HEX + 1];
    ck_assert_int_eq(lcp_sid_derive("0123456789abcdef0123456789abcdef", sid), 0);
    ck_assert_str_eq(sid, "7c582080576ea0c20fa42d6f699bdf5c");
    ck_assert_int_eq(lcp_sid_derive("00000000000000000000000000000000", sid), 0);
    ck_assert_str_eq(sid, "02da5d602dfae2a31fdf481cf71c738d");
    static const char *const bad[] = {"", "0123456789ABCDEF0123456789abcdef",
                                      "0123456789abcdef0123456789abcde",
                                      "0123456789abcdef0123456789abcdef0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(lcp_sid_derive(bad[i], sid), -1);
}
END_TEST

/* A HELLO naming the public id (the protocol before the secret) is refused
 * with a message that says so. */
START_TEST(test_hello_old_sid_refused)
{
    uint8_t msg[256];
    lcp_hello h;
    char err[200] = "";
    size_t n = typed(LCP_MSG_HELLO, "{\"v\":1,\"sid\":\"" SID "\",\"seq\":1}", msg);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "\"secret\""));
}
END_TEST

START_TEST(test_hello_round_trip)
{
    char app255[LCP_NAME_MAX + 1];
    memset(app255, 'a', LCP_NAME_MAX);
    app255[LCP_NAME_MAX] = '\0';
    static const char tricky[] = "\"quoted\" back\\slash\nnew line \xc3\xa9\xe2\x82\xac \x01";
    struct {
        const char *sid;
        uint64_t seq;
        const char *app, *host;
        int64_t pid;
    } v[] = {
        {SID, 1, "myapp", "host1", 1234},
        {SID2, 42, "", "", 0},
        {SID, (uint64_t)INT64_MAX, app255, app255, INT64_MAX},
        {SID, 1000000007, tricky, tricky, 1},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        lcp_hello h, d;
        fill_hello(&h, v[i].sid, v[i].seq, v[i].app, v[i].host, v[i].pid);
        uint8_t buf[2048];
        int n = lcp_hello_encode(&h, buf, sizeof buf);
        ck_assert_int_gt(n, 1);
        ck_assert_uint_eq(buf[0], LCP_MSG_HELLO);

        /* the body is one JSON object with v = 1 and the fields */
        json_error_t e;
        json_t *o = json_loadb((const char *)buf + 1, (size_t)n - 1, 0, &e);
        ck_assert_msg(o != NULL, "case %zu: body is not JSON: %s", i, e.text);
        ck_assert_int_eq(json_integer_value(json_object_get(o, "v")), LCP_PROTO_VERSION);
        ck_assert_str_eq(json_string_value(json_object_get(o, "secret")), v[i].sid);
        ck_assert_int_eq(json_integer_value(json_object_get(o, "seq")), (json_int_t)v[i].seq);
        ck_assert_str_eq(json_string_value(json_object_get(o, "app")), v[i].app);
        json_decref(o);
        /* compact: no newline, which also keeps it one line in logs */
        ck_assert_ptr_null(memchr(buf, '\n', (size_t)n));

        char err[200] = "";
        ck_assert_msg(hello_decode_exact(buf, (size_t)n, &d, err, sizeof err) == 0,
                      "case %zu: %s", i, err);
        ck_assert_str_eq(d.secret, v[i].sid);
        ck_assert_uint_eq(d.seq, v[i].seq);
        ck_assert_str_eq(d.app, v[i].app);
        ck_assert_str_eq(d.host, v[i].host);
        ck_assert_int_eq(d.pid, v[i].pid);
    }
}
END_TEST

START_TEST(test_hello_encode_refuses)
{
    lcp_hello h;
    uint8_t buf[1024];
    static const char *const bad_sids[] = {
        "", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdeg", "0123456789abcdef 123456789abcdef",
    };
    for (size_t i = 0; i < sizeof bad_sids / sizeof bad_sids[0]; i++) {
        fill_hello(&h, bad_sids[i], 1, "a", "b", 1);
        ck_assert_int_eq(lcp_hello_encode(&h, buf, sizeof buf), -1);
    }
    fill_hello(&h, SID, 0, "a", "b", 1);
    ck_assert_int_eq(lcp_hello_encode(&h, buf, sizeof buf), -1);
    fill_hello(&h, SID, (uint64_t)INT64_MAX + 1, "a", "b", 1);
    ck_assert_int_eq(lcp_hello_encode(&h, buf, sizeof buf), -1);
    fill_hello(&h, SID, UINT64_MAX, "a", "b", 1);
    ck_assert_int_eq(lcp_hello_encode(&h, buf, sizeof buf), -1);
    /* jansson refuses to put invalid UTF-8 in a string */
    fill_hello(&h, SID, 1, "bad \xff app", "b", 1);
    ck_assert_int_eq(lcp_hello_encode(&h, buf, sizeof buf), -1);

    /* capacity: exactly enough works, one byte less does not */
    fill_hello(&h, SID, 7, "app", "host", 99);
    int n = lcp_hello_encode(&h, buf, sizeof buf);
    ck_assert_int_gt(n, 1);
    uint8_t *exact = malloc((size_t)n);
    ck_assert_ptr_nonnull(exact);
    ck_assert_int_eq(lcp_hello_encode(&h, exact, (size_t)n), n);
    ck_assert_mem_eq(exact, buf, (size_t)n);
    free(exact);
    ck_assert_int_eq(lcp_hello_encode(&h, buf, (size_t)n - 1), -1);
    ck_assert_int_eq(lcp_hello_encode(&h, buf, 1), -1);
    ck_assert_int_eq(lcp_hello_encode(&h, buf, 0), -1);
}
END_TEST

#define HELLO_OK "{\"v\":1,\"secret\":\"" SID "\",\"seq\":5"

START_TEST(test_hello_decode_minimal)
{
    uint8_t msg[512];
    lcp_hello h;
    char err[200];

    /* app, host and pid are optional; unknown members are ignored */
    size_t n = typed(LCP_MSG_HELLO, HELLO_OK "}", msg);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), 0);
    ck_assert_str_eq(h.secret, SID);
    ck_assert_uint_eq(h.seq, 5);
    ck_assert_str_eq(h.app, "");
    ck_assert_str_eq(h.host, "");
    ck_assert_int_eq(h.pid, 0);

    n = typed(LCP_MSG_HELLO, HELLO_OK ",\"future\":[1,{\"x\":2}],\"pid\":77}", msg);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), 0);
    ck_assert_int_eq(h.pid, 77);

    /* whitespace and member order do not matter */
    n = typed(LCP_MSG_HELLO,
              " { \"seq\" : 9 , \"app\" : \"x\" , \"secret\" : \"" SID "\" , \"v\" : 1 } ", msg);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), 0);
    ck_assert_uint_eq(h.seq, 9);
    ck_assert_str_eq(h.app, "x");

    /* app of exactly 255 bytes is fine, escapes are decoded */
    char body[600];
    char a255[256];
    memset(a255, 'z', 255);
    a255[255] = '\0';
    snprintf(body, sizeof body, HELLO_OK ",\"app\":\"%s\",\"host\":\"\\u00e9\"}", a255);
    n = typed(LCP_MSG_HELLO, body, msg);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), 0);
    ck_assert_str_eq(h.app, a255);
    ck_assert_str_eq(h.host, "\xc3\xa9");
}
END_TEST

START_TEST(test_hello_decode_errors)
{
    char a256[257], body[700];
    memset(a256, 'z', 256);
    a256[256] = '\0';
    static const char *const bodies[] = {
        "",
        "not json",
        "[]",
        "\"str\"",
        "{",
        HELLO_OK "} trailing",
        /* missing fields */
        "{\"secret\":\"" SID "\",\"seq\":5}",
        "{\"v\":1,\"seq\":5}",
        "{\"v\":1,\"secret\":\"" SID "\"}",
        /* v */
        "{\"v\":0,\"secret\":\"" SID "\",\"seq\":5}",
        "{\"v\":\"1\",\"secret\":\"" SID "\",\"seq\":5}",
        "{\"v\":1.0,\"secret\":\"" SID "\",\"seq\":5}",
        "{\"v\":null,\"secret\":\"" SID "\",\"seq\":5}",
        /* sid */
        "{\"v\":1,\"secret\":\"0123456789ABCDEF0123456789abcdef\",\"seq\":5}",
        "{\"v\":1,\"secret\":\"0123456789abcdef0123456789abcde\",\"seq\":5}",
        "{\"v\":1,\"secret\":\"0123456789abcdef0123456789abcdef0\",\"seq\":5}",
        "{\"v\":1,\"secret\":\"0123456789abcdef0123456789abcdeg\",\"seq\":5}",
        "{\"v\":1,\"secret\":\"\",\"seq\":5}",
        "{\"v\":1,\"secret\":12,\"seq\":5}",
        "{\"v\":1,\"secret\":\"0123456789abcdef\\u00000123456789abcde\",\"seq\":5}",
        /* seq */
        "{\"v\":1,\"secret\":\"" SID "\",\"seq\":0}",
        "{\"v\":1,\"secret\":\"" SID "\",\"seq\":-1}",
        "{\"v\":1,\"secret\":\"" SID "\",\"seq\":\"5\"}",
        "{\"v\":1,\"secret\":\"" SID "\",\"seq\":1.5}",
        "{\"v\":1,\"secret\":\"" SID "\",\"seq\":18446744073709551615}",
        /* optional fields of the wrong type or size */
        HELLO_OK ",\"app\":7}",
        HELLO_OK ",\"host\":[\"h\"]}",
        HELLO_OK ",\"pid\":-1}",
        HELLO_OK ",\"pid\":\"12\"}",
        HELLO_OK ",\"app\":\"a\\u0000b\"}",
    };
    uint8_t msg[800];
    lcp_hello h;
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        size_t n = typed(LCP_MSG_HELLO, bodies[i], msg);
        char err[200] = "";
        int rc = hello_decode_exact(msg, n, &h, err, sizeof err);
        ck_assert_msg(rc == -1, "case %zu accepted: %s", i, bodies[i]);
        ck_assert_msg(strlen(err) > 0, "case %zu: no reason", i);
    }

    /* app / host longer than 255 bytes */
    const char *const fields[] = {"app", "host"};
    for (size_t f = 0; f < 2; f++) {
        snprintf(body, sizeof body, HELLO_OK ",\"%s\":\"%s\"}", fields[f], a256);
        size_t n = typed(LCP_MSG_HELLO, body, msg);
        char err[200] = "";
        ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, fields[f]));
    }
    /* 255 two-byte characters are 510 bytes: also too long */
    char *wide = malloc(2 * 255 + 1);
    ck_assert_ptr_nonnull(wide);
    for (int k = 0; k < 255; k++)
        memcpy(wide + 2 * k, "\xc3\xa9", 2);
    wide[510] = '\0';
    char big[800];
    snprintf(big, sizeof big, HELLO_OK ",\"app\":\"%s\"}", wide);
    free(wide);
    size_t bn = typed(LCP_MSG_HELLO, big, msg);
    char err[200];
    ck_assert_int_eq(hello_decode_exact(msg, bn, &h, err, sizeof err), -1);

    /* wrong type byte, or none */
    size_t n = typed(LCP_MSG_WELCOME, HELLO_OK "}", msg);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "HELLO"));
    n = typed('{', HELLO_OK "}", msg);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), -1);
    ck_assert_int_eq(hello_decode_exact(msg, 0, &h, err, sizeof err), -1);
    /* the right type with the JSON cut short */
    n = typed(LCP_MSG_HELLO, HELLO_OK "}", msg);
    ck_assert_int_eq(hello_decode_exact(msg, n - 1, &h, err, sizeof err), -1);
    ck_assert_int_eq(hello_decode_exact(msg, n, &h, err, sizeof err), 0);
}
END_TEST

/* ============================ WELCOME ============================ */

START_TEST(test_welcome_round_trip)
{
    static const struct {
        const char *sid;
        uint64_t written;
        uint32_t max_record;
    } v[] = {
        {SID, 0, 0},
        {SID2, 1, 1u << 20},
        {SID, (uint64_t)INT64_MAX, UINT32_MAX},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        lcp_welcome w, d;
        memset(&w, 0, sizeof w);
        strcpy(w.sid, v[i].sid);
        w.written = v[i].written;
        w.max_record = v[i].max_record;
        uint8_t buf[512];
        int n = lcp_welcome_encode(&w, buf, sizeof buf);
        ck_assert_int_gt(n, 1);
        ck_assert_uint_eq(buf[0], LCP_MSG_WELCOME);
        char err[200] = "";
        ck_assert_msg(welcome_decode_exact(buf, (size_t)n, &d, err, sizeof err) == 0,
                      "case %zu: %s", i, err);
        ck_assert_str_eq(d.sid, v[i].sid);
        ck_assert_uint_eq(d.written, v[i].written);
        ck_assert_uint_eq(d.max_record, v[i].max_record);

        ck_assert_int_eq(lcp_welcome_encode(&w, buf, (size_t)n), n);
        ck_assert_int_eq(lcp_welcome_encode(&w, buf, (size_t)n - 1), -1);
    }

    /* encoder refusals */
    lcp_welcome w;
    uint8_t buf[512];
    memset(&w, 0, sizeof w);
    strcpy(w.sid, "NOTASID");
    ck_assert_int_eq(lcp_welcome_encode(&w, buf, sizeof buf), -1);
    strcpy(w.sid, SID);
    w.written = (uint64_t)INT64_MAX + 1;
    ck_assert_int_eq(lcp_welcome_encode(&w, buf, sizeof buf), -1);
    w.written = 0;
    ck_assert_int_eq(lcp_welcome_encode(&w, buf, 0), -1);
}
END_TEST

#define WELCOME_OK "{\"v\":1,\"sid\":\"" SID "\",\"written\":3"

START_TEST(test_welcome_decode)
{
    uint8_t msg[512];
    lcp_welcome w;
    char err[200];

    /* max_record optional; clamped to 32 bits */
    size_t n = typed(LCP_MSG_WELCOME, WELCOME_OK "}", msg);
    ck_assert_int_eq(welcome_decode_exact(msg, n, &w, err, sizeof err), 0);
    ck_assert_uint_eq(w.written, 3);
    ck_assert_uint_eq(w.max_record, 0);
    n = typed(LCP_MSG_WELCOME, WELCOME_OK ",\"max_record\":1099511627776,\"new\":{}}", msg);
    ck_assert_int_eq(welcome_decode_exact(msg, n, &w, err, sizeof err), 0);
    ck_assert_uint_eq(w.max_record, UINT32_MAX);

    static const char *const bad[] = {
        "",
        "nope",
        "[1]",
        "{\"sid\":\"" SID "\",\"written\":3}",
        "{\"v\":1,\"written\":3}",
        "{\"v\":1,\"sid\":\"" SID "\"}",
        "{\"v\":0,\"sid\":\"" SID "\",\"written\":3}",
        "{\"v\":1,\"sid\":\"" SID "\",\"written\":-1}",
        "{\"v\":1,\"sid\":\"" SID "\",\"written\":\"3\"}",
        "{\"v\":1,\"sid\":\"" SID "0\",\"written\":3}",
        "{\"v\":1,\"sid\":\"xyz\",\"written\":3}",
        "{\"v\":1,\"sid\":\"\",\"written\":3}",
        "{\"v\":1,\"sid\":\"0123456789ABCDEF0123456789ABCDEF\",\"written\":3}",
        WELCOME_OK ",\"max_record\":-5}",
        WELCOME_OK ",\"max_record\":\"big\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = typed(LCP_MSG_WELCOME, bad[i], msg);
        err[0] = '\0';
        ck_assert_msg(welcome_decode_exact(msg, n, &w, err, sizeof err) == -1,
                      "case %zu accepted: %s", i, bad[i]);
        ck_assert_msg(strlen(err) > 0, "case %zu: no reason", i);
    }
    n = typed(LCP_MSG_HELLO, WELCOME_OK "}", msg);
    ck_assert_int_eq(welcome_decode_exact(msg, n, &w, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "WELCOME"));
    ck_assert_int_eq(welcome_decode_exact(msg, 0, &w, err, sizeof err), -1);
}
END_TEST

/* ============================ ACK ============================ */

START_TEST(test_ack)
{
    uint8_t m[LCP_ACK_LEN + 1];
    memset(m, 0xcc, sizeof m);
    lcp_ack_encode(0x0102030405060708ull, m);
    static const uint8_t want[LCP_ACK_LEN] = {LCP_MSG_ACK, 1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_mem_eq(m, want, LCP_ACK_LEN);
    ck_assert_uint_eq(m[LCP_ACK_LEN], 0xcc);

    static const uint64_t seqs[] = {0, 1, 255, 256, 0x0102030405060708ull, UINT64_MAX};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        lcp_ack_encode(seqs[i], m);
        uint8_t *b = dup_exact(m, LCP_ACK_LEN);
        uint64_t s = 12345;
        ck_assert_int_eq(lcp_ack_decode(b, LCP_ACK_LEN, &s), 0);
        ck_assert_uint_eq(s, seqs[i]);
        free(b);
    }

    /* wrong length or type */
    lcp_ack_encode(7, m);
    uint64_t s = 99;
    ck_assert_int_eq(lcp_ack_decode(m, LCP_ACK_LEN - 1, &s), -1);
    ck_assert_int_eq(lcp_ack_decode(m, LCP_ACK_LEN + 1, &s), -1);
    ck_assert_int_eq(lcp_ack_decode(m, 0, &s), -1);
    m[0] = LCP_MSG_ERROR;
    ck_assert_int_eq(lcp_ack_decode(m, LCP_ACK_LEN, &s), -1);
    ck_assert_uint_eq(s, 99);
}
END_TEST

/* ============================ ERROR ============================ */

START_TEST(test_error_round_trip)
{
    uint8_t m[LCP_ERROR_HEAD + LCP_ERROR_TEXT_MAX + 16];
    int n = lcp_error_encode(0x0102030405060708ull, 0x0105, "bad", m, sizeof m);
    ck_assert_int_eq(n, LCP_ERROR_HEAD + 3);
    static const uint8_t want[] = {LCP_MSG_ERROR, 1, 2, 3, 4, 5, 6, 7, 8, 0x01, 0x05,
                                   'b', 'a', 'd'};
    ck_assert_mem_eq(m, want, sizeof want);

    static const struct {
        uint64_t seq;
        uint16_t code;
        const char *text;
    } v[] = {
        {0, 0, ""},
        {1, LCP_ERR_TOO_MANY_CLIENTS, "too many clients"},
        {UINT64_MAX, 0xffff, "caf\xc3\xa9 \xf0\x9f\x98\x80"},
        {42, 5, "field name \"_sid\" is reserved"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        n = lcp_error_encode(v[i].seq, v[i].code, v[i].text, m, sizeof m);
        ck_assert_int_eq(n, LCP_ERROR_HEAD + (int)strlen(v[i].text));
        ck_assert_uint_eq(m[0], LCP_MSG_ERROR);
        uint8_t *b = dup_exact(m, (size_t)n);
        uint64_t seq = 0;
        uint16_t code = 0;
        char text[LCP_ERROR_TEXT_MAX + 1];
        ck_assert_int_eq(lcp_error_decode(b, (size_t)n, &seq, &code, text, sizeof text), 0);
        ck_assert_uint_eq(seq, v[i].seq);
        ck_assert_uint_eq(code, v[i].code);
        ck_assert_str_eq(text, v[i].text);
        free(b);
    }

    /* capacity: head + text exactly, or -1 */
    n = lcp_error_encode(1, 2, "abc", m, LCP_ERROR_HEAD + 3);
    ck_assert_int_eq(n, LCP_ERROR_HEAD + 3);
    ck_assert_int_eq(lcp_error_encode(1, 2, "abc", m, LCP_ERROR_HEAD + 2), -1);
    ck_assert_int_eq(lcp_error_encode(1, 2, "", m, LCP_ERROR_HEAD - 1), -1);
    ck_assert_int_eq(lcp_error_encode(1, 2, "", m, LCP_ERROR_HEAD), LCP_ERROR_HEAD);
}
END_TEST

/* text of `ascii` 'a's followed by tail; returns what the encoder keeps */
static size_t cut_len(size_t ascii, const char *tail)
{
    char text[600];
    memset(text, 'a', ascii);
    strcpy(text + ascii, tail);
    uint8_t m[LCP_ERROR_HEAD + 600];
    int n = lcp_error_encode(9, 3, text, m, sizeof m);
    ck_assert_int_ge(n, LCP_ERROR_HEAD);
    size_t kept = (size_t)n - LCP_ERROR_HEAD;
    ck_assert_mem_eq(m + LCP_ERROR_HEAD, text, kept);
    ck_assert_uint_le(kept, LCP_ERROR_TEXT_MAX);
    return kept;
}

START_TEST(test_error_text_cut)
{
    ck_assert_int_eq(LCP_ERROR_TEXT_MAX, 240);
    ck_assert_uint_eq(cut_len(300, ""), 240);
    ck_assert_uint_eq(cut_len(240, ""), 240);
    ck_assert_uint_eq(cut_len(239, ""), 239);
    /* a character that would straddle byte 240 is left out whole */
    ck_assert_uint_eq(cut_len(239, "\xc3\xa9"), 239);          /* 2 bytes at 239..240 */
    ck_assert_uint_eq(cut_len(238, "\xc3\xa9"), 240);          /* ends at 240: kept */
    ck_assert_uint_eq(cut_len(238, "\xe2\x82\xac"), 238);      /* 3 bytes at 238..240 */
    ck_assert_uint_eq(cut_len(239, "\xe2\x82\xac"), 239);
    ck_assert_uint_eq(cut_len(237, "\xe2\x82\xac"), 240);
    ck_assert_uint_eq(cut_len(237, "\xf0\x9f\x98\x80"), 237);  /* 4 bytes at 237..240 */
    ck_assert_uint_eq(cut_len(236, "\xf0\x9f\x98\x80"), 240);
    ck_assert_uint_eq(cut_len(236, "\xf0\x9f\x98\x80xyz"), 240);
    /* 120 two-byte characters: exactly 240 */
    char e120[241];
    for (int i = 0; i < 120; i++)
        memcpy(e120 + 2 * i, "\xc3\xa9", 2);
    e120[240] = '\0';
    ck_assert_uint_eq(cut_len(0, e120), 240);
    ck_assert_uint_eq(cut_len(1, e120), 239);
    /* invalid UTF-8 ends the text where it starts */
    ck_assert_uint_eq(cut_len(2, "\xff" "cd"), 2);
    ck_assert_uint_eq(cut_len(5, "\xc3"), 5);
}
END_TEST

START_TEST(test_error_decode)
{
    uint8_t m[LCP_ERROR_HEAD + 64];
    int n = lcp_error_encode(77, 4, "invalid UTF-8 at byte 3", m, sizeof m);
    ck_assert_int_gt(n, 0);
    uint64_t seq;
    uint16_t code;

    /* a small text buffer: cut and terminated */
    char small[8];
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(lcp_error_decode(m, (size_t)n, &seq, &code, small, sizeof small), 0);
    ck_assert_str_eq(small, "invalid");
    ck_assert_uint_eq(seq, 77);
    ck_assert_uint_eq(code, 4);
    char one[1] = {'x'};
    ck_assert_int_eq(lcp_error_decode(m, (size_t)n, &seq, &code, one, 1), 0);
    ck_assert_uint_eq((unsigned char)one[0], 0);
    ck_assert_int_eq(lcp_error_decode(m, (size_t)n, &seq, &code, small, 0), -1);

    /* head only: empty text */
    char text[64];
    uint8_t *b = dup_exact(m, LCP_ERROR_HEAD);
    ck_assert_int_eq(lcp_error_decode(b, LCP_ERROR_HEAD, &seq, &code, text, sizeof text), 0);
    ck_assert_str_eq(text, "");
    free(b);
    /* shorter than the head, or another type */
    b = dup_exact(m, LCP_ERROR_HEAD - 1);
    ck_assert_int_eq(lcp_error_decode(b, LCP_ERROR_HEAD - 1, &seq, &code, text, sizeof text),
                     -1);
    free(b);
    ck_assert_int_eq(lcp_error_decode(m, 0, &seq, &code, text, sizeof text), -1);
    m[0] = LCP_MSG_ACK;
    ck_assert_int_eq(lcp_error_decode(m, (size_t)n, &seq, &code, text, sizeof text), -1);
}
END_TEST

/* ============================ session ids ============================ */

START_TEST(test_sid)
{
    ck_assert_int_eq(lcp_sid_valid(SID), 1);
    ck_assert_int_eq(lcp_sid_valid(SID2), 1);
    ck_assert_int_eq(lcp_sid_valid("00000000000000000000000000000000"), 1);
    static const char *const bad[] = {
        "",
        "0",
        "0123456789abcdef0123456789abcde",   /* 31 */
        "0123456789abcdef0123456789abcdef0", /* 33 */
        "0123456789ABCDEF0123456789abcdef",
        "0123456789abcdef0123456789abcdeF",
        "0123456789abcdef0123456789abcdeg",
        "g123456789abcdef0123456789abcdef",
        " 0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcde ",
        "0123456789abcdef-123456789abcdef",
        "0123456789abcdef0123456789abcdef\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        /* exact-size copy: a short id must not be read past its NUL */
        char *b = (char *)dup_exact(bad[i], strlen(bad[i]) + 1);
        ck_assert_msg(lcp_sid_valid(b) == 0, "\"%s\" accepted", bad[i]);
        free(b);
    }

    char out[LCP_SID_HEX + 1 + 2];
    memset(out, '#', sizeof out);
    static const uint8_t raw[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    lcp_sid_format(out, raw);
    ck_assert_str_eq(out, "00112233445566778899aabbccddeeff");
    ck_assert_uint_eq((unsigned char)out[LCP_SID_HEX + 1], '#');
    ck_assert_int_eq(lcp_sid_valid(out), 1);
    static const uint8_t raw2[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
                                     5, 6, 7, 8, 9, 10, 11, 0x0f};
    lcp_sid_format(out, raw2);
    ck_assert_str_eq(out, "deadbeef0102030405060708090a0b0f");
}
END_TEST

static Suite *control_suite(void)
{
    Suite *s = suite_create("control");
    TCase *tc = tcase_create("hello");
    tcase_add_test(tc, test_hello_round_trip);
    tcase_add_test(tc, test_hello_encode_refuses);
    tcase_add_test(tc, test_hello_decode_minimal);
    tcase_add_test(tc, test_hello_decode_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("welcome");
    tcase_add_test(tc, test_welcome_round_trip);
    tcase_add_test(tc, test_welcome_decode);
    suite_add_tcase(s, tc);

    tc = tcase_create("binary");
    tcase_add_test(tc, test_ack);
    tcase_add_test(tc, test_error_round_trip);
    tcase_add_test(tc, test_error_text_cut);
    tcase_add_test(tc, test_error_decode);
    tcase_add_test(tc, test_sid);
    tcase_add_test(tc, test_sid_derive);
    tcase_add_test(tc, test_hello_old_sid_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(control_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
