/*
 * test_auth.c - unit tests for proto/auth.c: the CPython-compatible HMAC
 * challenge-response handshake, driven entirely in memory.
 *
 * The expected MACs below were computed with CPython's hmac module, not
 * with this code, so the tests check interoperability with Python's
 * multiprocessing.connection and not only agreement with ourselves:
 *
 *   key   = bytes(range(0x00, 0x20))          # KEY_A
 *   keyb  = bytes(range(0x20, 0x40))          # KEY_B
 *   nonce = bytes(range(0x40, 0x68))          # NONCE_A, 40 bytes
 *   nb    = bytes(range(0x80, 0xa8))          # NONCE_B, 40 bytes
 *   leg   = bytes(range(0xa0, 0xb4))          # LEGACY_CHAL, 20 bytes
 *   hmac.new(key,  b"{sha256}" + nonce, "sha256")    -> VEC_SHA256_A
 *   hmac.new(key,  b"{sha256}" + nb,    "sha256")    -> VEC_SHA256_NB
 *   hmac.new(keyb, b"{sha256}" + nonce, "sha256")    -> VEC_SHA256_KEYB
 *   hmac.new(key,  b"{sha256}" + nonce, "md5")       -> VEC_MD5_A
 *   hmac.new(key,  b"{sha256}" + nonce, "sha384")    -> VEC_SHA384_A
 *   hmac.new(key,  b"{sha256}" + nonce, "sha3_256")  -> VEC_SHA3_256_A
 *   hmac.new(key,  b"{sha256}" + nonce, "sha3_384")  -> VEC_SHA3_384_A
 *   hmac.new(key,  b"{sha384}" + nonce, "sha384")    -> VEC_SHA384CHAL
 *   hmac.new(key,  b"{md5}" + nonce,    "md5")       -> VEC_MD5CHAL
 *   hmac.new(key,  leg,                 "md5")       -> VEC_LEGACY
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "frame.h"
#include "keyfile.h"

#define VEC_SHA256_A "aeef28587ce691021a142d72ca231354dea905bb09303a76d8fa4670dc2f6f42"
#define VEC_SHA256_NB "4b6e20b03d7eb44ff1b60614752ccc3a44a19aaf7ff52cc4527d0c9b2f2e95e7"
#define VEC_SHA256_KEYB "aabf0175353e708a1112f45f6b6141923d3f2562bc8992e17ae74ef932464a13"
#define VEC_MD5_A "34ae76d998b73c102c5e27bdd6271e88"
#define VEC_SHA384_A                                                           \
    "5af0c952ce78edb31591f4af2da8cba5c6bd451fc846ea9067799fb2de0bd1ab270417e2" \
    "a9d3980487690b15ed6a9680"
#define VEC_SHA3_256_A "287df24b42ef8638736e974c35a0da9aee9cf0537197b54ac87239a323a33e87"
#define VEC_SHA3_384_A                                                         \
    "14dc026b73c6d5cc3340f84f0bc5a929e4f52f6276dfaf242b20e0a6719556c82e0ed7b4" \
    "287a4c05a0400c8d532c99fc"
#define VEC_SHA384CHAL                                                         \
    "9227169b2e11a742a3ca8bb0be7e38a37b75200ba9a1d5afe62e904bf1aca05959426f35" \
    "ef31de59b3d7c0463282948a"
#define VEC_MD5CHAL "e1536d760f3d92177c499634323b5034"
#define VEC_LEGACY "4b0560f7af0e63e9dd3662c0819d69a0"

static uint8_t KEY_A[32], KEY_B[32], KEY_C[16];
static uint8_t NONCE_A[LCP_AUTH_NONCE_LEN], NONCE_B[LCP_AUTH_NONCE_LEN];
static uint8_t LEGACY_CHAL[20];

static void fill(uint8_t *p, size_t n, unsigned start)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(start + i);
}

static void init_fixtures(void)
{
    fill(KEY_A, sizeof KEY_A, 0x00);
    fill(KEY_B, sizeof KEY_B, 0x20);
    memset(KEY_C, 0xee, sizeof KEY_C);
    fill(NONCE_A, sizeof NONCE_A, 0x40);
    fill(NONCE_B, sizeof NONCE_B, 0x80);
    fill(LEGACY_CHAL, sizeof LEGACY_CHAL, 0xa0);
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decode hex into out; returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex);
    ck_assert_uint_eq(n % 2, 0);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexdigit(hex[2 * i]), lo = hexdigit(hex[2 * i + 1]);
        ck_assert(hi >= 0 && lo >= 0);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n / 2;
}

/* prefix + unhex(hex) into out; returns the length. */
static size_t prefixed(const char *prefix, const char *hex, uint8_t *out)
{
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    return pl + unhex(hex, out + pl);
}

/* "{sha256}" + nonce: the challenge payload a side makes from a nonce. */
static size_t chal_of(const uint8_t nonce[LCP_AUTH_NONCE_LEN], uint8_t *out)
{
    memcpy(out, "{sha256}", 8);
    memcpy(out + 8, nonce, LCP_AUTH_NONCE_LEN);
    return 8 + LCP_AUTH_NONCE_LEN;
}

/* "#CHALLENGE#" + payload */
static size_t challenge_msg(const uint8_t *payload, size_t n, uint8_t *out)
{
    memcpy(out, "#CHALLENGE#", 11);
    memcpy(out + 11, payload, n);
    return 11 + n;
}

/* ---- splitting what a state machine emitted into frames ---- */

typedef struct {
    const uint8_t *p[4];
    size_t len[4];
    size_t n;
} frames;

static frames split(const lcp_auth_out *out)
{
    frames fr;
    memset(&fr, 0, sizeof fr);
    size_t off = 0;
    ck_assert_uint_le(out->len, sizeof out->data);
    while (off < out->len) {
        lcp_frame f;
        ck_assert_int_eq(lcp_frame_next(out->data + off, out->len - off,
                                        LCP_AUTH_MAX_MSG, &f),
                         LCP_FRAME_OK);
        ck_assert_uint_lt(fr.n, 4);
        fr.p[fr.n] = f.payload;
        fr.len[fr.n] = f.len;
        fr.n++;
        off += f.consumed;
    }
    ck_assert_uint_eq(off, out->len);
    return fr;
}

/* The one frame out holds; asserts there is exactly one. */
static const uint8_t *one_frame(const lcp_auth_out *out, size_t *len)
{
    frames fr = split(out);
    ck_assert_uint_eq(fr.n, 1);
    *len = fr.len[0];
    return fr.p[0];
}

static void assert_one_msg(const lcp_auth_out *out, const void *want, size_t want_len)
{
    size_t len;
    const uint8_t *p = one_frame(out, &len);
    ck_assert_uint_eq(len, want_len);
    ck_assert_mem_eq(p, want, want_len);
}

static void assert_one_str(const lcp_auth_out *out, const char *s)
{
    assert_one_msg(out, s, strlen(s));
}

