/*
 * test_format.c - unit tests for client/format.c: the records liblogcollect
 * writes, read back with jansson.
 *
 * Every record is formatted into a heap block of exactly lcc_record_bound()
 * bytes (so the sanitizer build catches a write past the bound, and every
 * build checks the returned length against it), then loaded with jansson
 * (no flags: \u0000 and invalid UTF-8 refused) and with the daemon's own
 * gate, lcp_record_check: what the library writes, the collector accepts.
 * The expected decoded strings come from ref_sanitize below, written from
 * RFC 3629's table of well-formed byte sequences, not from the library's
 * UTF-8 code.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "format.h"
#include "record.h"

#define TS "2026-11-27T13:37:24.123456Z"

/* ===================== an independent reference ===================== */

/* RFC 3629 section 4: the well-formed sequences, by first byte. */
static const struct {
    uint8_t first_lo, first_hi, second_lo, second_hi;
    size_t len;
} WELL_FORMED[] = {
    {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3}, {0xe1, 0xec, 0x80, 0xbf, 3},
    {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3}, {0xf0, 0xf0, 0x90, 0xbf, 4},
    {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
};

/* Length of the well-formed sequence at s (s[0] >= 0x80), or 0. */
static size_t ref_seq_len(const uint8_t *s, size_t avail)
{
    for (size_t t = 0; t < sizeof WELL_FORMED / sizeof WELL_FORMED[0]; t++) {
        if (s[0] < WELL_FORMED[t].first_lo || s[0] > WELL_FORMED[t].first_hi)
            continue;
        size_t n = WELL_FORMED[t].len;
        if (avail < n || s[1] < WELL_FORMED[t].second_lo || s[1] > WELL_FORMED[t].second_hi)
            return 0;
        for (size_t k = 2; k < n; k++)
            if (s[k] < 0x80 || s[k] > 0xbf)
                return 0;
        return n;
    }
    return 0;
}

/* What the header promises the collector will read back for s[0..n): the
 * same bytes, except that a NUL and every byte that does not start a
 * well-formed sequence become U+FFFD (one per byte).  Returns a malloc'd
 * buffer of *outlen bytes (NUL-terminated for printing). */
static char *ref_sanitize(const char *s, size_t n, size_t *outlen)
{
    const uint8_t *u = (const uint8_t *)s;
    char *out = malloc(3 * n + 1);
    ck_assert_ptr_nonnull(out);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t len = u[i] == 0 ? 0 : u[i] < 0x80 ? 1 : ref_seq_len(u + i, n - i);
        if (len == 0) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, u + i, len);
            o += len;
            i += len;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ============================ helpers ============================ */

typedef struct {
    char *text; /* the record, exactly len bytes in a block of bound bytes */
    size_t len, bound;
    json_t *root;
} formatted;

static size_t kv_total(const char *const *kv, size_t nkv)
{
    size_t t = 0;
    for (size_t i = 0; i < nkv; i++)
        t += strlen(kv[i]);
    return t;
}

/* Format into a block of exactly lcc_record_bound() bytes; check the
 * length, that jansson loads it as an object, and that the daemon's
 * record check accepts it. */
static formatted format(lc_level level, const char *msg, size_t msg_len,
                        const char *const *kv, size_t nkv)
{
    formatted f;
    f.bound = lcc_record_bound(msg_len, kv_total(kv, nkv), nkv);
    ck_assert_uint_ne(f.bound, SIZE_MAX);
    f.text = malloc(f.bound);
    ck_assert_ptr_nonnull(f.text);
    f.len = lcc_format_record(f.text, TS, level, msg, msg_len, kv, nkv);
    ck_assert_msg(f.len <= f.bound, "level %d, %zu-byte message: wrote %zu bytes, bound %zu",
                  (int)level, msg_len, f.len, f.bound);
    json_error_t e;
    f.root = json_loadb(f.text, f.len, 0, &e);
    ck_assert_msg(f.root != NULL, "jansson: %s at byte %d in %.*s", e.text, e.position,
                  (int)(f.len < 300 ? f.len : 300), f.text);
    ck_assert(json_is_object(f.root));
    lcp_rec_info info;
    char detail[128];
    lcp_rec_status st = lcp_record_check((const uint8_t *)f.text, f.len, LCP_REC_DEPTH_DEFAULT,
                                         &info, detail,
                                         sizeof detail);
    ck_assert_msg(st == LCP_REC_OK, "the daemon refuses it: %s (%s)", lcp_rec_status_key(st),
                  detail);
    ck_assert_uint_eq(info.close, f.len - 1);
    ck_assert_int_eq(info.has_crlf, 0);
    return f;
}

static void formatted_free(formatted *f)
{
    json_decref(f->root);
    free(f->text);
}

/* The string member name of o is exactly want[0..wlen). */
static void assert_member(json_t *o, const char *name, const char *want, size_t wlen)
{
    json_t *v = json_object_get(o, name);
    ck_assert_msg(v != NULL && json_is_string(v), "no string member \"%s\"", name);
    ck_assert_msg(json_string_length(v) == wlen &&
                      memcmp(json_string_value(v), want, wlen) == 0,
                  "member \"%s\" is \"%s\" (%zu bytes), want \"%s\" (%zu bytes)", name,
                  json_string_value(v), json_string_length(v), want, wlen);
}

/* msg[0..n) comes back as ref_sanitize says. */
static void assert_msg_roundtrip(const char *msg, size_t n, lc_level level)
{
    formatted f = format(level, msg, n, NULL, 0);
    size_t wl;
    char *want = ref_sanitize(msg, n, &wl);
    assert_member(f.root, "msg", want, wl);
    free(want);
    formatted_free(&f);
}

/* ============================ records ============================ */

/* The exact bytes of a plain record, and its three members. */
START_TEST(test_plain_record)
{
    formatted f = format(LC_INFO, "hello", 5, NULL, 0);
    static const char want[] = "{\"ts\":\"" TS "\",\"level\":\"info\",\"msg\":\"hello\"}";
    ck_assert_uint_eq(f.len, sizeof want - 1);
    ck_assert_mem_eq(f.text, want, f.len);
    ck_assert_uint_eq(json_object_size(f.root), 3);
    assert_member(f.root, "ts", TS, strlen(TS));
    assert_member(f.root, "level", "info", 4);
    assert_member(f.root, "msg", "hello", 5);
    formatted_free(&f);

    f = format(LC_DEBUG, "", 0, NULL, 0);
    assert_member(f.root, "msg", "", 0);
    formatted_free(&f);
}
END_TEST

/* Every level is written with syslog's name. */
START_TEST(test_level_names)
{
    static const char *const NAMES[] = {"emergency", "alert",  "critical", "error",
                                        "warning",   "notice", "info",     "debug"};
    for (int l = LC_EMERGENCY; l <= LC_DEBUG; l++) {
        formatted f = format((lc_level)l, "m", 1, NULL, 0);
        assert_member(f.root, "level", NAMES[l], strlen(NAMES[l]));
        ck_assert_int_eq(lc_level_from_name(NAMES[l]), l);
        formatted_free(&f);
    }
}
END_TEST

/* The worst case of every level: a message and fields made only of bytes
 * that take six bytes each (\u0001), in a block of exactly the bound.
 * "emergency" is the longest level name: the fixed part is then 65 bytes. */
START_TEST(test_bound_worst_case)
{
    static const size_t LENS[] = {0, 1, 2, 7, 100, 5000};
    for (int l = LC_EMERGENCY; l <= LC_DEBUG; l++) {
        for (size_t i = 0; i < sizeof LENS / sizeof LENS[0]; i++) {
            char *msg = malloc(LENS[i] + 1);
            ck_assert_ptr_nonnull(msg);
            memset(msg, 0x01, LENS[i]);
            msg[LENS[i]] = '\0';
            formatted f = format((lc_level)l, msg, LENS[i], NULL, 0);
            formatted_free(&f);
            if (LENS[i] > 0) {
                const char *kv[] = {"k\x01", msg, "\x02", msg};
                f = format((lc_level)l, msg, LENS[i], kv, 4);
                formatted_free(&f);
            }
            free(msg);
        }
    }
}
END_TEST

/* Quotes, backslashes, every control byte, DEL, '/'. */
START_TEST(test_escapes)
{
    static const char *const CASES[] = {
        "\"quoted\"", "back\\slash", "\\\"", "line\nfeed", "cr\rlf\n", "tab\there",
        "\b\f",       "/slash/",     "\x7f del", "{\"not\":\"json\"}", "}\"}",
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        assert_msg_roundtrip(CASES[i], strlen(CASES[i]), LC_NOTICE);

    char all[31];
    for (int c = 1; c < 0x20; c++)
        all[c - 1] = (char)c;
    assert_msg_roundtrip(all, sizeof all, LC_INFO);

    /* the control bytes are escaped, never raw: the record is one line */
    formatted f = format(LC_INFO, all, sizeof all, NULL, 0);
    for (size_t k = 0; k < f.len; k++)
        ck_assert_msg((unsigned char)f.text[k] >= 0x20, "raw byte 0x%02x at %zu",
                      (unsigned char)f.text[k], k);
    formatted_free(&f);
}
END_TEST

/* Valid UTF-8 passes unchanged; each byte of an invalid sequence becomes
 * U+FFFD (the header's promise); the result always loads. */
START_TEST(test_invalid_utf8)
{
    static const struct {
        const char *in, *out;
    } CASES[] = {
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"\xe2\x82\xac \xf0\x9f\x98\x80", "\xe2\x82\xac \xf0\x9f\x98\x80"},
        {"\xef\xbf\xbd", "\xef\xbf\xbd"},
        {"\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"}, /* U+10FFFF */
        {"\xff", "\xef\xbf\xbd"},
        {"a\xc3", "a\xef\xbf\xbd"},                             /* cut at the end */
        {"\xc3(", "\xef\xbf\xbd("},                             /* cut by ASCII */
        {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},               /* overlong '/' */
        {"\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* U+D800 */
        {"\xf4\x90\x80\x80",
         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* above U+10FFFF */
        {"\x80\xbf", "\xef\xbf\xbd\xef\xbf\xbd"},             /* lone continuations */
        {"\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd"},             /* cut 3-byte */
        {"\"\xff\\", "\"\xef\xbf\xbd\\"},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        formatted f = format(LC_WARNING, CASES[i].in, strlen(CASES[i].in), NULL, 0);
        assert_member(f.root, "msg", CASES[i].out, strlen(CASES[i].out));
        formatted_free(&f);
        /* and the reference agrees with the table */
        size_t wl;
        char *want = ref_sanitize(CASES[i].in, strlen(CASES[i].in), &wl);
        ck_assert_str_eq(want, CASES[i].out);
        free(want);
    }
}
END_TEST

/* Every one- and two-byte message. */
START_TEST(test_all_short_messages)
{
    char m[2];
    for (int a = 0; a < 256; a++) {
        m[0] = (char)a;
        assert_msg_roundtrip(m, 1, LC_INFO);
        for (int b = 0; b < 256; b += (a & 1) ? 1 : 17) {
            m[1] = (char)b;
            assert_msg_roundtrip(m, 2, LC_INFO);
        }
    }
}
END_TEST

/* A NUL inside a counted message becomes U+FFFD, never \u0000 (which the
 * collector refuses). */
START_TEST(test_nul_bytes)
{
    static const struct {
        const char *in;
        size_t len;
    } CASES[] = {
        {"\0", 1}, {"a\0b", 3}, {"\0\0\0", 3}, {"end\0", 4}, {"\xc3\0\xa9", 3}, {"\"\0\\", 3},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        formatted f = format(LC_ERROR, CASES[i].in, CASES[i].len, NULL, 0);
        ck_assert_ptr_null(memmem(f.text, f.len, "\\u0000", 6));
        ck_assert_ptr_null(memchr(f.text, '\0', f.len));
        formatted_free(&f);
        assert_msg_roundtrip(CASES[i].in, CASES[i].len, LC_ERROR);
    }
}
END_TEST

/* Long messages, of random bytes and of text, near and far above the
 * library's stack buffer. */
START_TEST(test_long_messages)
{
    static const size_t LENS[] = {2047, 2048, 65536, 1 << 20};
    srand(14);
    for (size_t i = 0; i < sizeof LENS / sizeof LENS[0]; i++) {
        char *m = malloc(LENS[i]);
        ck_assert_ptr_nonnull(m);
        for (size_t k = 0; k < LENS[i]; k++)
            m[k] = (char)(rand() & 0xff);
        assert_msg_roundtrip(m, LENS[i], LC_DEBUG);
        for (size_t k = 0; k < LENS[i]; k++)
            m[k] = "ab\xc3\xa9\"\\\n"[k % 7];
        assert_msg_roundtrip(m, LENS[i], LC_DEBUG);
        free(m);
    }
}
END_TEST

/* Fields: in order after ts, level, msg; names and values escaped and
 * sanitized like the message. */
START_TEST(test_kv_pairs)
{
    const char *kv[] = {
        "user",         "alice",       "quote\"d", "va\"l\\ue", "ctl\x01", "\n\t",
        "caf\xc3\xa9", "\xff\xfe",    "empty",    "",          "n",       "42",
    };
    size_t nkv = sizeof kv / sizeof kv[0];
    formatted f = format(LC_INFO, "with fields", 11, kv, nkv);
    ck_assert_uint_eq(json_object_size(f.root), 3 + nkv / 2);
    for (size_t i = 0; i < nkv; i += 2) {
        size_t nl, vl;
        char *name = ref_sanitize(kv[i], strlen(kv[i]), &nl);
        char *want = ref_sanitize(kv[i + 1], strlen(kv[i + 1]), &vl);
        assert_member(f.root, name, want, vl);
        free(name);
        free(want);
    }
    /* values stay strings: "42" is not a number */
    ck_assert(json_is_string(json_object_get(f.root, "n")));
    /* order: ts, level, msg, then the fields as given */
    const char *order[] = {"\"ts\":", "\"level\":", "\"msg\":", "\"user\":", "\"quote\\\"d\":",
                           "\"empty\":", "\"n\":"};
    char *z = strndup(f.text, f.len); /* f.text has no NUL */
    ck_assert_ptr_nonnull(z);
    const char *prev = NULL;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *at = strstr(z, order[i]);
        ck_assert_msg(at != NULL && (prev == NULL || at > prev), "%s out of order in %s",
                      order[i], z);
        prev = at;
    }
    free(z);
    formatted_free(&f);

    /* an odd trailing name is ignored by the formatter (lcc_check_kv
     * refuses it before) */
    const char *odd[] = {"a", "1", "b"};
    f = format(LC_INFO, "x", 1, odd, 3);
    ck_assert_uint_eq(json_object_size(f.root), 4);
    formatted_free(&f);
}
END_TEST

/* ========================== field checks ========================== */

START_TEST(test_check_field_name)
{
    char err[256];
    static const char *const BAD[] = {"", "_", "_sid", "ts", "level", "msg"};
    ck_assert_int_eq(lcc_check_field_name(NULL, err, sizeof err), LC_EINVAL);
    ck_assert_str_eq(err, "field name is NULL");
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        err[0] = '\0';
        ck_assert_int_eq(lcc_check_field_name(BAD[i], err, sizeof err), LC_EINVAL);
        ck_assert_msg(err[0] != '\0', "no reason for \"%s\"", BAD[i]);
    }
    ck_assert_ptr_nonnull(strstr((lcc_check_field_name("_sid", err, sizeof err), err),
                                 "\"_sid\" is reserved"));
    ck_assert_ptr_nonnull(strstr((lcc_check_field_name("msg", err, sizeof err), err),
                                 "already used"));
    static const char *const GOOD[] = {"a", "tsx", "Level", "MSG", "x_", "\xc3\xa9", " "};
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++)
        ck_assert_int_eq(lcc_check_field_name(GOOD[i], err, sizeof err), LC_OK);
    /* a short err buffer is cut, not overrun */
    char tiny[8];
    memset(tiny, 'x', sizeof tiny);
    ck_assert_int_eq(lcc_check_field_name("_long_name", tiny, 5), LC_EINVAL);
    ck_assert_int_eq(tiny[4], '\0');
    ck_assert_int_eq(tiny[5], 'x');
}
END_TEST

