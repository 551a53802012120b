/*
 * test_vectors.c - checks proto/auth.c against the shared handshake test
 * vectors in tests/vectors/handshake.json, which were computed with
 * Python's hashlib/hmac (tests/vectors/make_vectors.py) and which the Python
 * package's tests check too (tests/python/test_vectors.py).  Both clients
 * agreeing with one file is what makes them interoperate, rather than each
 * agreeing only with itself.
 *
 * For every vector: the proofs lcp_auth_answer() computes, lcp_auth_check()
 * accepting them and refusing any one bit changed or another vector's key,
 * and the server and client state machines, given the vector's nonces,
 * emitting exactly the vector's six frames (length header included).
 * For every session vector: lcp_sid_derive() of the secret is the vector's
 * sid (what HELLO's secret becomes in _sid).
 *
 * The file is found through $LC_VECTORS, else tests/vectors/handshake.json
 * in the working directory or in any folder above this binary.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "control.h"
#include "frame.h"
#include "keyfile.h"

#define VEC_FILE "tests/vectors/handshake.json"
#define MAX_VECTORS 32
#define WIRE_FRAMES 6
#define MSG_MAX (LCP_FRAME_HDR + LCP_AUTH_MAX_MSG)

typedef struct {
    uint8_t bytes[MSG_MAX];
    size_t len;
} blob;

typedef struct {
    char name[64];
    uint8_t key[LCP_KEY_MAX];
    size_t keylen;
    blob daemon_nonce, daemon_challenge, client_proof;
    blob client_nonce, client_challenge, daemon_proof;
    blob wire[WIRE_FRAMES]; /* whole frames, header included */
    int wire_from_daemon[WIRE_FRAMES];
} hs_vector;

typedef struct {
    char secret[LCP_SID_HEX + 1];
    char sid[LCP_SID_HEX + 1];
} sid_vector;

/* Loaded once in main(), before the forked tests read them. */
static hs_vector VEC[MAX_VECTORS];
static int NVEC;
static sid_vector SIDS[MAX_VECTORS];
static int NSIDS;

/* ---- loading --------------------------------------------------------- */

/* Loading happens in main(), outside any test: errors are reported with
 * messages and a -1, not with ck_assert. */
static int unhex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = hex ? strlen(hex) : 1;
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static int get_blob(json_t *obj, const char *vec, const char *member, blob *b)
{
    const char *hex = json_string_value(json_object_get(obj, member));
    if (unhex(hex, b->bytes, sizeof b->bytes, &b->len) == 0)
        return 0;
    fprintf(stderr, "test_vectors: vector %s: member \"%s\" missing or not hex\n", vec, member);
    return -1;
}

static int load_vector(json_t *v, hs_vector *out)
{
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *key = json_string_value(json_object_get(v, "key"));
    snprintf(out->name, sizeof out->name, "%s", name ? name : "?");
    if (!name || unhex(key, out->key, sizeof out->key, &out->keylen) != 0) {
        fprintf(stderr, "test_vectors: vector %s: no name or no key\n", out->name);
        return -1;
    }
    struct {
        const char *member;
        blob *b;
    } parts[] = {{"daemon_nonce", &out->daemon_nonce}, {"daemon_challenge", &out->daemon_challenge},
                 {"client_proof", &out->client_proof}, {"client_nonce", &out->client_nonce},
                 {"client_challenge", &out->client_challenge}, {"daemon_proof", &out->daemon_proof}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (get_blob(v, out->name, parts[i].member, parts[i].b) != 0)
            return -1;
    json_t *wire = json_object_get(v, "wire");
    if (json_array_size(wire) != WIRE_FRAMES) {
        fprintf(stderr, "test_vectors: vector %s: \"wire\" is not %d frames\n", out->name,
                WIRE_FRAMES);
        return -1;
    }
    for (size_t i = 0; i < WIRE_FRAMES; i++) {
        json_t *f = json_array_get(wire, i);
        const char *from = json_string_value(json_object_get(f, "from"));
        if (get_blob(f, out->name, "frame", &out->wire[i]) != 0)
            return -1;
        out->wire_from_daemon[i] = from && strcmp(from, "daemon") == 0;
    }
    return 0;
}

static int load_sid_vector(json_t *v, sid_vector *out)
{
    const char *secret = json_string_value(json_object_get(v, "secret"));
    const char *sid = json_string_value(json_object_get(v, "sid"));
    if (!secret || !sid || strlen(secret) != LCP_SID_HEX || strlen(sid) != LCP_SID_HEX) {
        fprintf(stderr, "test_vectors: a session vector without a 32-digit secret and sid\n");
        return -1;
    }
    memcpy(out->secret, secret, LCP_SID_HEX + 1);
    memcpy(out->sid, sid, LCP_SID_HEX + 1);
    return 0;
}

/* dir/VEC_FILE for the folders from the binary's up to /; 0 when found. */
static int find_beside_binary(char *path, size_t cap)
{
    char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n <= 0)
        return -1;
    dir[n] = '\0';
    char *slash;
    while ((slash = strrchr(dir, '/')) != NULL) {
        *slash = '\0';
        snprintf(path, cap, "%s/%s", dir, VEC_FILE);
        if (access(path, R_OK) == 0)
            return 0;
    }
    return -1;
}

