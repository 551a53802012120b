/*
 * test_ratelimit.c - the failed-handshake slowdown (daemon/ratelimit.c): who
 * is answered at once, who waits and how long, who is dropped, and decay.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

static struct sockaddr_in v4(const char *ip)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6 v6(const char *ip)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

/* One wrong proof; returns the verdict, *d the delay. */
static lcd_rl_verdict fail_at(lcd_ratelimit *rl, const struct sockaddr *sa, int64_t now, long *d)
{
    return lcd_ratelimit_failed(rl, sa, now, d);
}

START_TEST(test_free_failures_then_growing_delay)
{
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.0.0.1");
    long d = -1;
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 0);
    /* the first three wrong proofs are answered at once */
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_ANSWER);
        ck_assert_int_eq(d, 0);
    }
    /* then each answer waits: 100 ms, doubling per point */
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DELAY);
    ck_assert_int_eq(d, 100);
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DELAY);
    ck_assert_int_eq(d, 200);
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DELAY);
    ck_assert_int_eq(d, 400);
    for (int i = 0; i < 3; i++)
        lcd_ratelimit_release(&rl, SA(a));
    for (int i = 0; i < 10; i++) {
        fail_at(&rl, SA(a), 0, &d);
        lcd_ratelimit_release(&rl, SA(a));
    }
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 5000); /* capped */
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DELAY);
    ck_assert_int_eq(d, 5000);
}
END_TEST

START_TEST(test_held_connections_capped)
{
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.0.0.5"), b = v4("10.0.0.6");
    long d;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_ANSWER);
    for (int i = 0; i < LCD_RL_HELD; i++)
        ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DELAY);
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(a)), LCD_RL_HELD);
    /* the 17th held connection is not taken: closed unanswered */
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DROP);
    ck_assert_int_eq(d, 0);
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DROP);
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(a)), LCD_RL_HELD);
    /* another address is not affected */
    ck_assert_int_eq(fail_at(&rl, SA(b), 0, &d), LCD_RL_ANSWER);
    /* one let go: room for one more */
    lcd_ratelimit_release(&rl, SA(a));
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(a)), LCD_RL_HELD - 1);
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DELAY);
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DROP);
    /* releases never go below zero */
    for (int i = 0; i < 40; i++)
        lcd_ratelimit_release(&rl, SA(a));
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(a)), 0);
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_DELAY);
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(a)), 1);
}
END_TEST

START_TEST(test_decay_halves_every_10s)
{
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.0.0.2");
    long d;
    for (int i = 0; i < 5; i++)
        fail_at(&rl, SA(a), 1000, &d);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 1000), 400);      /* 5 points */
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 11000), 0);       /* 2.5 points */
    d = lcd_ratelimit_delay(&rl, SA(a), 6000);                         /* ~3.54 points */
    ck_assert(d > 100 && d < 200);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 1000000), 0);
    /* a failure after the decay starts from the decayed score */
    ck_assert_int_eq(fail_at(&rl, SA(a), 11000, &d), LCD_RL_ANSWER);   /* 2.5 before it */
    ck_assert_int_eq(fail_at(&rl, SA(a), 11000, &d), LCD_RL_DELAY);    /* 3.5 before it */
    ck_assert(d > 100 && d < 200);
}
END_TEST

START_TEST(test_penalty_gone_18s_after_any_attack)
{
    /* However many failures, the score is capped: 18 s after the last one
     * the next wrong proof is answered at once again. */
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("127.0.0.1");
    long d;
    for (int i = 0; i < 100000; i++) {
        if (fail_at(&rl, SA(a), 5000, &d) == LCD_RL_DELAY)
            lcd_ratelimit_release(&rl, SA(a));
    }
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 5000), 5000);
    d = lcd_ratelimit_delay(&rl, SA(a), 5000 + 17000);                     /* 3.08 points */
    ck_assert(d >= 100 && d < 120);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 5000 + 17500), 0);   /* 2.97 points */
    ck_assert_int_eq(fail_at(&rl, SA(a), 5000 + 18000, &d), LCD_RL_ANSWER);
}
END_TEST

START_TEST(test_addresses_are_separate)
{
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.0.0.3"), b = v4("10.0.0.4");
    struct sockaddr_in6 c = v6("::1");
    long d;
    for (int i = 0; i < 10; i++)
        fail_at(&rl, SA(a), 0, &d);
    ck_assert(lcd_ratelimit_delay(&rl, SA(a), 0) > 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(b), 0), 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(c), 0), 0);
    for (int i = 0; i < 10; i++)
        fail_at(&rl, SA(c), 0, &d);
    ck_assert(lcd_ratelimit_delay(&rl, SA(c), 0) > 0);
    struct sockaddr un = {.sa_family = AF_UNIX};
    /* not IP: ignored, always answered at once, no crash */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(fail_at(&rl, &un, 0, &d), LCD_RL_ANSWER);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, &un, 0), 0);
    lcd_ratelimit_release(&rl, &un);
}
END_TEST

START_TEST(test_collision_replaces_entry)
{
    /* The table has a fixed size: an address landing on a taken slot
     * replaces the entry (forgetting that address's penalty, never
     * inheriting it), and a release for the forgotten address leaves the
     * new one alone. */
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.1.0.1");
    long d;
    for (int i = 0; i < 4; i++)
        fail_at(&rl, SA(a), 0, &d);
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(a)), 1);
    struct sockaddr_in b;
    unsigned i;
    for (i = 0; i < 100000; i++) {
        b = v4("10.2.0.0");
        b.sin_addr.s_addr = htonl(0x0a020000u + i);
        ck_assert_int_eq(fail_at(&rl, SA(b), 0, &d), LCD_RL_ANSWER); /* new: 1 point */
        if (lcd_ratelimit_delay(&rl, SA(a), 0) == 0)
            break; /* b took a's slot */
    }
    ck_assert_msg(i < 100000, "no collision among 100000 addresses in %d slots", LCD_RL_SLOTS);
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(a)), 0);
    for (int k = 0; k < 2; k++)
        ck_assert_int_eq(fail_at(&rl, SA(b), 0, &d), LCD_RL_ANSWER);
    ck_assert_int_eq(fail_at(&rl, SA(b), 0, &d), LCD_RL_DELAY); /* 3 points before: held */
    lcd_ratelimit_release(&rl, SA(a));                           /* a's old hold */
    ck_assert_uint_eq(lcd_ratelimit_held(&rl, SA(b)), 1);
    /* and a, failing again, takes the slot back from scratch */
    ck_assert_int_eq(fail_at(&rl, SA(a), 0, &d), LCD_RL_ANSWER);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(b), 0), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_free_failures_then_growing_delay);
    tcase_add_test(tc, test_held_connections_capped);
    tcase_add_test(tc, test_decay_halves_every_10s);
    tcase_add_test(tc, test_penalty_gone_18s_after_any_attack);
    tcase_add_test(tc, test_addresses_are_separate);
    tcase_add_test(tc, test_collision_replaces_entry);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
