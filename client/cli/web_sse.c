/*
 * web_sse.c - the live stream of `logcollect web`: GET /events answers
 * with Server-Sent Events.  The first event, "hello", says where the
 * stream starts ({"g":gen,"p":offset}: the page loads history before it,
 * so nothing is missed or shown twice); then each new line that passes the
 * page's filter comes as a message (a row, web.h); "rotated" when the file
 * was replaced or truncated; "skipped" ({"n":N}) when N rows were not sent
 * because the page did not keep up.
 *
 * Bounded: at most WEB_MAX_CLIENTS streams (more get 503); while more than
 * WEB_CLIENT_BACKLOG bytes wait to be sent to a page its rows are skipped
 * (never buffered without bound), and a page that reads nothing for
 * WEB_TIMEOUT_S seconds while bytes wait is disconnected (libevent's write
 * timeout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "line.h"
#include "web.h"

struct web_client {
    web_app *app;
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    lcli_filter filter;
    unsigned long skipped; /* rows not sent since the last "skipped" event */
    web_client *next;
};

json_t *web_row(web_app *a, const char *line, size_t len, json_t *rec, unsigned gen, off_t pos)
{
    struct evbuffer *b = a->scratch;
    json_t *row = json_pack("{s:I,s:I}", "g", (json_int_t)gen, "p", (json_int_t)pos);
    if (!row)
        return NULL;
    if (!json_is_object(rec)) {
        lcli_format_escape(b, line, len);
        json_object_set_new(row, "raw", web_take_text(b));
        return row;
    }
    int lv = lcli_record_level(rec);
    lcli_format_time(b, rec, a->fmt.utc);
    json_object_set_new(row, "t", web_take_text(b));
    json_object_set_new(row, "lv", json_integer(lv));
    json_object_set_new(row, "ln", json_string(lcli_format_level_name(lv)));
    lcli_format_source(b, rec);
    json_object_set_new(row, "src", web_take_text(b));
    lcli_format_msg(b, rec);
    json_object_set_new(row, "msg", web_take_text(b));
    lcli_format_fields(b, rec, a->fmt.verbose, 0);
    json_object_set_new(row, "f", web_take_text(b));
    json_object_set(row, "rec", rec);
    return row;
}

static void client_free(web_client *c)
{
    web_app *a = c->app;
    for (web_client **p = &a->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            a->nclients--;
            break;
        }
    lcli_filter_free(&c->filter);
    free(c);
}

/* The page went away: libevent frees the request after this. */
static void on_close(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    client_free(arg);
}

static size_t backlog(const web_client *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->conn);
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* text: a whole event, ending with a blank line. */
static void send_text(web_client *c, const char *text, size_t n)
{
    struct evbuffer *b = c->app->scratch;
    evbuffer_add(b, text, n);
    evhttp_send_reply_chunk(c->req, b);
    evbuffer_drain(b, evbuffer_get_length(b));
}

static void send_event(web_client *c, const char *type, const char *data)
{
    struct evbuffer *b = c->app->scratch;
    if (type)
        evbuffer_add_printf(b, "event: %s\n", type);
    evbuffer_add_printf(b, "data: %s\n\n", data);
    evhttp_send_reply_chunk(c->req, b);
    evbuffer_drain(b, evbuffer_get_length(b));
}

/* 1 if the page can take more now; else the row is counted as skipped.
 * Rows skipped earlier are announced once there is room again. */
static int has_room(web_client *c)
{
    if (backlog(c) > WEB_CLIENT_BACKLOG) {
        c->skipped++;
        c->app->skipped++;
        return 0;
    }
    if (c->skipped) {
        char data[64];
        snprintf(data, sizeof data, "{\"n\":%lu}", c->skipped);
        send_event(c, "skipped", data);
        c->skipped = 0;
    }
    return 1;
}

void web_sse_start(web_app *a, struct evhttp_request *req, lcli_filter *f)
{
    if (a->nclients >= WEB_MAX_CLIENTS) {
        evhttp_send_error(req, 503, "too many live streams; close another page");
        return;
    }
    web_client *c = calloc(1, sizeof *c);
    if (!c) {
        evhttp_send_error(req, 503, "out of memory");
        return;
    }
    c->app = a;
    c->req = req;
    c->conn = evhttp_request_get_connection(req);
    c->filter = *f;
    lcli_filter_init(f); /* moved */
    c->next = a->clients;
    a->clients = c;
    a->nclients++;
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
    evhttp_send_reply_start(req, 200, "OK");
    evhttp_connection_set_closecb(c->conn, on_close, c);
    char data[64];
    snprintf(data, sizeof data, "{\"g\":%u,\"p\":%lld}", a->gen, (long long)a->pos);
    send_text(c, "retry: 2000\n\n", 13);
    send_event(c, "hello", data);
}

void web_sse_line(web_app *a, const char *line, size_t len, json_t *rec, off_t pos)
{
    char *text = NULL; /* the row, made once for all the pages that want it */
    for (web_client *c = a->clients; c; c = c->next) {
        if (json_is_object(rec) && !lcli_filter_match(&c->filter, rec))
            continue; /* (a line that is not a record is shown, as tail does) */
        if (!has_room(c))
            continue;
        if (!text) {
            json_t *row = web_row(a, line, len, rec, a->gen, pos);
            text = row ? json_dumps(row, JSON_COMPACT) : NULL;
            json_decref(row);
            if (!text)
                return;
        }
        send_event(c, NULL, text);
    }
    free(text);
}

void web_sse_broadcast(web_app *a, const char *type, const char *data)
{
    for (web_client *c = a->clients; c; c = c->next)
        send_event(c, type, data);
}

void web_sse_ping(web_app *a)
{
    for (web_client *c = a->clients; c; c = c->next)
        if (backlog(c) <= WEB_CLIENT_BACKLOG)
            send_text(c, ": ping\n\n", 8);
}

void web_sse_close_all(web_app *a)
{
    while (a->clients) {
        web_client *c = a->clients;
        evhttp_connection_set_closecb(c->conn, NULL, NULL);
        evhttp_send_reply_end(c->req);
        client_free(c);
    }
}