static const char *vectors_path(char *buf, size_t cap)
{
    const char *env = getenv("LC_VECTORS");
    if (env && *env)
        return env;
    if (access(VEC_FILE, R_OK) == 0)
        return VEC_FILE;
    if (find_beside_binary(buf, cap) == 0)
        return buf;
    return NULL;
}

static int load_vectors(void)
{
    char buf[PATH_MAX + sizeof VEC_FILE];
    const char *path = vectors_path(buf, sizeof buf);
    if (!path) {
        fprintf(stderr, "test_vectors: cannot find %s (run from the source tree or set "
                        "LC_VECTORS)\n", VEC_FILE);
        return -1;
    }
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    if (!doc) {
        fprintf(stderr, "test_vectors: %s:%d: %s\n", path, err.line, err.text);
        return -1;
    }
    json_t *hs = json_object_get(doc, "handshake");
    NVEC = 0;
    int rc = 0;
    for (size_t i = 0; i < json_array_size(hs) && NVEC < MAX_VECTORS && rc == 0; i++)
        rc = load_vector(json_array_get(hs, i), &VEC[NVEC++]);
    json_t *sess = json_object_get(doc, "session");
    NSIDS = 0;
    for (size_t i = 0; i < json_array_size(sess) && NSIDS < MAX_VECTORS && rc == 0; i++)
        rc = load_sid_vector(json_array_get(sess, i), &SIDS[NSIDS++]);
    json_decref(doc);
    if (rc != 0)
        return -1;
    if (NVEC < 2 || NSIDS == 0) {
        fprintf(stderr, "test_vectors: %s holds fewer than 2 handshake vectors or no "
                        "session vector\n", path);
        return -1;
    }
    return 0;
}

/* ---- helpers --------------------------------------------------------- */

/* The frame's payload: after the 4-byte header, whose length must match. */
static const uint8_t *payload(const blob *frame, size_t *len)
{
    lcp_frame f;
    ck_assert_int_eq(lcp_frame_next(frame->bytes, frame->len, LCP_AUTH_MAX_MSG, &f),
                     LCP_FRAME_OK);
    ck_assert_uint_eq(f.consumed, frame->len);
    *len = f.len;
    return f.payload;
}

static void assert_emitted(const lcp_auth_out *out, const blob *want, const char *what)
{
    ck_assert_msg(out->len == want->len && memcmp(out->data, want->bytes, want->len) == 0,
                  "%s: emitted %zu bytes, the vector has %zu (or they differ)", what,
                  out->len, want->len);
}

static void ring_of(lcp_keyring *ring, lcp_key *k, const hs_vector *v)
{
    memset(k, 0, sizeof *k);
    snprintf(k->name, sizeof k->name, "default");
    k->bytes = (uint8_t *)v->key;
    k->len = v->keylen;
    ring->keys = k;
    ring->n = 1;
}

#define CHAL_PREFIX_LEN (sizeof LCP_AUTH_CHALLENGE - 1)

/* ---- tests ----------------------------------------------------------- */

/* The challenges are "#CHALLENGE#{sha256}" + nonce, and the proofs are
 * what lcp_auth_answer computes from the key and the challenge. */
