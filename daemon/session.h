/*
 * session.h - what the daemon remembers about a client session.
 *
 * A session is a client's stream of numbered records (its 128-bit id plus
 * a sequence number per record).  It outlives connections: a client that
 * reconnects re-sends what was not acknowledged, and the daemon skips what
 * it already has, so nothing is written twice while it runs.  Memory is
 * bounded: idle sessions (no connection, nothing pending in the output) are
 * kept in LRU order and the oldest are forgotten past --max-sessions.
 */
#ifndef LCD_SESSION_H
#define LCD_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "control.h"

struct lcd_conn;

typedef struct lcd_session {
    char sid[LCP_SID_HEX + 1]; /* first member: the tree compares it */
    uint64_t written;          /* every seq <= this is in the file or was rejected */
    uint64_t queued;           /* every seq <= this is appended to the output or rejected */
    uint64_t forwarded;        /* --ack-after forward: every seq <= this is in JetStream */
    struct lcd_conn *conn;     /* the connection feeding it, if any */
    unsigned refs;             /* output marks still pending */
    int anonymous;             /* made by the daemon for a peer without HELLO */
    int on_lru;
    TAILQ_ENTRY(lcd_session) lru;
} lcd_session;

typedef struct lcd_sessions lcd_sessions;

lcd_sessions *lcd_sessions_new(size_t max);

/* Find sid or create it.  The session is taken off the idle list. */
lcd_session *lcd_sessions_get(lcd_sessions *t, const char *sid);

/* Find sid; NULL when it is not known (nothing is created). */
lcd_session *lcd_sessions_find(lcd_sessions *t, const char *sid);

/* A fresh anonymous session with a random id, not kept after it is idle. */
lcd_session *lcd_sessions_anonymous(lcd_sessions *t);

/* Call when s loses its connection or a mark resolves: an idle session goes
 * on the LRU list (or is freed, if anonymous), and the oldest are evicted. */
void lcd_sessions_idle_check(lcd_sessions *t, lcd_session *s);

size_t lcd_sessions_count(const lcd_sessions *t);

void lcd_sessions_free(lcd_sessions *t);

#endif
