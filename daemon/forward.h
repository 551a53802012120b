/*
 * forward.h - forward every line of the output file to NATS JetStream
 * (--forward-nats; built only with libnats-dev, LCD_HAVE_NATS).
 *
 * The output file is the spool (spool.h): the forwarder reads it behind
 * the writer, in bounded chunks, and publishes each line asynchronously
 * (js_PublishMsgAsync, at most --forward-window unacknowledged) with the
 * header Nats-Msg-Id (fwdstate.h), so JetStream's duplicate window drops a
 * line sent twice.  Its position -- the file and offset up to which
 * JetStream acknowledged every line -- is kept in OUTPUT.forward
 * (fwdstate.h), saved at most every STATE_SAVE_MS and at exit.  Clients'
 * acks do not wait for any of this (unless --ack-after forward): NATS down
 * or slow, the records still land in the file and are sent when it is
 * back, across restarts and rotations.
 *
 * Everything runs on the daemon's event loop through nats.c's libevent
 * adapter; nothing blocks it.  nats.c calls back on its own threads (acks,
 * connection events); those callbacks only queue what happened and wake
 * the loop.  The one blocking call, the stream check (js_GetStreamInfo /
 * js_AddStream: a request whose reply the loop itself reads), runs on a
 * short-lived thread of its own.
 */
#ifndef LCD_FORWARD_H
#define LCD_FORWARD_H

#include <stdint.h>

#include "options.h"
#include "output.h"

struct event_base;
typedef struct lcd_forward lcd_forward;

/* The forwarder's counters, in one place (STATUS, SIGUSR1, an exporter). */
typedef struct {
    uint64_t forwarded;      /* lines JetStream acknowledged (stored or known duplicates) */
    uint64_t duplicates;     /* of those, acknowledged as duplicates (sent before) */
    uint64_t published;      /* publish calls, resends included */
    uint64_t resends;        /* times the window was sent again from the last ack */
    uint64_t lost;           /* lines given up unsent (--forward-max-files) */
    uint64_t lost_files;     /* files gone before they were finished (at start-up) */
    uint64_t errors;         /* failed publishes, negative acks, timeouts */
    uint64_t inflight;       /* published, not yet acknowledged */
    uint64_t behind_bytes;   /* bytes of the output not yet acknowledged */
    uint64_t files;          /* files held open (rotated and unfinished, + the live one) */
    double rtt_ms;           /* publish round trip (moving average) */
    const char *state;       /* connecting, connected, disconnected, stream-missing, ... */
    char last_error[256];
} lcd_fwd_counters;

/* What the server hears from the forwarder (all optional). */
typedef struct {
    /* JetStream acknowledged the line with this Nats-Msg-Id, and every one
     * before it in the file (called in file order)... */
    void (*committed)(const char *msgid, void *arg);
    /* ...and after each run of them */
    void (*committed_done)(void *arg);
    /* publishing is impossible (1: NATS unreachable, stream missing) or
     * possible again (0); called on each change, and at once when set */
    void (*blocked)(int blocked, void *arg);
    void *arg;
} lcd_forward_hooks;

void lcd_forward_set_hooks(lcd_forward *f, const lcd_forward_hooks *hooks);

/* Before the event base is created (nats.c's adapter wants a thread-safe
 * libevent).  Returns 0, or -1 with err (built without NATS support). */
int lcd_forward_global_init(const lcd_options *opt, char *err, size_t errlen);

/* Start forwarding from the saved position.  NATS being down is not an
 * error (it connects when it can); bad settings are. */
lcd_forward *lcd_forward_new(struct event_base *base, const lcd_options *opt,
                             lcd_output *out, char *err, size_t errlen);

/* The output opened a new file (output hook "opened"). */
void lcd_forward_opened(lcd_forward *f, int fd, uint64_t dev, uint64_t ino);

/* The output wrote something: publish what is new. */
void lcd_forward_kick(lcd_forward *f);

/* SIGTERM: publish nothing new, wait (bounded) for the acks of what is in
 * flight, save the position, close the connection.  Then done is true. */
void lcd_forward_stop(lcd_forward *f);
int lcd_forward_done(const lcd_forward *f);

const lcd_fwd_counters *lcd_forward_counters(lcd_forward *f);

void lcd_forward_free(lcd_forward *f);

#endif
