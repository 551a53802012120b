/*
 * test_metrics.c - unit tests for daemon/histogram.c and the exposition
 * writers of daemon/metrics.c (the Prometheus text format 0.0.4): bucket
 * bounds are inclusive, buckets are cumulative and end with +Inf, the sum
 * is in seconds; HELP text and label values are escaped; values print
 * exactly; the clients' drop notice is recognised and nothing else is;
 * the --http address parser.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "histogram.h"
#include "http.h"
#include "metrics.h"

/* The evbuffer's text, NUL-terminated (caller frees). */
static char *text_of(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_copyout(b, s, n);
    s[n] = '\0';
    return s;
}

START_TEST(test_hist_bounds_inclusive)
{
    lcd_histogram h = {0};
    lcd_histogram_observe(&h, 0);           /* le 1e-05 */
    lcd_histogram_observe(&h, 10000);       /* exactly 10 us: le 1e-05 (inclusive) */
    lcd_histogram_observe(&h, 10001);       /* le 2.5e-05 */
    lcd_histogram_observe(&h, 999999999);   /* le 1 */
    lcd_histogram_observe(&h, 10000000001ull); /* over 10 s: +Inf only */
    ck_assert_uint_eq(h.count, 5);
    ck_assert_uint_eq(lcd_histogram_cumulative(&h, 0), 2);
    ck_assert_uint_eq(lcd_histogram_cumulative(&h, 1), 3);
    ck_assert_str_eq(lcd_histogram_bound_label(15), "1");
    ck_assert_uint_eq(lcd_histogram_bound_ns(15), 1000000000ull);
    ck_assert_uint_eq(lcd_histogram_cumulative(&h, 15), 4);
    ck_assert_uint_eq(lcd_histogram_cumulative(&h, LCD_HIST_BOUNDS - 1), 4);
    ck_assert_uint_eq(lcd_histogram_cumulative(&h, LCD_HIST_BOUNDS), 5);
    ck_assert_uint_eq(h.sum_ns, 0 + 10000 + 10001 + 999999999 + 10000000001ull);
}
END_TEST

START_TEST(test_hist_bounds_increase)
{
    for (int i = 1; i < LCD_HIST_BOUNDS; i++) {
        ck_assert_uint_gt(lcd_histogram_bound_ns(i), lcd_histogram_bound_ns(i - 1));
        /* the label says the same number as the bound */
        ck_assert(fabs(strtod(lcd_histogram_bound_label(i), NULL) * 1e9 -
                       (double)lcd_histogram_bound_ns(i)) < 0.5);
    }
}
END_TEST

