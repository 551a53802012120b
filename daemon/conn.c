/*
 * conn.c - one client connection.
 *
 * Life of a connection: HANDSHAKE (only handshake messages, each at most
 * 256 bytes, within --handshake-timeout; anything else closes it), then
 * OPEN (records and control messages), then CLOSING (what we owe the peer
 * is sent, then the socket is closed).
 *
 * Defensive rules, because every local process can reach us:
 *  - nothing but handshake bytes is looked at before authentication;
 *  - a record longer than --max-record is never buffered: its bytes are
 *    discarded as they arrive, the sender gets an ERROR naming it, and the
 *    stream stays in sync;
 *  - a peer that stops reading our ACK/ERROR frames gets its reading paused
 *    (it cannot make us buffer without bound), and a peer that never sent
 *    HELLO (a stock Python client) is sent nothing at all;
 *  - connections in the handshake have their own limit (--max-handshakes,
 *    the oldest is closed to make room: server.c), so strangers cannot use
 *    up --max-clients; a wrong proof's answer may be delayed (ratelimit.h),
 *    a right one never is, nor is any challenge;
 *  - while the output file cannot be written only records wait: the
 *    handshake, HELLO and STATUS go on, and a connection stops being read
 *    at its first record (left in its buffer);
 *  - partly received frames share one budget (--max-partial-bytes,
 *    budget.h): a large frame is read only once room for all of it is
 *    granted; meanwhile the peer is not read.
 */
#include "conn.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/rand.h>

#include "control.h"
#include "frame.h"
#include "io.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "server.h"

enum { ST_HANDSHAKE = 1, ST_OPEN, ST_CLOSING };

#define OUTQ_HIGH (64 * 1024) /* stop reading a peer with this much unsent */
#define OUTQ_LOW (16 * 1024)  /* and resume when it is down to this */
#define CLOSE_LINGER_MS 2000
/* A partial frame up to this size needs no grant; while the budget is
 * nearly used up, a connection without a grant reads at most this much. */

static int read_cb(lcd_io *io, void *arg);
static void drained_cb(lcd_io *io, void *arg);
static void event_cb(lcd_io *io, int what, void *arg);
static int conn_close(lcd_conn *c, int linger);
static void timer_cb(evutil_socket_t fd, short what, void *arg);
static size_t read_cap(lcd_io *io, void *arg);
static void part_forget(lcd_conn *c);
static void budget_granted(lcd_claim *cl, void *arg);
static void log_unlogged_rejections(lcd_conn *c);

int lcd_conn_is_open(const lcd_conn *c)
{
    return c->state == ST_OPEN;
}

static void set_state(lcd_conn *c, int state)
{
    if (state != ST_HANDSHAKE)
        lcd_server_left_handshake(c->srv, c); /* no longer counted against --max-handshakes */
    c->state = state;
}

static void format_peer(char *out, size_t cap, const struct sockaddr *sa,
                        socklen_t salen)
{
    char host[72], serv[8];
    if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "unknown");
        return;
    }
    if (sa->sa_family == AF_INET6)
        snprintf(out, cap, "[%s]:%s", host, serv);
    else
        snprintf(out, cap, "%s:%s", host, serv);
}