/* ---- a keyring made of the fixture keys ---- */

typedef struct {
    lcp_key keys[4];
    lcp_keyring ring;
} test_ring;

static void ring_add(test_ring *r, const char *name, uint8_t *bytes, size_t len)
{
    lcp_key *k = &r->keys[r->ring.n++];
    snprintf(k->name, sizeof k->name, "%s", name);
    k->bytes = bytes;
    k->len = len;
}

static void ring_init(test_ring *r)
{
    memset(r, 0, sizeof *r);
    r->ring.keys = r->keys;
}

/* ---- driving both machines against each other ---- */

typedef struct {
    int to_client; /* 1: server -> client */
    uint8_t b[LCP_AUTH_MAX_MSG];
    size_t len;
} msg_rec;

typedef struct {
    lcp_server_hs srv;
    lcp_client_hs cli;
    lcp_hs_result srv_res, cli_res;
    msg_rec t[12]; /* transcript */
    size_t nt;
} session;

static void run_session(session *s, const lcp_keyring *ring, int allow_legacy,
                        const uint8_t *srv_nonce, const uint8_t *key, size_t keylen,
                        const uint8_t *cli_nonce)
{
    memset(s, 0, sizeof *s);
    lcp_auth_out out;
    lcp_server_hs_start(&s->srv, ring, allow_legacy, srv_nonce, &out);
    lcp_client_hs_start(&s->cli, key, keylen, cli_nonce);
    s->srv_res = s->cli_res = LCP_HS_CONTINUE;
    int to_client = 1;
    for (int round = 0; round < 10 && out.len > 0; round++) {
        lcp_auth_out cur = out, next;
        next.len = 0;
        frames fr = split(&cur);
        for (size_t i = 0; i < fr.n; i++) {
            ck_assert_uint_lt(s->nt, 12);
            msg_rec *m = &s->t[s->nt++];
            m->to_client = to_client;
            ck_assert_uint_le(fr.len[i], LCP_AUTH_MAX_MSG);
            memcpy(m->b, fr.p[i], fr.len[i]);
            m->len = fr.len[i];
            lcp_auth_out o;
            if (to_client)
                s->cli_res = lcp_client_hs_input(&s->cli, fr.p[i], fr.len[i], &o);
            else
                s->srv_res = lcp_server_hs_input(&s->srv, fr.p[i], fr.len[i], &o);
            ck_assert_uint_le(next.len + o.len, sizeof next.data);
            memcpy(next.data + next.len, o.data, o.len);
            next.len += o.len;
        }
        out = next;
        to_client = !to_client;
    }
    ck_assert_uint_eq(out.len, 0);
}

static void assert_msg(const msg_rec *m, int to_client, const void *want, size_t len)
{
    ck_assert_int_eq(m->to_client, to_client);
    ck_assert_uint_eq(m->len, len);
    ck_assert_mem_eq(m->b, want, len);
}

/* A server that accepted KEY_A's answer to NONCE_A and now waits for the
 * client's challenge. */
static void server_at_wait_challenge(lcp_server_hs *hs, const lcp_keyring *ring,
                                     int allow_legacy)
{
    lcp_auth_out out;
    uint8_t resp[64];
    lcp_server_hs_start(hs, ring, allow_legacy, NONCE_A, &out);
    size_t n = prefixed("{sha256}", VEC_SHA256_A, resp);
    ck_assert_int_eq(lcp_server_hs_input(hs, resp, n, &out), LCP_HS_CONTINUE);
    assert_one_str(&out, "#WELCOME#");
}

/* ... and has also answered the client's challenge (NONCE_B). */
static void server_at_wait_welcome(lcp_server_hs *hs, const lcp_keyring *ring)
{
    lcp_auth_out out;
    uint8_t chal[64], msg[128];
    server_at_wait_challenge(hs, ring, 0);
    size_t n = challenge_msg(chal, chal_of(NONCE_B, chal), msg);
    ck_assert_int_eq(lcp_server_hs_input(hs, msg, n, &out), LCP_HS_CONTINUE);
    uint8_t want[64];
    size_t wn = prefixed("{sha256}", VEC_SHA256_NB, want);
    assert_one_msg(&out, want, wn);
}

/* A client (KEY_A, NONCE_B) that answered the server's NONCE_A challenge. */
static void client_at_wait_welcome(lcp_client_hs *hs)
{
    lcp_auth_out out;
    uint8_t chal[64], msg[128];
    lcp_client_hs_start(hs, KEY_A, sizeof KEY_A, NONCE_B);
    size_t n = challenge_msg(chal, chal_of(NONCE_A, chal), msg);
    ck_assert_int_eq(lcp_client_hs_input(hs, msg, n, &out), LCP_HS_CONTINUE);
    uint8_t want[64];
    size_t wn = prefixed("{sha256}", VEC_SHA256_A, want);
    assert_one_msg(&out, want, wn);
}

/* ... that was welcomed and sent its own challenge. */
static void client_at_wait_response(lcp_client_hs *hs)
{
    lcp_auth_out out;
    client_at_wait_welcome(hs);
    ck_assert_int_eq(lcp_client_hs_input(hs, (const uint8_t *)"#WELCOME#", 9, &out),
                     LCP_HS_CONTINUE);
    uint8_t chal[64], want[128];
    size_t wn = challenge_msg(chal, chal_of(NONCE_B, chal), want);
    assert_one_msg(&out, want, wn);
}

/* =========================== tests =========================== */

