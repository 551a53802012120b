/*
 * test_session.c - unit tests for daemon/session.c: the table of client
 * sessions (find or create by id), anonymous sessions, and the LRU list of
 * idle sessions that bounds memory.
 *
 * A session is "busy" while it has a connection (s->conn, here a dummy
 * pointer that is never followed) or pending output marks (s->refs > 0).
 * Whether a session is still remembered is seen through get(): a remembered
 * one comes back with the marker the test left in s->written, a forgotten
 * one is created anew with written == 0.  Leaks and use after free are left
 * to the sanitizer build.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "session.h"

static int dummy_conn;
#define DUMMY_CONN ((struct lcd_conn *)&dummy_conn)

/* The session id for n, in a heap block of exactly LCP_SID_HEX + 1 bytes
 * so that a read past it is caught; free it after use. */
static char *sid_of(unsigned n)
{
    char *s = malloc(LCP_SID_HEX + 1);
    ck_assert_ptr_nonnull(s);
    snprintf(s, LCP_SID_HEX + 1, "%032x", n);
    return s;
}

static lcd_session *get(lcd_sessions *t, unsigned n)
{
    char *sid = sid_of(n);
    lcd_session *s = lcd_sessions_get(t, sid);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s->sid, sid);
    free(sid); /* the session keeps its own copy */
    return s;
}

/* A new session for n, marked, that goes idle at once. */
static void add_idle(lcd_sessions *t, unsigned n)
{
    lcd_session *s = get(t, n);
    ck_assert_msg(s->written == 0, "session %u already known", n);
    s->written = 1000 + n;
    lcd_sessions_idle_check(t, s);
}

/* Whether n is remembered.  Either way n is busy afterwards (found, or
 * created anew): check every session of interest once, at the end. */
static int remembered(lcd_sessions *t, unsigned n)
{
    lcd_session *s = get(t, n);
    if (s->written == 0)
        return 0;
    ck_assert_msg(s->written == 1000 + n, "session %u has the marker of %u", n,
                  (unsigned)(s->written - 1000));
    return 1;
}

/* ============================ find or create ============================ */

START_TEST(test_get_creates_then_finds)
{
    lcd_sessions *t = lcd_sessions_new(16);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(lcd_sessions_count(t), 0);

    lcd_session *a = get(t, 0xa);
    ck_assert_uint_eq(lcd_sessions_count(t), 1);
    ck_assert_str_eq(a->sid, "0000000000000000000000000000000a");
    ck_assert_uint_eq(a->written, 0);
    ck_assert_uint_eq(a->queued, 0);
    ck_assert_ptr_null(a->conn);
    ck_assert_uint_eq(a->refs, 0);
    ck_assert_int_eq(a->anonymous, 0);
    ck_assert_int_eq(a->on_lru, 0);
    a->written = 7;
    a->queued = 9;

    /* the same id finds the same session, state and all */
    ck_assert_ptr_eq(get(t, 0xa), a);
    ck_assert_uint_eq(lcd_sessions_count(t), 1);
    ck_assert_uint_eq(a->written, 7);
    ck_assert_uint_eq(a->queued, 9);

    /* another id is another session */
    lcd_session *b = get(t, 0xb);
    ck_assert_ptr_ne(b, a);
    ck_assert_uint_eq(b->written, 0);
    ck_assert_uint_eq(lcd_sessions_count(t), 2);
    ck_assert_ptr_eq(get(t, 0xa), a);
    ck_assert_ptr_eq(get(t, 0xb), b);
    ck_assert_uint_eq(lcd_sessions_count(t), 2);

    /* only the first LCP_SID_HEX characters are the id */
    char longer[LCP_SID_HEX + 8];
    snprintf(longer, sizeof longer, "%032xffff", 0xbu);
    ck_assert_ptr_eq(lcd_sessions_get(t, longer), b);
    ck_assert_uint_eq(lcd_sessions_count(t), 2);

    /* an idle session is found again, and leaves the idle list */
    lcd_sessions_idle_check(t, a);
    ck_assert_int_eq(a->on_lru, 1);
    ck_assert_ptr_eq(get(t, 0xa), a);
    ck_assert_int_eq(a->on_lru, 0);
    ck_assert_uint_eq(lcd_sessions_count(t), 2);

    /* many: each found again, none mixed up */
    static lcd_session *many[2000];
    for (unsigned i = 0; i < 2000; i++) {
        many[i] = get(t, 0x10000 + i * 7919u);
        if (many[i]->written != 0)
            ck_abort_msg("session %u is not new", i);
        many[i]->written = i + 1;
    }
    ck_assert_uint_eq(lcd_sessions_count(t), 2002);
    for (unsigned i = 2000; i-- > 0;) {
        char *sid = sid_of(0x10000 + i * 7919u);
        lcd_session *s = lcd_sessions_get(t, sid);
        free(sid);
        if (s != many[i] || s->written != i + 1)
            ck_abort_msg("session %u not found again", i);
    }
    ck_assert_uint_eq(lcd_sessions_count(t), 2002);
    lcd_sessions_free(t);
}
END_TEST