static void set_timer(lcd_conn *c, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send the challenge and give the peer --handshake-timeout to answer. */
static int start_handshake(lcd_conn *c)
{
    uint8_t nonce[LCP_AUTH_NONCE_LEN];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        return -1;
    lcp_auth_out out;
    lcd_keyset *ks = lcd_keyset_ref(c->srv->keys);
    c->keyset = ks;
    lcp_server_hs_start(&c->hs, &ks->ring, c->srv->opt->allow_legacy_md5, nonce, &out);
    lcd_io_write(c->io, out.data, out.len);
    lcd_io_start(c->io);
    set_timer(c, c->srv->opt->handshake_timeout_ms);
    return 0;
}

/* A handshake failed without an answer to give.  penalize: it was a wrong
 * answer (not a hang-up or a timeout), so the address's score grows. */
static void hs_failed(lcd_conn *c, lcd_hs_reason reason, const char *why, int penalize)
{
    lcd_server *srv = c->srv;
    srv->cnt.handshakes_failed++;
    srv->cnt.handshakes_failed_by[reason]++;
    if (penalize) {
        long delay;
        if (lcd_ratelimit_failed(&srv->rl, (const struct sockaddr *)&c->sa, now_ms(), &delay) ==
            LCD_RL_DELAY)
            lcd_ratelimit_release(&srv->rl, (const struct sockaddr *)&c->sa); /* closed now */
    }
    lcd_server_log_limited(srv, LCD_WARN, "handshake from %s failed: %s", c->peer, why);
}

static lcd_hs_reason hs_reason(lcp_hs_failure f)
{
    switch (f) {
    case LCP_HSF_WRONG_KEY: return LCD_HSR_WRONG_KEY;
    case LCP_HSF_LEGACY: return LCD_HSR_LEGACY;
    case LCP_HSF_DIGEST: return LCD_HSR_DIGEST;
    case LCP_HSF_REJECTED: return LCD_HSR_REJECTED;
    case LCP_HSF_NONE:
    case LCP_HSF_BAD_MESSAGE: break;
    }
    return LCD_HSR_BAD_MESSAGE;
}

/* A wrong proof (or another handshake message that fails): its answer
 * (out, usually #FAILURE#) goes now, later, or not at all, as the
 * address's record of failures says (ratelimit.h).  The connection closes
 * after the answer. */
static void hs_wrong(lcd_conn *c, const lcp_auth_out *out)
{
    lcd_server *srv = c->srv;
    const struct sockaddr *sa = (const struct sockaddr *)&c->sa;
    const char *why = lcp_hs_failure_str(c->hs.failure);
    srv->cnt.handshakes_failed++;
    srv->cnt.handshakes_failed_by[hs_reason(c->hs.failure)]++;
    long delay;
    lcd_rl_verdict v = lcd_ratelimit_failed(&srv->rl, sa, now_ms(), &delay);
    if (v == LCD_RL_DELAY && (out->len == 0 || out->len > sizeof c->verdict)) {
        lcd_ratelimit_release(&srv->rl, sa); /* nothing to answer: close now */
        v = LCD_RL_ANSWER;
    }
    switch (v) {
    case LCD_RL_ANSWER:
        lcd_server_log_limited(srv, LCD_WARN, "handshake from %s failed: %s", c->peer, why);
        if (out->len)
            lcd_io_write(c->io, out->data, out->len);
        set_state(c, ST_CLOSING);
        break;
    case LCD_RL_DROP:
        srv->cnt.handshakes_dropped++;
        lcd_server_log_limited(srv, LCD_WARN, "handshake from %s failed: %s; closed unanswered "
                               "(%d failed connections from that address are already waiting "
                               "for their answer)", c->peer, why, LCD_RL_HELD);
        set_state(c, ST_CLOSING);
        break;
    case LCD_RL_DELAY:
        /* Held, unread, until the answer is due; still in the handshake
         * count, so --max-handshakes can close it early. */
        srv->cnt.handshakes_delayed++;
        lcd_server_log_limited(srv, LCD_WARN, "handshake from %s failed: %s; answering in %ld ms "
                               "(that address keeps failing)", c->peer, why, delay);
        memcpy(c->verdict, out->data, out->len);
        c->verdict_len = out->len;
        c->held = 1;
        lcd_conn_pause(c, LCD_PAUSE_HELD, 1);
        set_timer(c, delay);
        break;
    }
}

lcd_conn *lcd_conn_new(lcd_server *srv, evutil_socket_t fd,
                       const struct sockaddr *sa, socklen_t salen)
{
    lcd_conn *c = calloc(1, sizeof *c);
    if (!c) {
        evutil_closesocket(fd);
        return NULL;
    }
    c->srv = srv;
    c->state = ST_HANDSHAKE;
    if (salen <= (socklen_t)sizeof c->sa)
        memcpy(&c->sa, sa, salen);
    format_peer(c->peer, sizeof c->peer, sa, salen);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);

    static const lcd_io_cbs cbs = {read_cb, drained_cb, event_cb, read_cap};
    c->timer = evtimer_new(srv->base, timer_cb, c);
    c->io = c->timer ? lcd_io_new(srv->base, fd, srv->tls, srv->scratch, &cbs, c) : NULL;
    if (!c->io || !c->timer) {
        if (!c->timer)
            evutil_closesocket(fd);
        lcd_log(LCD_ERR, "cannot set up connection from %s (out of memory?)", c->peer);
        lcd_io_free(c->io);
        if (c->timer)
            event_free(c->timer);
        free(c);
        return NULL;
    }
    lcd_claim_init(&c->claim, budget_granted, c);
    lcd_server_add_conn(srv, c);

    lcd_io_set_low(c->io, OUTQ_LOW);
    /* Bound what a peer can make us hold unprocessed: enough for one
     * largest frame, or --max-unwritten if that is larger. */
    size_t frame_max = (size_t)(srv->opt->max_record > LCP_CONTROL_MAX ? srv->opt->max_record
                                                                       : LCP_CONTROL_MAX) +
                       LCP_FRAME_HDR;
    size_t high = (size_t)srv->opt->max_unwritten > frame_max ? (size_t)srv->opt->max_unwritten
                                                              : frame_max;
    lcd_io_set_read_high(c->io, high);

    /* Never delayed, whatever the address did: on loopback a key holder
     * shares it with everyone (ratelimit.h). */
    if (start_handshake(c) != 0) {
        lcd_log(LCD_ERR, "cannot get random bytes for a challenge; closing %s", c->peer);
        lcd_conn_free(c);
        return NULL;
    }
    return c;
}