START_TEST(test_primitives_known_vectors)
{
    uint8_t chal[64], out[LCP_AUTH_MAX_MSG], want[128];
    size_t cn = chal_of(NONCE_A, chal);
    lcp_hs_failure why = LCP_HSF_NONE;

    int n = lcp_auth_answer(KEY_A, sizeof KEY_A, chal, cn, 0, out, &why);
    size_t wn = prefixed("{sha256}", VEC_SHA256_A, want);
    ck_assert_int_eq(n, (int)wn);
    ck_assert_uint_eq(wn, 8 + 32);
    ck_assert_mem_eq(out, want, wn);
    ck_assert_int_eq(lcp_auth_check(KEY_A, sizeof KEY_A, chal, cn, want, wn, 0, &why), 0);

    /* with KEY_B */
    n = lcp_auth_answer(KEY_B, sizeof KEY_B, chal, cn, 0, out, &why);
    wn = prefixed("{sha256}", VEC_SHA256_KEYB, want);
    ck_assert_int_eq(n, (int)wn);
    ck_assert_mem_eq(out, want, wn);

    /* other digests the verifier accepts for a {sha256} challenge */
    static const struct {
        const char *prefix, *hex;
        int legacy;
    } ok[] = {
        {"{sha384}", VEC_SHA384_A, 0},
        {"{sha3_256}", VEC_SHA3_256_A, 0},
        {"{sha3_384}", VEC_SHA3_384_A, 0},
        {"{md5}", VEC_MD5_A, 1},
        {"", VEC_MD5_A, 1}, /* raw 16-byte legacy answer */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        wn = prefixed(ok[i].prefix, ok[i].hex, want);
        why = LCP_HSF_NONE;
        ck_assert_msg(lcp_auth_check(KEY_A, sizeof KEY_A, chal, cn, want, wn, 1, &why) == 0,
                      "%s%s refused with legacy allowed", ok[i].prefix, ok[i].hex);
        why = LCP_HSF_NONE;
        int rc = lcp_auth_check(KEY_A, sizeof KEY_A, chal, cn, want, wn, 0, &why);
        if (ok[i].legacy) {
            ck_assert_int_eq(rc, -1);
            ck_assert_int_eq(why, LCP_HSF_LEGACY);
        } else {
            ck_assert_int_eq(rc, 0);
        }
        /* one flipped bit in the MAC */
        want[wn - 1] ^= 0x01;
        why = LCP_HSF_NONE;
        ck_assert_int_eq(lcp_auth_check(KEY_A, sizeof KEY_A, chal, cn, want, wn, 1, &why), -1);
        ck_assert_int_eq(why, LCP_HSF_WRONG_KEY);
        /* the right MAC under a different key */
        want[wn - 1] ^= 0x01;
        why = LCP_HSF_NONE;
        ck_assert_int_eq(lcp_auth_check(KEY_B, sizeof KEY_B, chal, cn, want, wn, 1, &why), -1);
        ck_assert_int_eq(why, LCP_HSF_WRONG_KEY);
    }

    /* answering a {sha384} challenge: HMAC-SHA384 over "{sha384}" + nonce */
    uint8_t c384[64];
    memcpy(c384, "{sha384}", 8);
    memcpy(c384 + 8, NONCE_A, LCP_AUTH_NONCE_LEN);
    n = lcp_auth_answer(KEY_A, sizeof KEY_A, c384, 48, 0, out, &why);
    wn = prefixed("{sha384}", VEC_SHA384CHAL, want);
    ck_assert_int_eq(n, (int)wn);
    ck_assert_mem_eq(out, want, wn);

    /* answering a {md5} challenge: only with legacy allowed */
    uint8_t cmd5[64];
    memcpy(cmd5, "{md5}", 5);
    memcpy(cmd5 + 5, NONCE_A, LCP_AUTH_NONCE_LEN);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_answer(KEY_A, sizeof KEY_A, cmd5, 45, 0, out, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_LEGACY);
    n = lcp_auth_answer(KEY_A, sizeof KEY_A, cmd5, 45, 1, out, &why);
    wn = prefixed("{md5}", VEC_MD5CHAL, want);
    ck_assert_int_eq(n, (int)wn);
    ck_assert_mem_eq(out, want, wn);

    /* a 20-byte legacy challenge: raw HMAC-MD5, only with legacy allowed */
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_answer(KEY_A, sizeof KEY_A, LEGACY_CHAL, 20, 0, out, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_LEGACY);
    n = lcp_auth_answer(KEY_A, sizeof KEY_A, LEGACY_CHAL, 20, 1, out, &why);
    wn = unhex(VEC_LEGACY, want);
    ck_assert_int_eq(n, 16);
    ck_assert_mem_eq(out, want, 16);
}
END_TEST

START_TEST(test_primitives_refusals)
{
    uint8_t chal[64], out[LCP_AUTH_MAX_MSG], resp[128];
    size_t cn = chal_of(NONCE_A, chal);
    lcp_hs_failure why;

    /* challenges: too short, too long, no prefix, unknown digest */
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_answer(KEY_A, 32, chal, 19, 1, out, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_BAD_MESSAGE);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_answer(KEY_A, 32, chal, 0, 1, out, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_BAD_MESSAGE);
    uint8_t big[LCP_AUTH_MAX_MSG + 1];
    memset(big, 'a', sizeof big);
    memcpy(big, "{sha256}", 8);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_answer(KEY_A, 32, big, sizeof big, 1, out, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_BAD_MESSAGE);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_answer(KEY_A, 32, NONCE_A, 40, 1, out, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_BAD_MESSAGE);
    uint8_t sha1c[64];
    memcpy(sha1c, "{sha1}", 6);
    memcpy(sha1c + 6, NONCE_A, 40);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_answer(KEY_A, 32, sha1c, 46, 1, out, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_DIGEST);

    /* responses */
    static const struct {
        const char *text;
        lcp_hs_failure why;
    } bad[] = {
        {"{sha1}0123456789abcdefghij", LCP_HSF_DIGEST},
        {"{sha512}0123456789abcdefghij0123456789abcdefghij", LCP_HSF_DIGEST},
        {"{}0123456789abcdefghij01234", LCP_HSF_DIGEST},
        {"{SHA256}0123456789abcdefghij0123456789ab", LCP_HSF_DIGEST},
        {"{sha256}", LCP_HSF_WRONG_KEY},                 /* no MAC at all */
        {"{sha256}0123456789abcdefghij0123456789ab", LCP_HSF_WRONG_KEY},
        {"{sha256 0123456789abcdefghij0123456789ab", LCP_HSF_BAD_MESSAGE},
        {"{sha3_3840}0123456789abcdefghij01234567", LCP_HSF_BAD_MESSAGE}, /* '}' too far */
        {"sha256}0123456789abcdefghij0123456789ab", LCP_HSF_BAD_MESSAGE},
        {"", LCP_HSF_BAD_MESSAGE},
        {"{", LCP_HSF_BAD_MESSAGE},
        {"#WELCOME#", LCP_HSF_BAD_MESSAGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = LCP_HSF_NONE;
        int rc = lcp_auth_check(KEY_A, 32, chal, cn, (const uint8_t *)bad[i].text,
                                strlen(bad[i].text), 1, &why);
        ck_assert_msg(rc == -1 && why == bad[i].why, "\"%s\": rc %d why %d, want %d",
                      bad[i].text, rc, (int)why, (int)bad[i].why);
    }

    /* the right sha256 MAC cut short by one byte, or with one byte more */
    size_t n = prefixed("{sha256}", VEC_SHA256_A, resp);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_check(KEY_A, 32, chal, cn, resp, n - 1, 1, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_WRONG_KEY);
    resp[n] = 0;
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_check(KEY_A, 32, chal, cn, resp, n + 1, 1, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_WRONG_KEY);

    /* a 20-byte response is "legacy length": HMAC-MD5 is 16, so it never fits */
    uint8_t r20[20];
    memset(r20, 0, sizeof r20);
    unhex(VEC_MD5_A, r20);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_check(KEY_A, 32, chal, cn, r20, 20, 1, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_WRONG_KEY);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_check(KEY_A, 32, chal, cn, r20, 20, 0, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_LEGACY);

    /* the key is all of the key: a 16-byte prefix of KEY_A is another key */
    n = prefixed("{sha256}", VEC_SHA256_A, resp);
    why = LCP_HSF_NONE;
    ck_assert_int_eq(lcp_auth_check(KEY_A, 16, chal, cn, resp, n, 0, &why), -1);
    ck_assert_int_eq(why, LCP_HSF_WRONG_KEY);
}
END_TEST

START_TEST(test_server_start_challenge)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    lcp_server_hs hs;
    lcp_auth_out out;
    memset(&out, 0x55, sizeof out); /* start must reset out->len */
    lcp_server_hs_start(&hs, &r.ring, 0, NONCE_A, &out);

    /* exactly: 4-byte header + "#CHALLENGE#{sha256}" + nonce */
    size_t body = 11 + 8 + LCP_AUTH_NONCE_LEN;
    ck_assert_uint_eq(out.len, LCP_FRAME_HDR + body);
    static const uint8_t hdr[4] = {0, 0, 0, 59};
    ck_assert_uint_eq(body, 59);
    ck_assert_mem_eq(out.data, hdr, 4);
    ck_assert_mem_eq(out.data + 4, "#CHALLENGE#{sha256}", 19);
    ck_assert_mem_eq(out.data + 4 + 19, NONCE_A, LCP_AUTH_NONCE_LEN);
    ck_assert_int_eq(hs.key_index, -1);
    ck_assert_int_eq(hs.failure, LCP_HSF_NONE);

    /* another nonce, another challenge */
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_B, &out);
    ck_assert_uint_eq(out.len, LCP_FRAME_HDR + body);
    ck_assert_mem_eq(out.data + 4 + 19, NONCE_B, LCP_AUTH_NONCE_LEN);
}
END_TEST

