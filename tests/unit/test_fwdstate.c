/*
 * test_fwdstate.c - the forwarder's state file (daemon/fwdstate.c): its one
 * line parsed and written, damage refused, the atomic save, the file
 * identity with its head hash; and the Nats-Msg-Id of a line.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwdstate.h"

START_TEST(test_format_parse_roundtrip)
{
    lcd_fwdpos p = {2049, 1234567, 98765, 64, "0123456789abcdef"}, q;
    char buf[200];
    size_t n = lcd_fwdstate_format(buf, sizeof buf, &p);
    ck_assert_str_eq(buf, "logcollectord-forward 1 dev=2049 ino=1234567 off=98765 "
                          "head=64:0123456789abcdef\n");
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_int_eq(lcd_fwdstate_parse(buf, n, &q), 0);
    ck_assert_uint_eq(q.dev, 2049);
    ck_assert_uint_eq(q.ino, 1234567);
    ck_assert_uint_eq(q.off, 98765);
    ck_assert_uint_eq(q.head_len, 64);
    ck_assert_str_eq(q.head, "0123456789abcdef");
    ck_assert_uint_eq(lcd_fwdstate_format(buf, 20, &p), 0); /* too small */
}
END_TEST

START_TEST(test_damage_refused)
{
    static const char *bad[] = {
        "",
        "logcollectord-forward 2 dev=1 ino=2 off=3 head=0:0000000000000000\n",
        "logcollectord-forward 1 dev=1 ino=2 off=3\n",                       /* no head */
        "logcollectord-forward 1 dev=1 ino=2 off=-3 head=0:0000000000000000",
        "logcollectord-forward 1 dev=1 ino=2 off=3 head=65:0000000000000000", /* > 64 */
        "logcollectord-forward 1 dev=1 ino=2 off=3 head=1:000000000000000",   /* 15 hex */
        "logcollectord-forward 1 dev=1 ino=2 off=3 head=1:000000000000000G",
        "logcollectord-forward 1 dev=1 ino=2 off=99999999999999999999 head=1:0000000000000000",
        "logcollectord-forward 1 dev=1  ino=2 off=3 head=1:0000000000000000",
        "logcollectord-forward 1 dev=1 ino=2 off=3 head=1:0000000000000000 x",
    };
    lcd_fwdpos q;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(lcd_fwdstate_parse(bad[i], strlen(bad[i]), &q) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_save_load_identity)
{
    char dir[] = "/tmp/test_fwdstate.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[256], path[300], err[512];
    snprintf(out, sizeof out, "%s/out.jsonl", dir);
    char *sp = lcd_fwdstate_path(out);
    snprintf(path, sizeof path, "%s/out.jsonl.forward", dir);
    ck_assert_str_eq(sp, path);
    lcd_fwdpos p, q;
    ck_assert_int_eq(lcd_fwdstate_load(sp, &q, err, sizeof err), 0); /* none yet */

    int fd = open(out, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\"a\":1}\n", 8), 8);
    ck_assert_int_eq(lcd_fwd_identify(fd, &p), 0);
    ck_assert_uint_eq(p.head_len, 8);
    p.off = 8;
    ck_assert_int_eq(lcd_fwdstate_save(sp, &p, err, sizeof err), 0);
    ck_assert_int_eq(lcd_fwdstate_load(sp, &q, err, sizeof err), 1);
    ck_assert_uint_eq(q.off, 8);
    ck_assert(lcd_fwd_same_file(fd, &q));
    /* appending keeps the identity; a different head (same inode) does not */
    ck_assert_int_eq(write(fd, "{\"b\":2}\n", 8), 8);
    ck_assert(lcd_fwd_same_file(fd, &q));
    ck_assert_int_eq(ftruncate(fd, 0), 0);
    ck_assert_int_eq(pwrite(fd, "{\"c\":3}\n", 8, 0), 8);
    ck_assert(!lcd_fwd_same_file(fd, &q));
    ck_assert_int_eq(ftruncate(fd, 0), 0); /* shorter than the head: not it */
    ck_assert(!lcd_fwd_same_file(fd, &q));
    close(fd);

    /* no temporary file is left behind; a damaged file is an error that says what to do */
    char tmp[320];
    snprintf(tmp, sizeof tmp, "%s.tmp", sp);
    ck_assert_int_ne(access(tmp, F_OK), 0);
    FILE *f = fopen(sp, "w");
    fputs("garbage\n", f);
    fclose(f);
    ck_assert_int_eq(lcd_fwdstate_load(sp, &q, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "remove it"));
    unlink(sp);
    unlink(out);
    rmdir(dir);
    free(sp);
}
END_TEST

static const char *id_of(const char *line, uint64_t ino, uint64_t off)
{
    static char id[LCD_MSGID_MAX];
    lcd_fwd_msgid((const uint8_t *)line, strlen(line), ino, off, id);
    return id;
}

#define SID "0123456789abcdef0123456789abcdef"
#define RT "\"_rt\":\"2026-12-02T12:00:00.000000Z\""

START_TEST(test_msgid_session)
{
    ck_assert_str_eq(id_of("{\"msg\":\"x\"," RT ",\"_sid\":\"" SID "\",\"_seq\":42,\"_app\":\"a\"}", 1, 0),
                     SID ":42");
    /* a user's nested object imitating the trusted fields comes first: the last one wins */
    ck_assert_str_eq(id_of("{\"m\":{\"_sid\":\"ffffffffffffffffffffffffffffffff\",\"_seq\":7}," RT
                           ",\"_sid\":\"" SID "\",\"_seq\":3}", 1, 0), SID ":3");
    /* escaped inside a string it is no field at all */
    ck_assert_str_eq(id_of("{\"m\":\"\\\"_sid\\\":\\\"" SID "\\\",\\\"_seq\\\":9\"," RT
                           ",\"_sid\":\"" SID "\",\"_seq\":10}", 1, 0), SID ":10");
}
END_TEST

START_TEST(test_msgid_without_session)
{
    const char *a = "{\"msg\":\"no session\"}";
    char first[LCD_MSGID_MAX];
    snprintf(first, sizeof first, "%s", id_of(a, 77, 100));
    ck_assert_int_eq(strncmp(first, "h:", 2), 0);
    ck_assert_uint_eq(strlen(first), 2 + 16 + strlen(":77:100"));
    ck_assert_str_eq(first + 18, ":77:100");
    ck_assert_str_eq(id_of(a, 77, 100), first);     /* stable */
    ck_assert_str_ne(id_of(a, 77, 200), first);     /* the same line elsewhere: another */
    ck_assert_str_ne(id_of(a, 78, 100), first);     /* in another file: another */
    ck_assert_str_ne(id_of("{\"msg\":\"no sessioN\"}", 77, 100), first);
    /* a malformed session (not 32 hex digits, no digits in _seq) falls back too */
    ck_assert_int_eq(strncmp(id_of("{\"_sid\":\"0123\",\"_seq\":1}", 1, 0), "h:", 2), 0);
    ck_assert_int_eq(strncmp(id_of("{\"_sid\":\"" SID "\",\"_seq\":x}", 1, 0), "h:", 2), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fwdstate");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_format_parse_roundtrip);
    tcase_add_test(tc, test_damage_refused);
    tcase_add_test(tc, test_save_load_identity);
    tcase_add_test(tc, test_msgid_session);
    tcase_add_test(tc, test_msgid_without_session);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
