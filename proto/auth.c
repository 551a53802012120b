/*
 * auth.c - CPython-compatible HMAC challenge-response, as pure state
 * machines.  See auth.h for the message sequence.
 *
 * Why we accept more than one digest: CPython's verifier lets a client pick
 * any digest from its allowed set because the MAC covers the "{name}" prefix
 * of the challenge, so the choice cannot be forced by a third party.  We
 * accept the strong ones (sha256, sha384, sha3_256, sha3_384) always and MD5
 * (prefixed or legacy raw) only when legacy is allowed.
 */
#include "auth.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

enum {
    SRV_WAIT_RESPONSE = 1,
    SRV_WAIT_CHALLENGE,
    SRV_WAIT_WELCOME,
    CLI_WAIT_CHALLENGE,
    CLI_WAIT_WELCOME,
    CLI_WAIT_RESPONSE,
    HS_DONE,
    HS_FAILED,
};

#define PREFIX_SHA256 "{sha256}"
#define LEGACY_CHALLENGE_LEN 20 /* Python <= 3.11 challenge, no prefix */
#define LEGACY_RESPONSE_LEN 16  /* raw HMAC-MD5 */
#define MAX_DIGEST_NAME 8       /* strlen("sha3_384") */

const char *lcp_hs_failure_str(lcp_hs_failure f)
{
    switch (f) {
    case LCP_HSF_NONE: return "no failure";
    case LCP_HSF_BAD_MESSAGE: return "malformed handshake message";
    case LCP_HSF_WRONG_KEY: return "wrong key (MAC mismatch)";
    case LCP_HSF_LEGACY: return "legacy HMAC-MD5 handshake refused (daemon needs --allow-legacy-md5)";
    case LCP_HSF_DIGEST: return "unsupported digest";
    case LCP_HSF_REJECTED: return "peer rejected our proof (wrong key)";
    }
    return "unknown handshake failure";
}

static int is_legacy_length(size_t n)
{
    return n == LEGACY_CHALLENGE_LEN || n == LEGACY_RESPONSE_LEN;
}

/* "{name}rest": returns the digest for name (NULL if unsupported), sets
 * *prefix_len to the length of "{name}".  *md5 says the name was md5. */
static const EVP_MD *parse_prefix(const uint8_t *m, size_t n, size_t *prefix_len,
                                  int *md5)
{
    *md5 = 0;
    *prefix_len = 0;
    if (n < 2 || m[0] != '{')
        return NULL;
    size_t limit = n < MAX_DIGEST_NAME + 2 ? n : MAX_DIGEST_NAME + 2;
    const uint8_t *close = memchr(m + 1, '}', limit - 1);
    if (!close)
        return NULL;
    size_t name_len = (size_t)(close - (m + 1));
    *prefix_len = name_len + 2;
    static const struct {
        const char *name;
        const EVP_MD *(*md)(void);
    } table[] = {
        {"sha256", EVP_sha256},     {"sha384", EVP_sha384},
        {"sha3_256", EVP_sha3_256}, {"sha3_384", EVP_sha3_384},
        {"md5", EVP_md5},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strlen(table[i].name) == name_len &&
            memcmp(table[i].name, m + 1, name_len) == 0) {
            *md5 = table[i].md == EVP_md5;
            return table[i].md();
        }
    }
    return NULL;
}

static size_t hmac(const EVP_MD *md, const uint8_t *key, size_t keylen,
                   const uint8_t *data, size_t len, uint8_t *out)
{
    unsigned int outlen = 0;
    /* OpenSSL wants a non-NULL key pointer even for an empty key. */
    static const uint8_t empty[1];
    if (!HMAC(md, keylen ? key : empty, (int)keylen, data, len, out, &outlen))
        return 0;
    return outlen;
}

int lcp_auth_answer(const uint8_t *key, size_t keylen, const uint8_t *chal,
                    size_t chal_len, int allow_legacy, uint8_t *out,
                    lcp_hs_failure *why)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    if (chal_len < LEGACY_CHALLENGE_LEN || chal_len > LCP_AUTH_MAX_MSG) {
        *why = LCP_HSF_BAD_MESSAGE;
        return -1;
    }
    if (is_legacy_length(chal_len)) {
        if (!allow_legacy) {
            *why = LCP_HSF_LEGACY;
            return -1;
        }
        size_t n = hmac(EVP_md5(), key, keylen, chal, chal_len, mac);
        if (n == 0) {
            *why = LCP_HSF_DIGEST;
            return -1;
        }
        memcpy(out, mac, n);
        return (int)n;
    }
    size_t prefix_len;
    int md5;
    const EVP_MD *md = parse_prefix(chal, chal_len, &prefix_len, &md5);
    if (!md) {
        *why = prefix_len ? LCP_HSF_DIGEST : LCP_HSF_BAD_MESSAGE;
        return -1;
    }
    if (md5 && !allow_legacy) {
        *why = LCP_HSF_LEGACY;
        return -1;
    }
    size_t n = hmac(md, key, keylen, chal, chal_len, mac);
    if (n == 0) {
        *why = LCP_HSF_DIGEST;
        return -1;
    }
    memcpy(out, chal, prefix_len); /* "{name}" */
    memcpy(out + prefix_len, mac, n);
    return (int)(prefix_len + n);
}