START_TEST(test_handshake_ok)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    for (int allow = 0; allow <= 1; allow++) {
        session s;
        run_session(&s, &r.ring, allow, NONCE_A, KEY_A, sizeof KEY_A, NONCE_B);
        ck_assert_int_eq(s.srv_res, LCP_HS_DONE);
        ck_assert_int_eq(s.cli_res, LCP_HS_DONE);
        ck_assert_int_eq(s.srv.key_index, 0);
        ck_assert_int_eq(s.srv.legacy, 0);
        ck_assert_int_eq(s.srv.failure, LCP_HSF_NONE);
        ck_assert_int_eq(s.cli.failure, LCP_HSF_NONE);

        /* the whole transcript, with the MACs Python computes */
        ck_assert_uint_eq(s.nt, 6);
        uint8_t want[128], chal[64];
        size_t n = challenge_msg(chal, chal_of(NONCE_A, chal), want);
        assert_msg(&s.t[0], 1, want, n);
        n = prefixed("{sha256}", VEC_SHA256_A, want);
        assert_msg(&s.t[1], 0, want, n);
        assert_msg(&s.t[2], 1, "#WELCOME#", 9);
        n = challenge_msg(chal, chal_of(NONCE_B, chal), want);
        assert_msg(&s.t[3], 0, want, n);
        n = prefixed("{sha256}", VEC_SHA256_NB, want);
        assert_msg(&s.t[4], 1, want, n);
        assert_msg(&s.t[5], 0, "#WELCOME#", 9);

        /* anything after DONE is refused */
        lcp_auth_out out;
        ck_assert_int_eq(lcp_server_hs_input(&s.srv, (const uint8_t *)"#WELCOME#", 9, &out),
                         LCP_HS_FAIL);
        ck_assert_uint_eq(out.len, 0);
        ck_assert_int_eq(lcp_client_hs_input(&s.cli, (const uint8_t *)"#WELCOME#", 9, &out),
                         LCP_HS_FAIL);
        ck_assert_uint_eq(out.len, 0);
    }
}
END_TEST

START_TEST(test_handshake_multikey)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "alpha", KEY_A, sizeof KEY_A);
    ring_add(&r, "beta", KEY_B, sizeof KEY_B);
    ring_add(&r, "gamma", KEY_C, sizeof KEY_C);

    static const struct {
        const uint8_t *key;
        size_t len;
        int index;
    } c[] = {{KEY_A, 32, 0}, {KEY_B, 32, 1}, {KEY_C, 16, 2}};
    for (size_t i = 0; i < 3; i++) {
        session s;
        run_session(&s, &r.ring, 0, NONCE_A, c[i].key, c[i].len, NONCE_B);
        ck_assert_int_eq(s.srv_res, LCP_HS_DONE);
        ck_assert_int_eq(s.cli_res, LCP_HS_DONE);
        ck_assert_int_eq(s.srv.key_index, c[i].index);
    }

    /* the server proves itself with the key that matched: with KEY_B and
     * the client nonce equal to NONCE_A, its answer is Python's value */
    session s;
    run_session(&s, &r.ring, 0, NONCE_A, KEY_B, sizeof KEY_B, NONCE_A);
    ck_assert_int_eq(s.srv_res, LCP_HS_DONE);
    ck_assert_int_eq(s.srv.key_index, 1);
    ck_assert_uint_eq(s.nt, 6);
    uint8_t want[64];
    size_t n = prefixed("{sha256}", VEC_SHA256_KEYB, want);
    assert_msg(&s.t[1], 0, want, n);
    assert_msg(&s.t[4], 1, want, n);

    /* the same key twice in a ring: the first one is reported */
    test_ring d;
    ring_init(&d);
    ring_add(&d, "x", KEY_C, sizeof KEY_C);
    ring_add(&d, "b1", KEY_B, sizeof KEY_B);
    ring_add(&d, "b2", KEY_B, sizeof KEY_B);
    run_session(&s, &d.ring, 0, NONCE_A, KEY_B, sizeof KEY_B, NONCE_B);
    ck_assert_int_eq(s.srv_res, LCP_HS_DONE);
    ck_assert_int_eq(s.srv.key_index, 1);
}
END_TEST

START_TEST(test_handshake_wrong_key)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "alpha", KEY_A, sizeof KEY_A);
    ring_add(&r, "gamma", KEY_C, sizeof KEY_C);

    for (int allow = 0; allow <= 1; allow++) {
        session s;
        run_session(&s, &r.ring, allow, NONCE_A, KEY_B, sizeof KEY_B, NONCE_B);
        ck_assert_int_eq(s.srv_res, LCP_HS_FAIL);
        ck_assert_int_eq(s.cli_res, LCP_HS_FAIL);
        ck_assert_int_eq(s.srv.failure, LCP_HSF_WRONG_KEY);
        ck_assert_int_eq(s.cli.failure, LCP_HSF_REJECTED);
        ck_assert_int_eq(s.srv.key_index, -1);
        ck_assert_uint_eq(s.nt, 3);
        assert_msg(&s.t[2], 1, "#FAILURE#", 9);
    }

    /* a 16-byte prefix of a 32-byte ring key is not that key */
    session s;
    run_session(&s, &r.ring, 0, NONCE_A, KEY_A, 16, NONCE_B);
    ck_assert_int_eq(s.srv_res, LCP_HS_FAIL);
    ck_assert_int_eq(s.srv.failure, LCP_HSF_WRONG_KEY);

    /* an empty ring accepts nobody */
    test_ring e;
    ring_init(&e);
    run_session(&s, &e.ring, 1, NONCE_A, KEY_A, sizeof KEY_A, NONCE_B);
    ck_assert_int_eq(s.srv_res, LCP_HS_FAIL);
    ck_assert_int_eq(s.srv.failure, LCP_HSF_WRONG_KEY);
    ck_assert_int_eq(s.cli.failure, LCP_HSF_REJECTED);
}
END_TEST

