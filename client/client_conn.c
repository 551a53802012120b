/*
 * client_conn.c - connect, authenticate, HELLO / WELCOME.  See client_conn.h.
 */
#include "client_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth.h"
#include "frame.h"
#include "keyfile.h"
#include "logcollect.h"
#include "record.h"
#include "client_tls.h"

#define PORTFILE_MAX 4096
#define KEYFILE_MAX (64 * 1024)

/* ---- small helpers ---------------------------------------------------- */

pthread_mutex_t lcc_fork_mu = PTHREAD_MUTEX_INITIALIZER;

int lcc_random(void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom((char *)buf + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got == n)
        return 0;
    pthread_mutex_lock(&lcc_fork_mu);
    int ok = RAND_bytes(buf, (int)n) == 1;
    pthread_mutex_unlock(&lcc_fork_mu);
    return ok ? 0 : -1;
}

int64_t lcc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left for poll(), 0 once the deadline passed. */
static int remaining_ms(int64_t deadline)
{
    int64_t left = deadline - lcc_now_ms();
    if (left <= 0)
        return 0;
    return left > INT_MAX ? INT_MAX : (int)left;
}

static int fail(lcc_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(lcc_conn *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return code;
}

void lcc_sanitize(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    if (cap)
        dst[i] = '\0';
}

/* Wait for events on the socket, and for the wake fd.  1: ready (*revents),
 * 0: timed out, LCC_EWAKE, or LC_ECLOSED when poll itself fails. */
static int wait_io(lcc_conn *c, const lcc_target *t, short events, int64_t deadline,
                   short *revents)
{
    struct pollfd p[2] = {{.fd = c->fd, .events = events},
                          {.fd = t->wakefd, .events = POLLIN}};
    for (;;) {
        int r = poll(p, t->wakefd >= 0 ? 2 : 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fail(c, LC_ECLOSED, "poll() on the connection to %s failed: %s",
                        c->peer, strerror(errno));
        if (t->wakefd >= 0 && (p[1].revents & POLLIN))
            return LCC_EWAKE;
        *revents = p[0].revents;
        return r > 0;
    }
}

/* ---- files ------------------------------------------------------------ */

/* Read a whole small regular file (lcp_read_small_file: opened without
 * blocking, a FIFO, a directory or a device refused, at most max bytes).
 * On failure returns NULL with err saying why, for a message that goes on
 * with hint: "cannot read port file P: No such file or directory (hint)". */
static char *read_file(const char *path, const char *what, const char *hint, size_t max,
                       size_t *len, char *err, size_t errlen)
{
    char why[LCC_ERR_MAX];
    char *text = lcp_read_small_file(path, max, len, why, sizeof why);
    if (text)
        return text;
    int e = errno;
    if (e == EINVAL) /* why: "P is a FIFO, not a regular file" */
        snprintf(err, errlen, "%s %s (%s)", what, why, hint);
    else if (e == EFBIG)
        snprintf(err, errlen, "cannot read %s %s: larger than %zu KiB (%s)", what, path,
                 max / 1024, hint);
    else
        snprintf(err, errlen, "cannot read %s %s: %s (%s)", what, path, strerror(e), hint);
    return NULL;
}

/* The file is read without lcc_fork_mu (file I/O may block, and a fork
 * must never wait for it); only the parse, which allocates, holds it. */
int lcc_read_portfile(const char *path, lcp_portinfo *pi, char *err, size_t errlen)
{
    size_t len;
    char *text = read_file(path, "port file",
                           "is logcollectord running? set LOGCOLLECT_PORT_FILE",
                           PORTFILE_MAX, &len, err, errlen);
    if (!text)
        return LC_EPORTFILE;
    char why[200];
    pthread_mutex_lock(&lcc_fork_mu);
    int rc = lcp_portinfo_parse(text, len, pi, why, sizeof why);
    pthread_mutex_unlock(&lcc_fork_mu);
    free(text);
    if (rc != 0) {
        snprintf(err, errlen,
                 "port file %s is malformed: %s (is it logcollectord's port file? "
                 "set LOGCOLLECT_PORT_FILE)",
                 path, why);
        return LC_EPORTFILE;
    }
    return LC_OK;
}

int lcc_read_key(const char *path, uint8_t **key, size_t *keylen, char *err,
                 size_t errlen)
{
    size_t len;
    char *text = read_file(path, "key file",
                           "it must hold logcollectord's key; set LOGCOLLECT_KEY_FILE",
                           KEYFILE_MAX, &len, err, errlen);
    if (!text)
        return LC_EKEYFILE;
    lcp_keyring ring;
    char why[200];
    int rc = lcp_keyring_parse(&ring, text, len, why, sizeof why);
    OPENSSL_cleanse(text, len);
    free(text);
    if (rc != 0) {
        snprintf(err, errlen, "key file %s is malformed: %s", path, why);
        return LC_EKEYFILE;
    }
    /* A key file may list several keys (the daemon accepts any of them,
     * e.g. during a rotation); the client proves itself with the first. */
    const lcp_key *k = lcp_keyring_find(&ring, NULL);
    uint8_t *copy = malloc(k->len);
    if (!copy) {
        lcp_keyring_free(&ring);
        snprintf(err, errlen, "out of memory reading key file %s", path);
        return LC_ENOMEM;
    }
    memcpy(copy, k->bytes, k->len);
    *key = copy;
    *keylen = k->len;
    lcp_keyring_free(&ring);
    return LC_OK;
}

/* ---- connecting ------------------------------------------------------- */

static void format_peer(char *out, size_t cap, const char *host, int port)
{
    if (strchr(host, ':'))
        snprintf(out, cap, "[%s]:%d", host, port);
    else
        snprintf(out, cap, "%s:%d", host, port);
}

static void close_fd(lcc_conn *c, const lcc_target *t)
{
    if (c->fd < 0)
        return;
    if (t->on_fd)
        t->on_fd(t->arg, -1);
    lcc_conn_close(c);
}

void lcc_conn_close(lcc_conn *c)
{
    lcc_tls_detach(c);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Non-blocking connect to one address.  0, or an errno value (ETIMEDOUT
 * when the deadline passed), or LCC_EWAKE. */
static int connect_one(lcc_conn *c, const lcc_target *t, const struct sockaddr *sa,
                       socklen_t salen, int64_t deadline)
{
    c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0)
        return errno;
    if (t->on_fd)
        t->on_fd(t->arg, c->fd);
    if (connect(c->fd, sa, salen) != 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            int e = errno;
            close_fd(c, t);
            return e;
        }
        short rev;
        int r = wait_io(c, t, POLLOUT, deadline, &rev);
        if (r <= 0) {
            close_fd(c, t);
            return r == 0 ? ETIMEDOUT : r == LCC_EWAKE ? LCC_EWAKE : EIO;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr != 0) {
            close_fd(c, t);
            return soerr;
        }
    }
    int one = 1;
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

static int do_connect(lcc_conn *c, const lcc_target *t, const lcp_portinfo *pi)
{
    /* The port file holds an address literal: no resolver, no allocation
     * (a fork must not find this thread holding memory the child would
     * then leak).  getaddrinfo only for the odd literal inet_pton refuses
     * (an IPv6 scope "%eth0"). */
    int64_t deadline = lcc_now_ms() + t->timeout_ms;
    int errnum;
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    memset(&sin, 0, sizeof sin);
    memset(&sin6, 0, sizeof sin6);
    if (inet_pton(AF_INET, pi->host, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)pi->port);
        errnum = connect_one(c, t, (struct sockaddr *)&sin, sizeof sin, deadline);
    } else if (inet_pton(AF_INET6, pi->host, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)pi->port);
        errnum = connect_one(c, t, (struct sockaddr *)&sin6, sizeof sin6, deadline);
    } else {
        char port[16];
        snprintf(port, sizeof port, "%d", pi->port);
        struct addrinfo hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
        struct addrinfo *res = NULL;
        int g = getaddrinfo(pi->host, port, &hints, &res);
        if (g != 0)
            return fail(c, LC_ECONNECT,
                        "cannot connect to logcollectord: address \"%s\" in port file "
                        "%s: %s",
                        pi->host, t->port_file, gai_strerror(g));
        errnum = ENOTCONN;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            errnum = connect_one(c, t, ai->ai_addr, ai->ai_addrlen, deadline);
            if (errnum == 0 || errnum == ETIMEDOUT || errnum == LCC_EWAKE)
                break;
        }
        freeaddrinfo(res);
    }
    if (errnum == 0)
        return LC_OK;
    if (errnum == LCC_EWAKE)
        return LCC_EWAKE;

    char hint[160];
    if (errnum == ETIMEDOUT)
        snprintf(hint, sizeof hint, "no answer within %d ms (firewall? is "
                 "logcollectord stuck?)", t->timeout_ms);
    else if (pi->pid > 0 && kill((pid_t)pi->pid, 0) != 0 && errno == ESRCH)
        snprintf(hint, sizeof hint, "%s (the port file names pid %ld, which is "
                 "not running here: start logcollectord)", strerror(errnum), pi->pid);
    else
        snprintf(hint, sizeof hint, "%s (is logcollectord running? the port file "
                 "may be stale)", strerror(errnum));
    return fail(c, LC_ECONNECT,
                "cannot connect to logcollectord at %s (from port file %s): %s",
                c->peer, t->port_file, hint);
}

