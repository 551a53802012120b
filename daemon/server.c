/*
 * server.c - listener, accept, output hooks (acks after writes, pausing on
 * write errors), graceful stop and reload.  Connection details live in
 * conn.c, the file in output.c, sessions in session.c.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <time.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "conn.h"
#include "io.h"
#include "control.h"
#include "frame.h"
#include "log.h"
#include "tls.h"

#define DRAIN_TICK_MS 50
#define DRAIN_MAX_MS 5000
/* Frames up to this size are read without a grant from the budget. */
#define PART_SMALL (16 * 1024)
#define ACCEPT_RETRY_MS 100

static void written_hook(void *owner, uint64_t seq, void *arg)
{
    lcd_server *srv = arg;
    lcd_session *s = owner;
    if (seq > s->written)
        s->written = seq;
    s->refs--;
    lcd_conn *c = s->conn;
    if (c && !c->in_ackq) { /* flushed_hook acks it */
        TAILQ_INSERT_TAIL(&srv->ackq, c, ack_link);
        c->in_ackq = 1;
    }
    lcd_sessions_idle_check(srv->sessions, s);
}

/* ---- the connections --------------------------------------------------- */

void lcd_server_add_conn(lcd_server *srv, lcd_conn *c)
{
    TAILQ_INSERT_TAIL(&srv->conns, c, link);
    srv->nconns++;
    srv->cnt.conn_total++;
    TAILQ_INSERT_TAIL(&srv->handshakes, c, hs_link);
    c->in_handshakes = 1;
    srv->nhandshakes++;
}

void lcd_server_left_handshake(lcd_server *srv, lcd_conn *c)
{
    if (!c->in_handshakes)
        return;
    TAILQ_REMOVE(&srv->handshakes, c, hs_link);
    srv->nhandshakes--;
    c->in_handshakes = 0;
}

void lcd_server_remove_conn(lcd_server *srv, lcd_conn *c)
{
    if (c->in_ackq)
        TAILQ_REMOVE(&srv->ackq, c, ack_link);
    c->in_ackq = 0;
    lcd_server_left_handshake(srv, c);
    TAILQ_REMOVE(&srv->conns, c, link);
    srv->nconns--;
}

size_t lcd_server_handshaking(const lcd_server *srv)
{
    return srv->nhandshakes;
}

int lcd_server_clients_full(const lcd_server *srv)
{
    return srv->nconns - srv->nhandshakes >= (size_t)srv->opt->max_clients;
}

static void flushed_hook(void *arg)
{
    lcd_server *srv = arg;
    lcd_conn *c;
    while ((c = TAILQ_FIRST(&srv->ackq)) != NULL) {
        TAILQ_REMOVE(&srv->ackq, c, ack_link);
        c->in_ackq = 0;
        lcd_conn_send_ack(c);
    }
}

static void state_hook(int failing, void *arg)
{
    lcd_server *srv = arg;
    srv->output_failing = failing;
    /* Back-pressure: while the file cannot take records, each connection
     * stops being read at its next record (conn.c), so clients keep theirs
     * instead of us holding an unbounded pile; handshakes, HELLO and STATUS
     * go on.  Now it works again: take those records. */
    if (failing)
        return;
    lcd_conn *c, *next;
    for (c = TAILQ_FIRST(&srv->conns); c; c = next) {
        next = TAILQ_NEXT(c, link);
        lcd_conn_output_resumed(c);
    }
}

/* Anyone who can write the output file (or replace it, through its
 * directory) can forge records; say so. */
static void warn_if_open_to_others(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & S_IWOTH))
        lcd_log(LCD_WARN, "output file %s is writable by others: anyone can add lines to it "
                "(chmod o-w)", path);
    char *copy = strdup(path);
    if (!copy)
        return;
    const char *dir = dirname(copy);
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        lcd_log(LCD_WARN, "directory %s of the output file is writable by others: anyone can "
                "replace the file (chmod o-w)", dir);
    free(copy);
}

