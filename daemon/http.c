/*
 * http.c - see http.h.
 *
 * evhttp (libevent 2.1) has no connection limit and no hook when a
 * connection is accepted, only one to make its bufferevent (bevcb).  So:
 * bevcb notes the new bufferevent and wakes adopt_cb, which runs later in
 * the same loop turn, once evhttp has wrapped the bufferevent in its
 * connection (whose pointer is the bufferevent's callback argument); it
 * registers a close callback there, which is how we learn that evhttp
 * freed the connection.  Each tracked connection has a deadline; the
 * heartbeat closes those past it, and a new one past LCD_HTTP_MAX_CONNS
 * closes the least recently active.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "log.h"
#include "metrics.h"
#include "server.h"
#include "tls.h"

typedef struct hconn {
    TAILQ_ENTRY(hconn) link;    /* least recently active first */
    struct lcd_http *h;
    struct bufferevent *bev;
    struct evhttp_connection *evcon; /* NULL until adopt_cb */
    long long deadline_ms;      /* closed then unless a request completes first */
} hconn;

TAILQ_HEAD(hconn_list, hconn);

struct lcd_http {
    struct event_base *base;
    lcd_server *srv;
    struct evhttp *http;
    struct evconnlistener *listener;
    struct event *adopt_ev, *beat_ev;
    struct hconn_list conns;    /* adopted */
    struct hconn_list fresh;    /* accepted, not yet adopted */
    int port;
    long long last_beat_ms;     /* CLOCK_MONOTONIC, stamped by the heartbeat */
    lcd_http_stats stats;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lcd_http_parse_addr(const char *spec, char *host, size_t hostcap, int *port,
                        char *err, size_t errlen)
{
    const char *colon = strrchr(spec, ':');
    const char *h = spec;
    size_t hl = colon ? (size_t)(colon - spec) : 0;
    if (colon && spec[0] == '[') { /* [v6]:port */
        if (hl < 2 || spec[hl - 1] != ']')
            colon = NULL;
        h = spec + 1;
        hl -= 2;
    }
    char *end = NULL;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || hl == 0 || hl >= hostcap || !colon[1] || *end || p < 0 || p > 65535) {
        snprintf(err, errlen, "--http '%s' is not ADDR:PORT (e.g. 127.0.0.1:9464, "
                 "[::1]:9464; port 0 lets the kernel pick)", spec);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (h == spec && strchr(host, ':')) { /* "::1:80": is 80 the port? say [::1]:80 */
        snprintf(err, errlen, "--http '%s': write an IPv6 address in brackets, e.g. "
                 "[::1]:9464", spec);
        return -1;
    }
    unsigned char any[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host, any) != 1 && inet_pton(AF_INET6, host, any) != 1) {
        snprintf(err, errlen, "--http '%s': '%s' is not an IP address", spec, host);
        return -1;
    }
    *port = (int)p;
    return 0;
}

/* ---- connections -------------------------------------------------------- */

static void hconn_free(hconn *c, struct hconn_list *list)
{
    TAILQ_REMOVE(list, c, link);
    free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    hconn *c = arg;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    c->h->stats.connections--;
    hconn_free(c, &c->h->conns);
}

/* Close a connection ourselves.  (Forgotten first: evhttp calls the close
 * callback only for a connection it still counts as connected.) */
static void evict(hconn *c)
{
    lcd_http *h = c->h;
    struct evhttp_connection *evcon = c->evcon;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    h->stats.connections--;
    h->stats.evicted++;
    hconn_free(c, &h->conns);
    evhttp_connection_free(evcon);
}

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
    lcd_http *h = arg;
    hconn *c = calloc(1, sizeof *c);
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!c || !bev) {
        free(c);
        return bev; /* untracked; evhttp's own timeouts still apply */
    }
    c->h = h;
    c->bev = bev;
    TAILQ_INSERT_TAIL(&h->fresh, c, link);
    event_active(h->adopt_ev, EV_READ, 0);
    return bev;
}