/* ---- frames ----------------------------------------------------------- */

static int next_frame_max(lcc_conn *c, uint32_t max, const uint8_t **p, uint32_t *len,
                          size_t *used)
{
    lcp_frame f;
    switch (lcp_frame_next(c->rbuf, c->rlen, max, &f)) {
    case LCP_FRAME_OK:
        *p = f.payload;
        *len = f.len;
        *used = f.consumed;
        return 1;
    case LCP_FRAME_NEED_MORE:
        return 0;
    case LCP_FRAME_OVERSIZE:
        return fail(c, LC_EPROTO,
                    "the peer at %s sent a %lu-byte message where at most %lu were "
                    "expected: is it logcollectord? (check the port file)",
                    c->peer, (unsigned long)f.len, (unsigned long)max);
    case LCP_FRAME_BAD_LENGTH:
    case LCP_FRAME_EXT64:
        break;
    }
    return fail(c, LC_EPROTO,
                "the peer at %s sent a malformed frame header: is it "
                "logcollectord? (check the port file)",
                c->peer);
}

int lcc_next_frame(lcc_conn *c, const uint8_t **p, uint32_t *len, size_t *used)
{
    return next_frame_max(c, LCC_RECV_MAX, p, len, used);
}

void lcc_consume(lcc_conn *c, size_t n)
{
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

int lcc_recv_frame(lcc_conn *c, const lcc_target *t, uint32_t max, int64_t deadline,
                   const uint8_t **p, uint32_t *len, size_t *used)
{
    for (;;) {
        int r = next_frame_max(c, max, p, len, used);
        if (r != 0)
            return r;
        ssize_t n = lcc_io_recv(c, c->rbuf + c->rlen, LCC_RBUF_SIZE - c->rlen);
        if (n > 0) {
            c->rlen += (size_t)n;
            continue;
        }
        if (n == 0)
            return fail(c, LC_ECLOSED, "logcollectord at %s closed the connection",
                        c->peer);
        if (errno == EINTR)
            continue;
        if (c->ssl && errno == EPROTO)
            return fail(c, LC_ETLS, "the TLS connection to logcollectord at %s failed: %s",
                        c->peer, c->tls_why);
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return fail(c, LC_ECLOSED, "lost the connection to logcollectord at %s: %s",
                        c->peer, strerror(errno));
        short rev;
        r = wait_io(c, t, lcc_io_rd_events(c), deadline, &rev);
        if (r < 0)
            return r;
        if (r == 0)
            return LC_ETIMEDOUT;
    }
}

int lcc_send_all(lcc_conn *c, const lcc_target *t, const void *buf, size_t len,
                 int64_t deadline)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = lcc_io_send(c, p, len);
        if (n >= 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (c->ssl && errno == EPROTO)
            return fail(c, LC_ETLS, "the TLS connection to logcollectord at %s failed: %s",
                        c->peer, c->tls_why);
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            short rev;
            int r = wait_io(c, t, lcc_io_wr_events(c), deadline, &rev);
            if (r < 0)
                return r;
            if (r == 0)
                return LC_ETIMEDOUT;
            continue;
        }
        return fail(c, LC_ECLOSED, "lost the connection to logcollectord at %s: %s",
                    c->peer, strerror(errno));
    }
    return LC_OK;
}

