/*
 * session.c - see session.h.  A tsearch(3) tree keyed by session id (looked
 * up once per connection, never per record) and a TAILQ for LRU order.
 */
#include "session.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

TAILQ_HEAD(session_list, lcd_session);

struct lcd_sessions {
    void *root;
    size_t count, max;
    struct session_list idle;
};

static int cmp_sid(const void *a, const void *b)
{
    return strcmp(((const lcd_session *)a)->sid, ((const lcd_session *)b)->sid);
}

lcd_sessions *lcd_sessions_new(size_t max)
{
    lcd_sessions *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max;
    TAILQ_INIT(&t->idle);
    return t;
}

static void take_off_lru(lcd_sessions *t, lcd_session *s)
{
    if (s->on_lru) {
        TAILQ_REMOVE(&t->idle, s, lru);
        s->on_lru = 0;
    }
}

lcd_session *lcd_sessions_find(lcd_sessions *t, const char *sid)
{
    lcd_session key;
    memcpy(key.sid, sid, sizeof key.sid);
    key.sid[LCP_SID_HEX] = '\0';
    lcd_session **found = tfind(&key, &t->root, cmp_sid);
    return found ? *found : NULL;
}

lcd_session *lcd_sessions_get(lcd_sessions *t, const char *sid)
{
    lcd_session key;
    memcpy(key.sid, sid, sizeof key.sid);
    key.sid[LCP_SID_HEX] = '\0';
    lcd_session **found = tfind(&key, &t->root, cmp_sid);
    if (found) {
        take_off_lru(t, *found);
        return *found;
    }
    lcd_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    memcpy(s->sid, key.sid, sizeof s->sid);
    if (!tsearch(s, &t->root, cmp_sid)) {
        free(s);
        return NULL;
    }
    t->count++;
    return s;
}

lcd_session *lcd_sessions_anonymous(lcd_sessions *t)
{
    (void)t;
    uint8_t raw[16];
    lcd_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (RAND_bytes(raw, sizeof raw) != 1) {
        free(s);
        return NULL;
    }
    lcp_sid_format(s->sid, raw);
    s->anonymous = 1;
    return s;
}

static void evict(lcd_sessions *t)
{
    while (t->count > t->max && !TAILQ_EMPTY(&t->idle)) {
        lcd_session *old = TAILQ_FIRST(&t->idle);
        take_off_lru(t, old);
        tdelete(old, &t->root, cmp_sid);
        t->count--;
        free(old);
    }
}

void lcd_sessions_idle_check(lcd_sessions *t, lcd_session *s)
{
    if (s->conn || s->refs)
        return;
    if (s->anonymous) {
        free(s);
        return;
    }
    if (!s->on_lru) {
        TAILQ_INSERT_TAIL(&t->idle, s, lru);
        s->on_lru = 1;
    }
    evict(t);
}

size_t lcd_sessions_count(const lcd_sessions *t)
{
    return t->count;
}

void lcd_sessions_free(lcd_sessions *t)
{
    if (!t)
        return;
    tdestroy(t->root, free);
    free(t);
}