START_TEST(test_check_kv)
{
    char err[256];
    size_t bytes = 100; /* added to, not overwritten */
    const char *good[] = {"a", "bc", "def", ""};
    ck_assert_int_eq(lcc_check_kv(good, 4, &bytes, err, sizeof err), LC_OK);
    ck_assert_uint_eq(bytes, 106);
    ck_assert_int_eq(lcc_check_kv(good, 0, &bytes, err, sizeof err), LC_OK);
    ck_assert_uint_eq(bytes, 106);

    const char *odd[] = {"a", "1", "b"};
    ck_assert_int_eq(lcc_check_kv(odd, 3, &bytes, err, sizeof err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "\"b\" has no value"));
    const char *nullv[] = {"a", NULL};
    ck_assert_int_eq(lcc_check_kv(nullv, 2, &bytes, err, sizeof err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "NULL value"));
    const char *twice[] = {"a", "1", "b", "2", "a", "3"};
    ck_assert_int_eq(lcc_check_kv(twice, 6, &bytes, err, sizeof err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "\"a\" is given twice"));
    const char *reserved[] = {"ok", "1", "_pid", "2"};
    ck_assert_int_eq(lcc_check_kv(reserved, 4, &bytes, err, sizeof err), LC_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "reserved"));
    const char *own[] = {"level", "x"};
    ck_assert_int_eq(lcc_check_kv(own, 2, &bytes, err, sizeof err), LC_EINVAL);
    /* refused lists add nothing */
    ck_assert_uint_eq(bytes, 106);
}
END_TEST

