/*
 * notify.h - talking to the service manager: readiness, reload and stop
 * notifications, a STATUS= line, and the watchdog.  Everything is a no-op
 * when the daemon is not run by systemd (no NOTIFY_SOCKET).
 *
 * The watchdog ping comes from a timer in the event loop, so a loop that
 * wedges stops pinging and systemd restarts the daemon.
 */
#ifndef LCD_NOTIFY_H
#define LCD_NOTIFY_H

struct lcd_server;
struct event;

typedef struct {
    struct lcd_server *srv;
    struct event *watchdog;
    struct event *status;
} lcd_notify;

/* READY=1 with a STATUS= line; starts the watchdog and status timers. */
int lcd_notify_ready(lcd_notify *n, struct lcd_server *srv);
void lcd_notify_reloading(lcd_notify *n);
void lcd_notify_reloaded(lcd_notify *n);
void lcd_notify_stopping(lcd_notify *n);
void lcd_notify_free(lcd_notify *n);

#endif