void lcd_conn_free(lcd_conn *c)
{
    lcd_server *srv = c->srv;
    log_unlogged_rejections(c);
    lcd_server_remove_conn(srv, c);
    part_forget(c);
    if (c->held)
        lcd_ratelimit_release(&srv->rl, (const struct sockaddr *)&c->sa);
    if (c->sess) {
        lcd_session *s = c->sess;
        if (s->conn == c)
            s->conn = NULL;
        c->sess = NULL;
        lcd_sessions_idle_check(srv->sessions, s);
    }
    lcd_io_free(c->io);
    event_free(c->timer);
    lcd_keyset_unref(c->keyset);
    if (c->key.bytes) {
        OPENSSL_cleanse(c->key.bytes, c->key.len);
        free(c->key.bytes);
    }
    free(c->tail);
    free(c);
}

void lcd_conn_evict(lcd_conn *c, const char *why)
{
    lcd_server *srv = c->srv;
    srv->cnt.handshakes_evicted++;
    lcd_server_log_limited(srv, LCD_WARN, "closing the oldest unauthenticated connection, from "
                           "%s (%s): %zu connections are in the handshake (--max-handshakes %ld)",
                           c->peer, why, lcd_server_handshaking(srv), srv->opt->max_handshakes);
    lcd_conn_free(c);
}

/* The output is sent: FIN, then wait for the peer's (see lcd_io_finish).
 * Returns 1 when c was freed. */
static int finish_close(lcd_conn *c)
{
    if (c->finishing)
        return 0;
    c->finishing = 1;
    if (lcd_io_finish(c->io) == 0)
        return 0;
    lcd_conn_free(c);
    return 1;
}

/* Returns 1 when c was freed. */
static int conn_close(lcd_conn *c, int linger)
{
    if (c->state == ST_CLOSING && linger && c->lingering)
        return 0;
    set_state(c, ST_CLOSING);
    part_forget(c);
    lcd_io_pause(c->io, 1);
    if (!linger) {
        lcd_conn_free(c);
        return 1;
    }
    /* drained_cb finishes it once the output is sent, the peer's FIN or
     * the timer frees it. */
    c->lingering = 1;
    lcd_io_set_low(c->io, 0);
    set_timer(c, CLOSE_LINGER_MS);
    if (lcd_io_pending(c->io) == 0)
        return finish_close(c);
    return 0;
}

void lcd_conn_close(lcd_conn *c, int linger)
{
    conn_close(c, linger);
}

void lcd_conn_pause(lcd_conn *c, unsigned reason, int on)
{
    unsigned before = c->pause;
    if (on)
        c->pause |= reason;
    else
        c->pause &= ~reason;
    if (c->state == ST_CLOSING || (before != 0) == (c->pause != 0))
        return;
    lcd_io_pause(c->io, c->pause != 0);
}

/* Queue one framed message for the peer (header and body in one write).
 * Out of memory, the message is lost, and a lost ACK would leave the client
 * waiting for ever: the connection is closed instead (by the timer, since
 * callers still use c); the client reconnects and resends what was not
 * acknowledged. */
static void send_msg(lcd_conn *c, const uint8_t *msg, size_t len)
{
    uint8_t stack[LCP_FRAME_HDR + 512];
    uint8_t *buf = LCP_FRAME_HDR + len <= sizeof stack ? stack : malloc(LCP_FRAME_HDR + len);
    int rc = -1;
    if (buf) {
        lcp_frame_put_header(buf, (uint32_t)len);
        memcpy(buf + LCP_FRAME_HDR, msg, len);
        rc = lcd_io_write(c->io, buf, LCP_FRAME_HDR + len);
        if (buf != stack)
            free(buf);
    }
    if (rc != 0) {
        lcd_log(LCD_ERR, "out of memory: cannot queue a %zu-byte message (type %u) for %s; "
                "closing the connection, the client resends what is not acknowledged "
                "(give the daemon more memory or lower --max-clients)", len, msg[0], c->peer);
        c->state = ST_CLOSING;
        lcd_io_pause(c->io, 1);
        set_timer(c, 0);
        return;
    }
    if (lcd_io_pending(c->io) > OUTQ_HIGH)
        lcd_conn_pause(c, LCD_PAUSE_PEER, 1);
}

static void send_error(lcd_conn *c, uint64_t seq, uint16_t code, const char *text)
{
    uint8_t msg[LCP_ERROR_HEAD + LCP_ERROR_TEXT_MAX];
    int n = lcp_error_encode(seq, code, text, msg, sizeof msg);
    if (n > 0)
        send_msg(c, msg, (size_t)n);
}

