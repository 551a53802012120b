/*
 * conn.h - one connection to logcollectord (internal to liblogcollect).
 *
 * Connects, authenticates (proto/auth.h), says HELLO, sends record frames
 * and reads ACK / ERROR frames.  No locking: the caller serialises calls
 * (lc_client's mutex now, a sender thread later).  The socket is
 * non-blocking; every wait is a poll() against a deadline, and while a send
 * waits for room it also reads what the daemon sends, so neither side can
 * block the other forever.
 *
 * Every function that can fail returns an LC_E* code and leaves a
 * one-line message (what failed, with which file or peer, what to do) in
 * conn->err.  Once the connection is unusable, conn->broken holds the code
 * and every later call fails with it.
 */
#ifndef LCC_CONN_H
#define LCC_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "portfile.h"

#define LCC_ERR_MAX 512
/* Largest message accepted from the daemon after the handshake (ACK and
 * ERROR are tiny; WELCOME and STATUS are small JSON objects). */
#define LCC_RECV_MAX 65536
/* Read pending ACK / ERROR frames after this many records at the latest. */
#define LCC_DRAIN_EVERY 64
/* Default limit for connecting, and separately for handshake + HELLO. */
#define LCC_OPEN_TIMEOUT_MS 5000
/* How long lcc_close waits for the daemon to read what was sent. */
#define LCC_CLOSE_LINGER_MS 2000

typedef struct {
    int fd;
    char peer[LCP_HOST_MAX + 16]; /* "127.0.0.1:4000", "[::1]:4000" */

    uint8_t *rbuf; /* incoming bytes, LCC_RECV_MAX + frame header */
    size_t rlen;

    char sid[LCP_SID_HEX + 1];
    uint32_t max_record; /* from WELCOME; LCP_FRAME_MAX when not given */
    uint64_t first_seq;  /* HELLO's seq */
    uint64_t next_seq;   /* the seq the next record gets */
    uint64_t acked;      /* highest ACK (first_seq - 1 before any) */
    unsigned since_drain;

    /* Records the daemon rejected since the last lcc_take_rejection(). */
    uint64_t rej_count;
    uint64_t rej_seq; /* the first of them */
    uint16_t rej_code;
    char rej_text[LCP_ERROR_TEXT_MAX + 1];

    /* The daemon said it is stopping (ERROR 102): nothing more may be
     * sent, but it still acknowledges what it got, until it closes. */
    int closing;
    char closing_msg[LCC_ERR_MAX];

    int broken; /* 0, or the LC_E* code every call now returns */
    char broken_msg[LCC_ERR_MAX];
    char err[LCC_ERR_MAX]; /* message of the last failure */
} lcc_conn;

/* Prepare an unconnected conn (fd -1). */
void lcc_init(lcc_conn *c);

/* Read the port file, read the key file, connect, authenticate, exchange
 * HELLO / WELCOME.  app and host are sent in HELLO.  timeout_ms bounds the
 * connect, and separately handshake + HELLO (negative: LCC_OPEN_TIMEOUT_MS).
 * On failure the conn stays closed and err says why. */
int lcc_open(lcc_conn *c, const char *port_file, const char *key_file,
             const char *app, int timeout_ms);

/* Steps of lcc_open, exposed for tests and for the asynchronous version. */
int lcc_read_portfile(const char *path, lcp_portinfo *pi, char *err, size_t errlen);
int lcc_read_key(const char *path, uint8_t **key, size_t *keylen, char *err,
                 size_t errlen);

/* Send one record (a whole JSON object) as one frame.  Blocks until the
 * frame is handed to the kernel, or timeout_ms (negative: no limit).  A
 * timeout before any byte left returns LC_ETIMEDOUT and the record is not
 * sent; a timeout halfway through a frame also breaks the connection. */
int lcc_send_record(lcc_conn *c, const void *rec, size_t len, int timeout_ms);

/* Read and handle whatever ACK / ERROR frames have arrived, without
 * waiting. */
int lcc_drain(lcc_conn *c);

/* Wait until every record up to seq is acknowledged, or timeout_ms
 * (negative: no limit) passes (LC_ETIMEDOUT). */
int lcc_wait_acked(lcc_conn *c, uint64_t seq, int timeout_ms);

/* seq of the last record sent (first_seq - 1 if none). */
uint64_t lcc_last_sent(const lcc_conn *c);

/* If records were rejected since the last call, write a message about
 * them to msg and return how many; else return 0.  Resets the count. */
uint64_t lcc_take_rejection(lcc_conn *c, char *msg, size_t msglen);

/* Half-close, wait (at most LCC_CLOSE_LINGER_MS) until the daemon has read
 * everything sent and closed its side, then close and free. */
void lcc_close(lcc_conn *c);

/* Milliseconds on the monotonic clock. */
int64_t lcc_now_ms(void);

#endif