START_TEST(test_record_bound)
{
    ck_assert_uint_eq(lcc_record_bound(SIZE_MAX, 0, 0), SIZE_MAX);
    ck_assert_uint_eq(lcc_record_bound(0, SIZE_MAX / 4, 2), SIZE_MAX);
    ck_assert_uint_eq(lcc_record_bound(0, 0, SIZE_MAX / 2), SIZE_MAX);
    ck_assert_uint_eq(lcc_record_bound(SIZE_MAX / 8, SIZE_MAX / 8, 2), SIZE_MAX);
    /* grows with each input */
    size_t b = lcc_record_bound(10, 10, 2);
    ck_assert_uint_gt(lcc_record_bound(11, 10, 2), b);
    ck_assert_uint_gt(lcc_record_bound(10, 11, 2), b);
    ck_assert_uint_gt(lcc_record_bound(10, 10, 4), b);
}
END_TEST

/* ========================= notice, timestamp ========================= */

START_TEST(test_notice)
{
    static const uint64_t N[] = {0, 1, 12345, UINT64_MAX};
    for (size_t i = 0; i < sizeof N / sizeof N[0]; i++) {
        char buf[LCC_NOTICE_MAX];
        size_t n = lcc_format_notice(buf, TS, N[i]);
        ck_assert_uint_gt(n, 0);
        ck_assert_uint_lt(n, LCC_NOTICE_MAX);
        json_error_t e;
        /* UINT64_MAX overflows json_int_t: read the numbers as doubles */
        json_t *o = json_loadb(buf, n, JSON_DECODE_INT_AS_REAL, &e);
        ck_assert_msg(o != NULL, "%s in %.*s", e.text, (int)n, buf);
        ck_assert_uint_eq(json_object_size(o), 4);
        assert_member(o, "ts", TS, strlen(TS));
        assert_member(o, "level", "warning", 7);
        char want[96];
        snprintf(want, sizeof want, "logcollect client dropped %llu records",
                 (unsigned long long)N[i]);
        assert_member(o, "msg", want, strlen(want));
        /* the exact digits, as the raw text holds them */
        snprintf(want, sizeof want, ",\"dropped\":%llu}", (unsigned long long)N[i]);
        ck_assert_uint_ge(n, strlen(want));
        ck_assert_mem_eq(buf + n - strlen(want), want, strlen(want));
        ck_assert(json_real_value(json_object_get(o, "dropped")) == (double)N[i]);
        json_decref(o);
    }
}
END_TEST

