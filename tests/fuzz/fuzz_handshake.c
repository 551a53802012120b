/*
 * fuzz_handshake.c - the handshake state machines (proto/auth.c).
 *
 * Input: byte 0 is the mode, the rest depends on it.
 *
 *   mode & 3 == 0: the SERVER, with a fixed keyring and nonce, fed the
 *     messages of the input.  mode & 4 allows legacy MD5.
 *   mode & 3 == 1: the CLIENT, with a fixed key and nonce, fed the
 *     messages of the input.
 *   mode & 3 >= 2: a server and a client talking to each other, nonces
 *     from the input; mode & 4 gives the client a wrong key; and when the
 *     input says so, one byte of one message is changed on the way.
 *
 * Messages in the input: a length byte, then that many bytes; a length
 * byte of 255 is followed by a 2-byte big-endian length (so messages over
 * the 256-byte cap happen).
 *
 * What must hold, with the right answers computed here with OpenSSL's
 * HMAC directly (not with auth.c):
 *   - what a machine emits is whole frames, each at most LCP_AUTH_MAX_MSG,
 *     within lcp_auth_out;
 *   - the server says #WELCOME# only to a response that is the right MAC
 *     of its challenge under one of its keys (legacy forms only when
 *     allowed), answers the client's challenge with the right MAC, and
 *     reaches DONE only after that and a "#WELCOME#";
 *   - the client answers the challenge with the right (modern) MAC, sends
 *     its own challenge only after "#WELCOME#", and reaches DONE only for
 *     the right MAC of its challenge;
 *   - after DONE or FAIL nothing but FAIL follows;
 *   - honest peers with the same key both reach DONE; with different keys,
 *     or with any message changed on the way, neither does.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "fuzz.h"

static const uint8_t KEY0[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
                                 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint8_t KEY1[16] = {'s', 'i', 'x', 't', 'e', 'e', 'n', ' ',
                                 'b', 'y', 't', 'e', ' ', 'k', 'e', 'y'};
static const uint8_t WRONG_KEY[16] = {'n', 'o', 't', ' ', 't', 'h', 'e', ' ',
                                      'r', 'i', 'g', 'h', 't', ' ', 'k', '!'};
/* The fixed nonce: 40 bytes 'N'. */
#define FIXED_NONCE "NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN"

/* ---- the right answers, computed here ---- */

static const struct {
    const char *name;
    const EVP_MD *(*md)(void);
    int legacy;
} DIGESTS[] = {
    {"sha256", EVP_sha256, 0},     {"sha384", EVP_sha384, 0}, {"sha3_256", EVP_sha3_256, 0},
    {"sha3_384", EVP_sha3_384, 0}, {"md5", EVP_md5, 1},
};
#define NDIGESTS (sizeof DIGESTS / sizeof DIGESTS[0])

static size_t mac(const EVP_MD *md, const uint8_t *key, size_t keylen, const uint8_t *d,
                  size_t n, uint8_t *out)
{
    unsigned int len = 0;
    FUZZ_ASSERT(HMAC(md, key, (int)keylen, d, n, out, &len) != NULL, "HMAC failed");
    return len;
}

/* Is resp a right answer to chal under key? */
static int right_response(const uint8_t *key, size_t keylen, const uint8_t *chal,
                          size_t chal_len, const uint8_t *resp, size_t resp_len,
                          int allow_legacy)
{
    uint8_t want[8 + 2 + EVP_MAX_MD_SIZE];
    if (allow_legacy && resp_len == 16) {
        size_t n = mac(EVP_md5(), key, keylen, chal, chal_len, want);
        if (n == 16 && memcmp(want, resp, 16) == 0)
            return 1;
    }
    for (size_t i = 0; i < NDIGESTS; i++) {
        if (DIGESTS[i].legacy && !allow_legacy)
            continue;
        size_t pl = strlen(DIGESTS[i].name) + 2;
        want[0] = '{';
        memcpy(want + 1, DIGESTS[i].name, pl - 2);
        want[pl - 1] = '}';
        size_t n = pl + mac(DIGESTS[i].md(), key, keylen, chal, chal_len, want + pl);
        if (n == resp_len && memcmp(want, resp, n) == 0)
            return 1;
    }
    return 0;
}

