/*
 * test_cli_filter.c - unit tests for the record code `logcollect tail` and
 * `logcollect web` share (client/cli/line.c, filter.c, columns.c): a line
 * read as a record, each filter condition, and the columns with their
 * escaping of control characters.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "columns.h"
#include "filter.h"
#include "line.h"

#define LINE(s) s, sizeof(s) - 1

static const char REC[] =
    "{\"ts\":\"2026-11-27T13:37:24.123456Z\",\"level\":\"error\",\"msg\":\"disk full\","
    "\"_app\":\"db\",\"_pid\":4242,\"user\":\"alice\",\"n\":3,\"_sid\":\"s1\",\"_seq\":7}";

static int match(const char *name, const char *value, const char *line)
{
    lcli_filter f;
    char why[256];
    lcli_filter_init(&f);
    ck_assert_int_eq(lcli_filter_set(&f, name, value, why, sizeof why), 0);
    int m = lcli_filter_line(&f, line, strlen(line));
    lcli_filter_free(&f);
    return m;
}

START_TEST(test_each_condition)
{
    ck_assert(match("level", "error", REC) && match("level", "warning", REC));
    ck_assert(!match("level", "critical", REC) && match("level", "3", REC));
    ck_assert(match("app", "db", REC) && !match("app", "web", REC));
    ck_assert(match("pid", "4242", REC) && !match("pid", "4243", REC));
    ck_assert(match("since", "2026-11-27T13:37:24Z", REC) && !match("since", "2026-11-27T13:37:25Z", REC));
    ck_assert(match("until", "2026-11-27T13:37:25Z", REC) && !match("until", "2026-11-27T13:37:24.123456Z", REC));
    ck_assert(match("grep", "^disk (full|empty)$", REC) && !match("grep", "^full", REC));
    ck_assert(match("field", "user=alice", REC) && match("field", "n=3", REC));
    ck_assert(!match("field", "user=bob", REC) && !match("field", "missing=x", REC));
    /* a line that is not a JSON object is shown, whatever the filter */
    ck_assert(match("level", "emergency", "not json") && match("app", "x", "[1,2]"));
}
END_TEST

START_TEST(test_conditions_combine)
{
    lcli_filter f;
    char why[256];
    lcli_filter_init(&f);
    ck_assert_int_eq(lcli_filter_set(&f, "app", "db", why, sizeof why), 0);
    ck_assert_int_eq(lcli_filter_set(&f, "field", "user=alice", why, sizeof why), 0);
    ck_assert(lcli_filter_line(&f, LINE(REC)));
    ck_assert_int_eq(lcli_filter_set(&f, "field", "n=4", why, sizeof why), 0);
    ck_assert(!lcli_filter_line(&f, LINE(REC)));
    lcli_filter_free(&f);
    ck_assert(lcli_filter_line(&f, LINE(REC))); /* freed: empty again */
}
END_TEST

START_TEST(test_bad_values_say_why)
{
    lcli_filter f;
    char why[256];
    lcli_filter_init(&f);
    ck_assert_int_eq(lcli_filter_set(&f, "level", "loud", why, sizeof why), -1);
    ck_assert(strstr(why, "unknown level 'loud'"));
    ck_assert_int_eq(lcli_filter_set(&f, "pid", "12x", why, sizeof why), -1);
    ck_assert_int_eq(lcli_filter_set(&f, "since", "yesterday", why, sizeof why), -1);
    ck_assert(strstr(why, "cannot read the time"));
    ck_assert_int_eq(lcli_filter_set(&f, "grep", "(", why, sizeof why), -1);
    ck_assert_int_eq(lcli_filter_set(&f, "field", "=v", why, sizeof why), -1);
    ck_assert_int_eq(lcli_filter_set(&f, "colour", "red", why, sizeof why), -1);
    ck_assert(strstr(why, "unknown filter"));
    for (int i = 0; i < LCLI_FILTER_MAX_FIELDS; i++)
        ck_assert_int_eq(lcli_filter_set(&f, "field", "a=b", why, sizeof why), 0);
    ck_assert_int_eq(lcli_filter_set(&f, "field", "a=b", why, sizeof why), -1);
    lcli_filter_free(&f);
}
END_TEST

static char *take(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    return s;
}

START_TEST(test_columns)
{
    json_t *rec = lcli_record_load(LINE(REC));
    struct evbuffer *b = evbuffer_new();
    lcli_format_opts o = {.utc = 1};
    lcli_format_columns(b, rec, &o);
    char *s = take(b);
    ck_assert_str_eq(s, "2026-11-27 13:37:24.123 error     db[4242] disk full user=alice n=3\n");
    free(s);
    o.verbose = 1;
    lcli_format_fields(b, rec, o.verbose, 0);
    s = take(b);
    ck_assert_str_eq(s, "user=alice n=3 _sid=s1 _seq=7");
    free(s);
    json_decref(rec);
    evbuffer_free(b);
}
END_TEST

START_TEST(test_escapes_control_characters)
{
    const char raw[] = "a\x1b]0;t\x07\r\n\t\x7f" "\xc2\x9b" "b\xc3\xa9";
    struct evbuffer *b = evbuffer_new();
    lcli_format_escape(b, raw, sizeof raw - 1);
    char *s = take(b);
    ck_assert_str_eq(s, "a\\x1b]0;t\\x07\\r\\n\\t\\x7f\\u009bb\xc3\xa9");
    free(s);
    json_t *rec = lcli_record_load(
        LINE("{\"msg\":\"x\\u001b[2J\",\"_app\":\"a\\u009b\",\"k\\u0007\":\"v w\\u007f\"}"));
    lcli_format_opts o = {0};
    lcli_format_columns(b, rec, &o);
    s = take(b);
    ck_assert(strstr(s, "a\\u009b x\\x1b[2J k\\x07=\"v w\\x7f\"\n"));
    free(s);
    json_decref(rec);
    evbuffer_free(b);
}
END_TEST

START_TEST(test_line_reading)
{
    json_t *r = lcli_record_load(LINE("{\"_seq\":12345678901234567890123,\"level\":5}"));
    ck_assert(json_is_object(r) && json_is_real(json_object_get(r, "_seq")));
    ck_assert_int_eq(lcli_record_level(r), 5);
    json_decref(r);
    ck_assert_ptr_null(lcli_record_load(LINE("{\"a\":")));
    long long us;
    ck_assert_int_eq(lcli_parse_time("2026-11-27T13:37:24.5+01:00", &us), 0);
    ck_assert_int_eq(us, 1795783044500000LL);
    ck_assert_int_eq(lcli_parse_when("10m", &us), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_filter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_each_condition);
    tcase_add_test(tc, test_conditions_combine);
    tcase_add_test(tc, test_bad_values_say_why);
    tcase_add_test(tc, test_columns);
    tcase_add_test(tc, test_escapes_control_characters);
    tcase_add_test(tc, test_line_reading);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