/* Records and the handshake must not cross a network in clear. */
static int check_plaintext_bind(const lcd_server *srv, char *err, size_t errlen)
{
    unsigned char any[sizeof(struct in6_addr)];
    const char *b = srv->opt->bind;
    int is_ip = inet_pton(AF_INET, b, any) == 1 || inet_pton(AF_INET6, b, any) == 1;
    if (srv->tls || srv->opt->allow_plaintext || !is_ip || lcd_is_loopback(b))
        return 0; /* (a --bind that is not an address is refused by listen) */
    snprintf(err, errlen, "--bind %s is not a loopback address: without TLS the records "
             "would cross the network in clear and the handshake could be relayed; give "
             "--tls-cert and --tls-key, or --allow-plaintext", b);
    return -1;
}

int lcd_server_init(lcd_server *srv, struct event_base *base,
                    const lcd_options *opt, char *err, size_t errlen)
{
    memset(srv, 0, sizeof *srv);
    srv->base = base;
    srv->opt = opt;
    TAILQ_INIT(&srv->conns);
    TAILQ_INIT(&srv->ackq);
    TAILQ_INIT(&srv->handshakes);
    lcd_budget_init(&srv->budget, (size_t)opt->max_partial, PART_SMALL);
    gettimeofday(&srv->started, NULL);
    lcd_ratelimit_init(&srv->rl);

    srv->keys = calloc(1, sizeof *srv->keys);
    if (!srv->keys) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    srv->keys->refs = 1;
    if (lcp_keyring_load(&srv->keys->ring, opt->key_file, 1, err, errlen) != 0)
        return -1;
    srv->sessions = lcd_sessions_new((size_t)opt->max_sessions);
    srv->scratch = malloc(LCD_IO_SCRATCH);
    if (!srv->sessions || !srv->scratch) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Settings that can refuse the start come before anything is created. */
    if (opt->tls_cert || opt->tls_key || opt->tls_client_ca) {
        srv->tls = lcd_tls_context(opt->tls_cert, opt->tls_key, opt->tls_client_ca, err, errlen);
        if (!srv->tls)
            return -1;
    }
    if (check_plaintext_bind(srv, err, errlen) != 0)
        return -1;
    lcd_output_hooks hooks = {written_hook, flushed_hook, state_hook, srv};
    srv->out = lcd_output_open(base, opt->output, &hooks, err, errlen);
    if (!srv->out)
        return -1;
    lcd_output_set_rotation(srv->out, opt->rotate_size, opt->rotate_keep);
    lcd_output_set_fsync(srv->out, opt->fsync_mode, opt->fsync_ms);
    warn_if_open_to_others(opt->output);
    return 0;
}

/* --max-clients authenticated connections are open: say so in a frame our
 * client understands instead of a challenge, and close.  (Connections in
 * the handshake do not count: strangers cannot keep key holders out.) */
