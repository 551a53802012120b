/*
 * sender.c - the client's background thread: connect, send, read ACKs,
 * reconnect.
 *
 *   loop:
 *     connect (port file read afresh, handshake, HELLO with the number of
 *       the first record not yet acknowledged, WELCOME)
 *     session: send batches of whole segments with one sendmsg each, read
 *       ACK / ERROR frames, free acknowledged records, until the connection
 *       ends (lost, the daemon stopping: ERROR 102 then close, or lc_close)
 *     wait (exponential backoff with jitter, 50 ms .. 5 s), then again
 *
 * After a reconnect every record not yet acknowledged is sent again with
 * its number; the daemon skips those it already has.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "control.h"
#include "frame.h"
#include "internal.h"
#include "record.h"
#include "client_tls.h"

enum { END_STOP = 1, END_LOST, END_DRAINED };

/* What one connection has read so far. */
typedef struct {
    uint64_t ack;     /* highest ACK read, 0 if none */
    int draining;     /* ERROR 102 seen: send nothing more */
    int err;          /* for END_LOST: the LC_E* code (message in conn.err) */
    int healthy;      /* an ACK moved acked forward */
} link_state;

void lcc_wake(lc_client *c)
{
    uint64_t one = 1;
    ssize_t r;
    do
        r = write(c->wakefd, &one, sizeof one);
    while (r < 0 && errno == EINTR);
}

static void drain_wake(lc_client *c)
{
    uint64_t v;
    ssize_t r;
    do
        r = read(c->wakefd, &v, sizeof v);
    while (r < 0 && errno == EINTR);
}

void lcc_publish_fd(void *arg, int fd)
{
    lc_client *c = arg;
    pthread_mutex_lock(&c->mu);
    c->sock_fd = fd;
    pthread_mutex_unlock(&c->mu);
}

void lcc_target_init(lc_client *c, lcc_target *t, int wakefd)
{
    t->port_file = c->port_file;
    t->key_file = c->key_file;
    t->key = c->key;
    t->keylen = c->keylen;
    t->secret = c->secret;
    t->sid = c->sid;
    t->seq = c->q.head_seq;
    t->app = c->app;
    t->host = c->host;
    t->pid = c->pid;
    t->tls = c->tls;
    t->timeout_ms = c->connect_ms;
    t->wakefd = wakefd;
    t->on_fd = lcc_publish_fd;
    t->arg = c;
}

static int remaining_ms(int64_t deadline)
{
    int64_t left = deadline - lcc_now_ms();
    return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* Called with mu held. */
static void note_failure(lc_client *c, int code, const char *msg)
{
    c->last_err = code;
    snprintf(c->last_err_msg, sizeof c->last_err_msg, "%s", msg);
    c->connect_failures++;
}

static uint64_t next_rand(lc_client *c)
{
    uint64_t x = c->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c->rng = x;
    return x;
}

/* Does the queue want more spare segments?  Called with mu held. */
static int want_spares(const lc_client *c)
{
    return c->q.nspare < LCC_SPARE_MIN &&
           c->q.bytes + (size_t)c->q.nspare * LCC_SEG_SIZE < c->queue_limit;
}

/* Keep LCC_SPARE_MIN spare segments ready, their pages touched here rather
 * than by a log call.  Called without the lock.  lcc_fork_mu covers the
 * allocation and the linking: a fork in between would leave the child a
 * segment that nothing points to. */
static void refill_spares(lc_client *c)
{
    for (;;) {
        pthread_mutex_lock(&lcc_fork_mu);
        lcc_seg *s = lcc_seg_new_warm();
        int r = -1, more = 0;
        if (s) {
            pthread_mutex_lock(&c->mu);
            r = lcc_queue_add_spare(&c->q, s);
            more = r == 0 && want_spares(c);
            pthread_mutex_unlock(&c->mu);
            if (r != 0)
                free(s);
        }
        pthread_mutex_unlock(&lcc_fork_mu);
        if (!more)
            return;
    }
}

/* Wait before the next attempt.  Returns 1 when told to stop. */
static int backoff_wait(lc_client *c)
{
    unsigned lvl = c->backoff < 16 ? c->backoff : 16;
    int64_t nominal = (int64_t)LCC_BACKOFF_MIN_MS << lvl;
    if (nominal > LCC_BACKOFF_MAX_MS)
        nominal = LCC_BACKOFF_MAX_MS;
    if (c->backoff < 16)
        c->backoff++;
    int64_t ms = nominal / 2 + (int64_t)(next_rand(c) % (uint64_t)(nominal / 2 + 1));
    int64_t deadline = lcc_now_ms() + ms;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        int stop = c->stop, refill = want_spares(c);
        pthread_mutex_unlock(&c->mu);
        if (stop)
            return 1;
        if (refill)
            refill_spares(c);
        int left = remaining_ms(deadline);
        if (left == 0)
            return 0;
        struct pollfd p = {.fd = c->wakefd, .events = POLLIN};
        if (poll(&p, 1, left) > 0)
            drain_wake(c);
    }
}

