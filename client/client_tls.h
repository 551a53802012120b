/*
 * client_tls.h - TLS for the client's connections (internal).
 *
 * When the collector's port file says "tls":true, the whole connection,
 * the HMAC handshake included, runs inside TLS.  The client then needs a
 * way to check the server: a CA file (the certificate chain, and the
 * port file's address against the certificate's IP addresses), or the
 * SHA-256 fingerprint of the server's certificate (pinned; no name
 * check), or both.  A client certificate is offered when configured
 * (for a collector started with --tls-client-ca).  The rules:
 *
 *   port file tls   CA / fingerprint set   result
 *   yes             yes                    TLS, server verified
 *   yes             no                     refused: never unverified
 *   no              yes                    refused: no silent downgrade
 *   no              no                     plaintext (as before)
 *
 * I/O.  The sockets stay non-blocking and every wait stays a poll() in
 * the caller: the functions here return like recv/send (-1 with errno
 * EAGAIN), and say in c->tls_rd_ev / c->tls_wr_ev whether TLS needs the
 * socket readable or writable to go on.  A TLS failure is errno EPROTO
 * with its text in c->tls_why.  Writes go through a socket BIO whose
 * write uses send(MSG_NOSIGNAL), so a peer that vanished never raises
 * SIGPIPE in the application.  Partial writes are on: a write returns
 * after each TLS record, so the caller knows exactly which bytes went.
 *
 * Fork: every OpenSSL call holds lcc_fork_mu, and c->ssl is set and
 * cleared under it, so a fork child finds the parent's SSL object absent
 * or whole; it frees its copy (lcc_tls_forget) and never uses it.  The
 * SSL_CTX (lcc_tls) is shared by parent and child copies alike: it is
 * only read after it is made.
 */
#ifndef LCC_TLS_H
#define LCC_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "client_conn.h"

#define LCC_FP_LEN 32 /* SHA-256 */
/* "sha256:" + 32 pairs of hex digits joined by ':' + NUL */
#define LCC_FP_TEXT (7 + LCC_FP_LEN * 3)

/* The settings as configured.  Strings are only read during lcc_tls_new. */
typedef struct {
    const char *ca;          /* PEM CA file, or NULL */
    const uint8_t *fp;       /* LCC_FP_LEN bytes, or NULL */
    const char *cert;        /* PEM client certificate (chain), or NULL */
    const char *key;         /* its private key; NULL: in the cert file */
    int verify_from_env;     /* ca / fp came from LOGCOLLECT_TLS_CA / _FINGERPRINT */
    int cert_from_env;       /* cert / key came from LOGCOLLECT_TLS_CERT / _KEY */
} lcc_tls_settings;

typedef struct lcc_tls lcc_tls;

/* "sha256:AB:CD:..." (the prefix optional, hex digits in either case,
 * colons between bytes optional).  0, or -1 with the reason in why. */
int lcc_parse_fingerprint(const char *text, uint8_t fp[LCC_FP_LEN], char *why, size_t whylen);

/* fp as "sha256:AB:CD:...". */
void lcc_format_fingerprint(const uint8_t fp[LCC_FP_LEN], char out[LCC_FP_TEXT]);

/* Load the files and make the TLS context.  *out is NULL when nothing is
 * configured.  LC_OK, or LC_ETLS (a file that does not load: err says
 * which and why) or LC_ENOMEM. */
int lcc_tls_new(const lcc_tls_settings *s, lcc_tls **out, char *err, size_t errlen);
void lcc_tls_free(lcc_tls *t);

/* Does t check the server (a CA or a fingerprint)?  NULL: no. */
int lcc_tls_verifies(const lcc_tls *t);

/* "CA file X" / "pinned fingerprint sha256:..." (and where from), for
 * messages. */
void lcc_tls_describe(const lcc_tls *t, char *out, size_t cap);

/* Start TLS on the connected socket c->fd, checking the server against
 * t (and, with a CA, against host, the port file's address).  LC_OK, or
 * LC_ETLS / LC_ENOMEM with c->err. */
int lcc_tls_attach(lcc_conn *c, const lcc_tls *t, const char *host);

/* One step of the TLS handshake.  1: done and the server verified;
 * 0: call again once the socket is ready for *events; <0: LC_ETLS,
 * LC_ECLOSED (c->err says why). */
int lcc_tls_handshake_step(lcc_conn *c, const lcc_tls *t, short *events);

/* recv(MSG_DONTWAIT) and send(MSG_DONTWAIT | MSG_NOSIGNAL) through TLS:
 * > 0 bytes, 0 (recv: the peer closed), -1 with errno (EAGAIN: wait for
 * c->tls_rd_ev / c->tls_wr_ev; EPROTO: c->tls_why). */
ssize_t lcc_tls_recv(lcc_conn *c, void *buf, size_t len);
ssize_t lcc_tls_send(lcc_conn *c, const void *buf, size_t len);

/* Write as much of the n iovecs, in order, as TLS takes now (one TLS
 * write per segment, cut into records).  Returns the bytes written (> 0),
 * or -1 with errno as lcc_tls_send when not a byte went.  After EAGAIN
 * the next call must start with the bytes that did not go (OpenSSL may
 * hold a record of them, and counts it as written then). */
ssize_t lcc_tls_sendv(lcc_conn *c, const struct iovec *iov, int n);

/* Send close_notify if the socket takes it now (one try, no wait). */
void lcc_tls_close_notify(lcc_conn *c);

/* Free c->ssl (under lcc_fork_mu).  NULL is fine. */
void lcc_tls_detach(lcc_conn *c);

/* In a fork child, with lcc_fork_mu already held: free the copy of the
 * parent's SSL object, without a word on the wire. */
void lcc_tls_forget(lcc_conn *c);

/* Plain or TLS, like recv(MSG_DONTWAIT) / send(MSG_DONTWAIT |
 * MSG_NOSIGNAL); and the events to poll for after EAGAIN. */
ssize_t lcc_io_recv(lcc_conn *c, void *buf, size_t len);
ssize_t lcc_io_send(lcc_conn *c, const void *buf, size_t len);
short lcc_io_rd_events(const lcc_conn *c);
short lcc_io_wr_events(const lcc_conn *c);

/* strerror(errnum), or the TLS failure's text for a TLS EPROTO. */
const char *lcc_io_strerror(const lcc_conn *c, int errnum);

#endif