int lcp_auth_check(const uint8_t *key, size_t keylen, const uint8_t *chal,
                   size_t chal_len, const uint8_t *resp, size_t resp_len,
                   int allow_legacy, lcp_hs_failure *why)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    const EVP_MD *md;
    const uint8_t *given;
    size_t given_len;
    int md5;

    if (is_legacy_length(resp_len)) {
        md = EVP_md5();
        md5 = 1;
        given = resp;
        given_len = resp_len;
    } else {
        size_t prefix_len;
        md = parse_prefix(resp, resp_len, &prefix_len, &md5);
        if (!md) {
            *why = prefix_len ? LCP_HSF_DIGEST : LCP_HSF_BAD_MESSAGE;
            return -1;
        }
        given = resp + prefix_len;
        given_len = resp_len - prefix_len;
    }
    if (md5 && !allow_legacy) {
        *why = LCP_HSF_LEGACY;
        return -1;
    }
    size_t n = hmac(md, key, keylen, chal, chal_len, mac);
    if (n == 0 || n != given_len || CRYPTO_memcmp(mac, given, n) != 0) {
        *why = n == 0 ? LCP_HSF_DIGEST : LCP_HSF_WRONG_KEY;
        return -1;
    }
    return 0;
}

static void emit(lcp_auth_out *out, const void *msg, size_t len)
{
    if (out->len + LCP_FRAME_HDR + len > sizeof out->data)
        return; /* cannot happen: messages are bounded by LCP_AUTH_MAX_MSG */
    lcp_frame_put_header(out->data + out->len, (uint32_t)len);
    memcpy(out->data + out->len + LCP_FRAME_HDR, msg, len);
    out->len += LCP_FRAME_HDR + len;
}

static void emit_str(lcp_auth_out *out, const char *s)
{
    emit(out, s, strlen(s));
}

/* "#CHALLENGE#" + chal */
static void emit_challenge(lcp_auth_out *out, const uint8_t *chal, size_t n)
{
    uint8_t msg[LCP_AUTH_MAX_MSG];
    size_t pl = strlen(LCP_AUTH_CHALLENGE);
    memcpy(msg, LCP_AUTH_CHALLENGE, pl);
    memcpy(msg + pl, chal, n);
    emit(out, msg, pl + n);
}

static size_t make_challenge(uint8_t *chal, const uint8_t nonce[LCP_AUTH_NONCE_LEN])
{
    size_t pl = strlen(PREFIX_SHA256);
    memcpy(chal, PREFIX_SHA256, pl);
    memcpy(chal + pl, nonce, LCP_AUTH_NONCE_LEN);
    return pl + LCP_AUTH_NONCE_LEN;
}

static int is_msg(const uint8_t *msg, size_t len, const char *s)
{
    return len == strlen(s) && memcmp(msg, s, len) == 0;
}

/* If msg is "#CHALLENGE#" + payload, return the payload length and set *p. */
static int challenge_payload(const uint8_t *msg, size_t len, const uint8_t **p)
{
    size_t pl = strlen(LCP_AUTH_CHALLENGE);
    if (len < pl || memcmp(msg, LCP_AUTH_CHALLENGE, pl) != 0)
        return -1;
    *p = msg + pl;
    return (int)(len - pl);
}

static lcp_hs_result fail(int *state, lcp_hs_failure *slot, lcp_hs_failure why)
{
    *state = HS_FAILED;
    *slot = why;
    return LCP_HS_FAIL;
}

void lcp_server_hs_start(lcp_server_hs *hs, const lcp_keyring *keys,
                         int allow_legacy,
                         const uint8_t nonce[LCP_AUTH_NONCE_LEN],
                         lcp_auth_out *out)
{
    memset(hs, 0, sizeof *hs);
    hs->keys = keys;
    hs->allow_legacy = allow_legacy;
    hs->key_index = -1;
    hs->chal_len = make_challenge(hs->chal, nonce);
    out->len = 0;
    emit_challenge(out, hs->chal, hs->chal_len);
    hs->state = SRV_WAIT_RESPONSE;
}

/* Try every key, without stopping at the first match, so the time taken
 * does not say which key matched. */
static int server_check_response(lcp_server_hs *hs, const uint8_t *msg,
                                 size_t len, lcp_hs_failure *why)
{
    int found = -1;
    *why = LCP_HSF_WRONG_KEY;
    for (size_t i = 0; i < hs->keys->n; i++) {
        lcp_hs_failure w = LCP_HSF_NONE;
        const lcp_key *k = &hs->keys->keys[i];
        if (lcp_auth_check(k->bytes, k->len, hs->chal, hs->chal_len, msg, len,
                           hs->allow_legacy, &w) == 0) {
            if (found < 0)
                found = (int)i;
        } else if (w != LCP_HSF_WRONG_KEY) {
            *why = w; /* the message itself is unacceptable, whatever the key */
        }
    }
    return found;
}