void lcd_conn_send_ack(lcd_conn *c)
{
    if (!c->sess || c->sess->anonymous || c->state == ST_CLOSING)
        return;
    if (c->sess->written <= c->acked)
        return;
    if (lcd_io_pending(c->io) > OUTQ_HIGH) {
        c->ack_wanted = 1; /* ACKs are cumulative: one later covers this */
        return;
    }
    uint8_t msg[LCP_ACK_LEN];
    lcp_ack_encode(c->sess->written, msg);
    send_msg(c, msg, sizeof msg);
    c->acked = c->sess->written;
    c->ack_wanted = 0;
}

void lcd_conn_notify_shutdown(lcd_conn *c)
{
    if (c->state == ST_OPEN && c->sess && !c->sess->anonymous)
        send_error(c, 0, LCP_ERR_SHUTDOWN,
                   "the collector is stopping: send nothing more on this connection; "
                   "what was sent is being written and acknowledged");
}

/* Keep the key that proved itself (name for _key, bytes to notice when a
 * reload removes or changes it) and let go of the key set. */
static int adopt_key(lcd_conn *c)
{
    lcd_keyset *ks = c->keyset;
    const lcp_key *k = &ks->ring.keys[c->hs.key_index];
    c->key.bytes = malloc(k->len);
    if (!c->key.bytes)
        return -1;
    memcpy(c->key.bytes, k->bytes, k->len);
    c->key.len = k->len;
    memcpy(c->key.name, k->name, sizeof c->key.name);
    lcd_keyset_unref(ks);
    c->keyset = NULL;
    return 0;
}

/* Bytes the last read of a stopping daemon takes from one connection: far
 * more than a socket's receive queue, but a bound all the same. */
#define FINAL_READ_MAX (64u << 20)

int lcd_conn_final_read(lcd_conn *c)
{
    c->final_read = 1;
    if (c->state != ST_OPEN || (c->pause & LCD_PAUSE_OUTPUT))
        return 1;
    return lcd_io_read_now(c->io, FINAL_READ_MAX);
}

void lcd_conn_check_key(lcd_conn *c)
{
    if (c->state != ST_OPEN || lcd_server_key_valid(c->srv, &c->key))
        return;
    lcd_log(LCD_NOTICE, "key '%s' was removed or changed: closing the connection from %s",
            c->key.name, c->peer);
    if (c->sess && !c->sess->anonymous)
        send_error(c, 0, LCP_ERR_KEY_REVOKED,
                   "the key this connection authenticated with is no longer valid");
    lcd_conn_close(c, 1);
}

/* A protocol violation after the handshake: say why, then close. */
static void protocol_error(lcd_conn *c, const char *why)
{
    c->srv->cnt.protocol_errors++;
    lcd_server_log_limited(c->srv, LCD_WARN, "closing connection from %s: %s", c->peer, why);
    /* Only anonymous sessions (stock clients that never read) are told
     * nothing; a peer that sent a control message, even a broken one, reads. */
    if (!(c->sess && c->sess->anonymous))
        send_error(c, 0, LCP_ERR_BAD_CONTROL, why);
    c->state = ST_CLOSING; /* read_cb closes it when it returns */
}

/* The constant part of every line's trusted fields for this connection. */
static int build_tail(lcd_conn *c, const lcp_hello *h)
{
    char app[LCP_JSON_ESC_MAX(LCP_NAME_MAX) + 1], host[LCP_JSON_ESC_MAX(LCP_NAME_MAX) + 1];
    size_t cap = sizeof app + sizeof host + sizeof c->peer + sizeof c->key.name + 112;
    char *t = malloc(cap);
    if (!t)
        return -1;
    int n;
    if (h) {
        app[lcp_json_escape(app, h->app, strlen(h->app))] = '\0';
        host[lcp_json_escape(host, h->host, strlen(h->host))] = '\0';
        n = snprintf(t, cap,
                     ",\"_app\":\"%s\",\"_pid\":%lld,\"_host\":\"%s\",\"_peer\":\"%s\",\"_key\":\"%s\"",
                     app, (long long)h->pid, host, c->peer, c->key.name);
    } else {
        /* key names are [A-Za-z0-9._-]: nothing to escape */
        n = snprintf(t, cap, ",\"_peer\":\"%s\",\"_key\":\"%s\"", c->peer, c->key.name);
    }
    free(c->tail);
    c->tail = t;
    c->tail_len = (size_t)n;
    return 0;
}

static int attach_anonymous(lcd_conn *c)
{
    lcd_session *s = lcd_sessions_anonymous(c->srv->sessions);
    if (!s || build_tail(c, NULL) != 0) {
        free(s);
        return -1;
    }
    s->conn = c;
    c->sess = s;
    c->next_seq = 1;
    return 0;
}