static void refuse_full(lcd_server *srv, evutil_socket_t fd)
{
    if (srv->tls) {
        /* A plaintext frame means nothing to a TLS client: just close. */
        evutil_closesocket(fd);
        srv->cnt.conn_refused_full++;
        return;
    }
    uint8_t msg[LCP_FRAME_HDR + LCP_ERROR_HEAD + LCP_ERROR_TEXT_MAX];
    int n = lcp_error_encode(0, LCP_ERR_TOO_MANY_CLIENTS,
                             "too many clients: the collector is at --max-clients",
                             msg + LCP_FRAME_HDR, sizeof msg - LCP_FRAME_HDR);
    if (n > 0) {
        lcp_frame_put_header(msg, (uint32_t)n);
        ssize_t w = send(fd, msg, LCP_FRAME_HDR + (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w; /* best effort: the socket is new and its buffer empty */
    }
    evutil_closesocket(fd);
    if (srv->cnt.conn_refused_full++ % 1000 == 0)
        lcd_log(LCD_WARN, "refusing connections: %zu clients connected (--max-clients %ld)",
                srv->nconns - srv->nhandshakes, srv->opt->max_clients);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    lcd_server *srv = arg;
    (void)l;
    if (srv->stopping) {
        evutil_closesocket(fd);
        return;
    }
    if (lcd_server_clients_full(srv)) {
        refuse_full(srv, fd);
        return;
    }
    /* At --max-handshakes the OLDEST unauthenticated connection makes room:
     * refusing the new one would let strangers without the key keep a key
     * holder out; this way a key holder's handshake, which takes a round
     * trip, outlives a flood of connections that never answer. */
    while (srv->nhandshakes >= (size_t)srv->opt->max_handshakes)
        lcd_conn_evict(TAILQ_FIRST(&srv->handshakes), "--max-handshakes reached");
    lcd_conn_new(srv, fd, sa, (socklen_t)salen);
}

static void accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_server *srv = arg;
    (void)fd;
    (void)what;
    if (!srv->stopping)
        evconnlistener_enable(srv->listener);
}

/* accept() failed (EMFILE, ENFILE, ENOMEM).  Out of file descriptors with
 * connections in the handshake: close the oldest, so the connection
 * waiting in the backlog gets its descriptor on the next try (the listener
 * stays on: one descriptor freed per try, no spinning).  Otherwise pause
 * the listener instead of spinning. */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
    lcd_server *srv = arg;
    int e = EVUTIL_SOCKET_ERROR();
    if (e == EMFILE || e == ENFILE) {
        /* Linux fails accept() for want of a descriptor even when no
         * connection waits: act only for one that does. */
        struct pollfd p = {.fd = evconnlistener_get_fd(l), .events = POLLIN};
        if (poll(&p, 1, 0) == 0)
            return; /* the listener fires again when one comes */
        if (!TAILQ_EMPTY(&srv->handshakes) && !srv->stopping) {
            lcd_conn_evict(TAILQ_FIRST(&srv->handshakes), "out of file descriptors");
            return;
        }
    }
    lcd_server_log_limited(srv, LCD_ERR, "accept failed: %s; pausing new connections for %d ms "
                           "(raise the limit on open files, ulimit -n / LimitNOFILE)",
                           evutil_socket_error_to_string(e), ACCEPT_RETRY_MS);
    evconnlistener_disable(l);
    struct timeval tv = {0, ACCEPT_RETRY_MS * 1000};
    evtimer_add(srv->accept_retry, &tv);
}

int lcd_server_listen(lcd_server *srv, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%ld", srv->opt->port);
    int rc = getaddrinfo(srv->opt->bind, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "--bind %s is not an IP address: %s", srv->opt->bind,
                 gai_strerror(rc));
        return -1;
    }
    srv->listener = evconnlistener_new_bind(
        srv->base, accept_cb, srv,
        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 1024,
        ai->ai_addr, (int)ai->ai_addrlen);
    if (!srv->listener) {
        snprintf(err, errlen, "cannot listen on %s port %s: %s", srv->opt->bind, port,
                 strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    evconnlistener_set_error_cb(srv->listener, accept_error_cb);
    srv->accept_retry = evtimer_new(srv->base, accept_retry_cb, srv);

    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    evutil_socket_t fd = evconnlistener_get_fd(srv->listener);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, srv->host, sizeof srv->host, port,
                    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(err, errlen, "cannot read the bound address: %s", strerror(errno));
        return -1;
    }
    srv->port = atoi(port);
    return 0;
}

void lcd_server_rt_refresh(lcd_server *srv)
{
    /* The wall clock, read once per batch of reads.  (libevent's cached
     * time follows a coarse clock and runs a millisecond behind.) */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec != srv->rt_tv.tv_sec || tv.tv_usec != srv->rt_tv.tv_usec) {
        srv->rt_tv = tv;
        lcp_format_time(srv->rt, tv.tv_sec, tv.tv_usec);
    }
}