int lcc_conn_error(lcc_conn *c, uint16_t code, const char *text)
{
    char t[LCP_ERROR_TEXT_MAX + 1];
    lcc_sanitize(t, sizeof t, text);
    switch (code) {
    case LCP_ERR_TOO_MANY_CLIENTS:
        return fail(c, LC_EFULL,
                    "logcollectord at %s has no room for more clients (%s): try "
                    "again later, or raise its client limit",
                    c->peer, t);
    case LCP_ERR_SHUTDOWN:
        return fail(c, LC_ECLOSED, "logcollectord at %s is shutting down (%s)", c->peer,
                    t);
    case LCP_ERR_BAD_CONTROL:
        return fail(c, LC_EPROTO,
                    "logcollectord at %s refused a control message (%s): client "
                    "and daemon versions may differ",
                    c->peer, t);
    default:
        return fail(c, LC_EPROTO, "logcollectord at %s reported error %u: %s", c->peer,
                    (unsigned)code, t);
    }
}

static int handshake_error(lcc_conn *c, const uint8_t *p, uint32_t len)
{
    uint64_t seq;
    uint16_t code;
    char text[LCP_ERROR_TEXT_MAX + 1];
    if (lcp_error_decode(p, len, &seq, &code, text, sizeof text) != 0)
        return fail(c, LC_EPROTO, "logcollectord at %s sent a malformed ERROR",
                    c->peer);
    return lcc_conn_error(c, code, text);
}