START_TEST(test_answers_match)
{
    const hs_vector *v = &VEC[_i];
    uint8_t out[LCP_AUTH_MAX_MSG];
    lcp_hs_failure why = LCP_HSF_NONE;
    const blob *chals[2] = {&v->daemon_challenge, &v->client_challenge};
    const blob *nonces[2] = {&v->daemon_nonce, &v->client_nonce};
    const blob *proofs[2] = {&v->client_proof, &v->daemon_proof};
    for (int side = 0; side < 2; side++) {
        const blob *c = chals[side];
        ck_assert_uint_eq(nonces[side]->len, LCP_AUTH_NONCE_LEN);
        ck_assert_uint_eq(c->len, CHAL_PREFIX_LEN + 8 + LCP_AUTH_NONCE_LEN);
        ck_assert_mem_eq(c->bytes, "#CHALLENGE#{sha256}", CHAL_PREFIX_LEN + 8);
        ck_assert_mem_eq(c->bytes + CHAL_PREFIX_LEN + 8, nonces[side]->bytes, LCP_AUTH_NONCE_LEN);
        int n = lcp_auth_answer(v->key, v->keylen, c->bytes + CHAL_PREFIX_LEN,
                                c->len - CHAL_PREFIX_LEN, 0, out, &why);
        ck_assert_msg(n == (int)proofs[side]->len && memcmp(out, proofs[side]->bytes, (size_t)n) == 0,
                      "%s: proof %d differs from the vector", v->name, side);
    }
}
END_TEST

/* lcp_auth_check accepts the vector's proofs and refuses each of them
 * with any single bit flipped, or under another vector's key. */
