/*
 * web_conns.c - see web_conns.h.
 *
 * evhttp (libevent 2.1) has no connection limit and no hook when a
 * connection is accepted, only one to make its bufferevent (bevcb).  So
 * bev_cb notes the new bufferevent and wakes adopt_cb, which runs later in
 * the same loop turn, once evhttp has wrapped it in its connection (the
 * bufferevent's callback argument); a close callback there tells us when
 * evhttp frees the connection.
 */
#include "web_conns.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

typedef struct wconn {
    TAILQ_ENTRY(wconn) link;    /* least recently active first */
    web_conns *w;
    struct bufferevent *bev;
    struct evhttp_connection *evcon;
    long long deadline_ms;      /* LLONG_MAX: a live stream */
} wconn;

TAILQ_HEAD(wconn_list, wconn);

struct web_conns {
    struct wconn_list conns;    /* adopted */
    struct wconn_list fresh;    /* accepted, not yet adopted */
    int n;                      /* in conns */
    struct event *adopt_ev, *beat_ev;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void forget(wconn *c)
{
    TAILQ_REMOVE(&c->w->conns, c, link);
    c->w->n--;
    free(c);
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    forget(arg);
}

/* Close a connection ourselves (forgotten first: evhttp calls the close
 * callback only for a connection it still counts as connected). */
static void evict(wconn *c)
{
    struct evhttp_connection *evcon = c->evcon;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    forget(c);
    evhttp_connection_free(evcon);
}

static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
    web_conns *w = arg;
    wconn *c = calloc(1, sizeof *c);
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!c || !bev) {
        free(c);
        return bev; /* untracked; evhttp's own timeout still applies */
    }
    c->w = w;
    c->bev = bev;
    TAILQ_INSERT_TAIL(&w->fresh, c, link);
    event_active(w->adopt_ev, EV_READ, 0);
    return bev;
}

static void adopt_cb(evutil_socket_t fd, short what, void *arg)
{
    web_conns *w = arg;
    wconn *c;
    (void)fd;
    (void)what;
    long long deadline = now_ms() + WEB_REQUEST_S * 1000;
    while ((c = TAILQ_FIRST(&w->fresh)) != NULL) {
        TAILQ_REMOVE(&w->fresh, c, link);
        void *cbarg = NULL;
        bufferevent_getcb(c->bev, NULL, NULL, NULL, &cbarg);
        struct evhttp_connection *evcon = cbarg;
        if (!evcon || evhttp_connection_get_bufferevent(evcon) != c->bev) {
            free(c); /* not what libevent 2.1 does; left to evhttp's timeout */
            continue;
        }
        c->evcon = evcon;
        c->deadline_ms = deadline;
        evhttp_connection_set_closecb(evcon, on_close, c);
        TAILQ_INSERT_TAIL(&w->conns, c, link);
        w->n++;
    }
    while (w->n > WEB_MAX_CONNS)
        evict(TAILQ_FIRST(&w->conns));
}

static void beat_cb(evutil_socket_t fd, short what, void *arg)
{
    web_conns *w = arg;
    (void)fd;
    (void)what;
    long long now = now_ms();
    wconn *c, *next;
    for (c = TAILQ_FIRST(&w->conns); c; c = next) {
        next = TAILQ_NEXT(c, link);
        if (now >= c->deadline_ms)
            evict(c);
    }
}

static wconn *find(web_conns *w, struct evhttp_connection *evcon)
{
    wconn *c;
    TAILQ_FOREACH(c, &w->conns, link)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

static void renew(web_conns *w, struct evhttp_connection *evcon, long long deadline)
{
    wconn *c = find(w, evcon);
    if (!c)
        return;
    c->deadline_ms = deadline;
    TAILQ_REMOVE(&w->conns, c, link);
    TAILQ_INSERT_TAIL(&w->conns, c, link);
}

void web_conns_touch(web_conns *w, struct evhttp_connection *evcon)
{
    renew(w, evcon, now_ms() + WEB_REQUEST_S * 1000);
}

void web_conns_exempt(web_conns *w, struct evhttp_connection *evcon)
{
    renew(w, evcon, LLONG_MAX);
}

web_conns *web_conns_new(struct event_base *base, struct evhttp *http)
{
    web_conns *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    TAILQ_INIT(&w->conns);
    TAILQ_INIT(&w->fresh);
    w->adopt_ev = event_new(base, -1, 0, adopt_cb, w);
    w->beat_ev = event_new(base, -1, EV_PERSIST, beat_cb, w);
    struct timeval tv = {0, WEB_BEAT_MS * 1000};
    if (!w->adopt_ev || !w->beat_ev || event_add(w->beat_ev, &tv) != 0) {
        web_conns_free(w);
        return NULL;
    }
    evhttp_set_bevcb(http, bev_cb, w);
    return w;
}

void web_conns_free(web_conns *w)
{
    if (!w)
        return;
    wconn *c;
    while ((c = TAILQ_FIRST(&w->conns)) != NULL)
        forget(c);
    while ((c = TAILQ_FIRST(&w->fresh)) != NULL) {
        TAILQ_REMOVE(&w->fresh, c, link);
        free(c);
    }
    if (w->adopt_ev)
        event_free(w->adopt_ev);
    if (w->beat_ev)
        event_free(w->beat_ev);
    free(w);
}