/* ---- handshake and HELLO ---------------------------------------------- */

static int handshake(lcc_conn *c, const lcc_target *t, int64_t deadline)
{
    uint8_t nonce[LCP_AUTH_NONCE_LEN];
    if (lcc_random(nonce, sizeof nonce) != 0)
        return fail(c, LC_ENOMEM, "cannot get random bytes (getrandom, OpenSSL)");
    lcp_client_hs hs;
    lcp_client_hs_start(&hs, t->key, t->keylen, nonce);
    lcp_auth_out out;
    int r, step = 0;
    for (;;) {
        const uint8_t *p;
        uint32_t len;
        size_t used;
        r = lcc_recv_frame(c, t, LCP_AUTH_MAX_MSG, deadline, &p, &len, &used);
        if (r == LC_ETIMEDOUT)
            r = fail(c, LC_ETIMEDOUT,
                     "no handshake from %s within %d ms: is it logcollectord? "
                     "(check the port file)",
                     c->peer, t->timeout_ms);
        else if (r == LC_ECLOSED && step == 0)
            r = fail(c, LC_ECLOSED,
                     "the peer at %s closed the connection before the handshake "
                     "(is it logcollectord? too many clients?%s)",
                     c->peer,
                     c->ssl && !c->tls_has_cert
                         ? " does it require a TLS client certificate (LOGCOLLECT_TLS_CERT)?"
                         : "");
        else if (r == LC_ECLOSED)
            /* Not a key mismatch: a wrong key is answered with #FAILURE#
             * (LCP_HSF_REJECTED below). */
            r = fail(c, LC_ECLOSED,
                     "logcollectord at %s closed the connection during the handshake "
                     "without answering our proof: it was busy (more than --max-handshakes "
                     "connections in the handshake, or many failed handshakes from this "
                     "address), its --handshake-timeout ran out, or it is stopping; try "
                     "again, and see its log",
                     c->peer);
        if (r < 0)
            goto out;
        step++;
        if (len > 0 && p[0] == LCP_MSG_ERROR) {
            r = handshake_error(c, p, len);
            goto out;
        }
        pthread_mutex_lock(&lcc_fork_mu);
        lcp_hs_result hr = lcp_client_hs_input(&hs, p, len, &out);
        pthread_mutex_unlock(&lcc_fork_mu);
        lcc_consume(c, used);
        if (out.len > 0) {
            r = lcc_send_all(c, t, out.data, out.len, deadline);
            if (r == LC_ETIMEDOUT)
                r = fail(c, LC_ETIMEDOUT, "handshake with %s timed out", c->peer);
            /* On failure the #FAILURE# is a courtesy: if it could not be
             * sent, the reason below is still the one to report. */
            if (r < 0 && hr != LCP_HS_FAIL)
                goto out;
        }
        if (hr == LCP_HS_DONE) {
            r = LC_OK;
            goto out;
        }
        if (hr == LCP_HS_FAIL) {
            switch (hs.failure) {
            case LCP_HSF_REJECTED:
                r = fail(c, LC_EAUTH,
                         "logcollectord at %s refused our key: key file %s does "
                         "not hold the daemon's key (copy the daemon's key file, "
                         "or set LOGCOLLECT_KEY_FILE)",
                         c->peer, t->key_file);
                break;
            case LCP_HSF_WRONG_KEY:
                r = fail(c, LC_EAUTH,
                         "the peer at %s could not prove it knows the key in %s: "
                         "the two sides have different keys (or it is not our "
                         "logcollectord); nothing was sent to it",
                         c->peer, t->key_file);
                break;
            default:
                r = fail(c, LC_EPROTO,
                         "handshake with %s failed: %s (is it logcollectord? "
                         "check the port file)",
                         c->peer, lcp_hs_failure_str(hs.failure));
                break;
            }
            goto out;
        }
    }
out:
    OPENSSL_cleanse(&hs, sizeof hs);
    OPENSSL_cleanse(&out, sizeof out);
    return r;
}

