/*
 * http.h - the daemon's HTTP face (--http ADDR:PORT): GET /metrics (the
 * Prometheus text format, metrics.c) and GET /healthz, served by libevent's
 * evhttp on the daemon's own event loop.
 *
 * It must never slow the record path or let a peer take the daemon's
 * resources, so everything is bounded: at most LCD_HTTP_MAX_CONNS
 * connections (past that the least recently active one is closed), a
 * request's head at most LCD_HTTP_MAX_HEADERS bytes and its body
 * LCD_HTTP_MAX_BODY, LCD_HTTP_IO_TIMEOUT_S seconds of silence, and a
 * connection that has not completed a request within LCD_HTTP_REQUEST_S
 * seconds (a slow sender, "slowloris") is closed whatever it sends.
 *
 * Health is computed from what the loop leaves behind: a heartbeat timer
 * stamps the time every LCD_HTTP_BEAT_MS.  A loop that is stuck cannot
 * answer at all (the checker sees its request time out); a request
 * answered right after a stall sees the old stamp and gets 503 "event loop
 * stalled".
 */
#ifndef LCD_HTTP_H
#define LCD_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct lcd_server;

#define LCD_HTTP_MAX_CONNS 64
#define LCD_HTTP_BACKLOG 64
#define LCD_HTTP_MAX_HEADERS 8192
#define LCD_HTTP_MAX_BODY 4096
#define LCD_HTTP_IO_TIMEOUT_S 5
#define LCD_HTTP_REQUEST_S 10
#define LCD_HTTP_BEAT_MS 250
#define LCD_HTTP_STALL_MS 2000

typedef struct lcd_http_stats {
    uint64_t connections; /* open now */
    uint64_t requests;    /* answered */
    uint64_t evicted;     /* closed by us: too slow, or to make room */
} lcd_http_stats;

typedef struct lcd_http lcd_http;

/* Split "ADDR:PORT" ("[v6]:PORT" for IPv6) into host and port (0..65535).
 * Returns 0, or -1 with err. */
int lcd_http_parse_addr(const char *spec, char *host, size_t hostcap, int *port,
                        char *err, size_t errlen);

/* Bind spec and serve.  A non-loopback address needs allow_remote.
 * Returns NULL with err on failure. */
lcd_http *lcd_http_new(struct event_base *base, struct lcd_server *srv, const char *spec,
                       int allow_remote, char *err, size_t errlen);

/* The bound port (the kernel's choice for port 0). */
int lcd_http_port(const lcd_http *h);

const lcd_http_stats *lcd_http_get_stats(const lcd_http *h);

void lcd_http_free(lcd_http *h);

#endif