/* ============================ anonymous ============================ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_anonymous)
{
    lcd_sessions *t = lcd_sessions_new(16);
    ck_assert_ptr_nonnull(t);

    lcd_session *a = lcd_sessions_anonymous(t);
    lcd_session *b = lcd_sessions_anonymous(t);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(lcp_sid_valid(a->sid), 1);
    ck_assert_int_eq(lcp_sid_valid(b->sid), 1);
    ck_assert_str_ne(a->sid, b->sid);
    ck_assert_int_eq(a->anonymous, 1);
    ck_assert_uint_eq(a->written, 0);
    ck_assert_uint_eq(a->queued, 0);
    ck_assert_ptr_null(a->conn);
    ck_assert_uint_eq(a->refs, 0);
    ck_assert_int_eq(a->on_lru, 0);
    /* not in the table: not counted, not found by id */
    ck_assert_uint_eq(lcd_sessions_count(t), 0);
    lcd_session *named = lcd_sessions_get(t, a->sid);
    ck_assert_ptr_nonnull(named);
    ck_assert_ptr_ne(named, a);
    ck_assert_int_eq(named->anonymous, 0);
    ck_assert_uint_eq(lcd_sessions_count(t), 1);

    /* busy: kept (the sanitizer build sees any use after free) */
    a->conn = DUMMY_CONN;
    lcd_sessions_idle_check(t, a);
    a->written = 5;
    a->conn = NULL;
    a->refs = 2;
    lcd_sessions_idle_check(t, a);
    a->refs = 1;
    lcd_sessions_idle_check(t, a);
    a->written = 6;
    ck_assert_int_eq(a->on_lru, 0);
    /* idle: freed (a leak would fail the sanitizer build) */
    a->refs = 0;
    lcd_sessions_idle_check(t, a);
    lcd_sessions_idle_check(t, b);
    ck_assert_uint_eq(lcd_sessions_count(t), 1);

    /* many, all valid and distinct */
    enum { N = 500 };
    static lcd_session *v[N];
    static char *ids[N];
    for (int i = 0; i < N; i++) {
        v[i] = lcd_sessions_anonymous(t);
        if (!v[i] || !lcp_sid_valid(v[i]->sid) || !v[i]->anonymous)
            ck_abort_msg("anonymous session %d: bad", i);
        ids[i] = v[i]->sid;
    }
    qsort(ids, N, sizeof ids[0], cmp_str);
    for (int i = 1; i < N; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            ck_abort_msg("id %s given twice", ids[i]);
    ck_assert_uint_eq(lcd_sessions_count(t), 1);
    for (int i = 0; i < N; i++)
        lcd_sessions_idle_check(t, v[i]);
    ck_assert_uint_eq(lcd_sessions_count(t), 1);
    lcd_sessions_free(t);
}
END_TEST

START_TEST(test_anonymous_evict_nothing)
{
    /* anonymous sessions neither count against max nor push named ones out */
    lcd_sessions *t = lcd_sessions_new(2);
    ck_assert_ptr_nonnull(t);
    add_idle(t, 1);
    add_idle(t, 2);
    for (int i = 0; i < 10; i++) {
        lcd_session *a = lcd_sessions_anonymous(t);
        ck_assert_ptr_nonnull(a);
        lcd_sessions_idle_check(t, a);
    }
    ck_assert_uint_eq(lcd_sessions_count(t), 2);
    ck_assert(remembered(t, 1));
    ck_assert(remembered(t, 2));
    ck_assert_uint_eq(lcd_sessions_count(t), 2);
    lcd_sessions_free(t);
}
END_TEST

