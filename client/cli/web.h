/*
 * web.h - the pieces of `logcollect web` (web.c, web_follow.c, web_sse.c,
 * web_history.c): one process, one libevent loop, one followed file.
 *
 * web.c        options, the HTTP server, access (token, cookie), the
 *              embedded page, the security headers, /stats
 * web_follow.c the file followed like tail -F; every new line goes to the
 *              SSE clients and into the per-second counts of the chart
 * web_sse.c    the live stream (Server-Sent Events) to at most
 *              WEB_MAX_CLIENTS pages, each with its own filter; a page
 *              that does not keep up is skipped ahead, then dropped
 * web_history.c older lines, read backwards from a position in bounded
 *              chunks (never the whole file)
 * web_conns.c  at most 64 connections, 10 s each to send a request head
 *
 * A row sent to the page is a JSON object: g (file generation: +1 at each
 * rotation or truncation), p (the line's offset in that file), and either
 * raw (a line that is not a JSON object, escaped) or t (time), lv (level
 * 0..7), ln (its name), src (app[pid]), msg, f (the other fields as
 * key=value) - all formatted and escaped by columns.c as tail shows them -
 * and rec (the record itself, for the detail view).
 */
#ifndef LCLI_WEB_H
#define LCLI_WEB_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "columns.h"
#include "filter.h"

#define WEB_MAX_CLIENTS 16            /* live streams at once; more get 503 */
#define WEB_CLIENT_BACKLOG (1 << 20)  /* bytes queued to a stream before it is skipped */
#define WEB_TIMEOUT_S 30              /* a request read, or a queued write, that stalls */
#define WEB_CHART_SECONDS 900         /* the chart: the last 15 minutes */
#define WEB_POLL_MS 100               /* the file is checked this often */
#define WEB_READ_BUDGET (8 << 20)     /* bytes read from the file per check */
#define WEB_LINE_MAX (4 << 20)        /* a longer line is skipped (history) or cut */

struct event_base;
struct evhttp_request;
struct evbuffer;
typedef struct web_client web_client;

typedef struct {
    struct event_base *base;
    lcli_format_opts fmt;
    struct evbuffer *scratch;

    /* the followed file */
    const char *path;
    int fd;
    unsigned gen;
    off_t pos;                  /* offset of pend[0] in the file */
    char *pend;                 /* the line being written */
    size_t pend_len, pend_cap;
    struct event *tick;

    /* the chart: records per second by level, by the record's time */
    long long chart_sec[WEB_CHART_SECONDS];
    unsigned chart_n[WEB_CHART_SECONDS][8];

    /* live streams */
    web_client *clients;
    int nclients;
    unsigned long long skipped; /* rows not sent to slow pages, in all */
} web_app;

/* ---- web_follow.c ---- */
/* Open app->path and start after its last complete line: 0, or -1 with a
 * message on stderr. */
int web_follow_open(web_app *a);
/* Start the polling timer. */
int web_follow_start(web_app *a);
void web_follow_close(web_app *a);
/* Count a record in the chart (now: the current time in seconds). */
void web_chart_count(web_app *a, json_t *rec, long long now);
/* The chart as JSON: {"now":S,"s":[[second,c0..c7],...]} (non-empty seconds). */
json_t *web_chart_json(const web_app *a);

/* ---- web_sse.c ---- */
/* A row for the page (see above); NULL when out of memory. */
json_t *web_row(web_app *a, const char *line, size_t len, json_t *rec, unsigned gen, off_t pos);
/* Take a request for /events with its filter (moved into the stream). */
void web_sse_start(web_app *a, struct evhttp_request *req, lcli_filter *f);
/* A new line of the file, to every stream whose filter it passes. */
void web_sse_line(web_app *a, const char *line, size_t len, json_t *rec, off_t pos);
/* An event of another type to every stream (data: JSON text). */
void web_sse_broadcast(web_app *a, const char *type, const char *data);
/* A comment to every stream, so dead peers are noticed. */
void web_sse_ping(web_app *a);
void web_sse_close_all(web_app *a);

/* ---- web_history.c ---- */
/* Up to n rows passing f that end before offset `before` of generation
 * gen (mid: `before` is inside a line too long to show, skip it), oldest
 * first: {"rows":[...],"next":P,"mid":bool,"done":bool}; next and mid say
 * where to continue (the reading stops after a bounded number of bytes
 * even if fewer rows were found), done when the start of the file was
 * reached or the file of that generation is gone.  NULL when out of
 * memory. */
json_t *web_history(web_app *a, const lcli_filter *f, unsigned gen, off_t before, int mid,
                    int n);

/* ---- web.c ---- */
/* A string for JSON from escaped text that may hold invalid UTF-8 (a line
 * that is not JSON): bytes >= 0x80 that jansson refuses become \xNN. */
json_t *web_text(const char *s, size_t n);
/* The contents of an evbuffer as such a string, and empty it. */
json_t *web_take_text(struct evbuffer *b);

#endif