/* lcc_timestamp: RFC 3339 UTC with microseconds, today, never going back
 * within a thread (the cached second). */
START_TEST(test_timestamp)
{
    char prev[LCP_TIME_LEN + 1] = "";
    for (int i = 0; i < 2000; i++) {
        char ts[LCP_TIME_LEN + 1];
        /* not time(): glibc reads a coarse clock there, which lags */
        struct timespec b0, a0;
        clock_gettime(CLOCK_REALTIME, &b0);
        lcc_timestamp(ts);
        clock_gettime(CLOCK_REALTIME, &a0);
        time_t before = b0.tv_sec, after = a0.tv_sec;
        ts[LCP_TIME_LEN] = '\0';
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
        ck_assert_msg(rest && rest[0] == '.' && strlen(rest) == 8 && rest[7] == 'Z',
                      "bad timestamp %s", ts);
        for (int k = 1; k < 7; k++)
            ck_assert(rest[k] >= '0' && rest[k] <= '9');
        time_t t = timegm(&tm);
        ck_assert_msg(t >= before && t <= after, "%s is not now", ts);
        ck_assert_msg(strcmp(ts, prev) >= 0, "%s after %s", ts, prev);
        memcpy(prev, ts, sizeof ts);
        formatted f;
        /* and it is what lcc_format_record expects */
        f.bound = lcc_record_bound(1, 0, 0);
        f.text = malloc(f.bound);
        ck_assert_ptr_nonnull(f.text);
        f.len = lcc_format_record(f.text, ts, LC_INFO, "x", 1, NULL, 0);
        f.root = json_loadb(f.text, f.len, 0, NULL);
        ck_assert_ptr_nonnull(f.root);
        assert_member(f.root, "ts", ts, LCP_TIME_LEN);
        formatted_free(&f);
    }
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("format");
    TCase *tc = tcase_create("records");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_plain_record);
    tcase_add_test(tc, test_level_names);
    tcase_add_test(tc, test_bound_worst_case);
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_invalid_utf8);
    tcase_add_test(tc, test_all_short_messages);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_long_messages);
    tcase_add_test(tc, test_kv_pairs);
    suite_add_tcase(s, tc);

    tc = tcase_create("checks");
    tcase_add_test(tc, test_check_field_name);
    tcase_add_test(tc, test_check_kv);
    tcase_add_test(tc, test_record_bound);
    tcase_add_test(tc, test_notice);
    tcase_add_test(tc, test_timestamp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    printf("test_format: jansson %s (built against %s)\n", jansson_version_str(),
           JANSSON_VERSION);
    SRunner *sr = srunner_create(format_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