START_TEST(test_replayed_response)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    session s;
    run_session(&s, &r.ring, 1, NONCE_A, KEY_A, sizeof KEY_A, NONCE_B);
    ck_assert_int_eq(s.srv_res, LCP_HS_DONE);
    msg_rec captured = s.t[1];
    ck_assert_int_eq(captured.to_client, 0);

    /* fed to a server that challenged with another nonce: refused */
    lcp_server_hs hs;
    lcp_auth_out out;
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_B, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, captured.b, captured.len, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_WRONG_KEY);
    assert_one_str(&out, "#FAILURE#");

    /* the same bytes were a valid answer to NONCE_A */
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, captured.b, captured.len, &out),
                     LCP_HS_CONTINUE);
    assert_one_str(&out, "#WELCOME#");

    /* reflecting the server's own challenge back as the response fails */
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
    uint8_t chal[64];
    size_t cn = chal_of(NONCE_A, chal);
    ck_assert_int_eq(lcp_server_hs_input(&hs, chal, cn, &out), LCP_HS_FAIL);
    assert_one_str(&out, "#FAILURE#");
}
END_TEST

START_TEST(test_legacy_raw_response)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "other", KEY_B, sizeof KEY_B);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    uint8_t raw[16];
    ck_assert_uint_eq(unhex(VEC_MD5_A, raw), 16);
    lcp_server_hs hs;
    lcp_auth_out out;

    /* refused without --allow-legacy-md5 */
    lcp_server_hs_start(&hs, &r.ring, 0, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, raw, 16, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_LEGACY);
    assert_one_str(&out, "#FAILURE#");

    /* accepted with it, and flagged */
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, raw, 16, &out), LCP_HS_CONTINUE);
    assert_one_str(&out, "#WELCOME#");
    ck_assert_int_eq(hs.key_index, 1);
    ck_assert_int_eq(hs.legacy, 1);

    /* a wrong 16-byte answer is a wrong key, not a pass */
    raw[0] ^= 0x80;
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, raw, 16, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_WRONG_KEY);
    assert_one_str(&out, "#FAILURE#");
}
END_TEST

/* What a Python 3.11 Client() does: raw HMAC-MD5 over our whole challenge
 * payload, then a 20-byte unprefixed challenge of its own. */
START_TEST(test_legacy_python311_client)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    uint8_t raw[16], msg[64], want[16];
    unhex(VEC_MD5_A, raw);
    unhex(VEC_LEGACY, want);
    size_t mn = challenge_msg(LEGACY_CHAL, sizeof LEGACY_CHAL, msg);
    ck_assert_uint_eq(mn, 31);

    lcp_server_hs hs;
    lcp_auth_out out;
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, raw, 16, &out), LCP_HS_CONTINUE);
    assert_one_str(&out, "#WELCOME#");
    ck_assert_int_eq(lcp_server_hs_input(&hs, msg, mn, &out), LCP_HS_CONTINUE);
    assert_one_msg(&out, want, 16); /* raw HMAC-MD5, no prefix */
    ck_assert_int_eq(lcp_server_hs_input(&hs, (const uint8_t *)"#WELCOME#", 9, &out),
                     LCP_HS_DONE);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(hs.legacy, 1);
    ck_assert_int_eq(hs.key_index, 0);

    /* without legacy: a modern client's proof, then a legacy challenge is
     * refused, silently (CPython's answer_challenge sends nothing either) */
    server_at_wait_challenge(&hs, &r.ring, 0);
    ck_assert_int_eq(lcp_server_hs_input(&hs, msg, mn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_LEGACY);
    ck_assert_uint_eq(out.len, 0);

    /* our client never answers a legacy challenge */
    lcp_client_hs cli;
    lcp_client_hs_start(&cli, KEY_A, sizeof KEY_A, NONCE_B);
    ck_assert_int_eq(lcp_client_hs_input(&cli, msg, mn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_LEGACY);
    ck_assert_uint_eq(out.len, 0);
}
END_TEST

START_TEST(test_md5_prefixed)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    uint8_t resp[64];
    size_t n = prefixed("{md5}", VEC_MD5_A, resp);
    ck_assert_uint_eq(n, 21);
    lcp_server_hs hs;
    lcp_auth_out out;

    lcp_server_hs_start(&hs, &r.ring, 0, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, resp, n, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_LEGACY);
    assert_one_str(&out, "#FAILURE#");

    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, resp, n, &out), LCP_HS_CONTINUE);
    assert_one_str(&out, "#WELCOME#");
    ck_assert_int_eq(hs.legacy, 1);

    /* a {md5} challenge from the peer: answered only when allowed */
    uint8_t chal[64], msg[96], want[64];
    memcpy(chal, "{md5}", 5);
    memcpy(chal + 5, NONCE_A, LCP_AUTH_NONCE_LEN);
    size_t mn = challenge_msg(chal, 45, msg);
    ck_assert_int_eq(lcp_server_hs_input(&hs, msg, mn, &out), LCP_HS_CONTINUE);
    size_t wn = prefixed("{md5}", VEC_MD5CHAL, want);
    assert_one_msg(&out, want, wn);

    server_at_wait_challenge(&hs, &r.ring, 0);
    ck_assert_int_eq(lcp_server_hs_input(&hs, msg, mn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_LEGACY);

    lcp_client_hs cli;
    lcp_client_hs_start(&cli, KEY_A, sizeof KEY_A, NONCE_B);
    ck_assert_int_eq(lcp_client_hs_input(&cli, msg, mn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_LEGACY);
}
END_TEST

START_TEST(test_stronger_digests)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    static const struct {
        const char *prefix, *hex;
    } v[] = {
        {"{sha384}", VEC_SHA384_A},
        {"{sha3_256}", VEC_SHA3_256_A},
        {"{sha3_384}", VEC_SHA3_384_A},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t resp[80];
        size_t n = prefixed(v[i].prefix, v[i].hex, resp);
        lcp_server_hs hs;
        lcp_auth_out out;
        lcp_server_hs_start(&hs, &r.ring, 0, NONCE_A, &out);
        ck_assert_msg(lcp_server_hs_input(&hs, resp, n, &out) == LCP_HS_CONTINUE,
                      "%s refused", v[i].prefix);
        assert_one_str(&out, "#WELCOME#");
        ck_assert_int_eq(hs.legacy, 0);
        ck_assert_int_eq(hs.key_index, 0);
    }

    /* a {sha384} challenge is answered with HMAC-SHA384 */
    lcp_server_hs hs;
    lcp_auth_out out;
    server_at_wait_challenge(&hs, &r.ring, 0);
    uint8_t chal[64], msg[96], want[80];
    memcpy(chal, "{sha384}", 8);
    memcpy(chal + 8, NONCE_A, LCP_AUTH_NONCE_LEN);
    size_t mn = challenge_msg(chal, 48, msg);
    ck_assert_int_eq(lcp_server_hs_input(&hs, msg, mn, &out), LCP_HS_CONTINUE);
    size_t wn = prefixed("{sha384}", VEC_SHA384CHAL, want);
    assert_one_msg(&out, want, wn);

    /* our client accepts a server proof made with sha384 */
    lcp_client_hs cli;
    client_at_wait_response(&cli);
    uint8_t c2[64], resp[80];
    size_t c2n = chal_of(NONCE_B, c2);
    unsigned int ml = 0;
    memcpy(resp, "{sha384}", 8);
    ck_assert_ptr_nonnull(HMAC(EVP_sha384(), KEY_A, 32, c2, c2n, resp + 8, &ml));
    ck_assert_uint_eq(ml, 48);
    ck_assert_int_eq(lcp_client_hs_input(&cli, resp, 8 + ml, &out), LCP_HS_DONE);
    assert_one_str(&out, "#WELCOME#");
}
END_TEST