const char *lcd_server_rt(lcd_server *srv)
{
    return srv->rt;
}

/* ---- stopping ---------------------------------------------------------- */

static double ms_since(const struct timeval *t0)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_usec - t0->tv_usec) / 1e3;
}

static lcd_conn *first_unread(lcd_server *srv)
{
    lcd_conn *c;
    TAILQ_FOREACH(c, &srv->conns, link)
        if (!c->final_read)
            return c;
    return NULL;
}

static void finish_stop(lcd_server *srv)
{
    /* A client that never went quiet (a stock client flooding) has sent
     * frames we hold or the kernel holds for us: they were accepted, so
     * they are written before the connection closes. */
    lcd_conn *c, *next;
    while ((c = first_unread(srv)) != NULL)
        lcd_conn_final_read(c); /* may free c, or (HELLO take-over) another */
    lcd_output_flush(srv->out);
    if (lcd_output_pending(srv->out) > 0)
        lcd_log(LCD_ERR, "exiting with %zu bytes that could not be written to %s",
                lcd_output_pending(srv->out), srv->opt->output);
    for (c = TAILQ_FIRST(&srv->conns); c; c = next) {
        next = TAILQ_NEXT(c, link);
        lcd_conn_close(c, 1); /* the last ACKs go out, then the socket closes */
    }
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_server *srv = arg;
    (void)fd;
    (void)what;
    double elapsed = ms_since(&srv->drain_start);
    if (srv->nconns == 0 && lcd_output_pending(srv->out) == 0) {
        event_base_loopexit(srv->base, NULL);
        return;
    }
    int quiet = srv->cnt.bytes_in == srv->drain_last_bytes &&
                lcd_output_pending(srv->out) == 0;
    srv->drain_last_bytes = srv->cnt.bytes_in;
    if ((quiet || elapsed > DRAIN_MAX_MS) && srv->stopping == 1) {
        srv->stopping = 2;
        finish_stop(srv);
    } else if (srv->stopping == 2 && elapsed > DRAIN_MAX_MS + 3000) {
        event_base_loopexit(srv->base, NULL); /* peers that never read */
        return;
    }
    struct timeval tv = {0, DRAIN_TICK_MS * 1000};
    evtimer_add(srv->drain_timer, &tv);
}

void lcd_server_stop(lcd_server *srv)
{
    if (srv->stopping)
        return;
    srv->stopping = 1;
    lcd_log(LCD_INFO, "stopping: no new connections; writing what %zu peers already sent",
            srv->nconns);
    if (srv->listener)
        evconnlistener_disable(srv->listener);
    lcd_conn *c, *next;
    for (c = TAILQ_FIRST(&srv->conns); c; c = next) {
        next = TAILQ_NEXT(c, link);
        if (!lcd_conn_is_open(c))
            lcd_conn_free(c);
        else
            lcd_conn_notify_shutdown(c);
    }
    gettimeofday(&srv->drain_start, NULL);
    srv->drain_last_bytes = srv->cnt.bytes_in;
    srv->drain_timer = evtimer_new(srv->base, drain_cb, srv);
    struct timeval tv = {0, DRAIN_TICK_MS * 1000};
    evtimer_add(srv->drain_timer, &tv);
}

lcd_keyset *lcd_keyset_ref(lcd_keyset *k)
{
    k->refs++;
    return k;
}

void lcd_keyset_unref(lcd_keyset *k)
{
    if (k && --k->refs == 0) {
        lcp_keyring_free(&k->ring);
        free(k);
    }
}