static void adopt_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_http *h = arg;
    hconn *c;
    (void)fd;
    (void)what;
    long long deadline = now_ms() + LCD_HTTP_REQUEST_S * 1000;
    while ((c = TAILQ_FIRST(&h->fresh)) != NULL) {
        TAILQ_REMOVE(&h->fresh, c, link);
        void *cbarg = NULL;
        bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
        struct evhttp_connection *evcon = cbarg;
        if (!evcon || evhttp_connection_get_bufferevent(evcon) != c->bev) {
            free(c); /* not what libevent 2.1 does; leave it to evhttp's timeouts */
            continue;
        }
        c->evcon = evcon;
        c->deadline_ms = deadline;
        evhttp_connection_set_closecb(evcon, on_close, c);
        TAILQ_INSERT_TAIL(&h->conns, c, link);
        h->stats.connections++;
    }
    while (h->stats.connections > LCD_HTTP_MAX_CONNS)
        evict(TAILQ_FIRST(&h->conns));
}

static hconn *find_conn(lcd_http *h, struct evhttp_connection *evcon)
{
    hconn *c;
    TAILQ_FOREACH(c, &h->conns, link)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

/* A request was answered: the connection gets a new deadline for the next. */
static void touch(lcd_http *h, struct evhttp_request *req)
{
    hconn *c = find_conn(h, evhttp_request_get_connection(req));
    h->stats.requests++;
    if (!c)
        return;
    c->deadline_ms = now_ms() + LCD_HTTP_REQUEST_S * 1000;
    TAILQ_REMOVE(&h->conns, c, link);
    TAILQ_INSERT_TAIL(&h->conns, c, link);
}

static void beat_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_http *h = arg;
    (void)fd;
    (void)what;
    long long now = now_ms();
    h->last_beat_ms = now;
    hconn *c, *next;
    for (c = TAILQ_FIRST(&h->conns); c; c = next) {
        next = TAILQ_NEXT(c, link);
        if (now >= c->deadline_ms)
            evict(c);
    }
}

/* ---- requests ----------------------------------------------------------- */

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       const char *ctype, const char *body)
{
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", ctype);
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
    evhttp_send_reply(req, code, reason, NULL);
}

static void serve_metrics(lcd_http *h, struct evhttp_request *req)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    lcd_metrics_write(out, h->srv, &h->stats);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    evhttp_add_header(hdr, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    evhttp_send_reply(req, 200, "OK", NULL);
}

/* The health verdict as one line of JSON; returns the HTTP status. */
static int health(lcd_http *h, char **body)
{
    lcd_server *srv = h->srv;
    long long stalled = now_ms() - h->last_beat_ms;
    json_t *o;
    int code = 503;
    int err = lcd_output_last_error(srv->out);
    if (stalled > LCD_HTTP_STALL_MS) {
        o = json_pack("{s:s,s:s,s:I}", "status", "unhealthy", "reason", "event loop stalled",
                      "stalled_ms", (json_int_t)stalled);
    } else if (lcd_output_failing(srv->out)) {
        char why[512];
        snprintf(why, sizeof why, "output blocked: cannot write %s: %s",
                 lcd_output_path(srv->out), strerror(err ? err : EIO));
        o = json_pack("{s:s,s:s,s:b,s:I}", "status", "unhealthy", "reason", why, "disk_full",
                      err == ENOSPC || err == EDQUOT, "pending_bytes",
                      (json_int_t)lcd_output_pending(srv->out));
    } else if (srv->stopping) {
        o = json_pack("{s:s,s:s}", "status", "unhealthy", "reason", "stopping");
    } else {
        code = 200;
        o = json_pack("{s:s,s:I}", "status", "ok", "records_written",
                      (json_int_t)lcd_output_records_written(srv->out));
    }
    *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return code;
}

static void serve_health(lcd_http *h, struct evhttp_request *req)
{
    char *body = NULL;
    int code = health(h, &body);
    size_t n = body ? strlen(body) : 0;
    char *line = malloc(n + 2);
    if (!body || !line) {
        free(body);
        free(line);
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    memcpy(line, body, n);
    memcpy(line + n, "\n", 2);
    reply_text(req, code, code == 200 ? "OK" : "Service Unavailable", "application/json", line);
    free(body);
    free(line);
}

static void request_cb(struct evhttp_request *req, void *arg)
{
    lcd_http *h = arg;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    touch(h, req);
    int known = path && (strcmp(path, "/metrics") == 0 || strcmp(path, "/healthz") == 0);
    if (!known) {
        reply_text(req, 404, "Not Found", "text/plain; charset=utf-8",
                   "not found: this is logcollectord; try /metrics or /healthz\n");
        return;
    }
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        reply_text(req, 405, "Method Not Allowed", "text/plain; charset=utf-8",
                   "method not allowed: GET or HEAD\n");
        return;
    }
    if (strcmp(path, "/metrics") == 0)
        serve_metrics(h, req);
    else
        serve_health(h, req);
}

