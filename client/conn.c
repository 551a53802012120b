/*
 * conn.c - connect, authenticate, send records, read ACK / ERROR.
 * See conn.h.
 */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

#define PORTFILE_MAX 4096
#define KEYFILE_MAX (64 * 1024)

/* ---- small helpers ---------------------------------------------------- */

int64_t lcc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_in(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : lcc_now_ms() + timeout_ms;
}

/* Milliseconds left for poll(): -1 for no deadline, 0 once it passed. */
static int remaining_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
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

/* The connection is unusable from now on: close it and remember why. */
static int broke(lcc_conn *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int broke(lcc_conn *c, int code, const char *fmt, ...)
{
    if (c->broken) { /* keep the first reason */
        memcpy(c->err, c->broken_msg, sizeof c->err);
        return c->broken;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->broken_msg, sizeof c->broken_msg, fmt, ap);
    va_end(ap);
    memcpy(c->err, c->broken_msg, sizeof c->err);
    c->broken = code;
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    return code;
}

static int still_broken(lcc_conn *c)
{
    memcpy(c->err, c->broken_msg, sizeof c->err);
    return c->broken;
}

/* Copy text from the daemon into a message: printable, one line. */
static void sanitize(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        unsigned char ch = (unsigned char)src[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    if (cap)
        dst[i] = '\0';
}

void lcc_init(lcc_conn *c)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Closing a TCP socket with unread bytes (ACKs we never read) makes the
 * kernel send RST and throw away whatever it has not sent yet: records
 * lc_log already accepted would be lost.  So: send FIN after the data,
 * then read until the daemon closes its side (it does once it has read
 * everything), for at most LCC_CLOSE_LINGER_MS. */
static void close_gracefully(lcc_conn *c)
{
    if (c->broken || shutdown(c->fd, SHUT_WR) != 0)
        return;
    int64_t deadline = deadline_in(LCC_CLOSE_LINGER_MS);
    uint8_t sink[4096];
    for (;;) {
        ssize_t n = recv(c->fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            return; /* the daemon closed its side (or the connection is gone) */
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int r = poll(&p, 1, remaining_ms(deadline));
        if (r == 0 || (r < 0 && errno != EINTR))
            return;
    }
}

void lcc_close(lcc_conn *c)
{
    if (c->fd >= 0) {
        close_gracefully(c);
        close(c->fd);
    }
    c->fd = -1;
    free(c->rbuf);
    c->rbuf = NULL;
    c->rlen = 0;
}

uint64_t lcc_last_sent(const lcc_conn *c)
{
    return c->next_seq - 1;
}

/* ---- files ------------------------------------------------------------ */

/* Read a whole small file.  On failure returns NULL with *errnum set
 * (EFBIG when larger than max); the caller words the message. */
static char *read_file(const char *path, size_t max, size_t *len, int *errnum)
{
    char ignored[8];
    char *text = lcp_read_small_file(path, max, len, ignored, sizeof ignored);
    if (!text)
        *errnum = errno;
    return text;
}

int lcc_read_portfile(const char *path, lcp_portinfo *pi, char *err, size_t errlen)
{
    size_t len;
    int e = 0;
    char *text = read_file(path, PORTFILE_MAX, &len, &e);
    if (!text) {
        snprintf(err, errlen,
                 "cannot read port file %s: %s (is logcollectord running? set "
                 "LOGCOLLECT_PORT_FILE)",
                 path, e == EFBIG ? "larger than 4 KiB" : strerror(e));
        return LC_EPORTFILE;
    }
    char why[200];
    int rc = lcp_portinfo_parse(text, len, pi, why, sizeof why);
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
    int e = 0;
    char *text = read_file(path, KEYFILE_MAX, &len, &e);
    if (!text) {
        snprintf(err, errlen,
                 "cannot read key file %s: %s (it must hold logcollectord's key; "
                 "set LOGCOLLECT_KEY_FILE)",
                 path, e == EFBIG ? "larger than 64 KiB" : strerror(e));
        return LC_EKEYFILE;
    }
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

/* Non-blocking connect to one address.  Returns the fd, or -1 with *errnum
 * (ETIMEDOUT when the deadline passed). */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int *errnum)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
    if (fd < 0) {
        *errnum = errno;
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            *errnum = errno;
            close(fd);
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        for (;;) {
            int r = poll(&p, 1, remaining_ms(deadline));
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                *errnum = errno;
                close(fd);
                return -1;
            }
            if (r == 0) {
                *errnum = ETIMEDOUT;
                close(fd);
                return -1;
            }
            break;
        }
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            soerr = errno;
        if (soerr != 0) {
            *errnum = soerr;
            close(fd);
            return -1;
        }
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int do_connect(lcc_conn *c, const lcp_portinfo *pi, const char *port_file,
                      int timeout_ms)
{
    char port[16];
    snprintf(port, sizeof port, "%d", pi->port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int g = getaddrinfo(pi->host, port, &hints, &res);
    if (g != 0)
        return fail(c, LC_ECONNECT,
                    "cannot connect to logcollectord: address \"%s\" in port file %s: "
                    "%s",
                    pi->host, port_file, gai_strerror(g));

    int64_t deadline = deadline_in(timeout_ms);
    int errnum = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        c->fd = connect_one(ai, deadline, &errnum);
        if (c->fd >= 0 || errnum == ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    if (c->fd >= 0)
        return LC_OK;

    char hint[160];
    if (errnum == ETIMEDOUT)
        snprintf(hint, sizeof hint, "no answer within %d ms (firewall? is "
                 "logcollectord stuck?)", timeout_ms);
    else if (pi->pid > 0 && kill((pid_t)pi->pid, 0) != 0 && errno == ESRCH)
        snprintf(hint, sizeof hint, "%s (the port file names pid %ld, which is "
                 "not running here: start logcollectord)", strerror(errnum), pi->pid);
    else
        snprintf(hint, sizeof hint, "%s (is logcollectord running? the port file "
                 "may be stale)", strerror(errnum));
    return fail(c, LC_ECONNECT,
                "cannot connect to logcollectord at %s (from port file %s): %s",
                c->peer, port_file, hint);
}

/* ---- bytes in and out ------------------------------------------------- */

static int lost(lcc_conn *c, int errnum)
{
    if (c->closing && c->acked + 1 < c->next_seq)
        return broke(c, LC_ECLOSED, "%s; it closed the connection with %llu record(s) "
                     "not acknowledged",
                     c->closing_msg, (unsigned long long)(c->next_seq - 1 - c->acked));
    if (c->closing)
        return broke(c, LC_ECLOSED, "%s", c->closing_msg);
    if (errnum == 0)
        return broke(c, LC_ECLOSED,
                     "logcollectord at %s closed the connection (did it stop or "
                     "restart?)",
                     c->peer);
    return broke(c, LC_ECLOSED, "lost the connection to logcollectord at %s: %s",
                 c->peer, strerror(errnum));
}

/* Read what is there without waiting.  1: got bytes, 0: nothing yet,
 * <0: the connection is gone. */
static int read_some(lcc_conn *c)
{
    if (c->rlen >= LCC_RECV_MAX + LCP_FRAME_HDR)
        return 0; /* cannot happen: a whole frame always fits and is consumed */
    for (;;) {
        ssize_t n = recv(c->fd, c->rbuf + c->rlen,
                         LCC_RECV_MAX + LCP_FRAME_HDR - c->rlen, MSG_DONTWAIT);
        if (n > 0) {
            c->rlen += (size_t)n;
            return 1;
        }
        if (n == 0)
            return lost(c, 0);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return lost(c, errno);
    }
}

/* Is a whole frame buffered?  1: yes (*p, *len, and *consumed to pass to
 * consume() once done with it), 0: not yet, <0: protocol error. */
static int next_frame(lcc_conn *c, uint32_t max, const uint8_t **p, uint32_t *len,
                      size_t *consumed)
{
    lcp_frame f;
    switch (lcp_frame_next(c->rbuf, c->rlen, max, &f)) {
    case LCP_FRAME_OK:
        *p = f.payload;
        *len = f.len;
        *consumed = f.consumed;
        return 1;
    case LCP_FRAME_NEED_MORE:
        return 0;
    case LCP_FRAME_OVERSIZE:
        return broke(c, LC_EPROTO,
                     "the peer at %s sent a %lu-byte message where at most %lu were "
                     "expected: is it logcollectord? (check the port file)",
                     c->peer, (unsigned long)f.len, (unsigned long)max);
    case LCP_FRAME_BAD_LENGTH:
    case LCP_FRAME_EXT64:
        break;
    }
    return broke(c, LC_EPROTO,
                 "the peer at %s sent a malformed frame header: is it "
                 "logcollectord? (check the port file)",
                 c->peer);
}

static void consume(lcc_conn *c, size_t n)
{
    memmove(c->rbuf, c->rbuf + n, c->rlen - n);
    c->rlen -= n;
}

/* Wait for events (or the deadline).  1: ready, 0: timed out, <0: broken. */
static int wait_io(lcc_conn *c, short events, int64_t deadline, short *revents)
{
    struct pollfd p = {.fd = c->fd, .events = events};
    for (;;) {
        int r = poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return broke(c, LC_ECLOSED, "poll() on the connection to %s failed: %s",
                         c->peer, strerror(errno));
        *revents = p.revents;
        return r > 0;
    }
}

/* Wait for one whole frame (at most max bytes).  1: got it, <0: error
 * (LC_ETIMEDOUT when the deadline passed; the connection stays usable). */
static int recv_frame(lcc_conn *c, uint32_t max, int64_t deadline,
                      const uint8_t **p, uint32_t *len, size_t *consumed)
{
    for (;;) {
        int r = next_frame(c, max, p, len, consumed);
        if (r != 0)
            return r;
        r = read_some(c);
        if (r < 0)
            return r;
        if (r > 0)
            continue;
        short rev;
        r = wait_io(c, POLLIN, deadline, &rev);
        if (r < 0)
            return r;
        if (r == 0)
            return LC_ETIMEDOUT;
    }
}

static int handle_frame(lcc_conn *c, const uint8_t *p, uint32_t len);

/* Handle every whole frame in the buffer. */
static int process_buffered(lcc_conn *c)
{
    for (;;) {
        const uint8_t *p;
        uint32_t len;
        size_t used;
        int r = next_frame(c, LCC_RECV_MAX, &p, &len, &used);
        if (r <= 0)
            return r;
        r = handle_frame(c, p, len);
        if (c->broken)
            return c->broken;
        consume(c, used);
        if (r < 0)
            return r;
    }
}

int lcc_drain(lcc_conn *c)
{
    if (c->broken)
        return still_broken(c);
    c->since_drain = 0;
    for (;;) {
        int r = process_buffered(c);
        if (r < 0)
            return r;
        r = read_some(c);
        if (r <= 0)
            return r;
    }
}

/* Send all of iov.  *started is set once any byte left. */
static int send_all(lcc_conn *c, struct iovec *iov, int iovcnt, int64_t deadline,
                    int *started)
{
    *started = 0;
    while (iovcnt > 0) {
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = iov;
        m.msg_iovlen = (size_t)iovcnt;
        ssize_t n = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0) {
            if (n > 0)
                *started = 1;
            size_t left = (size_t)n;
            while (iovcnt > 0 && left >= iov->iov_len) {
                left -= iov->iov_len;
                iov++;
                iovcnt--;
            }
            if (iovcnt > 0) {
                iov->iov_base = (char *)iov->iov_base + left;
                iov->iov_len -= left;
            }
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* The daemon is not taking more now: read its ACKs meanwhile,
             * in case it waits for us to read before it reads again. */
            short rev = 0;
            int r = wait_io(c, POLLOUT | POLLIN, deadline, &rev);
            if (r < 0)
                return r;
            if (r == 0)
                return LC_ETIMEDOUT;
            if (rev & POLLIN) {
                r = lcc_drain(c);
                if (r < 0)
                    return r;
            }
            continue;
        }
        int e = errno;
        /* Pick up the daemon's last words (e.g. ERROR "shutting down"). */
        (void)lcc_drain(c);
        return c->broken ? still_broken(c) : lost(c, e);
    }
    return LC_OK;
}

/* ---- frames from the daemon ------------------------------------------- */

/* A connection-level ERROR (code >= 100), during open or later. */
static int conn_error(lcc_conn *c, uint16_t code, const char *text)
{
    char t[LCP_ERROR_TEXT_MAX + 1];
    sanitize(t, sizeof t, text);
    switch (code) {
    case LCP_ERR_TOO_MANY_CLIENTS:
        return broke(c, LC_EFULL,
                     "logcollectord at %s has no room for more clients (%s): try "
                     "again later, or raise its client limit",
                     c->peer, t);
    case LCP_ERR_SHUTDOWN:
        if (c->first_seq > 0) {
            /* Past HELLO: it still writes and acknowledges what it got. */
            c->closing = 1;
            snprintf(c->closing_msg, sizeof c->closing_msg,
                     "logcollectord at %s is shutting down (%s)", c->peer, t);
            return LC_OK;
        }
        return broke(c, LC_ECLOSED, "logcollectord at %s is shutting down (%s)",
                     c->peer, t);
    case LCP_ERR_BAD_CONTROL:
        return broke(c, LC_EPROTO,
                     "logcollectord at %s refused a control message (%s): client "
                     "and daemon versions may differ",
                     c->peer, t);
    default:
        return broke(c, LC_EPROTO, "logcollectord at %s reported error %u: %s",
                     c->peer, (unsigned)code, t);
    }
}

static int handle_frame(lcc_conn *c, const uint8_t *p, uint32_t len)
{
    if (len == 0)
        return broke(c, LC_EPROTO, "logcollectord at %s sent an empty message",
                     c->peer);
    switch (p[0]) {
    case LCP_MSG_ACK: {
        uint64_t seq;
        if (lcp_ack_decode(p, len, &seq) != 0)
            return broke(c, LC_EPROTO, "logcollectord at %s sent a malformed ACK",
                         c->peer);
        if (seq >= c->next_seq)
            return broke(c, LC_EPROTO,
                         "logcollectord at %s acknowledged record %llu, but only "
                         "%llu were sent",
                         c->peer, (unsigned long long)seq,
                         (unsigned long long)(c->next_seq - 1));
        if (seq > c->acked)
            c->acked = seq;
        return LC_OK;
    }
    case LCP_MSG_ERROR: {
        uint64_t seq;
        uint16_t code;
        char text[LCP_ERROR_TEXT_MAX + 1];
        if (lcp_error_decode(p, len, &seq, &code, text, sizeof text) != 0)
            return broke(c, LC_EPROTO, "logcollectord at %s sent a malformed ERROR",
                         c->peer);
        if (code >= 100)
            return conn_error(c, code, text);
        if (c->rej_count++ == 0) {
            c->rej_seq = seq;
            c->rej_code = code;
            sanitize(c->rej_text, sizeof c->rej_text, text);
        }
        return LC_OK;
    }
    default:
        /* WELCOME, STATUS (not asked for), or a type from a later version:
         * nothing to do. */
        return LC_OK;
    }
}

int lcc_wait_acked(lcc_conn *c, uint64_t seq, int timeout_ms)
{
    if (c->broken)
        return still_broken(c);
    int64_t deadline = deadline_in(timeout_ms);
    for (;;) {
        int r = process_buffered(c);
        if (r < 0)
            return r;
        if (c->acked >= seq)
            return LC_OK;
        r = read_some(c);
        if (r < 0)
            return r;
        if (r > 0)
            continue;
        short rev;
        r = wait_io(c, POLLIN, deadline, &rev);
        if (r < 0)
            return r;
        if (r == 0)
            return fail(c, LC_ETIMEDOUT,
                        "%llu record(s) not yet acknowledged by logcollectord at %s "
                        "after %d ms (it may be slow to write its output; wait longer)",
                        (unsigned long long)(seq - c->acked), c->peer, timeout_ms);
    }
}

uint64_t lcc_take_rejection(lcc_conn *c, char *msg, size_t msglen)
{
    uint64_t n = c->rej_count;
    if (n == 0)
        return 0;
    char more[64] = "";
    if (n > 1)
        snprintf(more, sizeof more, " (and %llu more since the last flush)",
                 (unsigned long long)(n - 1));
    const char *name = c->rej_code <= LCP_REC_TOO_LARGE
                           ? lcp_rec_status_name((lcp_rec_status)c->rej_code)
                           : "unknown reason";
    snprintf(msg, msglen,
             "logcollectord at %s rejected record %llu (code %u, %s): %s%s",
             c->peer, (unsigned long long)c->rej_seq, (unsigned)c->rej_code, name,
             c->rej_text, more);
    c->rej_count = 0;
    return n;
}

int lcc_send_record(lcc_conn *c, const void *rec, size_t len, int timeout_ms)
{
    if (c->broken)
        return still_broken(c);
    if (c->closing)
        return fail(c, LC_ECLOSED, "%s: the record was not sent", c->closing_msg);
    if (len > c->max_record)
        return fail(c, LC_ETOOBIG,
                    "record is %zu bytes, logcollectord at %s accepts at most %lu "
                    "(its --max-record)",
                    len, c->peer, (unsigned long)c->max_record);
    uint8_t hdr[LCP_FRAME_HDR];
    lcp_frame_put_header(hdr, (uint32_t)len);
    struct iovec iov[2] = {
        {.iov_base = hdr, .iov_len = sizeof hdr},
        {.iov_base = (void *)(uintptr_t)rec, .iov_len = len},
    };
    int started;
    int r = send_all(c, iov, 2, deadline_in(timeout_ms), &started);
    if (r == LC_ETIMEDOUT) {
        if (started) {
            broke(c, LC_ECLOSED,
                  "the connection to logcollectord at %s was dropped: a record "
                  "could not be sent whole within %d ms",
                  c->peer, timeout_ms);
            return fail(c, LC_ETIMEDOUT,
                        "logcollectord at %s took no data for %d ms (stuck or "
                        "overloaded?); the record was cut short and the connection "
                        "closed",
                        c->peer, timeout_ms);
        }
        return fail(c, LC_ETIMEDOUT,
                    "logcollectord at %s took no data for %d ms (stuck or "
                    "overloaded?); the record was not sent",
                    c->peer, timeout_ms);
    }
    if (r < 0)
        return r;
    c->next_seq++;
    if (++c->since_drain >= LCC_DRAIN_EVERY)
        (void)lcc_drain(c); /* a failure shows at the next call */
    return LC_OK;
}

/* ---- handshake and HELLO ---------------------------------------------- */

static int handshake_error(lcc_conn *c, const uint8_t *p, uint32_t len)
{
    uint64_t seq;
    uint16_t code;
    char text[LCP_ERROR_TEXT_MAX + 1];
    if (lcp_error_decode(p, len, &seq, &code, text, sizeof text) != 0)
        return broke(c, LC_EPROTO, "logcollectord at %s sent a malformed ERROR",
                     c->peer);
    return conn_error(c, code, text);
}

static int handshake(lcc_conn *c, const uint8_t *key, size_t keylen,
                     const char *key_file, int64_t deadline, int timeout_ms)
{
    uint8_t nonce[LCP_AUTH_NONCE_LEN];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        return broke(c, LC_ENOMEM, "cannot get random bytes from OpenSSL");
    lcp_client_hs hs;
    lcp_client_hs_start(&hs, key, keylen, nonce);
    lcp_auth_out out;
    int r, step = 0;
    for (;;) {
        const uint8_t *p;
        uint32_t len;
        size_t used;
        r = recv_frame(c, LCP_AUTH_MAX_MSG, deadline, &p, &len, &used);
        if (r == LC_ETIMEDOUT)
            r = broke(c, LC_ETIMEDOUT,
                      "no handshake from %s within %d ms: is it logcollectord? "
                      "(check the port file)",
                      c->peer, timeout_ms);
        if (r == LC_ECLOSED && step == 0) {
            c->broken = 0; /* a better message than "closed the connection" */
            r = broke(c, LC_ECLOSED,
                      "the peer at %s closed the connection before the handshake "
                      "(is it logcollectord? too many clients?)",
                      c->peer);
        } else if (r == LC_ECLOSED) {
            c->broken = 0;
            r = broke(c, LC_ECLOSED,
                      "logcollectord at %s closed the connection during the "
                      "handshake (different keys? compare key file %s with the "
                      "daemon's)",
                      c->peer, key_file);
        }
        if (r < 0)
            goto out;
        step++;
        if (len > 0 && p[0] == LCP_MSG_ERROR) {
            r = handshake_error(c, p, len);
            goto out;
        }
        lcp_hs_result hr = lcp_client_hs_input(&hs, p, len, &out);
        consume(c, used);
        if (out.len > 0) {
            struct iovec iov = {.iov_base = out.data, .iov_len = out.len};
            int started;
            r = send_all(c, &iov, 1, deadline, &started);
            if (r == LC_ETIMEDOUT)
                r = broke(c, LC_ETIMEDOUT, "handshake with %s timed out", c->peer);
            if (r < 0 && hr != LCP_HS_FAIL)
                goto out;
        }
        /* On failure the #FAILURE# above is a courtesy: if it could not be
         * sent, the reason below is still the one to report. */
        if (hr == LCP_HS_FAIL)
            c->broken = 0;
        if (hr == LCP_HS_DONE) {
            r = LC_OK;
            goto out;
        }
        if (hr == LCP_HS_FAIL) {
            switch (hs.failure) {
            case LCP_HSF_REJECTED:
                r = broke(c, LC_EAUTH,
                          "logcollectord at %s refused our key: key file %s does "
                          "not hold the daemon's key (copy the daemon's key file, "
                          "or set LOGCOLLECT_KEY_FILE)",
                          c->peer, key_file);
                break;
            case LCP_HSF_WRONG_KEY:
                r = broke(c, LC_EAUTH,
                          "the peer at %s could not prove it knows the key in %s: "
                          "the two sides have different keys (or it is not our "
                          "logcollectord)",
                          c->peer, key_file);
                break;
            default:
                r = broke(c, LC_EPROTO,
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

static int hello(lcc_conn *c, const char *app, int64_t deadline, int timeout_ms)
{
    uint8_t raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return broke(c, LC_ENOMEM, "cannot get random bytes from OpenSSL");
    lcp_hello h;
    memset(&h, 0, sizeof h);
    lcp_sid_format(h.sid, raw);
    h.seq = 1;
    snprintf(h.app, sizeof h.app, "%s", app);
    h.app[lcp_utf8_valid_prefix((const uint8_t *)h.app, strlen(h.app))] = '\0';
    if (gethostname(h.host, sizeof h.host - 1) != 0)
        h.host[0] = '\0';
    h.host[sizeof h.host - 1] = '\0';
    h.host[lcp_utf8_valid_prefix((const uint8_t *)h.host, strlen(h.host))] = '\0';
    h.pid = (int64_t)getpid();

    uint8_t msg[LCP_FRAME_HDR + 4096];
    int n = lcp_hello_encode(&h, msg + LCP_FRAME_HDR, sizeof msg - LCP_FRAME_HDR);
    if (n < 0)
        return broke(c, LC_EINVAL, "cannot encode HELLO (app \"%s\")", h.app);
    lcp_frame_put_header(msg, (uint32_t)n);
    struct iovec iov = {.iov_base = msg, .iov_len = LCP_FRAME_HDR + (size_t)n};
    int started;
    int r = send_all(c, &iov, 1, deadline, &started);
    if (r == LC_ETIMEDOUT)
        return broke(c, LC_ETIMEDOUT, "sending HELLO to %s timed out", c->peer);
    if (r < 0)
        return r;

    const uint8_t *p;
    uint32_t len;
    size_t used;
    r = recv_frame(c, LCC_RECV_MAX, deadline, &p, &len, &used);
    if (r == LC_ETIMEDOUT)
        return broke(c, LC_ETIMEDOUT, "no WELCOME from logcollectord at %s within %d ms",
                     c->peer, timeout_ms);
    if (r < 0)
        return r;
    if (len > 0 && p[0] == LCP_MSG_ERROR)
        return handshake_error(c, p, len);
    lcp_welcome w;
    char why[200];
    if (lcp_welcome_decode(p, len, &w, why, sizeof why) != 0)
        return broke(c, LC_EPROTO,
                     "logcollectord at %s answered HELLO wrongly: %s (client and "
                     "daemon versions may differ)",
                     c->peer, why);
    consume(c, used);
    if (strcmp(w.sid, h.sid) != 0)
        return broke(c, LC_EPROTO,
                     "logcollectord at %s answered HELLO for another session", c->peer);
    memcpy(c->sid, h.sid, sizeof c->sid);
    c->first_seq = h.seq;
    c->next_seq = h.seq;
    /* A new session: nothing of it can be written yet, whatever WELCOME
     * says; a later version resumes sessions and uses w.written. */
    c->acked = h.seq - 1;
    c->max_record = w.max_record ? w.max_record : LCP_FRAME_MAX;
    return LC_OK;
}

int lcc_open(lcc_conn *c, const char *port_file, const char *key_file,
             const char *app, int timeout_ms)
{
    lcc_init(c);
    if (timeout_ms < 0)
        timeout_ms = LCC_OPEN_TIMEOUT_MS;

    lcp_portinfo pi;
    int r = lcc_read_portfile(port_file, &pi, c->err, sizeof c->err);
    if (r != LC_OK)
        return r;
    format_peer(c->peer, sizeof c->peer, pi.host, pi.port);

    uint8_t *key = NULL;
    size_t keylen = 0;
    r = lcc_read_key(key_file, &key, &keylen, c->err, sizeof c->err);
    if (r != LC_OK)
        return r;

    c->rbuf = malloc(LCC_RECV_MAX + LCP_FRAME_HDR);
    if (!c->rbuf) {
        r = fail(c, LC_ENOMEM, "out of memory");
        goto out;
    }
    r = do_connect(c, &pi, port_file, timeout_ms);
    if (r != LC_OK)
        goto out;

    int64_t deadline = deadline_in(timeout_ms);
    r = handshake(c, key, keylen, key_file, deadline, timeout_ms);
    if (r == LC_OK)
        r = hello(c, app, deadline, timeout_ms);
out:
    if (key) {
        OPENSSL_cleanse(key, keylen);
        free(key);
    }
    if (r != LC_OK) {
        char msg[LCC_ERR_MAX];
        memcpy(msg, c->err, sizeof msg);
        lcc_close(c);
        lcc_init(c);
        memcpy(c->err, msg, sizeof msg);
    }
    return r;
}
