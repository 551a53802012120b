/*
 * control.h - control messages: every post-handshake message whose first
 * byte is not '{'.  The first byte is the type; the body follows.
 *
 * HELLO, WELCOME and STATUS carry a JSON object (rare, extensible); ACK and
 * ERROR are fixed binary (frequent, cheap).  docs/protocol.md has the bytes.
 */
#ifndef LCP_CONTROL_H
#define LCP_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#define LCP_PROTO_VERSION 1

enum {
    LCP_MSG_HELLO = 0x01,      /* client -> server, JSON */
    LCP_MSG_WELCOME = 0x02,    /* server -> client, JSON, reply to HELLO */
    LCP_MSG_ACK = 0x03,        /* server -> client, u64 seq */
    LCP_MSG_ERROR = 0x04,      /* server -> client, u64 seq, u16 code, text */
    LCP_MSG_STATUS_REQ = 0x05, /* client -> server, empty */
    LCP_MSG_STATUS = 0x06,     /* server -> client, JSON counters */
};

/* ERROR codes beyond the record ones in record.h (lcp_rec_status). */
enum {
    LCP_ERR_TOO_MANY_CLIENTS = 100, /* sent instead of a challenge, then close */
    LCP_ERR_BAD_CONTROL = 101,      /* malformed control message, then close */
    LCP_ERR_SHUTDOWN = 102,         /* daemon stopping, then close */
    LCP_ERR_KEY_REVOKED = 103,      /* the session's key was removed (SIGHUP), then close */
};

#define LCP_SID_HEX 32 /* 128-bit session id or secret, lower-case hex */
#define LCP_NAME_MAX 255

/* HELLO carries the session's private secret, never its public id: the
 * daemon derives the id (lcp_sid_derive), and since the id is all that is
 * written to the output, reading the output gives no way to resume, and so
 * to hijack, someone else's session. */
typedef struct {
    char secret[LCP_SID_HEX + 1];
    uint64_t seq; /* number of the first record sent on this connection */
    char app[LCP_NAME_MAX + 1];
    char host[LCP_NAME_MAX + 1];
    int64_t pid;
} lcp_hello;

typedef struct {
    char sid[LCP_SID_HEX + 1];
    uint64_t written;     /* every record of the session up to this is done */
    uint32_t max_record;  /* the daemon's --max-record */
} lcp_welcome;

#define LCP_CONTROL_MAX 4096 /* a control message may be this long whatever --max-record is */
#define LCP_ACK_LEN 9        /* type + u64 */
#define LCP_ERROR_HEAD 11    /* type + u64 seq + u16 code */
#define LCP_ERROR_TEXT_MAX 240

/* Encoders write the whole message (type byte included, no frame header)
 * and return its length, or -1 when cap is too small or a field is bad.
 * Decoders take the whole message, type byte included, and return 0, or -1
 * with a reason in err. */
int lcp_hello_encode(const lcp_hello *h, uint8_t *out, size_t cap);
int lcp_hello_decode(const uint8_t *msg, size_t len, lcp_hello *h, char *err,
                     size_t errlen);

int lcp_welcome_encode(const lcp_welcome *w, uint8_t *out, size_t cap);
int lcp_welcome_decode(const uint8_t *msg, size_t len, lcp_welcome *w,
                       char *err, size_t errlen);

void lcp_ack_encode(uint64_t seq, uint8_t out[LCP_ACK_LEN]);
int lcp_ack_decode(const uint8_t *msg, size_t len, uint64_t *seq);

/* text is cut to LCP_ERROR_TEXT_MAX bytes (on a UTF-8 boundary). */
int lcp_error_encode(uint64_t seq, uint16_t code, const char *text,
                     uint8_t *out, size_t cap);
int lcp_error_decode(const uint8_t *msg, size_t len, uint64_t *seq,
                     uint16_t *code, char *text, size_t textlen);

/* A session id (or secret) is exactly LCP_SID_HEX lower-case hex digits. */
int lcp_sid_valid(const char *s);
void lcp_sid_format(char out[LCP_SID_HEX + 1], const uint8_t raw[16]);

/* The public session id of a session secret: the first 16 bytes of
 * SHA-256("logcollect-sid:" || the secret's 16 raw bytes), in hex.
 * Returns -1 when secret is not valid (lcp_sid_valid). */
int lcp_sid_derive(const char *secret, char sid[LCP_SID_HEX + 1]);

#endif
