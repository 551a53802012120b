/*
 * test_log.c - lcd_log_escape: peer bytes made safe for a log line.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

START_TEST(test_escape_plain_and_special)
{
    char out[128];
    ck_assert_uint_eq(lcd_log_escape(out, sizeof out, "abc {}", 6), 6);
    ck_assert_str_eq(out, "abc {}");
    lcd_log_escape(out, sizeof out, "a\"b\\c\n\t\r", 8);
    ck_assert_str_eq(out, "a\\\"b\\\\c\\n\\t\\r");
    const unsigned char bin[] = {0x1b, ']', 0x07, 0x00, 0xef, 0xbb, 0xbf, 0x7f};
    lcd_log_escape(out, sizeof out, bin, sizeof bin);
    ck_assert_str_eq(out, "\\x1b]\\x07\\x00\\xef\\xbb\\xbf\\x7f");
}
END_TEST

START_TEST(test_escape_cut)
{
    char out[12];
    /* 20 bytes into 12: as many as fit with room for "..." and NUL */
    size_t n = lcd_log_escape(out, sizeof out, "abcdefghijklmnopqrst", 20);
    ck_assert_str_eq(out, "abcdefgh...");
    ck_assert_uint_eq(n, strlen(out));
    /* an escape is never cut in half */
    n = lcd_log_escape(out, sizeof out, "abcdef\x01zzzzzz", 13);
    ck_assert_str_eq(out, "abcdef...");
    /* tiny buffers still end with NUL */
    char t[3] = "xx";
    lcd_log_escape(t, sizeof t, "abc", 3);
    ck_assert_str_eq(t, "");
    ck_assert_uint_eq(lcd_log_escape(t, 0, "abc", 3), 0);
    lcd_log_escape(out, sizeof out, "", 0);
    ck_assert_str_eq(out, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, test_escape_plain_and_special);
    tcase_add_test(tc, test_escape_cut);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