START_TEST(test_hist_exposition)
{
    lcd_histogram h = {0};
    lcd_histogram_observe(&h, 20000);      /* 20 us */
    lcd_histogram_observe(&h, 1500000000); /* 1.5 s */
    struct evbuffer *b = evbuffer_new();
    lcd_metrics_histogram(b, "x_seconds", "Time.", &h);
    char *s = text_of(b);
    ck_assert_ptr_nonnull(strstr(s, "# HELP x_seconds Time.\n# TYPE x_seconds histogram\n"));
    ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{le=\"1e-05\"} 0\n"));
    ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{le=\"2.5e-05\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{le=\"1\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{le=\"2.5\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "x_seconds_bucket{le=\"10\"} 2\nx_seconds_bucket{le=\"+Inf\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(s, "x_seconds_sum 1.500020000\nx_seconds_count 2\n"));
    /* +Inf is the last bucket, and there are bounds + 1 of them */
    int n = 0;
    for (const char *p = s; (p = strstr(p, "_bucket{")) != NULL; p++)
        n++;
    ck_assert_int_eq(n, LCD_HIST_BOUNDS + 1);
    free(s);
    evbuffer_free(b);
}
END_TEST

START_TEST(test_family_and_samples)
{
    struct evbuffer *b = evbuffer_new();
    lcd_metrics_family(b, "a_total", "counter", "Back\\slash and\nnewline.");
    lcd_metrics_sample(b, "a_total", NULL, 18446744073709551615.0 / 4096); /* 2^52 */
    lcd_metrics_sample(b, "a_total", "reason=\"x\"", 0);
    lcd_metrics_sample(b, "g", NULL, 0.25);
    lcd_metrics_sample(b, "g", NULL, INFINITY);
    lcd_metrics_sample(b, "g", NULL, NAN);
    lcd_metrics_sample(b, "g", NULL, 1796213771.93);
    char *s = text_of(b);
    ck_assert_str_eq(s, "# HELP a_total Back\\\\slash and\\nnewline.\n"
                        "# TYPE a_total counter\n"
                        "a_total 4503599627370496\n"
                        "a_total{reason=\"x\"} 0\n"
                        "g 0.25\n"
                        "g +Inf\n"
                        "g NaN\n"
                        "g 1796213771.93\n");
    free(s);
    evbuffer_free(b);
}
END_TEST

START_TEST(test_label_escape)
{
    char out[32];
    ck_assert_str_eq(lcd_metrics_label_escape(out, sizeof out, "a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    /* cut short, never in the middle of an escape */
    char small[5];
    ck_assert_str_eq(lcd_metrics_label_escape(small, sizeof small, "\"\"\""), "\\\"");
}
END_TEST

#define TS "2026-12-02T12:00:00.000000Z"

static uint64_t notice(const char *s)
{
    return lcd_drop_notice_count((const uint8_t *)s, strlen(s));
}

START_TEST(test_drop_notice)
{
    ck_assert_uint_eq(notice("{\"ts\":\"" TS "\",\"level\":\"warning\",\"msg\":\"logcollect "
                             "client dropped 17 records\",\"dropped\":17}"), 17);
    ck_assert_uint_eq(notice("{\"ts\":\"" TS "\",\"level\":\"warning\",\"msg\":\"logcollect "
                             "client dropped 18446744073709551615 records\",\"dropped\":"
                             "18446744073709551615}"), UINT64_MAX);
    /* anything else counts nothing */
    ck_assert_uint_eq(notice("{\"ts\":\"" TS "\",\"level\":\"warning\",\"msg\":\"logcollect "
                             "client dropped 17 records\",\"dropped\":\"17\"}"), 0);
    ck_assert_uint_eq(notice("{\"ts\":\"" TS "\",\"level\":\"warning\",\"msg\":\"logcollect "
                             "client dropped 1 records\",\"dropped\":18446744073709551616}"), 0);
    ck_assert_uint_eq(notice("{\"ts\":\"" TS "\",\"level\":\"info\",\"msg\":\"logcollect "
                             "client dropped 17 records\",\"dropped\":17}"), 0);
    ck_assert_uint_eq(notice("{\"dropped\":17}"), 0);
    ck_assert_uint_eq(notice("{\"ts\":\"" TS "\",\"level\":\"warning\",\"msg\":\"logcollect "
                             "client dropped 1 records\",\"x\":1}"), 0);
    ck_assert_uint_eq(notice(""), 0);
}
END_TEST

START_TEST(test_parse_addr)
{
    char host[64], err[256];
    int port;
    ck_assert_int_eq(lcd_http_parse_addr("127.0.0.1:9464", host, sizeof host, &port, err,
                                         sizeof err), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_int_eq(port, 9464);
    ck_assert_int_eq(lcd_http_parse_addr("[::1]:0", host, sizeof host, &port, err, sizeof err), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_int_eq(port, 0);
    const char *bad[] = {"127.0.0.1", "127.0.0.1:", ":80", "localhost:80", "1.2.3.4:65536",
                         "1.2.3.4:-1", "1.2.3.4:8x", "[::1:80", "::1:80", "[]:80", "[127.0.0.1]x:80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(lcd_http_parse_addr(bad[i], host, sizeof host, &port, err, sizeof err) == -1,
                      "accepted %s", bad[i]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("exposition");
    tcase_add_test(tc, test_hist_bounds_inclusive);
    tcase_add_test(tc, test_hist_bounds_increase);
    tcase_add_test(tc, test_hist_exposition);
    tcase_add_test(tc, test_family_and_samples);
    tcase_add_test(tc, test_label_escape);
    tcase_add_test(tc, test_drop_notice);
    tcase_add_test(tc, test_parse_addr);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