static void reload_keys(lcd_server *srv)
{
    char err[512];
    lcd_keyset *ks = calloc(1, sizeof *ks);
    if (!ks) {
        lcd_log(LCD_ERR, "cannot reload keys: out of memory; keeping the old ones");
        return;
    }
    ks->refs = 1;
    if (lcp_keyring_load(&ks->ring, srv->opt->key_file, 1, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "cannot reload keys: %s; keeping the old ones", err);
        free(ks);
        return;
    }
    lcd_keyset_unref(srv->keys);
    srv->keys = ks;
    lcd_log(LCD_INFO, "reloaded %zu key(s) from %s", ks->ring.n, srv->opt->key_file);
    lcd_conn *c, *next;
    for (c = TAILQ_FIRST(&srv->conns); c; c = next) {
        next = TAILQ_NEXT(c, link);
        lcd_conn_check_key(c);
    }
}

void lcd_server_reload(lcd_server *srv)
{
    lcd_output_reopen(srv->out);
    reload_keys(srv);
}

int lcd_server_key_valid(const lcd_server *srv, const lcp_key *k)
{
    const lcp_key *now = lcp_keyring_find(&srv->keys->ring, k->name);
    return now && now->len == k->len && CRYPTO_memcmp(now->bytes, k->bytes, k->len) == 0;
}

#define LOG_PER_SECOND 10

void lcd_server_log_limited(lcd_server *srv, int level, const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (ts.tv_sec != srv->log_window) {
        if (srv->log_suppressed)
            lcd_log(level, "(%u similar messages suppressed)", srv->log_suppressed);
        srv->log_window = ts.tv_sec;
        srv->log_count = 0;
        srv->log_suppressed = 0;
    }
    if (srv->log_count++ >= LOG_PER_SECOND) {
        srv->log_suppressed++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    lcd_vlog(level, fmt, ap);
    va_end(ap);
}

const char *lcd_hs_reason_key(lcd_hs_reason r)
{
    static const char *const keys[LCD_HSR_COUNT] = {
        [LCD_HSR_BAD_MESSAGE] = "bad_message", [LCD_HSR_WRONG_KEY] = "wrong_key",
        [LCD_HSR_LEGACY] = "legacy_md5_refused", [LCD_HSR_DIGEST] = "unsupported_digest",
        [LCD_HSR_REJECTED] = "peer_rejected", [LCD_HSR_NOT_PROTOCOL] = "not_protocol",
        [LCD_HSR_KEY_REMOVED] = "key_removed", [LCD_HSR_CLOSED] = "closed",
        [LCD_HSR_TIMEOUT] = "timeout", [LCD_HSR_TLS] = "tls",
    };
    return (unsigned)r < LCD_HSR_COUNT ? keys[r] : "unknown";
}

uint64_t lcd_server_rejected_total(const lcd_server *srv)
{
    uint64_t n = 0;
    for (int i = 0; i < LCD_REJECT_REASONS; i++)
        n += srv->cnt.records_rejected[i];
    return n;
}

/* Flatten a JSON object into "a.b=1 c=x" words. */
static void flatten(json_t *o, const char *prefix, char *out, size_t cap, size_t *len)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        char name[128];
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (json_is_object(v)) {
            flatten(v, name, out, cap, len);
            continue;
        }
        char val[64];
        if (json_is_integer(v))
            snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(val, sizeof val, "%.1f", json_real_value(v));
        else if (json_is_boolean(v))
            snprintf(val, sizeof val, "%s", json_is_true(v) ? "yes" : "no");
        else
            snprintf(val, sizeof val, "?");
        if (*len < cap) {
            int n = snprintf(out + *len, cap - *len, "%s%s=%s", *len ? " " : "", name, val);
            *len += n > 0 ? (size_t)n : 0;
        }
    }
}

static json_t *status_object(lcd_server *srv);
static void add_limit_counters(lcd_server *srv, json_t *o);

void lcd_server_log_status(lcd_server *srv)
{
    json_t *o = status_object(srv);
    char line[900];
    size_t len = 0;
    line[0] = '\0';
    if (o)
        flatten(o, "", line, sizeof line, &len);
    lcd_log(LCD_NOTICE, "counters: %s", line);
    json_decref(o);
}