static void handle_hello(lcd_conn *c, const uint8_t *msg, size_t len)
{
    lcp_hello h;
    char err[256];
    if (c->hello_seen || c->record_seen) {
        protocol_error(c, "HELLO must be the first message after the handshake");
        return;
    }
    if (lcp_hello_decode(msg, len, &h, err, sizeof err) != 0) {
        protocol_error(c, err);
        return;
    }
    char sid[LCP_SID_HEX + 1];
    if (lcp_sid_derive(h.secret, sid) != 0) {
        protocol_error(c, "cannot derive the session id (out of memory?)");
        return;
    }
    lcd_session *s = lcd_sessions_get(c->srv->sessions, sid);
    if (!s) {
        protocol_error(c, "out of memory");
        return;
    }
    if (s->queued > 0 && h.seq > s->queued + 1) {
        /* Only the secret's holder gets here, but a session's numbers
         * never jump: a HELLO that would skip numbers is a broken client. */
        char why[160];
        snprintf(why, sizeof why, "HELLO seq %llu jumps past this session's last record %llu",
                 (unsigned long long)h.seq, (unsigned long long)s->queued);
        lcd_sessions_idle_check(c->srv->sessions, s);
        protocol_error(c, why);
        return;
    }
    if (build_tail(c, &h) != 0) {
        lcd_sessions_idle_check(c->srv->sessions, s);
        protocol_error(c, "out of memory");
        return;
    }
    c->hello_seen = 1;
    snprintf(c->app, sizeof c->app, "%s", h.app);
    if (s->conn && s->conn != c) {
        /* The client reconnected before we noticed its old connection die:
         * the new one takes the session over. */
        lcd_conn *old = s->conn;
        old->sess = NULL;
        s->conn = NULL;
        lcd_log(LCD_INFO, "session %s moved from %s to %s", s->sid, old->peer, c->peer);
        lcd_conn_close(old, 0);
    }
    s->conn = c;
    c->sess = s;
    c->next_seq = h.seq;
    c->acked = s->written;

    lcp_welcome w = {.written = s->written, .max_record = (uint32_t)c->srv->opt->max_record};
    memcpy(w.sid, s->sid, sizeof w.sid);
    uint8_t out[256];
    int n = lcp_welcome_encode(&w, out, sizeof out);
    if (n > 0)
        send_msg(c, out, (size_t)n);
}

static void handle_status(lcd_conn *c)
{
    char *json = lcd_server_status_json(c->srv);
    if (!json)
        return;
    size_t n = strlen(json);
    uint8_t *msg = malloc(n + 1);
    if (msg) {
        msg[0] = LCP_MSG_STATUS;
        memcpy(msg + 1, json, n);
        send_msg(c, msg, n + 1);
        free(msg);
    }
    free(json);
}

/* Every rejection is logged, so that an operator can see why records are
 * missing even when the client cannot read ERRORs (a stock Python client):
 * at most REJ_LOG_BURST lines per connection per REJ_LOG_WINDOW_MS, then a
 * count of the ones not logged. */
#define REJ_LOG_BURST 5
#define REJ_LOG_WINDOW_MS 10000

static void log_unlogged_rejections(lcd_conn *c)
{
    if (c->rej_unlogged)
        lcd_server_log_limited(c->srv, LCD_WARN, "%u more records from %s (app \"%s\") were "
                               "rejected and not logged one by one",
                               c->rej_unlogged, c->peer, c->app[0] ? c->app : "-");
    c->rej_unlogged = 0;
}

static void log_rejection(lcd_conn *c, uint64_t seq, lcp_rec_status st, const char *detail,
                          const uint8_t *rec, size_t len)
{
    int64_t now = now_ms();
    if (now - c->rej_window >= REJ_LOG_WINDOW_MS) {
        log_unlogged_rejections(c);
        c->rej_window = now;
        c->rej_logged = 0;
    }
    if (c->rej_logged >= REJ_LOG_BURST) {
        c->rej_unlogged++;
        return;
    }
    c->rej_logged++;
    char head[200] = "";
    if (rec)
        lcd_log_escape(head, sizeof head, rec, len < 64 ? len : 64);
    lcd_server_log_limited(c->srv, LCD_WARN,
                           "rejected record %llu from %s (app \"%s\", session %.8s): %s: %s%s%s%s",
                           (unsigned long long)seq, c->peer, c->app[0] ? c->app : "-",
                           c->sess->sid, lcp_rec_status_name(st), detail,
                           rec ? "; it starts \"" : "", head, rec ? "\"" : "");
}

static void reject(lcd_conn *c, uint64_t seq, lcp_rec_status st, const char *detail,
                   const uint8_t *rec, size_t len)
{
    c->srv->cnt.records_rejected[st]++;
    log_rejection(c, seq, st, detail, rec, len);
    if (c->sess->anonymous)
        return; /* a stock multiprocessing client never reads */
    if (c->final_read && lcd_io_pending(c->io) > OUTQ_HIGH)
        return; /* the last read of a peer that does not read: only the log says it */
    char text[LCP_ERROR_TEXT_MAX + 1];
    snprintf(text, sizeof text, "record %llu %s: %s", (unsigned long long)seq,
             lcp_rec_status_name(st), detail);
    send_error(c, seq, (uint16_t)st, text);
}

