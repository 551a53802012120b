/*
 * notify.c - sd_notify(3) integration; see notify.h.
 */
#include "notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "server.h"

#define STATUS_EVERY_S 5

static void send_status(lcd_notify *n, const char *extra)
{
    lcd_server *srv = n->srv;
    char line[512];
    snprintf(line, sizeof line,
             "%sSTATUS=listening on %s port %d; %zu clients; %" PRIu64 " records written, "
             "%" PRIu64 " rejected%s",
             extra, srv->host, srv->port, srv->nconns, srv->cnt.records_accepted,
             lcd_server_rejected_total(srv),
             srv->output_failing ? "; OUTPUT FAILING, not acknowledging" : "");
    sd_notify(0, line);
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    sd_notify(0, "WATCHDOG=1");
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    send_status(arg, "");
}

int lcd_notify_ready(lcd_notify *n, lcd_server *srv)
{
    memset(n, 0, sizeof *n);
    n->srv = srv;
    send_status(n, "READY=1\n");
    if (!getenv("NOTIFY_SOCKET"))
        return 0;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        /* Ping at half the interval, as sd_watchdog_enabled(3) advises. */
        uint64_t half = usec / 2;
        struct timeval tv = {(time_t)(half / 1000000), (suseconds_t)(half % 1000000)};
        n->watchdog = event_new(srv->base, -1, EV_PERSIST, watchdog_cb, n);
        if (!n->watchdog || event_add(n->watchdog, &tv) != 0) {
            lcd_log(LCD_ERR, "cannot start the watchdog timer");
            return -1;
        }
        sd_notify(0, "WATCHDOG=1");
    }
    struct timeval st = {STATUS_EVERY_S, 0};
    n->status = event_new(srv->base, -1, EV_PERSIST, status_cb, n);
    if (n->status)
        event_add(n->status, &st);
    return 0;
}

static void notify_monotonic(const char *what)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[96];
    snprintf(line, sizeof line, "%s\nMONOTONIC_USEC=%lld", what,
             (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
    sd_notify(0, line);
}

void lcd_notify_reloading(lcd_notify *n)
{
    (void)n;
    notify_monotonic("RELOADING=1");
}

void lcd_notify_reloaded(lcd_notify *n)
{
    send_status(n, "READY=1\n");
}

void lcd_notify_stopping(lcd_notify *n)
{
    (void)n;
    sd_notify(0, "STOPPING=1\nSTATUS=stopping: writing what clients already sent");
}

void lcd_notify_free(lcd_notify *n)
{
    if (n->watchdog)
        event_free(n->watchdog);
    if (n->status)
        event_free(n->status);
    n->watchdog = n->status = NULL;
}