/* The handshake and memory limits (--max-handshakes, the failed-handshake
 * slowdown, --max-partial-bytes). */
static void add_limit_counters(lcd_server *srv, json_t *o)
{
    if (!o)
        return;
    json_object_set_new(json_object_get(o, "connections"), "handshaking",
                        json_integer((json_int_t)srv->nhandshakes));
    json_object_set_new(o, "handshakes_dropped", json_integer((json_int_t)srv->cnt.handshakes_dropped));
    json_object_set_new(o, "handshakes_evicted", json_integer((json_int_t)srv->cnt.handshakes_evicted));
    json_object_set_new(o, "partial_bytes", json_integer((json_int_t)srv->budget.used));
    json_object_set_new(o, "partial_waiting", json_integer((json_int_t)srv->budget.nwaiting));
    json_object_set_new(o, "partial_waits", json_integer((json_int_t)srv->budget.waits));
}

/* The counters, for the STATUS reply and the SIGUSR1 line alike. */
static json_t *status_object(lcd_server *srv)
{
    json_t *rej = json_object();
    for (int i = 1; i < LCD_REJECT_REASONS; i++) {
        const char *name = lcp_rec_status_key((lcp_rec_status)i);
        if (strcmp(name, "unknown") != 0)
            json_object_set_new(rej, name, json_integer((json_int_t)srv->cnt.records_rejected[i]));
    }
    json_t *o = json_pack(
        "{s:i,s:I,s:f,s:{s:I,s:I,s:I},s:I,s:I,s:I,s:{s:I,s:o,s:I},s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I}",
        "v", LCP_PROTO_VERSION, "pid", (json_int_t)getpid(), "uptime_s",
        ms_since(&srv->started) / 1e3, "connections", "current", (json_int_t)srv->nconns,
        "total", (json_int_t)srv->cnt.conn_total, "refused_full",
        (json_int_t)srv->cnt.conn_refused_full, "handshakes_failed",
        (json_int_t)srv->cnt.handshakes_failed, "handshakes_delayed",
        (json_int_t)srv->cnt.handshakes_delayed, "protocol_errors",
        (json_int_t)srv->cnt.protocol_errors, "records", "accepted",
        (json_int_t)srv->cnt.records_accepted, "rejected", rej, "duplicate",
        (json_int_t)srv->cnt.records_duplicate, "bytes_in", (json_int_t)srv->cnt.bytes_in,
        "reads_capped", (json_int_t)srv->cnt.reads_capped,
        "bytes_written", (json_int_t)lcd_output_bytes_written(srv->out), "syncs",
        (json_int_t)lcd_output_syncs(srv->out), "write_errors",
        (json_int_t)lcd_output_write_errors(srv->out), "output_failing",
        srv->output_failing, "output_pending", (json_int_t)lcd_output_pending(srv->out),
        "sessions", (json_int_t)lcd_sessions_count(srv->sessions));
    if (o)
        json_object_set_new(o, "output_reopened_missing",
                            json_integer((json_int_t)lcd_output_reopened_missing(srv->out)));
    add_limit_counters(srv, o);
    return o;
}

char *lcd_server_status_json(lcd_server *srv)
{
    json_t *o = status_object(srv);
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

void lcd_server_free(lcd_server *srv)
{
    lcd_conn *c;
    while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
        lcd_conn_free(c);
    if (srv->listener)
        evconnlistener_free(srv->listener);
    if (srv->accept_retry)
        event_free(srv->accept_retry);
    if (srv->drain_timer)
        event_free(srv->drain_timer);
    lcd_output_free(srv->out);
    lcd_sessions_free(srv->sessions);
    lcd_keyset_unref(srv->keys);
    srv->keys = NULL;
    free(srv->scratch);
    srv->scratch = NULL;
    if (srv->tls)
        lcd_tls_context_free(srv->tls);
    srv->tls = NULL;
}