/* ---- reading ----------------------------------------------------------- */

static int lost(lc_client *c, link_state *ls, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int lost(lc_client *c, link_state *ls, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->conn.err, sizeof c->conn.err, fmt, ap);
    va_end(ap);
    ls->err = code;
    return END_LOST;
}

static int handle_frame(lc_client *c, link_state *ls, const uint8_t *p, uint32_t len)
{
    lcc_conn *cn = &c->conn;
    if (len == 0)
        return lost(c, ls, LC_EPROTO, "logcollectord at %s sent an empty message",
                    cn->peer);
    switch (p[0]) {
    case LCP_MSG_ACK: {
        uint64_t seq;
        if (lcp_ack_decode(p, len, &seq) != 0)
            return lost(c, ls, LC_EPROTO, "logcollectord at %s sent a malformed ACK",
                        cn->peer);
        /* c->sent is written only by this thread. */
        uint64_t top = c->sent > c->cur.seq ? c->sent : c->cur.seq;
        if (seq > top)
            return lost(c, ls, LC_EPROTO,
                        "logcollectord at %s acknowledged record %llu, but only %llu "
                        "were sent",
                        cn->peer, (unsigned long long)seq, (unsigned long long)top);
        if (seq > ls->ack)
            ls->ack = seq;
        return 0;
    }
    case LCP_MSG_ERROR: {
        uint64_t seq;
        uint16_t code;
        char text[LCP_ERROR_TEXT_MAX + 1];
        if (lcp_error_decode(p, len, &seq, &code, text, sizeof text) != 0)
            return lost(c, ls, LC_EPROTO, "logcollectord at %s sent a malformed ERROR",
                        cn->peer);
        if (code == LCP_ERR_SHUTDOWN) {
            /* Send nothing more; it still writes and acknowledges what it
             * got, then closes. */
            ls->draining = 1;
            return 0;
        }
        if (code >= 100) {
            ls->err = lcc_conn_error(cn, code, text);
            return END_LOST;
        }
        pthread_mutex_lock(&c->mu);
        c->rejected++;
        if (c->rej_count++ == 0) {
            c->rej_seq = seq;
            c->rej_code = code;
            lcc_sanitize(c->rej_text, sizeof c->rej_text, text);
        }
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    default:
        /* WELCOME, STATUS (not asked for), or a later version's type. */
        return 0;
    }
}

/* Read what has arrived and handle every whole frame.  0 when nothing
 * more is there now; END_LOST or END_DRAINED when the connection ended. */
static int read_input(lc_client *c, link_state *ls)
{
    lcc_conn *cn = &c->conn;
    for (;;) {
        size_t off = 0;
        for (;;) {
            lcp_frame f;
            lcp_frame_status st =
                lcp_frame_next(cn->rbuf + off, cn->rlen - off, LCC_RECV_MAX, &f);
            if (st == LCP_FRAME_NEED_MORE)
                break;
            if (st != LCP_FRAME_OK)
                return lost(c, ls, LC_EPROTO,
                            "logcollectord at %s sent a malformed or oversized frame "
                            "(client and daemon versions may differ)",
                            cn->peer);
            int r = handle_frame(c, ls, f.payload, f.len);
            off += f.consumed;
            if (r)
                return r;
        }
        if (off)
            lcc_consume(cn, off);
        ssize_t n = cn->ssl ? lcc_tls_recv(cn, cn->rbuf + cn->rlen, LCC_RBUF_SIZE - cn->rlen)
                            : recv(cn->fd, cn->rbuf + cn->rlen, LCC_RBUF_SIZE - cn->rlen,
                                   MSG_DONTWAIT);
        if (n > 0) {
            cn->rlen += (size_t)n;
            continue;
        }
        if (n == 0) {
            if (ls->draining)
                return END_DRAINED;
            return lost(c, ls, LC_ECLOSED,
                        "logcollectord at %s closed the connection (did it stop or "
                        "restart?)",
                        cn->peer);
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        if (ls->draining)
            return END_DRAINED;
        return lost(c, ls, LC_ECLOSED, "lost the connection to logcollectord at %s: %s",
                    cn->peer, lcc_io_strerror(cn, errno));
    }
}

/* ---- one connection ---------------------------------------------------- */

/* Bring what was read into the shared state.  Called with mu held. */
static void apply(lc_client *c, link_state *ls, int connected)
{
    if (ls->ack > c->acked) {
        c->acked = ls->ack;
        ls->healthy = 1;
        if (c->flush_waiters)
            pthread_cond_broadcast(&c->ack_cv);
    }
    if (connected && c->cur.seq > c->sent)
        c->sent = c->cur.seq;
    /* Free what is acknowledged, but on a live connection only what was
     * (re)sent on it: the rest still has to go out to keep the numbering. */
    uint64_t upto = c->acked;
    if (connected && c->cur.seq < upto)
        upto = c->cur.seq;
    if (lcc_queue_release(&c->q, upto, connected ? &c->cur : NULL) && c->space_waiters)
        pthread_cond_broadcast(&c->space_cv);
}

static int session(lc_client *c, link_state *ls)
{
    lcc_conn *cn = &c->conn;
    pthread_mutex_lock(&c->mu);
    if (cn->written > c->sent) {
        pthread_mutex_unlock(&c->mu);
        return lost(c, ls, LC_EPROTO,
                    "logcollectord at %s says records up to %llu of session %s are "
                    "written, but only %llu were sent (is another client using this "
                    "session id?)",
                    cn->peer, (unsigned long long)cn->written, c->sid,
                    (unsigned long long)c->sent);
    }
    c->connected = 1;
    c->connects++;
    c->max_record = cn->max_record;
    snprintf(c->peer, sizeof c->peer, "%s", cn->peer);
    if (c->sent >= c->q.head_seq)
        c->resent += c->sent - c->q.head_seq + 1;
    lcc_cursor_reset(&c->cur, &c->q);
    /* WELCOME's "written" is an acknowledgement too. */
    ls->ack = cn->written;
    apply(c, ls, 1);
    pthread_mutex_unlock(&c->mu);

    lcc_batch b;
    int want_out = 0, send_err = 0;
    int poll_ms = LCC_INFLIGHT_POLL_MS; /* the in-flight timeout, backing off */
    int64_t drain_deadline = 0;
    for (;;) {
        int r = read_input(c, ls);
        if (ls->draining && !drain_deadline)
            drain_deadline = lcc_now_ms() + LCC_DRAIN_MAX_MS;
        pthread_mutex_lock(&c->mu);
        uint64_t acked_before = c->acked;
        apply(c, ls, 1);
        if (c->acked != acked_before)
            poll_ms = LCC_INFLIGHT_POLL_MS;
        if (r == 0 && send_err)
            r = lost(c, ls, LC_ECLOSED, "lost the connection to logcollectord at %s: %s",
                     cn->peer, lcc_io_strerror(cn, send_err));
        if (r || c->stop) {
            pthread_mutex_unlock(&c->mu);
            return r ? r : END_STOP;
        }
        int n = 0;
        if (!ls->draining && !want_out)
            n = lcc_cursor_batch(&c->cur, &c->q, &b);
        /* While records are in flight an ACK is due soon, and with it the
         * sender looks at the queue again: log calls need not wake it (an
         * eventfd write each time the daemon answered quickly was most of
         * lc_log's cost).  A short poll timeout bounds the wait if the ACK
         * is slow; once that has passed without one, the sender asks to be
         * woken for new records and backs off (LCC_INFLIGHT_POLL_MAX_MS):
         * a daemon withholding ACKs must not make it spin. */
        int inflight = c->cur.seq > c->acked;
        if (n > 0)
            poll_ms = LCC_INFLIGHT_POLL_MS;
        c->sender_idle = n == 0 && !want_out && !ls->draining &&
                         (!inflight || poll_ms > LCC_INFLIGHT_POLL_MS);
        int refill = want_spares(c);
        pthread_mutex_unlock(&c->mu);
        if (refill)
            refill_spares(c);

        if (n > 0) {
            ssize_t w;
            if (cn->ssl) {
                /* Through TLS, segment by segment (client_tls.h); after EAGAIN
                 * the next batch starts at the same bytes, as TLS needs. */
                w = lcc_tls_sendv(cn, b.iov, n);
            } else {
                struct msghdr m;
                memset(&m, 0, sizeof m);
                m.msg_iov = b.iov;
                m.msg_iovlen = (size_t)n;
                w = sendmsg(cn->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
            }
            if (w > 0) {
                lcc_cursor_advance(&c->cur, &b, (size_t)w);
                if ((size_t)w == b.bytes)
                    continue; /* maybe more has been queued meanwhile */
                want_out = 1;
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                want_out = 1;
            } else {
                /* Read once more: the daemon's last words (ERROR 102, the
                 * final ACK) may be waiting. */
                send_err = w < 0 ? errno : EPIPE;
                continue;
            }
        }

        /* Plaintext: POLLOUT while a send is pending.  TLS may need the
         * socket readable to write, or writable to read. */
        short out_ev = cn->ssl ? cn->tls_wr_ev : POLLOUT;
        short in_ev = cn->ssl ? (short)(POLLIN | cn->tls_rd_ev) : POLLIN;
        struct pollfd p[2] = {
            {.fd = cn->fd, .events = (short)(in_ev | (want_out ? out_ev : 0))},
            {.fd = c->wakefd, .events = POLLIN},
        };
        int timeout = inflight && n == 0 ? poll_ms : -1;
        if (ls->draining) {
            timeout = remaining_ms(drain_deadline);
            if (timeout == 0)
                return lost(c, ls, LC_ECLOSED,
                            "logcollectord at %s said it is stopping but did not close "
                            "the connection within %d ms",
                            cn->peer, LCC_DRAIN_MAX_MS);
        }
        int pr = poll(p, 2, timeout);
        if (pr < 0 && errno != EINTR)
            return lost(c, ls, LC_ECLOSED, "poll() on the connection to %s failed: %s",
                        cn->peer, strerror(errno));
        if (pr > 0) {
            if (p[1].revents & POLLIN)
                drain_wake(c);
            if (p[0].revents & (out_ev | POLLERR | POLLHUP))
                want_out = 0;
        } else if (pr == 0 && timeout == poll_ms) {
            poll_ms = poll_ms * 2 < LCC_INFLIGHT_POLL_MAX_MS ? poll_ms * 2
                                                             : LCC_INFLIGHT_POLL_MAX_MS;
        }
    }
}

static void teardown(lc_client *c, link_state *ls, int how)
{
    lcc_conn *cn = &c->conn;
    if (how == END_STOP)
        lcc_tls_close_notify(cn);
    if (how == END_STOP && shutdown(cn->fd, SHUT_WR) == 0) {
        /* Let the daemon read everything and close its side (closing with
         * unread ACKs would make the kernel reset the connection); pick up
         * the last ACKs meanwhile. */
        int64_t deadline = lcc_now_ms() + LCC_CLOSE_LINGER_MS;
        for (;;) {
            if (read_input(c, ls) != 0)
                break;
            int left = remaining_ms(deadline);
            struct pollfd p = {.fd = cn->fd, .events = POLLIN};
            if (left == 0 || poll(&p, 1, left) <= 0)
                break;
        }
    }
    pthread_mutex_lock(&c->mu);
    c->sock_fd = -1;
    pthread_mutex_unlock(&c->mu);
    lcc_conn_close(cn);
    cn->rlen = 0;

    pthread_mutex_lock(&c->mu);
    apply(c, ls, 1);
    c->connected = 0;
    apply(c, ls, 0); /* now free everything acknowledged */
    memset(&c->cur, 0, sizeof c->cur);
    if (how == END_LOST) {
        note_failure(c, ls->err ? ls->err : LC_ECLOSED, cn->err);
    } else if (how == END_DRAINED) {
        c->last_err = LC_ECLOSED;
        snprintf(c->last_err_msg, sizeof c->last_err_msg,
                 "logcollectord at %s stopped (it said so, then closed the "
                 "connection); waiting for it to come back",
                 cn->peer);
    }
    pthread_mutex_unlock(&c->mu);
}

void *lcc_sender_main(void *arg)
{
    lc_client *c = arg;
    pthread_mutex_lock(&c->mu);
    int have = c->have_conn;
    c->have_conn = 0;
    c->rng = (uint64_t)lcc_now_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)c ^
             (uint64_t)c->pid << 32;
    if (c->rng == 0)
        c->rng = 1;
    pthread_mutex_unlock(&c->mu);

    for (;;) {
        if (!have) {
            lcc_target t;
            pthread_mutex_lock(&c->mu);
            int stop = c->stop;
            lcc_target_init(c, &t, c->wakefd);
            pthread_mutex_unlock(&c->mu);
            if (stop)
                break;
            int r = lcc_connect(&c->conn, &t);
            if (r == LCC_EWAKE) {
                drain_wake(c);
                continue; /* the loop checks stop */
            }
            if (r != LC_OK) {
                pthread_mutex_lock(&c->mu);
                note_failure(c, r, c->conn.err);
                pthread_mutex_unlock(&c->mu);
                if (r == LC_EFULL && c->backoff < 4)
                    c->backoff = 4; /* too many clients: start at 800 ms */
                if (backoff_wait(c))
                    break;
                continue;
            }
        }
        have = 0;
        link_state ls;
        memset(&ls, 0, sizeof ls);
        int64_t since = lcc_now_ms();
        int how = session(c, &ls);
        teardown(c, &ls, how);
        if (how == END_STOP)
            break;
        if (how == END_DRAINED || ls.healthy || lcc_now_ms() - since >= LCC_HEALTHY_MS)
            c->backoff = 0;
        if (backoff_wait(c))
            break;
    }
    /* Free this thread's OpenSSL state now (in a fork child OpenSSL's own
     * thread-exit hook does not always do it). */
    pthread_mutex_lock(&lcc_fork_mu);
    OPENSSL_thread_stop();
    pthread_mutex_unlock(&lcc_fork_mu);
    return NULL;
}