static int hello(lcc_conn *c, const lcc_target *t, int64_t deadline)
{
    lcp_hello h;
    memset(&h, 0, sizeof h);
    snprintf(h.secret, sizeof h.secret, "%s", t->secret);
    h.seq = t->seq;
    snprintf(h.app, sizeof h.app, "%s", t->app);
    snprintf(h.host, sizeof h.host, "%s", t->host);
    h.pid = t->pid;

    uint8_t msg[LCP_FRAME_HDR + 4096];
    /* jansson allocates: not to be split by a fork (see lcc_fork_mu). */
    pthread_mutex_lock(&lcc_fork_mu);
    int n = lcp_hello_encode(&h, msg + LCP_FRAME_HDR, sizeof msg - LCP_FRAME_HDR);
    pthread_mutex_unlock(&lcc_fork_mu);
    OPENSSL_cleanse(h.secret, sizeof h.secret);
    if (n < 0)
        return fail(c, LC_EINVAL, "cannot encode HELLO (app \"%s\")", h.app);
    lcp_frame_put_header(msg, (uint32_t)n);
    int r = lcc_send_all(c, t, msg, LCP_FRAME_HDR + (size_t)n, deadline);
    OPENSSL_cleanse(msg, LCP_FRAME_HDR + (size_t)n);
    if (r == LC_ETIMEDOUT)
        return fail(c, LC_ETIMEDOUT, "sending HELLO to %s timed out", c->peer);
    if (r < 0)
        return r;

    const uint8_t *p;
    uint32_t len;
    size_t used;
    r = lcc_recv_frame(c, t, LCC_RECV_MAX, deadline, &p, &len, &used);
    if (r == LC_ETIMEDOUT)
        return fail(c, LC_ETIMEDOUT, "no WELCOME from logcollectord at %s within %d ms",
                    c->peer, t->timeout_ms);
    if (r < 0)
        return r;
    if (len > 0 && p[0] == LCP_MSG_ERROR)
        return handshake_error(c, p, len);
    lcp_welcome w;
    char why[200];
    pthread_mutex_lock(&lcc_fork_mu);
    int bad = lcp_welcome_decode(p, len, &w, why, sizeof why) != 0;
    pthread_mutex_unlock(&lcc_fork_mu);
    if (bad)
        return fail(c, LC_EPROTO,
                    "logcollectord at %s answered HELLO wrongly: %s (client and "
                    "daemon versions may differ)",
                    c->peer, why);
    lcc_consume(c, used);
    if (strcmp(w.sid, t->sid) != 0)
        return fail(c, LC_EPROTO,
                    "logcollectord at %s answered HELLO for another session", c->peer);
    c->written = w.written;
    c->max_record = w.max_record ? w.max_record : LCP_FRAME_MAX;
    return LC_OK;
}