/* The answer to a challenge payload, or 0 when none is allowed. */
static size_t right_answer(const uint8_t *key, size_t keylen, const uint8_t *chal,
                           size_t chal_len, int allow_legacy, uint8_t *out)
{
    if (chal_len < 20 || chal_len > LCP_AUTH_MAX_MSG)
        return 0;
    if (chal_len == 20)
        return allow_legacy ? mac(EVP_md5(), key, keylen, chal, chal_len, out) : 0;
    for (size_t i = 0; i < NDIGESTS; i++) {
        size_t pl = strlen(DIGESTS[i].name) + 2;
        if (chal_len < pl || chal[0] != '{' || chal[pl - 1] != '}' ||
            memcmp(chal + 1, DIGESTS[i].name, pl - 2) != 0)
            continue;
        if (DIGESTS[i].legacy && !allow_legacy)
            return 0;
        memcpy(out, chal, pl);
        return pl + mac(DIGESTS[i].md(), key, keylen, chal, chal_len, out + pl);
    }
    return 0;
}

/* ---- the output: whole frames ---- */

typedef struct {
    const uint8_t *msg[2];
    size_t len[2];
    size_t n;
} frames;

static frames split_out(const lcp_auth_out *out)
{
    frames fr;
    memset(&fr, 0, sizeof fr);
    FUZZ_ASSERT(out->len <= sizeof out->data, "output length %zu over %zu", out->len,
                sizeof out->data);
    size_t off = 0;
    while (off < out->len) {
        lcp_frame f;
        lcp_frame_status st = lcp_frame_next(out->data + off, out->len - off, LCP_AUTH_MAX_MSG, &f);
        FUZZ_ASSERT(st == LCP_FRAME_OK, "output is not whole frames (status %d)", (int)st);
        FUZZ_ASSERT(fr.n < 2, "more than two frames in one step");
        fr.msg[fr.n] = f.payload;
        fr.len[fr.n] = f.len;
        fr.n++;
        off += f.consumed;
    }
    return fr;
}

static int is_str(const uint8_t *m, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(m, s, n) == 0;
}

static int only_frame_is(const frames *fr, const char *s)
{
    return fr->n == 1 && is_str(fr->msg[0], fr->len[0], s);
}

/* ---- reading messages from the input ---- */

typedef struct {
    const uint8_t *p;
    size_t n;
} reader;

static int next_msg(reader *r, const uint8_t **m, size_t *len)
{
    if (r->n < 1)
        return 0;
    size_t l = r->p[0];
    r->p++;
    r->n--;
    if (l == 255) {
        if (r->n < 2)
            return 0;
        l = (size_t)r->p[0] << 8 | r->p[1];
        r->p += 2;
        r->n -= 2;
    }
    if (l > r->n)
        l = r->n;
    *m = r->p;
    *len = l;
    r->p += l;
    r->n -= l;
    return 1;
}

/* ---- mode 0: the server ---- */