static char *put_str(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put_str(p, lit, sizeof lit - 1)

/* "_rt":"...","_sid":"...","_seq":N + the connection's constant tail */
static size_t build_trusted(lcd_conn *c, uint64_t seq, char *out)
{
    char *p = out;
    p = PUT_LIT(p, "\"_rt\":\"");
    p = put_str(p, lcd_server_rt(c->srv), LCP_TIME_LEN);
    p = PUT_LIT(p, "\",\"_sid\":\"");
    p = put_str(p, c->sess->sid, LCP_SID_HEX);
    p = PUT_LIT(p, "\",\"_seq\":");
    p = lcp_put_decimal(p, seq);
    p = put_str(p, c->tail, c->tail_len);
    return (size_t)(p - out);
}

static void handle_record(lcd_conn *c, const uint8_t *rec, size_t len)
{
    if (!c->sess && attach_anonymous(c) != 0) {
        protocol_error(c, "out of memory");
        return;
    }
    c->record_seen = 1;
    lcd_session *s = c->sess;
    uint64_t seq = c->next_seq++;
    if (seq <= s->queued) {
        c->srv->cnt.records_duplicate++; /* a resend of something we have */
        return;
    }
    lcp_rec_info info;
    char detail[200];
    lcp_rec_status st;
    if (len > (size_t)c->srv->opt->max_record) {
        snprintf(detail, sizeof detail, "%zu bytes, more than --max-record %ld", len,
                 c->srv->opt->max_record);
        st = LCP_REC_TOO_LARGE;
    } else {
        st = lcp_record_check(rec, len, (int)c->srv->opt->max_depth, &info, detail,
                              sizeof detail);
    }
    if (st != LCP_REC_OK) {
        reject(c, seq, st, detail, rec, len);
        s->queued = seq;
        return;
    }
    /* "_rt", "_sid", "_seq" and their punctuation take under 128 bytes. */
    char trusted[1024];
    char *tbuf = trusted;
    char *heap = NULL;
    if (128 + c->tail_len > sizeof trusted) {
        heap = malloc(128 + c->tail_len);
        if (!heap) {
            protocol_error(c, "out of memory");
            return;
        }
        tbuf = heap;
    }
    size_t tl = build_trusted(c, seq, tbuf);
    uint8_t *dst = lcd_output_reserve(c->srv->out, lcp_record_splice_size(&info, tl));
    if (!dst) {
        free(heap);
        protocol_error(c, "out of memory");
        return;
    }
    size_t n = lcp_record_splice(dst, rec, &info, tbuf, tl);
    lcd_output_commit(c->srv->out, n);
    c->batch_bytes += n;
    free(heap);
    s->queued = seq;
    c->srv->cnt.records_accepted++;
    c->srv->cnt.client_dropped += lcd_drop_notice_count(rec, len);
}

/* Authenticated, but others finished their handshakes first and
 * --max-clients are open: told so, as at accept, and closed. */
static int refuse_if_full(lcd_conn *c)
{
    lcd_server *srv = c->srv;
    if (!lcd_server_clients_full(srv)) /* (c itself still counts as in the handshake) */
        return 0;
    srv->cnt.conn_refused_full++;
    send_error(c, 0, LCP_ERR_TOO_MANY_CLIENTS,
               "too many clients: the collector is at --max-clients");
    set_state(c, ST_CLOSING);
    return 1;
}

static void handle_handshake(lcd_conn *c, const uint8_t *p, size_t len)
{
    lcp_auth_out out;
    lcp_hs_result r = lcp_server_hs_input(&c->hs, p, len, &out);
    if (r == LCP_HS_FAIL) {
        hs_wrong(c, &out);
        return;
    }
    if (out.len)
        lcd_io_write(c->io, out.data, out.len); /* a right proof: answered at once */
    if (r != LCP_HS_DONE)
        return;
    if (adopt_key(c) != 0 || !lcd_server_key_valid(c->srv, &c->key)) {
        hs_failed(c, LCD_HSR_KEY_REMOVED, "its key was removed during the handshake (or out of memory)", 0);
        set_state(c, ST_CLOSING);
        return;
    }
    evtimer_del(c->timer);
    if (refuse_if_full(c))
        return;
    set_state(c, ST_OPEN);
    lcd_server_rt_refresh(c->srv);
    lcd_log(LCD_DEBUG, "%s authenticated with key '%s'", c->peer, c->key.name);
}

static void handle_frame(lcd_conn *c, const uint8_t *p, size_t len)
{
    if (c->state == ST_HANDSHAKE) {
        handle_handshake(c, p, len);
        return;
    }
    if (len == 0 || p[0] == '{' || p[0] > LCP_MSG_STATUS) {
        handle_record(c, p, len);
        return;
    }
    switch (p[0]) {
    case LCP_MSG_HELLO:
        handle_hello(c, p, len);
        break;
    case LCP_MSG_STATUS_REQ:
        if (len != 1) {
            char why[80];
            snprintf(why, sizeof why, "STATUS request with %zu bytes after its type byte",
                     len - 1);
            protocol_error(c, why);
            break;
        }
        handle_status(c);
        break;
    default:
        /* Neither a record nor a control message we know: a rejected
         * record (code 1), never a reason to drop the connection, since a
         * stock client that never reads would lose everything after it. */
        handle_record(c, p, len);
    }
}

/* The frame announced more than we accept: refuse it and discard its bytes
 * as they come, keeping the stream in sync. */
static void start_skip(lcd_conn *c, uint32_t len)
{
    if (!c->sess && attach_anonymous(c) != 0) {
        protocol_error(c, "out of memory");
        return;
    }
    c->record_seen = 1;
    uint64_t seq = c->next_seq++;
    char detail[120];
    snprintf(detail, sizeof detail, "%u bytes, more than --max-record %ld", len,
             c->srv->opt->max_record);
    if (seq > c->sess->queued) {
        reject(c, seq, LCP_REC_TOO_LARGE, detail, NULL, 0);
        c->sess->queued = seq;
    }
    c->skip = len;
}

/* ---- the budget for partly received frames (budget.h) ---- */

static void budget_granted(lcd_claim *cl, void *arg)
{
    (void)cl;
    lcd_conn_pause(arg, LCD_PAUSE_MEMORY, 0);
}

/* After a read callback: c holds held bytes, the start of a frame of want
 * bytes in all (0: no frame under way); it is not read while it waits for
 * room for a large frame. */
static void part_account(lcd_conn *c, size_t held, size_t want)
{
    lcd_budget *b = &c->srv->budget;
    int go = lcd_budget_account(b, &c->claim, held, c->state == ST_OPEN ? want : 0);
    lcd_conn_pause(c, LCD_PAUSE_MEMORY, !go);
}

/* c is closing: it takes no more room, and waits for none. */
static void part_forget(lcd_conn *c)
{
    lcd_budget_forget(&c->srv->budget, &c->claim);
}

/* Asked by the io before each read: while the budget is nearly used up, a
 * connection without a grant reads at most PART_SMALL bytes. */
static size_t read_cap(lcd_io *io, void *arg)
{
    const lcd_conn *c = arg;
    (void)io;
    return lcd_budget_read_cap(&c->srv->budget, &c->claim, LCD_IO_READ_MAX);
}

void lcd_conn_output_resumed(lcd_conn *c)
{
    if (!(c->pause & LCD_PAUSE_OUTPUT))
        return;
    lcd_conn_pause(c, LCD_PAUSE_OUTPUT, 0);
    if (c->state == ST_OPEN)
        lcd_io_retrigger(c->io); /* the record waits in the buffer: no new bytes may come */
}

/* Does the frame at b (avail bytes known) need the output file?  Records
 * do (also empty and oversize ones); HELLO and STATUS requests do not.
 * Not known yet (only a header) or malformed: no, the frame parser decides. */
static int needs_output(const uint8_t *b, size_t avail, uint32_t max)
{
    if (avail < LCP_FRAME_HDR)
        return 0;
    uint32_t len = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (len & 0x80000000u)
        return 0;
    if (len == 0 || len > max)
        return 1;
    if (avail == LCP_FRAME_HDR)
        return 0;
    return b[LCP_FRAME_HDR] != LCP_MSG_HELLO && b[LCP_FRAME_HDR] != LCP_MSG_STATUS_REQ;
}

/* Frames out of the contiguous bytes buf[0..len).  Returns the bytes
 * used; sets *need when a frame's length is known but its bytes are not
 * all there yet. */
static size_t parse_frames(lcd_conn *c, const uint8_t *buf, size_t len, size_t *need,
                           int *batch)
{
    lcd_server *srv = c->srv;
    size_t pos = 0;
    /* Control messages may be larger than a tiny --max-record; records
     * over it are refused in handle_record. */
    uint32_t open_max = srv->opt->max_record > LCP_CONTROL_MAX ? (uint32_t)srv->opt->max_record
                                                               : LCP_CONTROL_MAX;
    /* At most --max-unwritten bytes of records per turn: the rest waits
     * (in a buffer the read high-watermark bounds) until this batch is
     * written. */
    while (c->state != ST_CLOSING && !c->held &&
           (c->final_read || c->batch_bytes < (size_t)srv->opt->max_unwritten)) {
        size_t avail = len - pos;
        if (c->skip) {
            size_t n = avail < c->skip ? avail : (size_t)c->skip;
            pos += n;
            c->skip -= n;
            if (c->skip)
                break;
            continue;
        }
        if (c->state == ST_OPEN && srv->output_failing &&
            needs_output(buf + pos, avail, open_max)) {
            /* Leave the record in the buffer and stop reading until the
             * output works (lcd_conn_output_resumed). */
            lcd_conn_pause(c, LCD_PAUSE_OUTPUT, 1);
            break;
        }
        uint32_t max = c->state == ST_HANDSHAKE ? LCP_AUTH_MAX_MSG : open_max;
        lcp_frame f;
        lcp_frame_status st = lcp_frame_next(buf + pos, avail, max, &f);
        if (st == LCP_FRAME_NEED_MORE) {
            *need = f.need;
            break;
        }
        if (st == LCP_FRAME_OK) {
            handle_frame(c, f.payload, f.len);
            if (c->state == ST_OPEN)
                *batch = 1;
            pos += f.consumed;
        } else if (st == LCP_FRAME_OVERSIZE && c->state == ST_OPEN) {
            pos += LCP_FRAME_HDR;
            start_skip(c, f.len);
            *batch = 1;
        } else if (c->state == ST_HANDSHAKE) {
            /* Before authentication, anything odd just closes. */
            hs_failed(c, LCD_HSR_NOT_PROTOCOL, st == LCP_FRAME_OVERSIZE ? "message over 256 bytes" : "not our protocol", 1);
            set_state(c, ST_CLOSING);
        } else {
            protocol_error(c, st == LCP_FRAME_EXT64 ? "8-byte frame lengths are refused"
                                                    : "negative frame length");
        }
    }
    srv->cnt.bytes_in += pos;
    return pos;
}

static int read_cb(lcd_io *io, void *arg)
{
    lcd_conn *c = arg;
    lcd_server *srv = c->srv;
    int batch = 0;
    if (c->state == ST_OPEN)
        lcd_server_rt_refresh(srv);
    c->batch_bytes = 0;

    const uint8_t *buf;
    size_t len, need = 0;
    lcd_io_view(io, &buf, &len);
    size_t used = parse_frames(c, buf, len, &need, &batch);
    lcd_io_eat(io, used);
    if (need > len - used)
        lcd_io_need(io, need); /* wake us when the whole frame is there */
    part_account(c, len - used, need > len - used ? need : 0);

    if (batch && c->sess) {
        /* One mark per read: once the output holds everything appended so
         * far, the records up to queued are written and can be acked. */
        if (lcd_output_mark(srv->out, c->sess, c->sess->queued) == 0)
            c->sess->refs++;
        lcd_output_schedule(srv->out);
    }
    if (c->state == ST_OPEN && c->batch_bytes >= (size_t)srv->opt->max_unwritten &&
        used < len) {
        /* Come back for the rest on the next loop turn, after the flush
         * that this turn ends with. */
        srv->cnt.reads_capped++;
        lcd_io_retrigger(io);
    }
    if (c->state == ST_CLOSING)
        return !conn_close(c, 1);
    lcd_io_consumed(io);
    return 1;
}

static void drained_cb(lcd_io *io, void *arg)
{
    lcd_conn *c = arg;
    if (c->state == ST_CLOSING) {
        if (lcd_io_pending(io) == 0)
            finish_close(c);
        return;
    }
    lcd_conn_pause(c, LCD_PAUSE_PEER, 0);
    if (c->ack_wanted)
        lcd_conn_send_ack(c);
}

static void event_cb(lcd_io *io, int what, void *arg)
{
    lcd_conn *c = arg;
    if ((what & (LCD_IO_EOF | LCD_IO_ERROR)) && (c->held || c->finishing)) {
        lcd_conn_free(c); /* failed and counted already; its answer would go nowhere */
        return;
    }
    if (what & (LCD_IO_EOF | LCD_IO_ERROR)) {
        unsigned long tls_err = lcd_io_tls_error(io);
        if (tls_err) {
            char why[256];
            ERR_error_string_n(tls_err, why, sizeof why);
            if (c->state == ST_HANDSHAKE)
                hs_failed(c, LCD_HSR_TLS, why, 1);
            else
                lcd_log(LCD_INFO, "TLS error from %s: %s", c->peer, why);
        } else if (c->state == ST_HANDSHAKE) {
            hs_failed(c, LCD_HSR_CLOSED, "it closed the connection", 0);
        } else if (c->skip || lcd_io_buffered(io) > 0) {
            lcd_log(LCD_INFO, "%s closed the connection in the middle of a frame; "
                    "the partial frame is discarded", c->peer);
        }
        lcd_conn_free(c);
    }
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_conn *c = arg;
    (void)fd;
    (void)what;
    if (c->held) {
        /* The delayed answer to a wrong proof is due. */
        c->held = 0;
        lcd_ratelimit_release(&c->srv->rl, (const struct sockaddr *)&c->sa);
        lcd_io_write(c->io, c->verdict, c->verdict_len);
        conn_close(c, 1);
        return;
    }
    if (c->state == ST_HANDSHAKE)
        hs_failed(c, LCD_HSR_TIMEOUT, "timed out", 0);
    lcd_conn_free(c);
}
