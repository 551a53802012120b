/*
 * web_conns.h - a bound on the connections of `logcollect web`: at most
 * WEB_MAX_CONNS at once (a new one past it closes the least recently
 * active), and a connection that has not sent a complete request head
 * within WEB_REQUEST_S seconds is closed.  A live stream (SSE), once
 * answered, is exempt from the deadline but still counts.
 *
 * The same technique as the daemon's daemon/http.c (see its top comment);
 * it is a short copy rather than a shared file because it is libevent code
 * (proto/ is pure) and the two differ in what they count and exempt.
 */
#ifndef LCLI_WEB_CONNS_H
#define LCLI_WEB_CONNS_H

#define WEB_MAX_CONNS 64   /* connections at once, live streams included */
#define WEB_REQUEST_S 10   /* to send a complete request head */
#define WEB_BEAT_MS 250    /* deadlines are checked this often */

struct event_base;
struct evhttp;
struct evhttp_connection;
typedef struct web_conns web_conns;

/* Track every connection of http (installs its bevcb): NULL if out of memory. */
web_conns *web_conns_new(struct event_base *base, struct evhttp *http);
/* A request arrived on evcon: a new deadline, and most recently active. */
void web_conns_touch(web_conns *w, struct evhttp_connection *evcon);
/* evcon now carries a live stream: no deadline. */
void web_conns_exempt(web_conns *w, struct evhttp_connection *evcon);
/* Call after evhttp_free. */
void web_conns_free(web_conns *w);

#endif