/* TLS or not, as the port file says, and only with the server verified
 * (client_tls.h's table).  Decided before connecting: nothing at all goes to a
 * collector we cannot check. */
static int tls_policy(lcc_conn *c, const lcc_target *t, const lcp_portinfo *pi)
{
    int verifies = lcc_tls_verifies(t->tls);
    if (pi->tls && !verifies)
        return fail(c, LC_ETLS,
                    "the collector at %s requires TLS: set LOGCOLLECT_TLS_CA or "
                    "LOGCOLLECT_TLS_FINGERPRINT (logcollect --tls-ca or --tls-fingerprint; "
                    "lc_options_set_tls_ca or lc_options_set_tls_fingerprint) so that its "
                    "certificate can be checked (port file %s); nothing was sent to it",
                    c->peer, t->port_file);
    if (!pi->tls && verifies) {
        char how[LCC_ERR_MAX / 2];
        lcc_tls_describe(t->tls, how, sizeof how);
        return fail(c, LC_ETLS,
                    "TLS is configured (%s) but the collector at %s does not speak TLS "
                    "(port file %s has no \"tls\":true): refusing to send in plaintext "
                    "(start logcollectord with --tls-cert and --tls-key, or unset the TLS "
                    "settings)",
                    how, c->peer, t->port_file);
    }
    return LC_OK;
}

/* The TLS handshake, within the deadline. */
static int tls_start(lcc_conn *c, const lcc_target *t, const lcp_portinfo *pi,
                     int64_t deadline)
{
    int r = lcc_tls_attach(c, t->tls, pi->host);
    if (r != LC_OK)
        return r;
    for (;;) {
        short ev = 0, rev;
        r = lcc_tls_handshake_step(c, t->tls, &ev);
        if (r == 1)
            return LC_OK;
        if (r < 0)
            return r;
        r = wait_io(c, t, ev, deadline, &rev);
        if (r == 0)
            return fail(c, LC_ETIMEDOUT,
                        "no TLS handshake from %s within %d ms: is it logcollectord? "
                        "(check the port file)",
                        c->peer, t->timeout_ms);
        if (r < 0)
            return r;
    }
}

int lcc_connect(lcc_conn *c, const lcc_target *t)
{
    c->fd = -1;
    c->ssl = NULL;
    c->rlen = 0;
    c->peer[0] = '\0';
    c->err[0] = '\0';

    lcp_portinfo pi;
    int r = lcc_read_portfile(t->port_file, &pi, c->err, sizeof c->err);
    if (r != LC_OK)
        return r;
    format_peer(c->peer, sizeof c->peer, pi.host, pi.port);
    r = tls_policy(c, t, &pi);
    if (r != LC_OK)
        return r;
    r = do_connect(c, t, &pi);
    if (r != LC_OK)
        return r;
    int64_t deadline = lcc_now_ms() + t->timeout_ms;
    r = pi.tls ? tls_start(c, t, &pi, deadline) : LC_OK;
    if (r == LC_OK)
        r = handshake(c, t, deadline);
    if (r == LC_OK)
        r = hello(c, t, deadline);
    if (r != LC_OK)
        close_fd(c, t);
    return r;
}