/* ============================ LRU ============================ */

START_TEST(test_lru_oldest_first)
{
    lcd_sessions *t = lcd_sessions_new(4);
    ck_assert_ptr_nonnull(t);
    for (unsigned i = 0; i < 10; i++) {
        add_idle(t, i);
        ck_assert_uint_eq(lcd_sessions_count(t), i < 4 ? i + 1 : 4);
    }
    /* the newest four are left */
    for (unsigned i = 6; i < 10; i++)
        ck_assert_msg(remembered(t, i), "session %u forgotten", i);
    ck_assert_uint_eq(lcd_sessions_count(t), 4);
    for (unsigned i = 0; i < 6; i++)
        ck_assert_msg(!remembered(t, i), "session %u remembered", i);
    ck_assert_uint_eq(lcd_sessions_count(t), 10);
    lcd_sessions_free(t);
}
END_TEST

START_TEST(test_lru_reuse_moves_to_newest)
{
    lcd_sessions *t = lcd_sessions_new(4);
    ck_assert_ptr_nonnull(t);
    for (unsigned i = 0; i < 4; i++)
        add_idle(t, i);

    /* 0, the oldest, is used again: off the idle list while in use */
    lcd_session *s0 = get(t, 0);
    ck_assert_uint_eq(s0->written, 1000);
    ck_assert_int_eq(s0->on_lru, 0);
    s0->conn = DUMMY_CONN;
    ck_assert_uint_eq(lcd_sessions_count(t), 4);
    /* three newcomers push out 1, 2, 3, not the older 0 */
    for (unsigned i = 4; i < 7; i++) {
        add_idle(t, i);
        ck_assert_uint_eq(lcd_sessions_count(t), 4);
    }
    ck_assert_uint_eq(s0->written, 1000);
    /* 0 goes idle again, as the newest: the next newcomer pushes out 4 */
    s0->conn = NULL;
    lcd_sessions_idle_check(t, s0);
    ck_assert_int_eq(s0->on_lru, 1);
    ck_assert_uint_eq(lcd_sessions_count(t), 4);
    add_idle(t, 7);
    ck_assert_uint_eq(lcd_sessions_count(t), 4);

    /* 5 and 6 go next, and 0 is the oldest idle session */
    add_idle(t, 8);
    add_idle(t, 9);
    ck_assert_uint_eq(lcd_sessions_count(t), 4);
    /* re-used briefly (found, no connection set) it becomes the newest:
     * the next two newcomers push out 7 and 8 instead */
    ck_assert_ptr_eq(get(t, 0), s0);
    ck_assert_int_eq(s0->on_lru, 0);
    lcd_sessions_idle_check(t, s0);
    add_idle(t, 10);
    add_idle(t, 11);
    ck_assert_uint_eq(lcd_sessions_count(t), 4);

    static const unsigned kept[] = {9, 0, 10, 11}, gone[] = {1, 2, 3, 4, 5, 6, 7, 8};
    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(remembered(t, kept[i]), "session %u forgotten", kept[i]);
    ck_assert_uint_eq(lcd_sessions_count(t), 4);
    for (size_t i = 0; i < 8; i++)
        ck_assert_msg(!remembered(t, gone[i]), "session %u remembered", gone[i]);
    lcd_sessions_free(t);
}
END_TEST