START_TEST(test_checks_match)
{
    const hs_vector *v = &VEC[_i];
    const blob *chals[2] = {&v->daemon_challenge, &v->client_challenge};
    const blob *proofs[2] = {&v->client_proof, &v->daemon_proof};
    for (int side = 0; side < 2; side++) {
        const uint8_t *chal = chals[side]->bytes + CHAL_PREFIX_LEN;
        size_t chal_len = chals[side]->len - CHAL_PREFIX_LEN;
        blob p = *proofs[side];
        lcp_hs_failure why = LCP_HSF_NONE;
        ck_assert_int_eq(lcp_auth_check(v->key, v->keylen, chal, chal_len, p.bytes, p.len, 0, &why), 0);
        for (size_t bit = 8 * 8; bit < 8 * p.len; bit++) { /* every bit of the MAC */
            p.bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            ck_assert_msg(lcp_auth_check(v->key, v->keylen, chal, chal_len, p.bytes, p.len, 0,
                                         &why) != 0,
                          "%s: proof with bit %zu flipped accepted", v->name, bit);
            ck_assert_int_eq(why, LCP_HSF_WRONG_KEY);
            p.bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        const hs_vector *other = &VEC[(_i + 1) % NVEC];
        if (other != v)
            ck_assert_int_ne(lcp_auth_check(other->key, other->keylen, chal, chal_len, p.bytes,
                                            p.len, 0, &why), 0);
    }
}
END_TEST

/* The two state machines, given the vector's nonces, emit exactly the
 * vector's six frames, in order, and both end in LCP_HS_DONE. */
START_TEST(test_state_machines_emit_the_wire)
{
    const hs_vector *v = &VEC[_i];
    lcp_key k;
    lcp_keyring ring;
    ring_of(&ring, &k, v);
    lcp_server_hs srv;
    lcp_client_hs cli;
    lcp_auth_out out;
    size_t len;
    const uint8_t *p;

    lcp_server_hs_start(&srv, &ring, 0, v->daemon_nonce.bytes, &out);
    assert_emitted(&out, &v->wire[0], "server challenge");
    lcp_client_hs_start(&cli, v->key, v->keylen, v->client_nonce.bytes);

    p = payload(&v->wire[0], &len);
    ck_assert_int_eq(lcp_client_hs_input(&cli, p, len, &out), LCP_HS_CONTINUE);
    assert_emitted(&out, &v->wire[1], "client proof");
    p = payload(&v->wire[1], &len);
    ck_assert_int_eq(lcp_server_hs_input(&srv, p, len, &out), LCP_HS_CONTINUE);
    assert_emitted(&out, &v->wire[2], "server #WELCOME#");
    p = payload(&v->wire[2], &len);
    ck_assert_int_eq(lcp_client_hs_input(&cli, p, len, &out), LCP_HS_CONTINUE);
    assert_emitted(&out, &v->wire[3], "client challenge");
    p = payload(&v->wire[3], &len);
    ck_assert_int_eq(lcp_server_hs_input(&srv, p, len, &out), LCP_HS_CONTINUE);
    assert_emitted(&out, &v->wire[4], "server proof");
    p = payload(&v->wire[4], &len);
    ck_assert_int_eq(lcp_client_hs_input(&cli, p, len, &out), LCP_HS_DONE);
    assert_emitted(&out, &v->wire[5], "client #WELCOME#");
    p = payload(&v->wire[5], &len);
    ck_assert_int_eq(lcp_server_hs_input(&srv, p, len, &out), LCP_HS_DONE);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(srv.key_index, 0);

    static const int from_daemon[WIRE_FRAMES] = {1, 0, 1, 0, 1, 0};
    for (int i = 0; i < WIRE_FRAMES; i++)
        ck_assert_int_eq(v->wire_from_daemon[i], from_daemon[i]);
}
END_TEST

/* A daemon holding another key answers the vector's client proof with
 * #FAILURE#; a client holding another key refuses the vector's daemon
 * proof (a stranger on the port cannot pass). */
START_TEST(test_wrong_key_refused)
{
    const hs_vector *v = &VEC[_i];
    const hs_vector *other = &VEC[(_i + 1) % NVEC];
    ck_assert_ptr_ne(other, v);
    lcp_key k;
    lcp_keyring ring;
    ring_of(&ring, &k, other);
    lcp_server_hs srv;
    lcp_auth_out out;
    size_t len;
    const uint8_t *p;

    lcp_server_hs_start(&srv, &ring, 0, v->daemon_nonce.bytes, &out);
    p = payload(&v->wire[1], &len);
    ck_assert_int_eq(lcp_server_hs_input(&srv, p, len, &out), LCP_HS_FAIL);
    ck_assert_int_eq(srv.failure, LCP_HSF_WRONG_KEY);
    ck_assert_uint_eq(out.len, LCP_FRAME_HDR + strlen(LCP_AUTH_FAILURE));
    ck_assert_mem_eq(out.data + LCP_FRAME_HDR, LCP_AUTH_FAILURE, strlen(LCP_AUTH_FAILURE));

    lcp_client_hs cli;
    lcp_client_hs_start(&cli, other->key, other->keylen, v->client_nonce.bytes);
    for (int i = 0; i < 3; i++) { /* challenge (answered with the other key), #WELCOME# */
        if (i == 1)
            continue;
        p = payload(&v->wire[i], &len);
        ck_assert_int_eq(lcp_client_hs_input(&cli, p, len, &out), LCP_HS_CONTINUE);
    }
    p = payload(&v->wire[4], &len);
    ck_assert_int_eq(lcp_client_hs_input(&cli, p, len, &out), LCP_HS_FAIL);
    ck_assert_int_eq(cli.failure, LCP_HSF_WRONG_KEY);
}
END_TEST

/* HELLO's secret -> the public _sid, as the vector says. */
START_TEST(test_sid_derivation)
{
    const sid_vector *v = &SIDS[_i];
    char sid[LCP_SID_HEX + 1];
    ck_assert_int_eq(lcp_sid_derive(v->secret, sid), 0);
    ck_assert_str_eq(sid, v->sid);
}
END_TEST

static Suite *vectors_suite(void)
{
    Suite *s = suite_create("vectors");
    TCase *tc = tcase_create("handshake");
    tcase_add_loop_test(tc, test_answers_match, 0, NVEC);
    tcase_add_loop_test(tc, test_checks_match, 0, NVEC);
    tcase_add_loop_test(tc, test_state_machines_emit_the_wire, 0, NVEC);
    tcase_add_loop_test(tc, test_wrong_key_refused, 0, NVEC);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("session");
    tcase_add_loop_test(ts, test_sid_derivation, 0, NSIDS);
    suite_add_tcase(s, ts);
    return s;
}

int main(void)
{
    if (load_vectors() != 0)
        return 1;
    SRunner *sr = srunner_create(vectors_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