lcp_hs_result lcp_server_hs_input(lcp_server_hs *hs, const uint8_t *msg,
                                  size_t len, lcp_auth_out *out)
{
    out->len = 0;
    if (len > LCP_AUTH_MAX_MSG)
        return fail(&hs->state, &hs->failure, LCP_HSF_BAD_MESSAGE);

    switch (hs->state) {
    case SRV_WAIT_RESPONSE: {
        lcp_hs_failure why;
        int idx = server_check_response(hs, msg, len, &why);
        if (idx < 0) {
            emit_str(out, LCP_AUTH_FAILURE);
            return fail(&hs->state, &hs->failure, why);
        }
        hs->key_index = idx;
        hs->legacy = is_legacy_length(len) || (len > 4 && memcmp(msg, "{md5}", 5) == 0);
        emit_str(out, LCP_AUTH_WELCOME);
        hs->state = SRV_WAIT_CHALLENGE;
        return LCP_HS_CONTINUE;
    }
    case SRV_WAIT_CHALLENGE: {
        const uint8_t *p;
        int n = challenge_payload(msg, len, &p);
        if (n < 0)
            return fail(&hs->state, &hs->failure, LCP_HSF_BAD_MESSAGE);
        uint8_t resp[LCP_AUTH_MAX_MSG];
        lcp_hs_failure why;
        const lcp_key *k = &hs->keys->keys[hs->key_index];
        int rn = lcp_auth_answer(k->bytes, k->len, p, (size_t)n,
                                 hs->allow_legacy, resp, &why);
        if (rn < 0)
            return fail(&hs->state, &hs->failure, why);
        emit(out, resp, (size_t)rn);
        hs->state = SRV_WAIT_WELCOME;
        return LCP_HS_CONTINUE;
    }
    case SRV_WAIT_WELCOME:
        if (is_msg(msg, len, LCP_AUTH_WELCOME)) {
            hs->state = HS_DONE;
            return LCP_HS_DONE;
        }
        return fail(&hs->state, &hs->failure,
                    is_msg(msg, len, LCP_AUTH_FAILURE) ? LCP_HSF_REJECTED
                                                       : LCP_HSF_BAD_MESSAGE);
    default:
        return fail(&hs->state, &hs->failure, LCP_HSF_BAD_MESSAGE);
    }
}

void lcp_client_hs_start(lcp_client_hs *hs, const uint8_t *key, size_t keylen,
                         const uint8_t nonce[LCP_AUTH_NONCE_LEN])
{
    memset(hs, 0, sizeof *hs);
    hs->key = key;
    hs->keylen = keylen;
    memcpy(hs->nonce, nonce, LCP_AUTH_NONCE_LEN);
    hs->state = CLI_WAIT_CHALLENGE;
}

lcp_hs_result lcp_client_hs_input(lcp_client_hs *hs, const uint8_t *msg,
                                  size_t len, lcp_auth_out *out)
{
    out->len = 0;
    if (len > LCP_AUTH_MAX_MSG)
        return fail(&hs->state, &hs->failure, LCP_HSF_BAD_MESSAGE);

    switch (hs->state) {
    case CLI_WAIT_CHALLENGE: {
        const uint8_t *p;
        int n = challenge_payload(msg, len, &p);
        if (n < 0)
            return fail(&hs->state, &hs->failure, LCP_HSF_BAD_MESSAGE);
        uint8_t resp[LCP_AUTH_MAX_MSG];
        lcp_hs_failure why;
        int rn = lcp_auth_answer(hs->key, hs->keylen, p, (size_t)n, 0, resp, &why);
        if (rn < 0)
            return fail(&hs->state, &hs->failure, why);
        emit(out, resp, (size_t)rn);
        hs->state = CLI_WAIT_WELCOME;
        return LCP_HS_CONTINUE;
    }
    case CLI_WAIT_WELCOME:
        if (!is_msg(msg, len, LCP_AUTH_WELCOME))
            return fail(&hs->state, &hs->failure,
                        is_msg(msg, len, LCP_AUTH_FAILURE) ? LCP_HSF_REJECTED
                                                           : LCP_HSF_BAD_MESSAGE);
        hs->chal_len = make_challenge(hs->chal, hs->nonce);
        emit_challenge(out, hs->chal, hs->chal_len);
        hs->state = CLI_WAIT_RESPONSE;
        return LCP_HS_CONTINUE;
    case CLI_WAIT_RESPONSE: {
        lcp_hs_failure why;
        if (lcp_auth_check(hs->key, hs->keylen, hs->chal, hs->chal_len, msg, len,
                           0, &why) != 0) {
            emit_str(out, LCP_AUTH_FAILURE);
            return fail(&hs->state, &hs->failure, why);
        }
        emit_str(out, LCP_AUTH_WELCOME);
        hs->state = HS_DONE;
        return LCP_HS_DONE;
    }
    default:
        return fail(&hs->state, &hs->failure, LCP_HSF_BAD_MESSAGE);
    }
}