static void fuzz_server(reader *in, int allow_legacy)
{
    lcp_key keys[2];
    memset(keys, 0, sizeof keys);
    memcpy(keys[0].name, "default", 8);
    keys[0].bytes = (uint8_t *)KEY0;
    keys[0].len = sizeof KEY0;
    memcpy(keys[1].name, "second", 7);
    keys[1].bytes = (uint8_t *)KEY1;
    keys[1].len = sizeof KEY1;
    lcp_keyring ring = {keys, 2};

    lcp_server_hs hs;
    lcp_auth_out out;
    memset(&out, 0xee, sizeof out);
    lcp_server_hs_start(&hs, &ring, allow_legacy, (const uint8_t *)FIXED_NONCE, &out);
    frames fr = split_out(&out);
    static const uint8_t chal[] = "{sha256}" FIXED_NONCE;
    FUZZ_ASSERT(fr.n == 1 && fr.len[0] == 11 + sizeof chal - 1 &&
                    memcmp(fr.msg[0], "#CHALLENGE#", 11) == 0 &&
                    memcmp(fr.msg[0] + 11, chal, sizeof chal - 1) == 0,
                "wrong challenge");

    int step = 1, over = 0;
    const uint8_t *m;
    size_t len;
    const uint8_t *key = NULL;
    size_t keylen = 0;
    while (next_msg(in, &m, &len)) {
        uint8_t *exact = malloc(len ? len : 1);
        FUZZ_ASSERT(exact != NULL, "out of memory");
        memcpy(exact, m, len);
        memset(&out, 0xee, sizeof out);
        lcp_hs_result r = lcp_server_hs_input(&hs, exact, len, &out);
        fr = split_out(&out);
        if (over) {
            FUZZ_ASSERT(r == LCP_HS_FAIL, "step after the end: result %d", (int)r);
        } else if (step == 1) {
            int ok0 = len <= LCP_AUTH_MAX_MSG &&
                      right_response(KEY0, sizeof KEY0, chal, sizeof chal - 1, exact, len,
                                     allow_legacy);
            int ok1 = len <= LCP_AUTH_MAX_MSG &&
                      right_response(KEY1, sizeof KEY1, chal, sizeof chal - 1, exact, len,
                                     allow_legacy);
            if (ok0 || ok1) {
                FUZZ_ASSERT(r == LCP_HS_CONTINUE && only_frame_is(&fr, LCP_AUTH_WELCOME),
                            "right response refused (result %d)", (int)r);
                FUZZ_ASSERT(hs.key_index == (ok0 ? 0 : 1), "key %d", hs.key_index);
                key = ok0 ? KEY0 : KEY1;
                keylen = ok0 ? sizeof KEY0 : sizeof KEY1;
            } else {
                FUZZ_ASSERT(r == LCP_HS_FAIL, "wrong response accepted (result %d)", (int)r);
                FUZZ_ASSERT(fr.n == 0 || only_frame_is(&fr, LCP_AUTH_FAILURE),
                            "something else than #FAILURE# after a wrong response");
                FUZZ_ASSERT(hs.failure != LCP_HSF_NONE, "failure without a reason");
            }
        } else if (step == 2) {
            uint8_t want[LCP_AUTH_MAX_MSG];
            size_t wl = 0;
            if (len <= LCP_AUTH_MAX_MSG && len >= 11 && memcmp(exact, "#CHALLENGE#", 11) == 0)
                wl = right_answer(key, keylen, exact + 11, len - 11, allow_legacy, want);
            if (wl) {
                FUZZ_ASSERT(r == LCP_HS_CONTINUE, "challenge not answered (result %d)", (int)r);
                FUZZ_ASSERT(fr.n == 1 && fr.len[0] == wl && memcmp(fr.msg[0], want, wl) == 0,
                            "wrong answer to the client's challenge");
            } else {
                FUZZ_ASSERT(r == LCP_HS_FAIL, "bad challenge answered (result %d)", (int)r);
            }
        } else if (step == 3) {
            if (len == 9 && memcmp(exact, LCP_AUTH_WELCOME, 9) == 0)
                FUZZ_ASSERT(r == LCP_HS_DONE, "#WELCOME# did not finish (result %d)", (int)r);
            else
                FUZZ_ASSERT(r == LCP_HS_FAIL, "DONE without #WELCOME# (result %d)", (int)r);
            FUZZ_ASSERT(fr.n == 0, "output at the last step");
        } else {
            FUZZ_ASSERT(r == LCP_HS_FAIL, "a fourth message accepted (result %d)", (int)r);
        }
        if (r != LCP_HS_CONTINUE)
            over = 1;
        step++;
        free(exact);
    }
}

/* ---- mode 1: the client ---- */

static void fuzz_client(reader *in)
{
    lcp_client_hs hs;
    lcp_client_hs_start(&hs, KEY0, sizeof KEY0, (const uint8_t *)FIXED_NONCE);
    static const uint8_t mychal[] = "{sha256}" FIXED_NONCE;
    int step = 1, over = 0;
    const uint8_t *m;
    size_t len;
    lcp_auth_out out;
    while (next_msg(in, &m, &len)) {
        uint8_t *exact = malloc(len ? len : 1);
        FUZZ_ASSERT(exact != NULL, "out of memory");
        memcpy(exact, m, len);
        memset(&out, 0xee, sizeof out);
        lcp_hs_result r = lcp_client_hs_input(&hs, exact, len, &out);
        frames fr = split_out(&out);
        if (over) {
            FUZZ_ASSERT(r == LCP_HS_FAIL, "step after the end: result %d", (int)r);
        } else if (step == 1) {
            uint8_t want[LCP_AUTH_MAX_MSG];
            size_t wl = 0;
            if (len <= LCP_AUTH_MAX_MSG && len >= 11 && memcmp(exact, "#CHALLENGE#", 11) == 0)
                wl = right_answer(KEY0, sizeof KEY0, exact + 11, len - 11, 0, want);
            if (wl) {
                FUZZ_ASSERT(r == LCP_HS_CONTINUE, "challenge not answered (result %d)", (int)r);
                FUZZ_ASSERT(fr.n == 1 && fr.len[0] == wl && memcmp(fr.msg[0], want, wl) == 0,
                            "wrong answer to the server's challenge");
            } else {
                FUZZ_ASSERT(r == LCP_HS_FAIL, "bad challenge answered (result %d)", (int)r);
                FUZZ_ASSERT(fr.n == 0, "output after a bad challenge");
            }
        } else if (step == 2) {
            if (len == 9 && memcmp(exact, LCP_AUTH_WELCOME, 9) == 0) {
                FUZZ_ASSERT(r == LCP_HS_CONTINUE, "#WELCOME# refused (result %d)", (int)r);
                FUZZ_ASSERT(fr.n == 1 && fr.len[0] == 11 + sizeof mychal - 1 &&
                                memcmp(fr.msg[0], "#CHALLENGE#", 11) == 0 &&
                                memcmp(fr.msg[0] + 11, mychal, sizeof mychal - 1) == 0,
                            "wrong challenge from the client");
            } else {
                FUZZ_ASSERT(r == LCP_HS_FAIL, "went on without #WELCOME# (result %d)", (int)r);
                FUZZ_ASSERT(fr.n == 0, "output after a refusal");
            }
        } else if (step == 3) {
            if (len <= LCP_AUTH_MAX_MSG &&
                right_response(KEY0, sizeof KEY0, mychal, sizeof mychal - 1, exact, len, 0)) {
                FUZZ_ASSERT(r == LCP_HS_DONE && only_frame_is(&fr, LCP_AUTH_WELCOME),
                            "right proof refused (result %d)", (int)r);
            } else {
                FUZZ_ASSERT(r == LCP_HS_FAIL, "DONE without the right proof (result %d)", (int)r);
                FUZZ_ASSERT(fr.n == 0 || only_frame_is(&fr, LCP_AUTH_FAILURE),
                            "something else than #FAILURE# after a wrong proof");
            }
        } else {
            FUZZ_ASSERT(r == LCP_HS_FAIL, "a fourth message accepted (result %d)", (int)r);
        }
        if (r != LCP_HS_CONTINUE)
            over = 1;
        step++;
        free(exact);
    }
}

