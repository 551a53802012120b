/*
 * test_ratelimit.c - the failed-handshake slowdown (daemon/ratelimit.c).
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

START_TEST(test_free_failures_then_growing_delay)
{
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.0.0.1");
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 0);
    lcd_ratelimit_failed(&rl, SA(a), 0);
    lcd_ratelimit_failed(&rl, SA(a), 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 0); /* 2 points: free */
    lcd_ratelimit_failed(&rl, SA(a), 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 100);
    lcd_ratelimit_failed(&rl, SA(a), 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 200);
    lcd_ratelimit_failed(&rl, SA(a), 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 400);
    for (int i = 0; i < 50; i++)
        lcd_ratelimit_failed(&rl, SA(a), 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 0), 5000); /* capped */
}
END_TEST

START_TEST(test_decay_halves_every_10s)
{
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.0.0.2");
    for (int i = 0; i < 5; i++)
        lcd_ratelimit_failed(&rl, SA(a), 1000);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 1000), 400);      /* 5 points */
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 11000), 0);       /* 2.5 points */
    long d = lcd_ratelimit_delay(&rl, SA(a), 6000);                    /* ~3.54 points */
    ck_assert(d > 100 && d < 200);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(a), 1000000), 0);
}
END_TEST

START_TEST(test_addresses_are_separate)
{
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    struct sockaddr_in a = v4("10.0.0.3"), b = v4("10.0.0.4");
    struct sockaddr_in6 c = v6("::1");
    for (int i = 0; i < 10; i++)
        lcd_ratelimit_failed(&rl, SA(a), 0);
    ck_assert(lcd_ratelimit_delay(&rl, SA(a), 0) > 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(b), 0), 0);
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, SA(c), 0), 0);
    for (int i = 0; i < 10; i++)
        lcd_ratelimit_failed(&rl, SA(c), 0);
    ck_assert(lcd_ratelimit_delay(&rl, SA(c), 0) > 0);
    struct sockaddr un = {.sa_family = AF_UNIX};
    lcd_ratelimit_failed(&rl, &un, 0); /* not IP: ignored, no crash */
    ck_assert_int_eq(lcd_ratelimit_delay(&rl, &un, 0), 0);
}
END_TEST

START_TEST(test_table_is_bounded)
{
    /* Many addresses: the table never grows, collisions replace entries. */
    static lcd_ratelimit rl;
    lcd_ratelimit_init(&rl);
    for (unsigned i = 0; i < 100000; i++) {
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(0x0a000000u + i);
        lcd_ratelimit_failed(&rl, SA(a), 0);
    }
    ck_assert_uint_eq(sizeof rl.slot / sizeof rl.slot[0], LCD_RL_SLOTS);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_free_failures_then_growing_delay);
    tcase_add_test(tc, test_decay_halves_every_10s);
    tcase_add_test(tc, test_addresses_are_separate);
    tcase_add_test(tc, test_table_is_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