START_TEST(test_lru_busy_never_evicted)
{
    lcd_sessions *t = lcd_sessions_new(2);
    ck_assert_ptr_nonnull(t);
    lcd_session *c = get(t, 100), *r = get(t, 101);
    c->written = 1100;
    r->written = 1101;
    c->conn = DUMMY_CONN;
    r->refs = 2;
    lcd_sessions_idle_check(t, c); /* busy: not idle */
    lcd_sessions_idle_check(t, r);
    ck_assert_int_eq(c->on_lru, 0);
    ck_assert_int_eq(r->on_lru, 0);
    /* every newcomer beyond max goes at once, the busy two never */
    for (unsigned i = 0; i < 200; i++) {
        add_idle(t, 1000 + i);
        if (lcd_sessions_count(t) != 2)
            ck_abort_msg("after %u: count %zu", i, lcd_sessions_count(t));
    }
    ck_assert_ptr_eq(get(t, 100), c);
    ck_assert_ptr_eq(get(t, 101), r);
    ck_assert_uint_eq(c->written, 1100);
    ck_assert_uint_eq(r->written, 1101);

    /* more busy sessions than max: count may pass max, nothing is lost */
    lcd_session *extra[5];
    for (unsigned i = 0; i < 5; i++) {
        extra[i] = get(t, 200 + i);
        extra[i]->written = 1200 + i;
        extra[i]->refs = 1;
        lcd_sessions_idle_check(t, extra[i]);
    }
    ck_assert_uint_eq(lcd_sessions_count(t), 7);
    add_idle(t, 300);
    ck_assert_uint_eq(lcd_sessions_count(t), 7);
    for (unsigned i = 0; i < 5; i++) {
        ck_assert_uint_eq(extra[i]->written, 1200 + i);
        extra[i]->refs = 0;
        lcd_sessions_idle_check(t, extra[i]);
        ck_assert_uint_eq(lcd_sessions_count(t), 6 - i);
    }
    ck_assert_uint_eq(lcd_sessions_count(t), 2);

    /* the connection goes: c is idle, and max is reached, nothing goes */
    c->conn = NULL;
    lcd_sessions_idle_check(t, c);
    ck_assert_int_eq(c->on_lru, 1);
    ck_assert_uint_eq(lcd_sessions_count(t), 2);
    /* one mark resolves: still busy; the last: idle */
    r->refs--;
    lcd_sessions_idle_check(t, r);
    ck_assert_int_eq(r->on_lru, 0);
    r->refs--;
    lcd_sessions_idle_check(t, r);
    ck_assert_int_eq(r->on_lru, 1);
    ck_assert_uint_eq(lcd_sessions_count(t), 2);
    /* now they are evicted like any other, c (idle first) first */
    add_idle(t, 500);
    ck_assert_uint_eq(lcd_sessions_count(t), 2);
    ck_assert(remembered(t, 101));
    ck_assert(remembered(t, 500));
    ck_assert_uint_eq(lcd_sessions_count(t), 2);
    ck_assert(!remembered(t, 100));
    lcd_sessions_free(t);
}
END_TEST

START_TEST(test_lru_idle_check_twice)
{
    /* a second idle_check of an idle session does not corrupt the list */
    lcd_sessions *t = lcd_sessions_new(3);
    ck_assert_ptr_nonnull(t);
    lcd_session *s[3];
    for (unsigned i = 0; i < 3; i++) {
        s[i] = get(t, i);
        s[i]->written = 1000 + i;
        lcd_sessions_idle_check(t, s[i]);
    }
    for (unsigned i = 0; i < 3; i++)
        lcd_sessions_idle_check(t, s[i]);
    ck_assert_uint_eq(lcd_sessions_count(t), 3);
    for (unsigned i = 3; i < 6; i++) {
        add_idle(t, i);
        ck_assert_uint_eq(lcd_sessions_count(t), 3);
    }
    for (unsigned i = 3; i < 6; i++)
        ck_assert_msg(remembered(t, i), "session %u forgotten", i);
    ck_assert_uint_eq(lcd_sessions_count(t), 3);
    for (unsigned i = 0; i < 3; i++)
        ck_assert_msg(!remembered(t, i), "session %u remembered", i);
    lcd_sessions_free(t);
}
END_TEST

/* A random workload checked against a model of the table: which ids are
 * remembered, which are busy, the idle ones in LRU order. */
enum { MODEL_MAX = 16, MODEL_IDS = 300, MODEL_SLOTS = 6 };

