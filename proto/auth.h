/*
 * auth.h - the mutual HMAC challenge-response handshake.
 *
 * This is CPython's multiprocessing.connection handshake, byte for byte, so a
 * stock Python Client(addr, authkey=key) can talk to the daemon:
 *
 *   server -> client  "#CHALLENGE#{sha256}" + 40 random bytes
 *   client -> server  "{sha256}" + HMAC-SHA256(key, "{sha256}" + 40 bytes)
 *   server -> client  "#WELCOME#"  (or "#FAILURE#", then close)
 *   client -> server  "#CHALLENGE#{sha256}" + 40 random bytes
 *   server -> client  "{sha256}" + HMAC-SHA256(key, ...)
 *   client -> server  "#WELCOME#"  (or "#FAILURE#")
 *
 * The MAC covers the "{digest}" prefix, so a man in the middle cannot
 * downgrade the algorithm.  The legacy form spoken by Python <= 3.11 (a raw
 * 16-byte HMAC-MD5 answer, and a 20-byte challenge without a prefix) is
 * accepted only when the caller allows it.
 *
 * The state machines below never do I/O and never draw random numbers: the
 * caller supplies the nonce and moves the bytes, which keeps them testable
 * and fuzzable.  Every message they emit is already framed.
 */
#ifndef LCP_AUTH_H
#define LCP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "keyfile.h"

#define LCP_AUTH_NONCE_LEN 40       /* CPython's MESSAGE_LENGTH */
#define LCP_AUTH_MAX_MSG 256        /* every handshake message is read with this cap */
#define LCP_AUTH_CHALLENGE "#CHALLENGE#"
#define LCP_AUTH_WELCOME "#WELCOME#"
#define LCP_AUTH_FAILURE "#FAILURE#"

/* Room for the frames one step of a state machine may emit. */
typedef struct {
    uint8_t data[2 * (LCP_FRAME_HDR + LCP_AUTH_MAX_MSG)];
    size_t len;
} lcp_auth_out;

typedef enum {
    LCP_HS_CONTINUE = 0, /* send out (if any), then wait for the next message */
    LCP_HS_DONE,         /* handshake complete: send out, then talk */
    LCP_HS_FAIL,         /* send out (a #FAILURE# when we owe one), then close */
} lcp_hs_result;

/* Why a handshake failed; for logs on *our* side only: the peer is told
 * nothing but #FAILURE#. */
typedef enum {
    LCP_HSF_NONE = 0,
    LCP_HSF_BAD_MESSAGE, /* not a handshake message where one was expected */
    LCP_HSF_WRONG_KEY,   /* the MAC did not match any key */
    LCP_HSF_LEGACY,      /* legacy HMAC-MD5 offered but not allowed */
    LCP_HSF_DIGEST,      /* unknown or unsupported digest name */
    LCP_HSF_REJECTED,    /* the peer said #FAILURE# to our proof */
} lcp_hs_failure;

const char *lcp_hs_failure_str(lcp_hs_failure f);

/* ---- primitives ---- */

/* Answer a challenge payload (the bytes after "#CHALLENGE#").  Writes the
 * response message (unframed) to out (at least LCP_AUTH_MAX_MSG bytes).
 * Returns its length, or -1 with *why set. */
int lcp_auth_answer(const uint8_t *key, size_t keylen, const uint8_t *chal,
                    size_t chal_len, int allow_legacy, uint8_t *out,
                    lcp_hs_failure *why);

/* Check a response to our challenge payload chal.  Constant time in the MAC
 * comparison.  Returns 0 when it matches. */
int lcp_auth_check(const uint8_t *key, size_t keylen, const uint8_t *chal,
                   size_t chal_len, const uint8_t *resp, size_t resp_len,
                   int allow_legacy, lcp_hs_failure *why);

/* ---- server side: deliver_challenge() then answer_challenge() ---- */

typedef struct {
    int state;
    const lcp_keyring *keys;
    int allow_legacy;
    uint8_t chal[1 + 16 + LCP_AUTH_NONCE_LEN]; /* "{sha256}" + nonce */
    size_t chal_len;
    int key_index;         /* which key proved itself, once past step 1 */
    int legacy;            /* the peer used legacy HMAC-MD5 */
    lcp_hs_failure failure;
} lcp_server_hs;

/* Start: emits the challenge.  keys must outlive the handshake. */
void lcp_server_hs_start(lcp_server_hs *hs, const lcp_keyring *keys,
                         int allow_legacy,
                         const uint8_t nonce[LCP_AUTH_NONCE_LEN],
                         lcp_auth_out *out);

/* Feed one whole message (payload of one frame, at most LCP_AUTH_MAX_MSG). */
lcp_hs_result lcp_server_hs_input(lcp_server_hs *hs, const uint8_t *msg,
                                  size_t len, lcp_auth_out *out);

/* ---- client side: answer_challenge() then deliver_challenge() ---- */

typedef struct {
    int state;
    const uint8_t *key;
    size_t keylen;
    uint8_t nonce[LCP_AUTH_NONCE_LEN];
    uint8_t chal[1 + 16 + LCP_AUTH_NONCE_LEN];
    size_t chal_len;
    lcp_hs_failure failure;
} lcp_client_hs;

/* The client speaks only the modern protocol.  nonce is used for the
 * challenge it sends in step 2; key must outlive the handshake. */
void lcp_client_hs_start(lcp_client_hs *hs, const uint8_t *key, size_t keylen,
                         const uint8_t nonce[LCP_AUTH_NONCE_LEN]);

lcp_hs_result lcp_client_hs_input(lcp_client_hs *hs, const uint8_t *msg,
                                  size_t len, lcp_auth_out *out);

#endif
