/*
 * test_keyfile.c - unit tests for proto/keyfile.c (key file parsing,
 * loading with the permission check, generation) and proto/portfile.c (the
 * port file line).
 *
 * File system tests work in a fresh mkdtemp() folder that each test
 * removes again.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMPDIR_PREFIX "lcp-test-keyfile"
#include "tmpdir.h"
#include "keyfile.h"
#include "portfile.h"

#define HEX16 "000102030405060708090a0b0c0d0e0f"
#define HEX16B "f0e1d2c3b4a5968778695a4b3c2d1e0f"

static int parse_str(lcp_keyring *ring, const char *text, char *err, size_t errlen)
{
    size_t n = strlen(text);
    /* exact-size, not NUL-terminated copy: the parser takes a length */
    char *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    memcpy(b, text, n);
    int rc = lcp_keyring_parse(ring, b, n, err, errlen);
    free(b);
    return rc;
}

static void assert_key(const lcp_key *k, const char *name, const uint8_t *bytes, size_t len)
{
    ck_assert_ptr_nonnull(k);
    ck_assert_str_eq(k->name, name);
    ck_assert_uint_eq(k->len, len);
    ck_assert_mem_eq(k->bytes, bytes, len);
}

/* ============================ parsing ============================ */

START_TEST(test_parse_bare_hex)
{
    uint8_t want[16];
    for (int i = 0; i < 16; i++)
        want[i] = (uint8_t)i;
    static const char *const texts[] = {
        HEX16, HEX16 "\n", "  " HEX16 "  \n\n", HEX16 "\r\n",
        "000102030405060708090A0B0C0D0E0F\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        lcp_keyring ring;
        char err[256] = "";
        ck_assert_msg(parse_str(&ring, texts[i], err, sizeof err) == 0, "case %zu: %s", i, err);
        ck_assert_uint_eq(ring.n, 1);
        assert_key(&ring.keys[0], "default", want, 16);
        assert_key(lcp_keyring_find(&ring, NULL), "default", want, 16);
        assert_key(lcp_keyring_find(&ring, "default"), "default", want, 16);
        lcp_keyring_free(&ring);
        ck_assert_uint_eq(ring.n, 0);
        ck_assert_ptr_null(ring.keys);
    }
}
END_TEST