static uint32_t rng = 12345;
static uint32_t next_rand(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

START_TEST(test_lru_model)
{
    lcd_sessions *t = lcd_sessions_new(MODEL_MAX);
    ck_assert_ptr_nonnull(t);
    static int state[MODEL_IDS];        /* 0 forgotten, 1 idle, 2 busy */
    static unsigned idle[MODEL_IDS + 1]; /* LRU order, oldest first */
    size_t nidle = 0, count = 0;
    lcd_session *slot[MODEL_SLOTS] = {NULL};
    unsigned slot_id[MODEL_SLOTS] = {0};
    unsigned evictions = 0, reuses = 0;

    for (int step = 0; step < 30000; step++) {
        unsigned si = next_rand() % MODEL_SLOTS;
        if (slot[si] && next_rand() % 2) {
            /* the holder lets go: conn gone or last mark resolved */
            lcd_session *s = slot[si];
            unsigned id = slot_id[si];
            s->conn = NULL;
            s->refs = 0;
            slot[si] = NULL;
            lcd_sessions_idle_check(t, s);
            state[id] = 1;
            idle[nidle++] = id;
            while (count > MODEL_MAX && nidle > 0) {
                state[idle[0]] = 0;
                memmove(idle, idle + 1, --nidle * sizeof idle[0]);
                count--;
                evictions++;
            }
        } else if (!slot[si]) {
            unsigned id = next_rand() % MODEL_IDS;
            if (state[id] == 2)
                continue; /* held in another slot */
            char *sid = sid_of(id);
            lcd_session *s = lcd_sessions_get(t, sid);
            free(sid);
            if (!s)
                ck_abort_msg("step %d: get failed", step);
            if (state[id] == 1) {
                if (s->written != id + 1)
                    ck_abort_msg("step %d: id %u not remembered", step, id);
                size_t k = 0;
                while (idle[k] != id)
                    k++;
                memmove(idle + k, idle + k + 1, (nidle - k - 1) * sizeof idle[0]);
                nidle--;
                reuses++;
            } else {
                if (s->written != 0)
                    ck_abort_msg("step %d: id %u remembered after eviction", step, id);
                s->written = id + 1;
                count++;
            }
            state[id] = 2;
            if (next_rand() % 2)
                s->conn = DUMMY_CONN;
            else
                s->refs = 1 + next_rand() % 3;
            slot[si] = s;
            slot_id[si] = id;
        }
        if (lcd_sessions_count(t) != count)
            ck_abort_msg("step %d: count %zu, model %zu", step, lcd_sessions_count(t), count);
        if (count > MODEL_MAX + MODEL_SLOTS)
            ck_abort_msg("step %d: count %zu unbounded", step, count);
    }
    /* the workload did exercise both paths */
    ck_assert_uint_gt(evictions, 1000);
    ck_assert_uint_gt(reuses, 100);
    /* sessions in every state are freed: idle, busy with conn or refs */
    lcd_sessions_free(t);
}
END_TEST

START_TEST(test_free)
{
    lcd_sessions_free(NULL);
    lcd_sessions *t = lcd_sessions_new(8);
    ck_assert_ptr_nonnull(t);
    lcd_sessions_free(t); /* empty */

    t = lcd_sessions_new(8);
    ck_assert_ptr_nonnull(t);
    for (unsigned i = 0; i < 20; i++)
        add_idle(t, i);
    lcd_session *c = get(t, 50), *r = get(t, 51);
    get(t, 52); /* never idle-checked */
    c->conn = DUMMY_CONN;
    r->refs = 3;
    lcd_session *a = lcd_sessions_anonymous(t);
    ck_assert_ptr_nonnull(a);
    lcd_sessions_idle_check(t, a); /* freed here, not by lcd_sessions_free */
    ck_assert_uint_eq(lcd_sessions_count(t), 11);
    lcd_sessions_free(t); /* a leak or double free fails the sanitizer build */
}
END_TEST

static Suite *session_suite(void)
{
    Suite *s = suite_create("session");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_get_creates_then_finds);
    tcase_add_test(tc, test_anonymous);
    tcase_add_test(tc, test_anonymous_evict_nothing);
    tcase_add_test(tc, test_free);
    suite_add_tcase(s, tc);

    tc = tcase_create("lru");
    tcase_add_test(tc, test_lru_oldest_first);
    tcase_add_test(tc, test_lru_reuse_moves_to_newest);
    tcase_add_test(tc, test_lru_busy_never_evicted);
    tcase_add_test(tc, test_lru_idle_check_twice);
    tcase_add_test(tc, test_lru_model);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(session_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