/* ---- life --------------------------------------------------------------- */

static int bind_listener(lcd_http *h, const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "--http %s: %s", host, gai_strerror(rc));
        return -1;
    }
    h->listener = evconnlistener_new_bind(h->base, NULL, NULL,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
                                              LEV_OPT_REUSEABLE,
                                          LCD_HTTP_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!h->listener) {
        snprintf(err, errlen, "cannot listen for --http on %s port %d: %s (choose another "
                 "port, or 0)", host, port, strerror(errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evconnlistener_get_fd(h->listener), (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, ps, sizeof ps, NI_NUMERICSERV) != 0) {
        snprintf(err, errlen, "cannot read the --http address: %s", strerror(errno));
        return -1;
    }
    h->port = atoi(ps);
    if (!evhttp_bind_listener(h->http, h->listener)) {
        snprintf(err, errlen, "cannot serve HTTP on %s port %d", host, h->port);
        return -1;
    }
    h->listener = NULL; /* evhttp owns it now */
    return 0;
}

static void configure(lcd_http *h)
{
    evhttp_set_max_headers_size(h->http, LCD_HTTP_MAX_HEADERS);
    evhttp_set_max_body_size(h->http, LCD_HTTP_MAX_BODY);
    evhttp_set_timeout(h->http, LCD_HTTP_IO_TIMEOUT_S);
    /* Every method reaches request_cb, which answers 405 (not evhttp's 501). */
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(h->http, request_cb, h);
    evhttp_set_bevcb(h->http, bev_cb, h);
}

lcd_http *lcd_http_new(struct event_base *base, lcd_server *srv, const char *spec,
                       int allow_remote, char *err, size_t errlen)
{
    char host[64];
    int port;
    if (lcd_http_parse_addr(spec, host, sizeof host, &port, err, errlen) != 0)
        return NULL;
    if (!allow_remote && !lcd_is_loopback(host)) {
        snprintf(err, errlen, "--http %s is not a loopback address: /metrics and /healthz "
                 "would be open to the network (plain HTTP, no authentication); give "
                 "--http-allow-remote to mean it", spec);
        return NULL;
    }
    lcd_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->base = base;
    h->srv = srv;
    TAILQ_INIT(&h->conns);
    TAILQ_INIT(&h->fresh);
    h->http = evhttp_new(base);
    h->adopt_ev = event_new(base, -1, 0, adopt_cb, h);
    h->beat_ev = event_new(base, -1, EV_PERSIST, beat_cb, h);
    if (!h->http || !h->adopt_ev || !h->beat_ev) {
        snprintf(err, errlen, "out of memory");
        lcd_http_free(h);
        return NULL;
    }
    configure(h);
    if (bind_listener(h, host, port, err, errlen) != 0) {
        lcd_http_free(h);
        return NULL;
    }
    struct timeval tv = {0, LCD_HTTP_BEAT_MS * 1000};
    event_add(h->beat_ev, &tv);
    h->last_beat_ms = now_ms();
    return h;
}

int lcd_http_port(const lcd_http *h)
{
    return h->port;
}

const lcd_http_stats *lcd_http_get_stats(const lcd_http *h)
{
    return &h->stats;
}

void lcd_http_free(lcd_http *h)
{
    if (!h)
        return;
    if (h->http)
        evhttp_free(h->http); /* closes every connection: on_close frees each hconn */
    if (h->listener)
        evconnlistener_free(h->listener);
    hconn *c;
    while ((c = TAILQ_FIRST(&h->conns)) != NULL)
        hconn_free(c, &h->conns);
    while ((c = TAILQ_FIRST(&h->fresh)) != NULL)
        hconn_free(c, &h->fresh);
    if (h->adopt_ev)
        event_free(h->adopt_ev);
    if (h->beat_ev)
        event_free(h->beat_ev);
    free(h);
}