START_TEST(test_unknown_digest)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    lcp_server_hs hs;
    lcp_auth_out out;

    /* "{sha1}" + a 20-byte MAC: refused whatever the legacy setting */
    uint8_t resp[64];
    memcpy(resp, "{sha1}", 6);
    unsigned int ml = 0;
    uint8_t chal[64];
    size_t cn = chal_of(NONCE_A, chal);
    ck_assert_ptr_nonnull(HMAC(EVP_sha1(), KEY_A, 32, chal, cn, resp + 6, &ml));
    ck_assert_uint_eq(ml, 20);
    for (int allow = 0; allow <= 1; allow++) {
        lcp_server_hs_start(&hs, &r.ring, allow, NONCE_A, &out);
        ck_assert_int_eq(lcp_server_hs_input(&hs, resp, 26, &out), LCP_HS_FAIL);
        ck_assert_int_eq(hs.failure, LCP_HSF_DIGEST);
        assert_one_str(&out, "#FAILURE#");
    }

    /* a "{sha1}" challenge: neither side answers it */
    uint8_t c1[64], msg[96];
    memcpy(c1, "{sha1}", 6);
    memcpy(c1 + 6, NONCE_A, LCP_AUTH_NONCE_LEN);
    size_t mn = challenge_msg(c1, 46, msg);
    lcp_client_hs cli;
    lcp_client_hs_start(&cli, KEY_A, sizeof KEY_A, NONCE_B);
    ck_assert_int_eq(lcp_client_hs_input(&cli, msg, mn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_DIGEST);
    ck_assert_uint_eq(out.len, 0);
    server_at_wait_challenge(&hs, &r.ring, 1);
    ck_assert_int_eq(lcp_server_hs_input(&hs, msg, mn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_DIGEST);
}
END_TEST

START_TEST(test_oversized_messages)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    uint8_t big[LCP_AUTH_MAX_MSG + 1];
    memcpy(big, "#CHALLENGE#{sha256}", 19);
    for (size_t i = 19; i < sizeof big; i++)
        big[i] = (uint8_t)i;
    lcp_server_hs hs;
    lcp_client_hs cli;
    lcp_auth_out out;

    /* 257 bytes: refused in every state, like recv_bytes(256) */
    lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
    ck_assert_int_eq(lcp_server_hs_input(&hs, big, sizeof big, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_BAD_MESSAGE);
    ck_assert_uint_eq(out.len, 0);

    server_at_wait_challenge(&hs, &r.ring, 1);
    ck_assert_int_eq(lcp_server_hs_input(&hs, big, sizeof big, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_BAD_MESSAGE);
    ck_assert_uint_eq(out.len, 0);

    server_at_wait_welcome(&hs, &r.ring);
    ck_assert_int_eq(lcp_server_hs_input(&hs, big, sizeof big, &out), LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_BAD_MESSAGE);

    lcp_client_hs_start(&cli, KEY_A, sizeof KEY_A, NONCE_B);
    ck_assert_int_eq(lcp_client_hs_input(&cli, big, sizeof big, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_BAD_MESSAGE);
    ck_assert_uint_eq(out.len, 0);

    client_at_wait_welcome(&cli);
    ck_assert_int_eq(lcp_client_hs_input(&cli, big, sizeof big, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_BAD_MESSAGE);

    client_at_wait_response(&cli);
    ck_assert_int_eq(lcp_client_hs_input(&cli, big, sizeof big, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_BAD_MESSAGE);

    /* exactly 256 bytes is still a message: a long {sha256} challenge is
     * answered with HMAC-SHA256 over all 245 payload bytes */
    uint8_t want[64];
    unsigned int ml = 0;
    memcpy(want, "{sha256}", 8);
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), KEY_A, 32, big + 11,
                               LCP_AUTH_MAX_MSG - 11, want + 8, &ml));
    lcp_client_hs_start(&cli, KEY_A, sizeof KEY_A, NONCE_B);
    ck_assert_int_eq(lcp_client_hs_input(&cli, big, LCP_AUTH_MAX_MSG, &out),
                     LCP_HS_CONTINUE);
    assert_one_msg(&out, want, 8 + ml);
    server_at_wait_challenge(&hs, &r.ring, 0);
    ck_assert_int_eq(lcp_server_hs_input(&hs, big, LCP_AUTH_MAX_MSG, &out),
                     LCP_HS_CONTINUE);
    assert_one_msg(&out, want, 8 + ml);
}
END_TEST

/* Each garbage message in each state; the expected failure depends on the
 * state. */
static const struct {
    const char *b;
    size_t len;
} GARBAGE[] = {
    {"", 0},
    {"x", 1},
    {"#WELCOME", 8},
    {"#WELCOME#\n", 10},
    {"#CHALLENGE#", 11},
    {"#CHALLENGE#short", 16},
    {"#challenge#{sha256}0123456789012345678901234567890123456789", 59},
    {"#CHALLENGE#0123456789012345678901234567890123456789abcdefgh", 59},
    {"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 27},
    {"{sha256}", 8},
};
#define NGARBAGE (sizeof GARBAGE / sizeof GARBAGE[0])

START_TEST(test_garbage_server)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "default", KEY_A, sizeof KEY_A);
    lcp_server_hs hs;
    lcp_auth_out out;

    for (size_t i = 0; i < NGARBAGE; i++) {
        const uint8_t *g = (const uint8_t *)GARBAGE[i].b;
        size_t gl = GARBAGE[i].len;

        /* waiting for the response: #FAILURE#, then closed for good */
        lcp_server_hs_start(&hs, &r.ring, 1, NONCE_A, &out);
        ck_assert_msg(lcp_server_hs_input(&hs, g, gl, &out) == LCP_HS_FAIL,
                      "garbage %zu accepted as a response", i);
        ck_assert_int_ne(hs.failure, LCP_HSF_NONE);
        assert_one_str(&out, "#FAILURE#");
        uint8_t resp[64];
        size_t rn = prefixed("{sha256}", VEC_SHA256_A, resp);
        ck_assert_int_eq(lcp_server_hs_input(&hs, resp, rn, &out), LCP_HS_FAIL);
        ck_assert_uint_eq(out.len, 0);

        /* waiting for the client's challenge */
        server_at_wait_challenge(&hs, &r.ring, 1);
        ck_assert_msg(lcp_server_hs_input(&hs, g, gl, &out) == LCP_HS_FAIL,
                      "garbage %zu accepted as a challenge", i);
        ck_assert_int_eq(hs.failure, LCP_HSF_BAD_MESSAGE);
        ck_assert_uint_eq(out.len, 0);
        ck_assert_int_eq(lcp_server_hs_input(&hs, (const uint8_t *)"#WELCOME#", 9, &out),
                         LCP_HS_FAIL);

        /* waiting for the client's verdict */
        server_at_wait_welcome(&hs, &r.ring);
        ck_assert_msg(lcp_server_hs_input(&hs, g, gl, &out) == LCP_HS_FAIL,
                      "garbage %zu accepted as a welcome", i);
        ck_assert_int_eq(hs.failure, LCP_HSF_BAD_MESSAGE);
        ck_assert_uint_eq(out.len, 0);
        ck_assert_int_eq(lcp_server_hs_input(&hs, (const uint8_t *)"#WELCOME#", 9, &out),
                         LCP_HS_FAIL);
    }

    /* garbage responses and why they fail */
    static const struct {
        const char *b;
        size_t len;
        int allow;
        lcp_hs_failure why;
    } w[] = {
        {"", 0, 1, LCP_HSF_BAD_MESSAGE},
        {"hello there, no prefix at all", 29, 1, LCP_HSF_BAD_MESSAGE},
        {"0123456789abcdef", 16, 0, LCP_HSF_LEGACY},
        {"0123456789abcdef", 16, 1, LCP_HSF_WRONG_KEY},
        {"{sha256}0123456789abcdef0123456789abcdef", 40, 0, LCP_HSF_WRONG_KEY},
        {"{rot13}0123456789abcdef0123456789abcdef", 39, 1, LCP_HSF_DIGEST},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        lcp_server_hs_start(&hs, &r.ring, w[i].allow, NONCE_A, &out);
        ck_assert_int_eq(lcp_server_hs_input(&hs, (const uint8_t *)w[i].b, w[i].len, &out),
                         LCP_HS_FAIL);
        ck_assert_msg(hs.failure == w[i].why, "response %zu: why %d, want %d", i,
                      (int)hs.failure, (int)w[i].why);
        assert_one_str(&out, "#FAILURE#");
    }

    /* the client's #FAILURE# after our proof: REJECTED */
    server_at_wait_welcome(&hs, &r.ring);
    ck_assert_int_eq(lcp_server_hs_input(&hs, (const uint8_t *)"#FAILURE#", 9, &out),
                     LCP_HS_FAIL);
    ck_assert_int_eq(hs.failure, LCP_HSF_REJECTED);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_str_eq(lcp_hs_failure_str(hs.failure), lcp_hs_failure_str(LCP_HSF_REJECTED));
}
END_TEST

START_TEST(test_garbage_client)
{
    lcp_client_hs cli;
    lcp_auth_out out;
    for (size_t i = 0; i < NGARBAGE; i++) {
        const uint8_t *g = (const uint8_t *)GARBAGE[i].b;
        size_t gl = GARBAGE[i].len;

        lcp_client_hs_start(&cli, KEY_A, sizeof KEY_A, NONCE_B);
        ck_assert_msg(lcp_client_hs_input(&cli, g, gl, &out) == LCP_HS_FAIL,
                      "garbage %zu accepted as a challenge", i);
        ck_assert_int_eq(cli.failure, LCP_HSF_BAD_MESSAGE);
        ck_assert_uint_eq(out.len, 0);
        /* a good challenge does not revive it */
        uint8_t chal[64], msg[96];
        size_t mn = challenge_msg(chal, chal_of(NONCE_A, chal), msg);
        ck_assert_int_eq(lcp_client_hs_input(&cli, msg, mn, &out), LCP_HS_FAIL);
        ck_assert_uint_eq(out.len, 0);

        client_at_wait_welcome(&cli);
        ck_assert_msg(lcp_client_hs_input(&cli, g, gl, &out) == LCP_HS_FAIL,
                      "garbage %zu accepted as a welcome", i);
        ck_assert_int_eq(cli.failure, LCP_HSF_BAD_MESSAGE);
        ck_assert_uint_eq(out.len, 0);

        /* the server's proof: anything wrong gets a #FAILURE# */
        client_at_wait_response(&cli);
        ck_assert_msg(lcp_client_hs_input(&cli, g, gl, &out) == LCP_HS_FAIL,
                      "garbage %zu accepted as a proof", i);
        ck_assert_int_ne(cli.failure, LCP_HSF_NONE);
        assert_one_str(&out, "#FAILURE#");
    }

    /* the server's #FAILURE# to our proof: REJECTED */
    client_at_wait_welcome(&cli);
    ck_assert_int_eq(lcp_client_hs_input(&cli, (const uint8_t *)"#FAILURE#", 9, &out),
                     LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_REJECTED);
    ck_assert_uint_eq(out.len, 0);

    /* a server proof made with the wrong key */
    client_at_wait_response(&cli);
    uint8_t c2[64], resp[LCP_AUTH_MAX_MSG];
    lcp_hs_failure why;
    int rn = lcp_auth_answer(KEY_B, sizeof KEY_B, c2, chal_of(NONCE_B, c2), 0, resp, &why);
    ck_assert_int_gt(rn, 0);
    ck_assert_int_eq(lcp_client_hs_input(&cli, resp, (size_t)rn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_WRONG_KEY);
    assert_one_str(&out, "#FAILURE#");

    /* the server proves itself with legacy HMAC-MD5: our client refuses */
    client_at_wait_response(&cli);
    unsigned int ml = 0;
    size_t c2n = chal_of(NONCE_B, c2);
    ck_assert_ptr_nonnull(HMAC(EVP_md5(), KEY_A, 32, c2, c2n, resp, &ml));
    ck_assert_uint_eq(ml, 16);
    ck_assert_int_eq(lcp_client_hs_input(&cli, resp, 16, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_LEGACY);
    assert_one_str(&out, "#FAILURE#");

    /* the server replays our own challenge as its proof */
    client_at_wait_response(&cli);
    ck_assert_int_eq(lcp_client_hs_input(&cli, c2, c2n, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_WRONG_KEY);

    /* the server's proof for the client's challenge made with the server's
     * own nonce (a proof from another session) */
    client_at_wait_response(&cli);
    size_t pn = prefixed("{sha256}", VEC_SHA256_A, resp);
    ck_assert_int_eq(lcp_client_hs_input(&cli, resp, pn, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_WRONG_KEY);

    /* and the right one finishes */
    client_at_wait_response(&cli);
    pn = prefixed("{sha256}", VEC_SHA256_NB, resp);
    ck_assert_int_eq(lcp_client_hs_input(&cli, resp, pn, &out), LCP_HS_DONE);
    assert_one_str(&out, "#WELCOME#");
    ck_assert_int_eq(lcp_client_hs_input(&cli, resp, pn, &out), LCP_HS_FAIL);
}
END_TEST

/* Deterministic random messages in every state: never accepted, never
 * more output than a framed #FAILURE#. */
static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

START_TEST(test_random_garbage)
{
    test_ring r;
    ring_init(&r);
    ring_add(&r, "a", KEY_A, sizeof KEY_A);
    ring_add(&r, "c", KEY_C, sizeof KEY_C);
    static const char *const heads[] = {"", "#CHALLENGE#", "{sha256}", "{md5}",
                                        "#CHALLENGE#{sha256}", "#CHALLENGE#{md5}",
                                        "{sha3_384}", "#WELCOME#"};
    /* one machine in each state, copied for every message (the state
     * structs hold no pointers into themselves) */
    lcp_server_hs srv_base[4];
    lcp_client_hs cli_base[3];
    lcp_auth_out out;
    lcp_server_hs_start(&srv_base[0], &r.ring, 0, NONCE_A, &out);
    lcp_server_hs_start(&srv_base[1], &r.ring, 1, NONCE_A, &out);
    server_at_wait_challenge(&srv_base[2], &r.ring, 1);
    server_at_wait_welcome(&srv_base[3], &r.ring);
    lcp_client_hs_start(&cli_base[0], KEY_A, sizeof KEY_A, NONCE_B);
    client_at_wait_welcome(&cli_base[1]);
    client_at_wait_response(&cli_base[2]);

    /* plain ifs: every passing ck_assert writes a message */
    int continued = 0;
    for (int iter = 0; iter < 7000; iter++) {
        uint8_t msg[LCP_AUTH_MAX_MSG + 8];
        const char *h = heads[rnd() % (sizeof heads / sizeof heads[0])];
        size_t hl = strlen(h);
        size_t len = hl + rnd() % (sizeof msg - hl + 1);
        memcpy(msg, h, hl);
        for (size_t i = hl; i < len; i++)
            msg[i] = (uint8_t)rnd();
        int state = iter % 7;
        int is_welcome = len == 9 && memcmp(msg, "#WELCOME#", 9) == 0;
        lcp_hs_result res;
        int ok;
        if (state < 4) {
            lcp_server_hs hs = srv_base[state];
            res = lcp_server_hs_input(&hs, msg, len, &out);
            /* a well-formed challenge is legitimately answered in state 2 */
            ok = state < 2 ? res == LCP_HS_FAIL
               : state == 2 ? res == LCP_HS_FAIL || res == LCP_HS_CONTINUE
                            : res == LCP_HS_FAIL || (is_welcome && res == LCP_HS_DONE);
            if (res == LCP_HS_FAIL && hs.failure == LCP_HSF_NONE)
                ck_abort_msg("iteration %d: failed without a reason", iter);
        } else {
            lcp_client_hs cli = cli_base[state - 4];
            res = lcp_client_hs_input(&cli, msg, len, &out);
            ok = state == 4 ? res == LCP_HS_FAIL || res == LCP_HS_CONTINUE
               : state == 5 ? res == LCP_HS_FAIL || (is_welcome && res == LCP_HS_CONTINUE)
                            : res == LCP_HS_FAIL;
            if (res == LCP_HS_FAIL && cli.failure == LCP_HSF_NONE)
                ck_abort_msg("iteration %d: failed without a reason", iter);
        }
        if (!ok)
            ck_abort_msg("iteration %d, state %d: %zu-byte message gave result %d", iter,
                         state, len, (int)res);
        if (res != LCP_HS_FAIL && len > LCP_AUTH_MAX_MSG)
            ck_abort_msg("iteration %d: a %zu-byte message was accepted", iter, len);
        if (res == LCP_HS_CONTINUE)
            continued++;
        /* whatever came out is at most one well-formed frame */
        if (out.len > 0) {
            lcp_frame f;
            if (lcp_frame_next(out.data, out.len, LCP_AUTH_MAX_MSG, &f) != LCP_FRAME_OK ||
                f.consumed != out.len)
                ck_abort_msg("iteration %d: output is not one frame", iter);
        }
    }
    /* the generator does reach the answering paths */
    ck_assert_int_gt(continued, 100);
}
END_TEST

START_TEST(test_failure_strings)
{
    static const lcp_hs_failure all[] = {LCP_HSF_NONE, LCP_HSF_BAD_MESSAGE,
                                         LCP_HSF_WRONG_KEY, LCP_HSF_LEGACY,
                                         LCP_HSF_DIGEST, LCP_HSF_REJECTED};
    size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = lcp_hs_failure_str(all[i]);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_gt(strlen(s), 0);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(s, lcp_hs_failure_str(all[j]));
    }
    ck_assert_str_eq(lcp_hs_failure_str((lcp_hs_failure)99), "unknown handshake failure");
    ck_assert_ptr_nonnull(strstr(lcp_hs_failure_str(LCP_HSF_LEGACY), "--allow-legacy-md5"));
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, init_fixtures, NULL);
    tcase_add_test(tc, test_primitives_known_vectors);
    tcase_add_test(tc, test_primitives_refusals);
    tcase_add_test(tc, test_server_start_challenge);
    tcase_add_test(tc, test_handshake_ok);
    tcase_add_test(tc, test_handshake_multikey);
    tcase_add_test(tc, test_handshake_wrong_key);
    tcase_add_test(tc, test_replayed_response);
    tcase_add_test(tc, test_legacy_raw_response);
    tcase_add_test(tc, test_legacy_python311_client);
    tcase_add_test(tc, test_md5_prefixed);
    tcase_add_test(tc, test_stronger_digests);
    tcase_add_test(tc, test_unknown_digest);
    tcase_add_test(tc, test_oversized_messages);
    tcase_add_test(tc, test_garbage_server);
    tcase_add_test(tc, test_garbage_client);
    tcase_add_test(tc, test_random_garbage);
    tcase_add_test(tc, test_failure_strings);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(auth_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