/* ---- mode 2: both, honest or with one byte changed on the way ---- */

static void fuzz_pair(const uint8_t *p, size_t n, int wrong_key)
{
    uint8_t snonce[LCP_AUTH_NONCE_LEN], cnonce[LCP_AUTH_NONCE_LEN];
    memset(snonce, 0, sizeof snonce);
    memset(cnonce, 0, sizeof cnonce);
    size_t t = n < sizeof snonce ? n : sizeof snonce;
    memcpy(snonce, p, t);
    p += t;
    n -= t;
    t = n < sizeof cnonce ? n : sizeof cnonce;
    memcpy(cnonce, p, t);
    p += t;
    n -= t;
    /* tamper: message index (0-5), offset, xor (0 = no tampering) */
    int tamper_msg = n >= 1 ? p[0] % 6 : 0;
    size_t tamper_off = n >= 2 ? p[1] : 0;
    uint8_t tamper_xor = n >= 3 ? p[2] : 0;

    lcp_key key = {"default", (uint8_t *)KEY1, sizeof KEY1};
    lcp_keyring ring = {&key, 1};
    lcp_server_hs srv;
    lcp_client_hs cli;
    lcp_auth_out out;
    lcp_server_hs_start(&srv, &ring, 0, snonce, &out);
    lcp_client_hs_start(&cli, wrong_key ? WRONG_KEY : KEY1, sizeof KEY1, cnonce);

    int tampered = 0, srv_done = 0, cli_done = 0, failed = 0;
    /* messages alternate: server (even index) to client, client to server */
    for (int idx = 0; idx < 6 && !failed; idx++) {
        frames fr = split_out(&out);
        if (fr.n != 1)
            break; /* the last step emits nothing */
        uint8_t msg[LCP_AUTH_MAX_MSG];
        size_t len = fr.len[0];
        memcpy(msg, fr.msg[0], len);
        if (tamper_xor && idx == tamper_msg && len) {
            msg[tamper_off % len] ^= tamper_xor;
            tampered = 1;
        }
        lcp_auth_out next;
        lcp_hs_result r = idx % 2 == 0 ? lcp_client_hs_input(&cli, msg, len, &next)
                                       : lcp_server_hs_input(&srv, msg, len, &next);
        if (r == LCP_HS_FAIL)
            failed = 1;
        if (r == LCP_HS_DONE)
            *(idx % 2 == 0 ? &cli_done : &srv_done) = 1;
        out = next;
    }
    if (tampered || wrong_key) {
        FUZZ_ASSERT(!(srv_done && cli_done), "both done though %s",
                    tampered ? "a message was changed" : "the keys differ");
        FUZZ_ASSERT(failed, "no failure though %s", tampered ? "a message was changed" : "the keys differ");
        /* the server is done only when the client was done first */
        FUZZ_ASSERT(!srv_done, "server done though %s",
                    tampered ? "a message was changed" : "the keys differ");
    } else {
        FUZZ_ASSERT(srv_done && cli_done && !failed, "honest handshake failed (server %d, client %d)",
                    srv_done, cli_done);
        FUZZ_ASSERT(srv.key_index == 0, "key index %d", srv.key_index);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    reader in = {data + 1, size - 1};
    switch (data[0] & 3) {
    case 0:
        fuzz_server(&in, (data[0] & 4) != 0);
        break;
    case 1:
        fuzz_client(&in);
        break;
    default:
        fuzz_pair(data + 1, size - 1, (data[0] & 4) != 0);
        break;
    }
    return 0;
}
