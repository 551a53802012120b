/*
 * client_conn.h - establishing one connection to logcollectord (internal).
 *
 * lcc_connect reads the port file, connects, starts TLS when the port
 * file says so (client_tls.h: only with the server's certificate checked, and
 * never plaintext once TLS is configured), runs the mutual handshake
 * (proto/auth.h: the client proves it has the key and makes the daemon
 * prove it too, so nothing is ever sent to a listener that does not know
 * the key), says HELLO and reads WELCOME.  Every wait is a poll() against
 * a deadline that also watches a wake fd, so the sender thread can be told
 * to stop in the middle of an attempt.
 *
 * After that the sender thread (sender.c) owns the socket; this file also
 * has the helpers it uses to cut the incoming bytes into frames.
 *
 * Functions that fail return an LC_E* code and leave a one-line message
 * (what failed, with which file or peer, what to do) in conn->err.
 */
#ifndef LCC_CONN_H
#define LCC_CONN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "portfile.h"

struct lcc_tls; /* client_tls.h: the TLS settings of a client */
struct ssl_st;  /* OpenSSL's SSL */

#define LCC_ERR_MAX 512
/* Largest message accepted from the daemon after the handshake (ACK and
 * ERROR are tiny; WELCOME and STATUS are small JSON objects). */
#define LCC_RECV_MAX 65536
#define LCC_RBUF_SIZE (LCC_RECV_MAX + 4)
/* Internal code: the wake fd became readable during lcc_connect. */
#define LCC_EWAKE (-100)

/* What to connect to and say; all pointers stay valid during the call. */
typedef struct {
    const char *port_file;
    const char *key_file; /* for messages; the key itself is below */
    const uint8_t *key;
    size_t keylen;
    const char *secret; /* the session's secret, sent in HELLO */
    const char *sid;    /* its public id, derived from secret: WELCOME must name it */
    uint64_t seq; /* HELLO's seq: the number of the first record to send */
    const char *app;
    const char *host;
    int64_t pid;
    /* TLS settings (client_tls.h), or NULL: none configured.  Whether the
     * connection uses TLS follows the port file's "tls", checked against
     * these (never unverified, never a silent downgrade). */
    const struct lcc_tls *tls;
    int timeout_ms; /* for the TCP connect, then for TLS, handshake + HELLO */
    int wakefd;     /* -1: none */
    /* Told the socket's fd once created (so a fork child can close its
     * copy); called with -1 before lcc_connect closes it on failure. */
    void (*on_fd)(void *arg, int fd);
    void *arg;
} lcc_target;

typedef struct {
    int fd;
    /* With TLS: the connection's SSL object (client_tls.h), else NULL.  Set and
     * freed only while holding lcc_fork_mu, so that a fork child finds it
     * either absent or whole (and frees its copy). */
    struct ssl_st *ssl;
    short tls_rd_ev, tls_wr_ev; /* what the last SSL_read / SSL_write waits for */
    int tls_has_cert;           /* we offered a client certificate */
    int tls_pin_failed;         /* the certificate is not the pinned one (err says so) */
    char tls_why[320];          /* the last TLS failure (errno EPROTO) */
    char peer[LCP_HOST_MAX + 16]; /* "127.0.0.1:4000", "[::1]:4000" */
    uint8_t *rbuf;                /* LCC_RBUF_SIZE bytes, owned by the caller */
    size_t rlen;
    uint32_t max_record; /* from WELCOME */
    uint64_t written;    /* from WELCOME */
    char err[LCC_ERR_MAX];
} lcc_conn;

/* Connect, authenticate, HELLO / WELCOME.  c->rbuf must be set.  On
 * success c->fd is the (non-blocking) socket, and c->ssl its TLS session
 * when the port file says "tls"; on failure both are closed and c->err
 * says why.  LCC_EWAKE when the wake fd became readable (the caller
 * drains it). */
int lcc_connect(lcc_conn *c, const lcc_target *t);

/* Close the connection at once: free the TLS session, close the socket
 * (no close_notify, no linger).  Safe on a closed one. */
void lcc_conn_close(lcc_conn *c);

/* Read the port file / the key file: regular files only, opened without
 * blocking (a FIFO, a directory or a device is refused at once, naming the
 * file), size bounded.  Call without lcc_fork_mu: lcc_read_portfile takes
 * it for the parse only, never across the file I/O. */
int lcc_read_portfile(const char *path, lcp_portinfo *pi, char *err, size_t errlen);
int lcc_read_key(const char *path, uint8_t **key, size_t *keylen, char *err,
                 size_t errlen);

/* Is a whole frame (at most LCC_RECV_MAX) buffered in c->rbuf?  1: yes
 * (*p, *len; pass *used to lcc_consume once done), 0: not yet, <0: the
 * stream is not logcollectord's (c->err). */
int lcc_next_frame(lcc_conn *c, const uint8_t **p, uint32_t *len, size_t *used);
void lcc_consume(lcc_conn *c, size_t n);

/* Wait (until deadline, or t->wakefd) for one whole frame of at most max
 * bytes.  1: got it; LC_ETIMEDOUT, LC_ECLOSED (the peer closed: c->err is
 * generic, callers reword it), LC_ETLS, LC_EPROTO, LCC_EWAKE. */
int lcc_recv_frame(lcc_conn *c, const lcc_target *t, uint32_t max, int64_t deadline,
                   const uint8_t **p, uint32_t *len, size_t *used);

/* Send all of buf (small messages: handshake, HELLO, STATUS request).
 * LC_OK, LC_ETIMEDOUT, LC_ECLOSED or LC_ETLS (c->err says why), LCC_EWAKE. */
int lcc_send_all(lcc_conn *c, const lcc_target *t, const void *buf, size_t len,
                 int64_t deadline);

/* Message and code for a connection-level ERROR (code >= 100). */
int lcc_conn_error(lcc_conn *c, uint16_t code, const char *text);

/* Copy text from the daemon into a message: printable, one line. */
void lcc_sanitize(char *dst, size_t cap, const char *src);

/* Held around the short stretches of a connection attempt that must not
 * be split by fork(): every OpenSSL call (OpenSSL is not fork-safe: a child
 * would inherit its half-updated state) and the port file's read and parse
 * (which allocate: a child would inherit memory nobody frees).  None does
 * network I/O; the fork handlers take it. */
extern pthread_mutex_t lcc_fork_mu;

/* n random bytes (getrandom, else OpenSSL).  0, or -1. */
int lcc_random(void *buf, size_t n);

/* Milliseconds on the monotonic clock. */
int64_t lcc_now_ms(void);

#endif