START_TEST(test_parse_named)
{
    const char *text =
        "# logcollect keys\n"
        "\n"
        "   \n"
        "alpha 00112233445566778899aabbccddeeff\n"
        "\tbeta\t  0102030405060708090a0b0c0d0e0f10111213141516171819\r\n"
        "  # an indented comment 0011\n"
        "#gamma 00112233445566778899aabbccddeeff\n"
        "gamma.v-2_X FFEEDDCCBBAA99887766554433221100";
    lcp_keyring ring;
    char err[256] = "";
    ck_assert_msg(parse_str(&ring, text, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(ring.n, 3);
    static const uint8_t a[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    uint8_t b[25], g[16];
    for (int i = 0; i < 25; i++)
        b[i] = (uint8_t)(i + 1);
    for (int i = 0; i < 16; i++)
        g[i] = (uint8_t)(0xff - 0x11 * i);
    assert_key(&ring.keys[0], "alpha", a, 16);
    assert_key(&ring.keys[1], "beta", b, 25);
    assert_key(&ring.keys[2], "gamma.v-2_X", g, 16);

    assert_key(lcp_keyring_find(&ring, "beta"), "beta", b, 25);
    assert_key(lcp_keyring_find(&ring, "gamma.v-2_X"), "gamma.v-2_X", g, 16);
    assert_key(lcp_keyring_find(&ring, NULL), "alpha", a, 16);
    assert_key(lcp_keyring_find(&ring, ""), "alpha", a, 16);
    ck_assert_ptr_null(lcp_keyring_find(&ring, "delta"));
    ck_assert_ptr_null(lcp_keyring_find(&ring, "Alpha"));
    ck_assert_ptr_null(lcp_keyring_find(&ring, "default"));
    lcp_keyring_free(&ring);
    lcp_keyring_free(&ring); /* twice is harmless */

    /* a bare key and named keys together */
    ck_assert_int_eq(parse_str(&ring, HEX16 "\nother " HEX16B "\n", err, sizeof err), 0);
    ck_assert_uint_eq(ring.n, 2);
    ck_assert_str_eq(ring.keys[0].name, "default");
    ck_assert_str_eq(ring.keys[1].name, "other");
    lcp_keyring_free(&ring);

    /* an empty ring finds nothing */
    lcp_keyring empty = {NULL, 0};
    ck_assert_ptr_null(lcp_keyring_find(&empty, NULL));

    /* the limits: a 64-character name, a 1024-byte key */
    char name64[65], text2[2200];
    memset(name64, 'n', 64);
    name64[64] = '\0';
    snprintf(text2, sizeof text2, "%s %s\n", name64, HEX16);
    ck_assert_int_eq(parse_str(&ring, text2, err, sizeof err), 0);
    ck_assert_str_eq(ring.keys[0].name, name64);
    lcp_keyring_free(&ring);
    memset(text2, 0, sizeof text2);
    for (int i = 0; i < 1024; i++)
        memcpy(text2 + 2 * i, "a5", 2);
    ck_assert_int_eq(parse_str(&ring, text2, err, sizeof err), 0);
    ck_assert_uint_eq(ring.keys[0].len, 1024);
    ck_assert_uint_eq(ring.keys[0].bytes[1023], 0xa5);
    lcp_keyring_free(&ring);
}
END_TEST

START_TEST(test_parse_errors)
{
    char long_key[2100], long_name[100];
    memset(long_key, 0, sizeof long_key);
    for (int i = 0; i < 1025; i++)
        memcpy(long_key + 2 * i, "a5", 2);
    memset(long_name, 0, sizeof long_name);
    memset(long_name, 'n', 65);
    strcat(long_name, " " HEX16);

    static const struct {
        const char *text;
        const char *line; /* expected in the message */
        const char *why;
    } v[] = {
        {HEX16 "0\n", "line 1:", "odd number"},
        {"# c\n\nname " HEX16 "0\n", "line 3:", "odd number"},
        {"# c\n\nname 000102030405060708090a0b0c0d0e0g\n", "line 3:", "not hexadecimal"},
        {"k 0x0102030405060708090a0b0c0d0e0f\n", "line 1:", "not hexadecimal"},
        {"k 00010203 0405060708090a0b0c0d0e0f\n", "line 1:", "expected"},
        {"a b c\n", "line 1:", "expected"},
        {"x 00112233\n", "line 1:", "at least 16"},
        {"\n\nx 000102030405060708090a0b0c0d0e\n", "line 3:", "is 15 bytes"},
        {"a " HEX16 "\nb " HEX16B "\na " HEX16B "\n", "line 3:", "used twice"},
        {HEX16 "\n" HEX16B "\n", "line 2:", "'default' is used twice"},
        {"bad/name " HEX16 "\n", "line 1:", "key name"},
        {"b\xc3\xa4" "d " HEX16 "\n", "line 1:", "key name"},
        {"", NULL, "no key"},
        {"# only a comment\n\n", NULL, "no key"},
        {"  \n\t\r\n", NULL, "no key"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        lcp_keyring ring;
        char err[256] = "";
        ck_assert_msg(parse_str(&ring, v[i].text, err, sizeof err) == -1,
                      "case %zu accepted", i);
        ck_assert_msg(strlen(err) > 0, "case %zu: no message", i);
        if (v[i].line)
            ck_assert_msg(strstr(err, v[i].line) != NULL, "case %zu: \"%s\" lacks \"%s\"",
                          i, err, v[i].line);
        ck_assert_msg(strstr(err, v[i].why) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
                      err, v[i].why);
        /* nothing left behind */
        ck_assert_uint_eq(ring.n, 0);
        ck_assert_ptr_null(ring.keys);
    }

    lcp_keyring ring;
    char err[256];
    ck_assert_int_eq(parse_str(&ring, long_key, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "longer than 1024"));
    ck_assert_int_eq(parse_str(&ring, long_name, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "key name"));

    /* an error after good lines frees them */
    ck_assert_int_eq(parse_str(&ring, "a " HEX16 "\nb " HEX16B "\nc zz\n", err, sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "line 3:"));
    ck_assert_uint_eq(ring.n, 0);
    ck_assert_ptr_null(ring.keys);

    /* line numbers count every line, blank or comment */
    ck_assert_int_eq(parse_str(&ring, "#1\n\n#3\n\n\n\n\n\n\nbad\n", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "line 10:"));
}
END_TEST

/* ============================ files ============================ */

/* The "files" test case works in tmpdir.h's scratch folders. */

static void path_in(char *out, size_t cap, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", tmpdir, name);
    ck_assert(n > 0 && (size_t)n < cap);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    unlink(path); /* the last mode may not let us write it again */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    ck_assert_int_ge(fd, 0);
    size_t n = strlen(text);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    ck_assert_int_eq(close(fd), 0);
    ck_assert_int_eq(chmod(path, mode), 0); /* exact mode, whatever the umask */
}

START_TEST(test_load_modes)
{
    make_tmpdir("load_modes");
    char path[256];
    path_in(path, sizeof path, "key");
    static const struct {
        mode_t mode;
        int ok;
    } v[] = {
        {0600, 1}, {0640, 1}, {0400, 1}, {0440, 1}, {0700, 1},
        {0644, 0}, {0660, 0}, {0606, 0}, {0604, 0}, {0602, 0},
        {0620, 0}, {0666, 0}, {0664, 0}, {0642, 0},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        write_file(path, "k " HEX16 "\n", v[i].mode);
        lcp_keyring ring;
        char err[512] = "";
        int rc = lcp_keyring_load(&ring, path, 1, err, sizeof err);
        if (v[i].ok) {
            ck_assert_msg(rc == 0, "mode %04o refused: %s", (unsigned)v[i].mode, err);
            ck_assert_uint_eq(ring.n, 1);
            ck_assert_str_eq(ring.keys[0].name, "k");
            lcp_keyring_free(&ring);
        } else {
            ck_assert_msg(rc == -1, "mode %04o accepted", (unsigned)v[i].mode);
            char want[16];
            snprintf(want, sizeof want, "mode %04o", (unsigned)v[i].mode);
            ck_assert_msg(strstr(err, want) != NULL, "\"%s\" lacks \"%s\"", err, want);
            ck_assert_ptr_nonnull(strstr(err, path));
            ck_assert_uint_eq(ring.n, 0);
        }
        /* without the strict check every mode loads */
        err[0] = '\0';
        ck_assert_msg(lcp_keyring_load(&ring, path, 0, err, sizeof err) == 0,
                      "mode %04o, not strict: %s", (unsigned)v[i].mode, err);
        ck_assert_uint_eq(ring.n, 1);
        lcp_keyring_free(&ring);
    }
    remove_tmpdir();
}
END_TEST

START_TEST(test_load_errors)
{
    make_tmpdir("load_errors");
    char path[256], err[512];
    lcp_keyring ring;

    /* missing file */
    path_in(path, sizeof path, "missing");
    ck_assert_int_eq(lcp_keyring_load(&ring, path, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_int_eq(lcp_keyring_load(&ring, path, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));

    /* a folder */
    ck_assert_int_eq(lcp_keyring_load(&ring, tmpdir, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
    ck_assert_int_eq(lcp_keyring_load(&ring, tmpdir, 0, err, sizeof err), -1);

    /* a bad line: the message names the file and the line */
    path_in(path, sizeof path, "bad");
    write_file(path, "# keys\nk 0011\n", 0600);
    ck_assert_int_eq(lcp_keyring_load(&ring, path, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "line 2:"));
    ck_assert_uint_eq(ring.n, 0);

    /* empty file */
    path_in(path, sizeof path, "empty");
    write_file(path, "", 0600);
    ck_assert_int_eq(lcp_keyring_load(&ring, path, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no key"));

    /* larger than 64 KiB */
    path_in(path, sizeof path, "huge");
    char *big = malloc(70000);
    ck_assert_ptr_nonnull(big);
    memset(big, '#', 69999);
    big[69999] = '\0';
    write_file(path, big, 0600);
    free(big);
    ck_assert_int_eq(lcp_keyring_load(&ring, path, 1, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "larger than"));
    remove_tmpdir();
}
END_TEST

START_TEST(test_read_small_file)
{
    make_tmpdir("read_small_file");
    char path[256], err[512];
    path_in(path, sizeof path, "f");
    write_file(path, "0123456789", 0600);
    size_t len = 99;
    char *t = lcp_read_small_file(path, 10, &len, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(t, "0123456789");
    free(t);
    ck_assert_ptr_null(lcp_read_small_file(path, 9, &len, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "larger than 9 bytes"));
    write_file(path, "", 0600);
    t = lcp_read_small_file(path, 0, &len, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(t, "");
    free(t);
    remove_tmpdir();
}
END_TEST

/* Only regular files, and never a wait: a FIFO without a writer would
 * block a plain open() for good (this test would hang). */
START_TEST(test_read_small_file_not_regular)
{
    make_tmpdir("read_not_regular");
    char path[256], err[512];
    size_t len;
    path_in(path, sizeof path, "fifo");
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    errno = 0;
    ck_assert_ptr_null(lcp_read_small_file(path, 100, &len, err, sizeof err));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "is a FIFO, not a regular file"));
    lcp_keyring ring;
    ck_assert_int_eq(lcp_keyring_load(&ring, path, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "is a FIFO, not a regular file"));

    ck_assert_ptr_null(lcp_read_small_file(tmpdir, 100, &len, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "is a directory, not a regular file"));

    /* a link is followed; what counts is the file reached */
    path_in(path, sizeof path, "zero");
    ck_assert_int_eq(symlink("/dev/zero", path), 0);
    ck_assert_ptr_null(lcp_read_small_file(path, 100, &len, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "is a character device, not a regular file"));
    char target[256];
    path_in(target, sizeof target, "real");
    write_file(target, "abc", 0600);
    path_in(path, sizeof path, "link");
    ck_assert_int_eq(symlink(target, path), 0);
    char *t = lcp_read_small_file(path, 100, &len, err, sizeof err);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, "abc");
    free(t);
    remove_tmpdir();
}
END_TEST

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

START_TEST(test_generate)
{
    make_tmpdir("generate");
    char path[256], err[512] = "";
    path_in(path, sizeof path, "new.key");

    /* 0600 even under a permissive umask */
    mode_t old = umask(0);
    int rc = lcp_keyfile_generate(path, err, sizeof err);
    umask(old);
    ck_assert_msg(rc == 0, "%s", err);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_size, 65);

    size_t len;
    char *text = lcp_read_small_file(path, 1000, &len, err, sizeof err);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(len, 2 * LCP_KEY_GEN + 1);
    for (size_t i = 0; i < 2 * LCP_KEY_GEN; i++)
        ck_assert_msg(is_lower_hex(text[i]), "byte %zu is '%c'", i, text[i]);
    ck_assert_uint_eq((unsigned char)text[64], '\n');

    /* it loads, strictly, as a 32-byte "default" key matching the hex */
    lcp_keyring ring;
    ck_assert_int_eq(lcp_keyring_load(&ring, path, 1, err, sizeof err), 0);
    ck_assert_uint_eq(ring.n, 1);
    ck_assert_str_eq(ring.keys[0].name, "default");
    ck_assert_uint_eq(ring.keys[0].len, LCP_KEY_GEN);
    for (size_t i = 0; i < LCP_KEY_GEN; i++) {
        char hx[3];
        snprintf(hx, sizeof hx, "%02x", ring.keys[0].bytes[i]);
        ck_assert_mem_eq(hx, text + 2 * i, 2);
    }
    lcp_keyring_free(&ring);

    /* never overwrites */
    err[0] = '\0';
    ck_assert_int_eq(lcp_keyfile_generate(path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, strerror(EEXIST)));
    ck_assert_ptr_nonnull(strstr(err, path));
    char *again = lcp_read_small_file(path, 1000, &len, err, sizeof err);
    ck_assert_ptr_nonnull(again);
    ck_assert_str_eq(again, text);
    free(again);

    /* another key is another key */
    char path2[256];
    path_in(path2, sizeof path2, "second.key");
    ck_assert_int_eq(lcp_keyfile_generate(path2, err, sizeof err), 0);
    char *text2 = lcp_read_small_file(path2, 1000, &len, err, sizeof err);
    ck_assert_ptr_nonnull(text2);
    ck_assert_str_ne(text2, text);
    free(text2);
    free(text);

    /* nor follows a symlink, even a dangling one */
    char link[256], target[256];
    path_in(link, sizeof link, "link.key");
    path_in(target, sizeof target, "target");
    ck_assert_int_eq(symlink(target, link), 0);
    ck_assert_int_eq(lcp_keyfile_generate(link, err, sizeof err), -1);
    ck_assert_int_eq(access(target, F_OK), -1);

    /* a folder that does not exist */
    char nodir[300];
    path_in(nodir, sizeof nodir, "no/such/key");
    ck_assert_int_eq(lcp_keyfile_generate(nodir, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot create"));
    remove_tmpdir();
}
END_TEST

/* ============================ port file ============================ */

START_TEST(test_portinfo_round_trip)
{
    lcp_portinfo p = {.host = "127.0.0.1", .port = 43567, .pid = 1234, .proto = 1}, q;
    char line[256];
    int n = lcp_portinfo_format(&p, line, sizeof line);
    static const char want[] = "{\"host\":\"127.0.0.1\",\"port\":43567,\"pid\":1234,\"proto\":1}\n";
    ck_assert_int_eq(n, (int)strlen(want));
    ck_assert_str_eq(line, want);
    char err[256] = "";
    ck_assert_msg(lcp_portinfo_parse(line, (size_t)n, &q, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(q.host, "127.0.0.1");
    ck_assert_int_eq(q.port, 43567);
    ck_assert_int_eq(q.pid, 1234);
    ck_assert_int_eq(q.proto, 1);
    ck_assert_int_eq(q.tls, 0);

    /* "tls":true only when the daemon speaks TLS, and it round-trips */
    lcp_portinfo t = p;
    t.tls = 1;
    int tn = lcp_portinfo_format(&t, line, sizeof line);
    ck_assert_str_eq(line, "{\"host\":\"127.0.0.1\",\"port\":43567,\"pid\":1234,\"proto\":1,"
                           "\"tls\":true}\n");
    ck_assert_msg(lcp_portinfo_parse(line, (size_t)tn, &q, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(q.tls, 1);
    static const char not_bool[] = "{\"host\":\"::1\",\"port\":1,\"proto\":1,\"tls\":1}";
    ck_assert_int_ne(lcp_portinfo_parse(not_bool, strlen(not_bool), &q, err, sizeof err), 0);
    n = lcp_portinfo_format(&p, line, sizeof line);

    /* capacity: the line and its NUL, or -1 */
    ck_assert_int_eq(lcp_portinfo_format(&p, line, (size_t)n + 1), n);
    ck_assert_int_eq(lcp_portinfo_format(&p, line, (size_t)n), -1);
    ck_assert_int_eq(lcp_portinfo_format(&p, line, 1), -1);

    static const struct {
        const char *host;
        int port;
        long pid;
    } v[] = {
        {"::1", 1, 1},
        {"0.0.0.0", 65535, 0},
        {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 8080, 2147483647L},
        {"fe80::1%eth0", 9, 42},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        lcp_portinfo a;
        memset(&a, 0, sizeof a);
        snprintf(a.host, sizeof a.host, "%s", v[i].host);
        a.port = v[i].port;
        a.pid = v[i].pid;
        a.proto = 1;
        n = lcp_portinfo_format(&a, line, sizeof line);
        ck_assert_int_gt(n, 0);
        ck_assert_uint_eq((unsigned char)line[n - 1], '\n');
        ck_assert_int_eq(lcp_portinfo_parse(line, (size_t)n, &q, err, sizeof err), 0);
        ck_assert_str_eq(q.host, v[i].host);
        ck_assert_int_eq(q.port, v[i].port);
        ck_assert_int_eq(q.pid, v[i].pid);
    }
}
END_TEST

START_TEST(test_portinfo_parse)
{
    lcp_portinfo q;
    char err[256];
    /* no newline, whitespace, other member order, extra members, no pid */
    static const char *const ok[] = {
        "{\"host\":\"127.0.0.1\",\"port\":80,\"pid\":5,\"proto\":1}",
        "  {\"proto\":1, \"port\":80, \"host\":\"127.0.0.1\", \"pid\":5}\n\n",
        "{\"host\":\"127.0.0.1\",\"port\":80,\"pid\":5,\"proto\":1,\"extra\":[1]}",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(lcp_portinfo_parse(ok[i], strlen(ok[i]), &q, err, sizeof err) == 0,
                      "case %zu: %s", i, err);
        ck_assert_str_eq(q.host, "127.0.0.1");
        ck_assert_int_eq(q.port, 80);
        ck_assert_int_eq(q.pid, 5);
    }
    const char *nopid = "{\"host\":\"::1\",\"port\":80,\"proto\":1}";
    ck_assert_int_eq(lcp_portinfo_parse(nopid, strlen(nopid), &q, err, sizeof err), 0);
    ck_assert_int_eq(q.pid, 0);

    /* a 63-character host fits, 64 does not */
    char h63[64], buf[256];
    memset(h63, 'a', 63);
    h63[63] = '\0';
    snprintf(buf, sizeof buf, "{\"host\":\"%s\",\"port\":80,\"proto\":1}", h63);
    ck_assert_int_eq(lcp_portinfo_parse(buf, strlen(buf), &q, err, sizeof err), 0);
    ck_assert_str_eq(q.host, h63);
    snprintf(buf, sizeof buf, "{\"host\":\"%sa\",\"port\":80,\"proto\":1}", h63);
    ck_assert_int_eq(lcp_portinfo_parse(buf, strlen(buf), &q, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "host"));

    static const struct {
        const char *text;
        const char *why; /* NULL: any message */
    } bad[] = {
        {"", NULL},
        {"not json", "not valid JSON"},
        {"{\"host\":\"127.0.0.1\",\"port\":80,\"proto\":1", "not valid JSON"},
        {"{\"host\":\"127.0.0.1\",\"port\":80,\"proto\":1}{}", "not valid JSON"},
        {"[\"127.0.0.1\",80,1]", NULL},
        {"{\"host\":\"127.0.0.1\",\"port\":0,\"pid\":1,\"proto\":1}", "\"port\" 0"},
        {"{\"host\":\"127.0.0.1\",\"port\":70000,\"pid\":1,\"proto\":1}", "\"port\" 70000"},
        {"{\"host\":\"127.0.0.1\",\"port\":65536,\"pid\":1,\"proto\":1}", "out of range"},
        {"{\"host\":\"127.0.0.1\",\"port\":-80,\"pid\":1,\"proto\":1}", "out of range"},
        {"{\"host\":\"127.0.0.1\",\"port\":\"80\",\"pid\":1,\"proto\":1}", NULL},
        {"{\"host\":\"127.0.0.1\",\"port\":80.5,\"pid\":1,\"proto\":1}", NULL},
        {"{\"host\":\"127.0.0.1\",\"port\":80,\"pid\":1,\"proto\":2}", "protocol version 2"},
        {"{\"host\":\"127.0.0.1\",\"port\":80,\"pid\":1,\"proto\":0}", "protocol version 0"},
        {"{\"host\":\"127.0.0.1\",\"port\":80,\"pid\":1}", "proto"},
        {"{\"port\":80,\"pid\":1,\"proto\":1}", "host"},
        {"{\"host\":\"\",\"port\":80,\"pid\":1,\"proto\":1}", "\"host\""},
        {"{\"host\":17,\"port\":80,\"pid\":1,\"proto\":1}", NULL},
        {"{\"host\":\"127.0.0.1\",\"port\":80,\"pid\":\"1\",\"proto\":1}", NULL},
        {"{\"host\":\"a\\u0000b\",\"port\":80,\"pid\":1,\"proto\":1}", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i].text);
        char *b = malloc(n ? n : 1); /* exact size, no NUL */
        ck_assert_ptr_nonnull(b);
        memcpy(b, bad[i].text, n);
        memset(&q, 0x55, sizeof q);
        err[0] = '\0';
        int rc = lcp_portinfo_parse(b, n, &q, err, sizeof err);
        free(b);
        ck_assert_msg(rc == -1, "case %zu accepted: %s", i, bad[i].text);
        ck_assert_msg(strlen(err) > 0, "case %zu: no message", i);
        if (bad[i].why)
            ck_assert_msg(strstr(err, bad[i].why) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
                          err, bad[i].why);
        ck_assert_int_eq(q.port, 0);
    }
}
END_TEST

static Suite *keyfile_suite(void)
{
    Suite *s = suite_create("keyfile");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_bare_hex);
    tcase_add_test(tc, test_parse_named);
    tcase_add_test(tc, test_parse_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_test(tc, test_load_modes);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_read_small_file);
    tcase_add_test(tc, test_read_small_file_not_regular);
    tcase_add_test(tc, test_generate);
    suite_add_tcase(s, tc);

    tc = tcase_create("portfile");
    tcase_add_test(tc, test_portinfo_round_trip);
    tcase_add_test(tc, test_portinfo_parse);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(keyfile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
