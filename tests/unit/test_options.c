/*
 * test_options.c - unit tests for daemon/options.c: the defaults, every
 * option on the command line, config files (lcd_options_load_config and
 * --config), which of the two wins, and the exact one-line error messages.
 *
 * Every argv string is a literal or a static buffer: glibc's getopt keeps a
 * pointer into the argv of the previous call.  Config files are written in
 * a fresh folder below a mkdtemp() root that an unchecked fixture removes.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMPDIR_PREFIX "lcd-test-options"
#include "tmpdir.h"
#include "options.h"

/* argv for lcd_options_parse: the program name, the arguments, NULL. */
#define ARGV(...) ((char *[]){"logcollectord", __VA_ARGS__, NULL})

static int parse(lcd_options *o, char **argv, char *err, size_t errlen)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    err[0] = '\0';
    return lcd_options_parse(o, argc, argv, err, errlen);
}

static int default_config_exists(void)
{
    return access(LCD_DEFAULT_CONFIG, F_OK) == 0;
}

/* The numeric settings and their defaults, to check that setting one
 * leaves the others alone. */
static const struct {
    const char *name;
    size_t off;
    long def;
} num_fields[] = {
    {"port", offsetof(lcd_options, port), 0},
    {"max-record", offsetof(lcd_options, max_record), 1L << 20},
    {"max-clients", offsetof(lcd_options, max_clients), 1024},
    {"max-handshakes", offsetof(lcd_options, max_handshakes), 1024},
    {"max-partial-bytes", offsetof(lcd_options, max_partial), 64L << 20},
    {"max-unwritten", offsetof(lcd_options, max_unwritten), 1L << 20},
    {"max-sessions", offsetof(lcd_options, max_sessions), 16384},
    {"handshake-timeout", offsetof(lcd_options, handshake_timeout_ms), 5000},
    {"rotate-size", offsetof(lcd_options, rotate_size), 0},
    {"rotate-keep", offsetof(lcd_options, rotate_keep), 5},
    {"fsync interval", offsetof(lcd_options, fsync_ms), 1000},
};
#define NNUM (sizeof num_fields / sizeof num_fields[0])

static long field(const lcd_options *o, size_t off)
{
    return *(const long *)((const char *)o + off);
}

static void assert_string_defaults(const lcd_options *o)
{
    ck_assert_str_eq(o->bind, "127.0.0.1");
    ck_assert_str_eq(o->port_file, "/run/logcollectord/port");
    ck_assert_str_eq(o->key_file, "/etc/logcollectord/key");
    ck_assert_str_eq(o->output, "/var/log/logcollectord/collected.jsonl");
    ck_assert_ptr_null(o->tls_cert);
    ck_assert_ptr_null(o->tls_key);
    ck_assert_ptr_null(o->tls_client_ca);
    ck_assert_ptr_null(o->user);
    ck_assert_ptr_null(o->config);
    ck_assert_ptr_null(o->gen_key);
}

static void assert_flags_off(const lcd_options *o)
{
    ck_assert_int_eq(o->fsync_mode, LCD_FSYNC_INTERVAL);
    ck_assert_int_eq(o->allow_legacy_md5, 0);
    ck_assert_int_eq(o->allow_plaintext, 0);
    ck_assert_int_eq(o->allow_root, 0);
    ck_assert_int_eq(o->help, 0);
    ck_assert_int_eq(o->version, 0);
}

/* Every number at its default except the one at offset skip. */
static void assert_num_defaults_except(const lcd_options *o, size_t skip)
{
    for (size_t i = 0; i < NNUM; i++)
        if (num_fields[i].off != skip)
            ck_assert_msg(field(o, num_fields[i].off) == num_fields[i].def,
                          "%s is %ld, not the default %ld", num_fields[i].name,
                          field(o, num_fields[i].off), num_fields[i].def);
}

/* Every setting at its default except the number at offset skip. */
static void assert_defaults_except(const lcd_options *o, size_t skip)
{
    assert_num_defaults_except(o, skip);
    assert_string_defaults(o);
    assert_flags_off(o);
}

/* ============================ defaults ============================ */

START_TEST(test_defaults)
{
    lcd_options o;
    memset(&o, 0x5a, sizeof o);
    lcd_options_defaults(&o);
    ck_assert_int_eq(o.port, 0);
    ck_assert_int_eq(o.max_record, 1048576);
    ck_assert_int_eq(o.max_clients, 1024);
    ck_assert_int_eq(o.max_unwritten, 1048576);
    ck_assert_int_eq(o.max_sessions, 16384);
    ck_assert_int_eq(o.fsync_mode, LCD_FSYNC_INTERVAL);
    ck_assert_int_eq(o.fsync_ms, 1000);
    ck_assert_int_eq(o.handshake_timeout_ms, 5000);
    ck_assert_int_eq(o.rotate_size, 0);
    ck_assert_int_eq(o.rotate_keep, 5);
    assert_defaults_except(&o, SIZE_MAX);

    lcd_options_free(&o);
    ck_assert_ptr_null(o.bind);
    ck_assert_ptr_null(o.port_file);
    ck_assert_ptr_null(o.key_file);
    ck_assert_ptr_null(o.output);
    lcd_options_free(&o); /* twice is harmless */

    /* every string setting is freed (the sanitizer build sees leaks) */
    lcd_options_defaults(&o);
    char err[512];
    ck_assert_msg(parse(&o, ARGV("--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "a",
                                 "--user", "u", "--gen-key", "g", "--key-file", "f"),
                        err, sizeof err) == 0, "%s", err);
    lcd_options_free(&o);
    ck_assert_ptr_null(o.tls_cert);
    ck_assert_ptr_null(o.tls_key);
    ck_assert_ptr_null(o.tls_client_ca);
    ck_assert_ptr_null(o.user);
    ck_assert_ptr_null(o.gen_key);
    ck_assert_ptr_null(o.key_file);
}
END_TEST

START_TEST(test_parse_nothing)
{
    lcd_options o;
    char err[512];
    if (default_config_exists()) {
        /* not the case on a test machine; then this cannot be tested */
        fprintf(stderr, "note: %s exists, test_parse_nothing skipped\n", LCD_DEFAULT_CONFIG);
        return;
    }
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, (char *[]){"logcollectord", NULL}, err, sizeof err) == 0, "%s", err);
    assert_defaults_except(&o, SIZE_MAX);
    lcd_options_free(&o);

    /* "--" alone ends the options and is not an argument */
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--port", "7", "--"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.port, 7);
    assert_defaults_except(&o, offsetof(lcd_options, port));
    lcd_options_free(&o);
}
END_TEST

/* ============================ command line ============================ */

START_TEST(test_parse_strings)
{
    lcd_options o;
    char err[512];
    lcd_options_defaults(&o);
    int rc = parse(&o, ARGV("--bind", "::1", "--port-file", "/tmp/p f", "--key-file", "k",
                            "--output", "/x/out.jsonl", "--tls-cert", "/t/cert.pem",
                            "--tls-key", "/t/key.pem", "--tls-client-ca", "/t/ca.pem",
                            "--user", "logcollect"),
                   err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(o.tls_cert, "/t/cert.pem");
    ck_assert_str_eq(o.tls_key, "/t/key.pem");
    ck_assert_str_eq(o.tls_client_ca, "/t/ca.pem");
    ck_assert_str_eq(o.user, "logcollect");
    ck_assert_ptr_null(o.gen_key);
    ck_assert_str_eq(o.bind, "::1");
    ck_assert_str_eq(o.port_file, "/tmp/p f");
    ck_assert_str_eq(o.key_file, "k");
    ck_assert_str_eq(o.output, "/x/out.jsonl");
    ck_assert_ptr_null(o.config);
    assert_num_defaults_except(&o, SIZE_MAX);
    assert_flags_off(&o);
    ck_assert_int_eq(o.port, 0);
    lcd_options_free(&o);

    /* the --name=VALUE form; a later value replaces an earlier one */
    lcd_options_defaults(&o);
    rc = parse(&o, ARGV("--bind=0.0.0.0", "--port-file=/a", "--key-file=/b", "--output=/c",
                        "--tls-cert=/d", "--output", "/e", "--bind=::", "--tls-key=/f",
                        "--tls-client-ca=/g", "--user=nobody", "--tls-cert=/h"),
               err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(o.bind, "::");
    ck_assert_str_eq(o.port_file, "/a");
    ck_assert_str_eq(o.key_file, "/b");
    ck_assert_str_eq(o.output, "/e");
    ck_assert_str_eq(o.tls_cert, "/h");
    ck_assert_str_eq(o.tls_key, "/f");
    ck_assert_str_eq(o.tls_client_ca, "/g");
    ck_assert_str_eq(o.user, "nobody");
    /* a value may start with '-' or contain '=' */
    rc = parse(&o, ARGV("--output", "-", "--key-file=a=b", "--bind", "--x"), err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(o.output, "-");
    ck_assert_str_eq(o.key_file, "a=b");
    ck_assert_str_eq(o.bind, "--x");
    lcd_options_free(&o);
}
END_TEST

START_TEST(test_parse_numbers)
{
    static const struct {
        const char *name, *val;
        size_t off;
        long want;
    } v[] = {
        {"port", "0", offsetof(lcd_options, port), 0},
        {"port", "8080", offsetof(lcd_options, port), 8080},
        {"port", "65535", offsetof(lcd_options, port), 65535},
        {"max-record", "64", offsetof(lcd_options, max_record), 64},
        {"max-record", "1000", offsetof(lcd_options, max_record), 1000},
        {"max-record", "2K", offsetof(lcd_options, max_record), 2048},
        {"max-record", "2k", offsetof(lcd_options, max_record), 2048},
        {"max-record", "3m", offsetof(lcd_options, max_record), 3L << 20},
        {"max-record", "64M", offsetof(lcd_options, max_record), 67108864},
        {"max-record", "65536K", offsetof(lcd_options, max_record), 67108864},
        {"max-record", "67108864", offsetof(lcd_options, max_record), 67108864},
        {"max-clients", "1", offsetof(lcd_options, max_clients), 1},
        {"max-clients", "1000000", offsetof(lcd_options, max_clients), 1000000},
        {"max-handshakes", "1", offsetof(lcd_options, max_handshakes), 1},
        {"max-handshakes", "1000000", offsetof(lcd_options, max_handshakes), 1000000},
        {"max-partial-bytes", "1M", offsetof(lcd_options, max_partial), 1L << 20},
        {"max-partial-bytes", "2G", offsetof(lcd_options, max_partial), 2L << 30},
        {"max-unwritten", "4096", offsetof(lcd_options, max_unwritten), 4096},
        {"max-unwritten", "4k", offsetof(lcd_options, max_unwritten), 4096},
        {"max-unwritten", "64K", offsetof(lcd_options, max_unwritten), 65536},
        {"max-unwritten", "1G", offsetof(lcd_options, max_unwritten), 1L << 30},
        {"max-unwritten", "1024M", offsetof(lcd_options, max_unwritten), 1L << 30},
        {"max-sessions", "16", offsetof(lcd_options, max_sessions), 16},
        {"max-sessions", "10000000", offsetof(lcd_options, max_sessions), 10000000},
        {"handshake-timeout", "1", offsetof(lcd_options, handshake_timeout_ms), 1000},
        {"handshake-timeout", "7", offsetof(lcd_options, handshake_timeout_ms), 7000},
        {"handshake-timeout", "3600", offsetof(lcd_options, handshake_timeout_ms), 3600000},
        {"rotate-size", "0", offsetof(lcd_options, rotate_size), 0},
        {"rotate-size", "100", offsetof(lcd_options, rotate_size), 100},
        {"rotate-size", "10K", offsetof(lcd_options, rotate_size), 10240},
        {"rotate-size", "100M", offsetof(lcd_options, rotate_size), 104857600},
        {"rotate-size", "1G", offsetof(lcd_options, rotate_size), 1073741824},
        {"rotate-size", "3g", offsetof(lcd_options, rotate_size), 3L << 30},
        {"rotate-size", "8589934591G", offsetof(lcd_options, rotate_size), 8589934591L << 30},
        {"rotate-size", "9223372036854775807", offsetof(lcd_options, rotate_size), LONG_MAX},
        {"rotate-keep", "1", offsetof(lcd_options, rotate_keep), 1},
        {"rotate-keep", "1000", offsetof(lcd_options, rotate_keep), 1000},
    };
    static char opt[64], joined[128];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        snprintf(opt, sizeof opt, "--%s", v[i].name);
        snprintf(joined, sizeof joined, "--%s=%s", v[i].name, v[i].val);
        for (int form = 0; form < 2; form++) {
            lcd_options o;
            char err[512];
            lcd_options_defaults(&o);
            int rc = form ? parse(&o, ARGV(joined), err, sizeof err)
                          : parse(&o, ARGV(opt, (char *)v[i].val), err, sizeof err);
            ck_assert_msg(rc == 0, "%s %s: %s", v[i].name, v[i].val, err);
            ck_assert_msg(field(&o, v[i].off) == v[i].want, "%s %s gave %ld, not %ld",
                          v[i].name, v[i].val, field(&o, v[i].off), v[i].want);
            assert_defaults_except(&o, v[i].off);
            lcd_options_free(&o);
        }
    }

    /* all at once, and the last of a repeated one wins */
    lcd_options o;
    char err[512];
    lcd_options_defaults(&o);
    int rc = parse(&o, ARGV("--port", "1", "--max-record=4K", "--max-clients", "2",
                            "--max-sessions", "17", "--handshake-timeout", "9",
                            "--rotate-size=5M", "--rotate-keep", "3", "--port=2"),
                   err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(o.port, 2);
    ck_assert_int_eq(o.max_record, 4096);
    ck_assert_int_eq(o.max_clients, 2);
    ck_assert_int_eq(o.max_sessions, 17);
    ck_assert_int_eq(o.handshake_timeout_ms, 9000);
    ck_assert_int_eq(o.rotate_size, 5L << 20);
    ck_assert_int_eq(o.rotate_keep, 3);
    assert_string_defaults(&o);
    lcd_options_free(&o);
}
END_TEST

START_TEST(test_parse_flags)
{
    lcd_options o;
    char err[512];
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--allow-legacy-md5"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.allow_legacy_md5, 1);
    o.allow_legacy_md5 = 0;
    assert_flags_off(&o);
    lcd_options_free(&o);

    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--allow-plaintext"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.allow_plaintext, 1);
    o.allow_plaintext = 0;
    assert_flags_off(&o);
    lcd_options_free(&o);

    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--allow-root"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.allow_root, 1);
    o.allow_root = 0;
    assert_flags_off(&o);
    lcd_options_free(&o);

    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--help"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.help, 1);
    ck_assert_int_eq(o.version, 0);
    ck_assert_int_eq(o.allow_legacy_md5, 0);
    lcd_options_free(&o);

    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("-h"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.help, 1);
    ck_assert_int_eq(o.version, 0);
    lcd_options_free(&o);

    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--version"), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.version, 1);
    ck_assert_int_eq(o.help, 0);
    lcd_options_free(&o);

    /* flags among settings, repeated */
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--port", "3", "--allow-legacy-md5", "-h", "--version",
                                 "--allow-legacy-md5", "--rotate-keep=2"),
                        err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.allow_legacy_md5, 1);
    ck_assert_int_eq(o.help, 1);
    ck_assert_int_eq(o.version, 1);
    ck_assert_int_eq(o.port, 3);
    ck_assert_int_eq(o.rotate_keep, 2);
    lcd_options_free(&o);
}
END_TEST

START_TEST(test_parse_fsync)
{
    static const struct {
        char *val;
        int mode;
        long ms;
    } v[] = {
        {"never", LCD_FSYNC_NEVER, 1000},
        {"batch", LCD_FSYNC_BATCH, 1000},
        {"interval=50", LCD_FSYNC_INTERVAL, 50},
        {"interval=1", LCD_FSYNC_INTERVAL, 1},
        {"interval=3600000", LCD_FSYNC_INTERVAL, 3600000},
        {"interval=1000", LCD_FSYNC_INTERVAL, 1000},
    };
    static char joined[64];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        snprintf(joined, sizeof joined, "--fsync=%s", v[i].val);
        for (int form = 0; form < 2; form++) {
            lcd_options o;
            char err[512];
            lcd_options_defaults(&o);
            int rc = form ? parse(&o, ARGV(joined), err, sizeof err)
                          : parse(&o, ARGV("--fsync", v[i].val), err, sizeof err);
            ck_assert_msg(rc == 0, "%s: %s", v[i].val, err);
            ck_assert_msg(o.fsync_mode == v[i].mode && o.fsync_ms == v[i].ms,
                          "%s gave mode %d, %ld ms", v[i].val, o.fsync_mode, o.fsync_ms);
            assert_num_defaults_except(&o, offsetof(lcd_options, fsync_ms));
            lcd_options_free(&o);
        }
    }
    /* the last one wins */
    lcd_options o;
    char err[512];
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--fsync", "never", "--fsync=interval=7"), err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(o.fsync_mode, LCD_FSYNC_INTERVAL);
    ck_assert_int_eq(o.fsync_ms, 7);
    ck_assert_msg(parse(&o, ARGV("--fsync=interval=9", "--fsync", "batch"), err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(o.fsync_mode, LCD_FSYNC_BATCH);
    lcd_options_free(&o);
}
END_TEST

/* An argv that must fail with exactly this message. */
typedef struct {
    char *args[5];
    const char *msg;
} bad_argv;

static void check_bad_argv(const bad_argv *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *argv[7] = {"logcollectord"};
        for (size_t j = 0; j < 5 && v[i].args[j]; j++)
            argv[j + 1] = v[i].args[j];
        lcd_options o;
        char err[512];
        lcd_options_defaults(&o);
        int rc = parse(&o, argv, err, sizeof err);
        lcd_options_free(&o);
        ck_assert_msg(rc == -1, "case %zu (%s ...) accepted", i, v[i].args[0]);
        ck_assert_msg(strcmp(err, v[i].msg) == 0, "case %zu: got \"%s\", want \"%s\"", i,
                      err, v[i].msg);
    }
}

START_TEST(test_parse_errors)
{
    static bad_argv v[] = {
        /* unknown options, short and long, alone or after good ones */
        {{"--bogus"}, "unknown option '--bogus' (see --help)"},
        {{"--bogus=1"}, "unknown option '--bogus=1' (see --help)"},
        {{"-x"}, "unknown option '-x' (see --help)"},
        {{"--port", "1", "--nope", "2"}, "unknown option '--nope' (see --help)"},
        {{"--allow-legacy-md5", "-p", "1"}, "unknown option '-p' (see --help)"},
        {{"--max"}, "unknown option '--max' (see --help)"}, /* ambiguous */
        /* missing values */
        {{"--port"}, "option --port needs a value (see --help)"},
        {{"--bind", "::1", "--output"}, "option --output needs a value (see --help)"},
        {{"--rotate-size"}, "option --rotate-size needs a value (see --help)"},
        {{"--handshake-timeout"}, "option --handshake-timeout needs a value (see --help)"},
        {{"--gen-key"}, "option --gen-key needs a value (see --help)"},
        /* flags take no value */
        {{"--allow-legacy-md5=yes"}, "option --allow-legacy-md5 takes no value (see --help)"},
        {{"--help=1"}, "option --help takes no value (see --help)"},
        {{"--allow-root=no"}, "option --allow-root takes no value (see --help)"},
        {{"--allow-plaintext=1"}, "option --allow-plaintext takes no value (see --help)"},
        {{"--allow"}, "unknown option '--allow' (see --help)"}, /* ambiguous */
        {{"--tls-key"}, "option --tls-key needs a value (see --help)"},
        {{"--user"}, "option --user needs a value (see --help)"},
        {{"--version=x"}, "option --version takes no value (see --help)"},
        /* numbers out of range or malformed */
        {{"--port", "65536"}, "--port must be a number from 0 to 65535, not '65536'"},
        {{"--port=-1"}, "--port must be a number from 0 to 65535, not '-1'"},
        {{"--port", "-1"}, "--port must be a number from 0 to 65535, not '-1'"},
        {{"--port", "1K"}, "--port must be a number from 0 to 65535, not '1K'"},
        {{"--port", ""}, "--port must be a number from 0 to 65535, not ''"},
        {{"--port", "12abc"}, "--port must be a number from 0 to 65535, not '12abc'"},
        {{"--port", "0x10"}, "--port must be a number from 0 to 65535, not '0x10'"},
        {{"--port", "1.5"}, "--port must be a number from 0 to 65535, not '1.5'"},
        {{"--port", "99999999999999999999"},
         "--port must be a number from 0 to 65535, not '99999999999999999999'"},
        {{"--max-clients", "0"}, "--max-clients must be a number from 1 to 1000000, not '0'"},
        {{"--max-clients", "1000001"},
         "--max-clients must be a number from 1 to 1000000, not '1000001'"},
        {{"--max-handshakes", "0"},
         "--max-handshakes must be a number from 1 to 1000000, not '0'"},
        {{"--max-partial-bytes", "1023K"},
         "--max-partial-bytes must be a number from 1048576 to 1099511627776 (K, M and G "
         "suffixes allowed), not '1023K'"},
        {{"--max-sessions", "15"},
         "--max-sessions must be a number from 16 to 10000000, not '15'"},
        {{"--max-sessions=10000001"},
         "--max-sessions must be a number from 16 to 10000000, not '10000001'"},
        {{"--rotate-keep", "0"}, "--rotate-keep must be a number from 1 to 1000, not '0'"},
        {{"--rotate-keep", "1001"}, "--rotate-keep must be a number from 1 to 1000, not '1001'"},
        {{"--rotate-keep", "1K"}, "--rotate-keep must be a number from 1 to 1000, not '1K'"},
        {{"--max-unwritten", "4095"},
         "--max-unwritten must be a number from 4096 to 1073741824 (K, M and G suffixes allowed), "
         "not '4095'"},
        {{"--max-unwritten=1025M"},
         "--max-unwritten must be a number from 4096 to 1073741824 (K, M and G suffixes allowed), "
         "not '1025M'"},
        {{"--fsync", "sometimes"},
         "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not 'sometimes'"},
        {{"--fsync", "Never"},
         "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not 'Never'"},
        {{"--fsync", ""}, "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not ''"},
        {{"--fsync=interval=0"},
         "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not 'interval=0'"},
        {{"--fsync=interval=3600001"},
         "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not "
         "'interval=3600001'"},
        {{"--fsync", "interval="},
         "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not 'interval='"},
        {{"--fsync", "interval=1K"},
         "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not 'interval=1K'"},
        {{"--fsync", "interval"},
         "--fsync must be never, batch or interval=MS (MS from 1 to 3600000), not 'interval'"},
        {{"--fsync"}, "option --fsync needs a value (see --help)"},
        {{"--max-record", "63"},
         "--max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), not '63'"},
        {{"--max-record", "65537K"},
         "--max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), not '65537K'"},
        {{"--max-record", "1G"},
         "--max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), not '1G'"},
        {{"--max-record", "1T"},
         "--max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), not '1T'"},
        {{"--max-record", "1KB"},
         "--max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), not '1KB'"},
        {{"--max-record=K"},
         "--max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), not 'K'"},
        {{"--max-record", "-1K"},
         "--max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), not '-1K'"},
        {{"--rotate-size", "8589934592G"},
         "--rotate-size must be a number from 0 to 9223372036854775807 (K, M and G suffixes "
         "allowed), not '8589934592G'"},
        {{"--rotate-size", "9223372036854775808"},
         "--rotate-size must be a number from 0 to 9223372036854775807 (K, M and G suffixes "
         "allowed), not '9223372036854775808'"},
        {{"--handshake-timeout", "0"},
         "--handshake-timeout must be a number of seconds from 1 to 3600, not '0'"},
        {{"--handshake-timeout", "3601"},
         "--handshake-timeout must be a number of seconds from 1 to 3600, not '3601'"},
        {{"--handshake-timeout", "5s"},
         "--handshake-timeout must be a number of seconds from 1 to 3600, not '5s'"},
        {{"--handshake-timeout", "1K"},
         "--handshake-timeout must be a number of seconds from 1 to 3600, not '1K'"},
        {{"--handshake-timeout", "0.5"},
         "--handshake-timeout must be a number of seconds from 1 to 3600, not '0.5'"},
        /* seconds times 1000 must not overflow (and wrap into the range) */
        {{"--handshake-timeout", "18446744073709557"},
         "--handshake-timeout must be a number of seconds from 1 to 3600, not "
         "'18446744073709557'"},
        {{"--handshake-timeout", "9223372036854775807"},
         "--handshake-timeout must be a number of seconds from 1 to 3600, not "
         "'9223372036854775807'"},
        /* arguments that are not options */
        {{"foo"}, "unexpected argument 'foo' (all settings are --options; see --help)"},
        {{"--port", "1", "foo", "--bind", "::1"},
         "unexpected argument 'foo' (all settings are --options; see --help)"},
        {{"--", "--port"}, "unexpected argument '--port' (all settings are --options; see --help)"},
        {{"-"}, "unexpected argument '-' (all settings are --options; see --help)"},
        /* empty strings */
        {{"--output", ""}, "--output needs a non-empty value"},
        {{"--output="}, "--output needs a non-empty value"},
        {{"--bind="}, "--bind needs a non-empty value"},
        {{"--port-file", ""}, "--port-file needs a non-empty value"},
        {{"--key-file="}, "--key-file needs a non-empty value"},
        {{"--gen-key", ""}, "--gen-key needs a non-empty value"},
        {{"--tls-cert="}, "--tls-cert needs a non-empty value"},
        {{"--tls-client-ca", ""}, "--tls-client-ca needs a non-empty value"},
        {{"--user", ""}, "--user needs a non-empty value"},
    };
    check_bad_argv(v, sizeof v / sizeof v[0]);

    /* --config without a value: the default config is looked for (absent
     * here), then getopt reports the missing value */
    if (!default_config_exists()) {
        static bad_argv c[] = {{{"--config"}, "option --config needs a value (see --help)"}};
        check_bad_argv(c, 1);
    }
}
END_TEST

START_TEST(test_usage)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    lcd_options_usage(f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strncmp(text, "usage: logcollectord [OPTIONS]\n", 31) == 0, "%s", text);
    static const char *const opts[] = {
        "  --bind ADDR ", "  --port N ", "  --port-file PATH ", "  --key-file PATH ",
        "  --output PATH ", "  --max-record BYTES ", "  --max-clients N ",
        "  --max-sessions N ", "  --handshake-timeout SECONDS ", "  --allow-legacy-md5 ",
        "  --tls-cert PATH ", "  --tls-key PATH ", "  --tls-client-ca PATH ",
        "  --allow-plaintext ", "  --user NAME ", "  --allow-root ", "  --fsync WHEN ",
        "  --max-unwritten BYTES ", "  --max-handshakes N ", "  --max-partial-bytes BYTES ",
        "  --rotate-size BYTES ", "  --rotate-keep N ", "  --config PATH ",
        "  --gen-key PATH ", "  --help ", "  --version ",
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        ck_assert_msg(strstr(text, opts[i]) != NULL, "usage lacks \"%s\"", opts[i]);
    ck_assert_ptr_nonnull(strstr(text, LCD_DEFAULT_CONFIG));
    ck_assert_uint_eq((unsigned char)text[len - 1], '\n');
    free(text);
}
END_TEST

/* ============================ config files ============================ */

/* paths that go into argv: static, see the top of the file */
static char conf[256], conf2[256], missing[256], confarg[300];


static void enter_tmpdir(const char *name)
{
    make_tmpdir(name);
    snprintf(conf, sizeof conf, "%s/c.conf", tmpdir);
    snprintf(conf2, sizeof conf2, "%s/other.conf", tmpdir);
    snprintf(missing, sizeof missing, "%s/missing.conf", tmpdir);
}


static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    size_t n = strlen(text);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    ck_assert_int_eq(close(fd), 0);
}

/* Load text as the config file conf into fresh defaults. */
static int load_text(lcd_options *o, const char *text, char *err, size_t errlen)
{
    write_file(conf, text);
    lcd_options_defaults(o);
    err[0] = '\0';
    return lcd_options_load_config(o, conf, 1, err, errlen);
}

START_TEST(test_config_all_settings)
{
    enter_tmpdir("all_settings");
    lcd_options o;
    char err[1024];
    int rc = load_text(&o,
                       "# logcollectord test config\n"
                       "\n"
                       "   \t\n"
                       "   # an indented comment = 5\n"
                       "bind = ::1\n"
                       "port=8080\n"
                       "  port-file   =   /run/x/port  \n"
                       "\tkey-file\t=\t\"/etc/x key\"\n"
                       "output = /var/log/a#b # not a comment\n"
                       "max-record = 2K\n"
                       "max-clients = 3\n"
                       "max-unwritten = 64K\n"
                       "fsync = \"interval=250\"\n"
                       "max-sessions = \"20\"\n"
                       "handshake-timeout = \"7\"\n"
                       "allow-legacy-md5 = yes\n"
                       "tls-cert = /etc/x/cert.pem\n"
                       "tls-key = \"/etc/x/key.pem\"\n"
                       "tls-client-ca=/etc/x/ca.pem\n"
                       "allow-plaintext = on\n"
                       "user = logcollect\n"
                       "allow-root = true\n"
                       "rotate-size = 1G\n"
                       "rotate-keep = 10\r\n",
                       err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(o.bind, "::1");
    ck_assert_int_eq(o.port, 8080);
    ck_assert_str_eq(o.port_file, "/run/x/port");
    ck_assert_str_eq(o.key_file, "/etc/x key");
    ck_assert_str_eq(o.output, "/var/log/a#b # not a comment");
    ck_assert_int_eq(o.max_record, 2048);
    ck_assert_int_eq(o.max_clients, 3);
    ck_assert_int_eq(o.max_unwritten, 65536);
    ck_assert_int_eq(o.fsync_mode, LCD_FSYNC_INTERVAL);
    ck_assert_int_eq(o.fsync_ms, 250);
    ck_assert_int_eq(o.max_sessions, 20);
    ck_assert_int_eq(o.handshake_timeout_ms, 7000);
    ck_assert_int_eq(o.allow_legacy_md5, 1);
    ck_assert_str_eq(o.tls_cert, "/etc/x/cert.pem");
    ck_assert_str_eq(o.tls_key, "/etc/x/key.pem");
    ck_assert_str_eq(o.tls_client_ca, "/etc/x/ca.pem");
    ck_assert_int_eq(o.allow_plaintext, 1);
    ck_assert_str_eq(o.user, "logcollect");
    ck_assert_int_eq(o.allow_root, 1);
    ck_assert_int_eq(o.rotate_size, 1L << 30);
    ck_assert_int_eq(o.rotate_keep, 10);
    ck_assert_ptr_null(o.config);
    ck_assert_ptr_null(o.gen_key);
    ck_assert_int_eq(o.help, 0);
    ck_assert_int_eq(o.version, 0);
    lcd_options_free(&o);

    /* an empty file, or only comments, changes nothing */
    ck_assert_int_eq(load_text(&o, "", err, sizeof err), 0);
    assert_defaults_except(&o, SIZE_MAX);
    lcd_options_free(&o);
    ck_assert_int_eq(load_text(&o, "# port = 5\n\n#output = /x\n", err, sizeof err), 0);
    assert_defaults_except(&o, SIZE_MAX);
    lcd_options_free(&o);

    /* a later line wins; the last line needs no newline */
    rc = load_text(&o, "port = 1\noutput = /a\nport = 2\noutput = /b", err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(o.port, 2);
    ck_assert_str_eq(o.output, "/b");
    lcd_options_free(&o);

    rc = load_text(&o, "fsync = batch\n", err, sizeof err);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_int_eq(o.fsync_mode, LCD_FSYNC_BATCH);
    lcd_options_free(&o);

    /* quotes: one pair around the value is removed, nothing else */
    static const struct {
        const char *line, *want;
    } q[] = {
        {"output = \" spaced \"\n", " spaced "},
        {"output = \"a\"b\"\n", "a\"b"},
        {"output = \"abc\n", "\"abc"},
        {"output = abc\"\n", "abc\""},
        {"output = \"\n", "\""},
        {"output = '/x'\n", "'/x'"},
        {"output = \"\"\"\n", "\""},
        {"output = a = b\n", "a = b"},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        rc = load_text(&o, q[i].line, err, sizeof err);
        ck_assert_msg(rc == 0, "case %zu: %s", i, err);
        ck_assert_msg(strcmp(o.output, q[i].want) == 0, "case %zu: got [%s], want [%s]", i,
                      o.output, q[i].want);
        lcd_options_free(&o);
    }
    remove_tmpdir();
}
END_TEST

START_TEST(test_config_flags)
{
    enter_tmpdir("flags");
    static const struct {
        const char *val;
        int want;
    } v[] = {
        {"yes", 1}, {"true", 1}, {"on", 1}, {"1", 1}, {"YES", 1}, {"True", 1}, {"oN", 1},
        {"\"yes\"", 1}, {"no", 0}, {"false", 0}, {"off", 0}, {"0", 0}, {"No", 0},
        {"FALSE", 0}, {"Off", 0}, {"\"no\"", 0},
    };
    static const struct {
        const char *name;
        size_t off;
    } flags[] = {
        {"allow-legacy-md5", offsetof(lcd_options, allow_legacy_md5)},
        {"allow-plaintext", offsetof(lcd_options, allow_plaintext)},
        {"allow-root", offsetof(lcd_options, allow_root)},
    };
    for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            char text[128];
            snprintf(text, sizeof text, "%s = %s\n", flags[k].name, v[i].val);
            write_file(conf, text);
            lcd_options o;
            char err[1024] = "";
            lcd_options_defaults(&o);
            int *flag = (int *)((char *)&o + flags[k].off);
            *flag = !v[i].want; /* so that the file must change it */
            ck_assert_msg(lcd_options_load_config(&o, conf, 1, err, sizeof err) == 0,
                          "%s: %s", text, err);
            ck_assert_msg(*flag == v[i].want, "%s gave %d", text, *flag);
            lcd_options_free(&o);
        }
    remove_tmpdir();
}
END_TEST

START_TEST(test_config_errors)
{
    enter_tmpdir("errors");
    static const struct {
        const char *text;
        const char *msg; /* after "FILE:" */
    } v[] = {
        {"max-record = 2K\nbogus = 1\n", "2: unknown setting 'bogus' (see logcollectord --help)"},
        {"Port = 5\n", "1: unknown setting 'Port' (see logcollectord --help)"},
        {"--port = 5\n", "1: unknown setting '--port' (see logcollectord --help)"},
        {"= 5\n", "1: unknown setting '' (see logcollectord --help)"},
        {"gen-key = /tmp/x\n", "1: unknown setting 'gen-key' (only on the command line)"},
        {"# c\nconfig = /etc/x.conf\n",
         "2: unknown setting 'config' (only on the command line)"},
        {"help = yes\n", "1: unknown setting 'help' (only on the command line)"},
        {"version = no\n", "1: unknown setting 'version' (only on the command line)"},
        {"\n\nallow-legacy-md5 = maybe\n", "3: allow-legacy-md5 must be yes or no, not 'maybe'"},
        {"allow-legacy-md5 =\n", "1: allow-legacy-md5 must be yes or no, not ''"},
        {"allow-legacy-md5 = 2\n", "1: allow-legacy-md5 must be yes or no, not '2'"},
        {"allow-root = sure\n", "1: allow-root must be yes or no, not 'sure'"},
        {"tls-cert = \"\"\n", "1: tls-cert needs a non-empty value"},
        {"allow-legacy-md5 = yes please\n",
         "1: allow-legacy-md5 must be yes or no, not 'yes please'"},
        {"port = 99999\n", "1: port must be a number from 0 to 65535, not '99999'"},
        {"port = 5 # five\n", "1: port must be a number from 0 to 65535, not '5 # five'"},
        {"port = \"\"\n", "1: port must be a number from 0 to 65535, not ''"},
        {"max-record = 1T\n",
         "1: max-record must be a number from 64 to 67108864 (K, M and G suffixes allowed), "
         "not '1T'"},
        {"rotate-keep = 0\n", "1: rotate-keep must be a number from 1 to 1000, not '0'"},
        {"fsync = always\n",
         "1: fsync must be never, batch or interval=MS (MS from 1 to 3600000), not 'always'"},
        {"fsync = interval = 5\n",
         "1: fsync must be never, batch or interval=MS (MS from 1 to 3600000), not "
         "'interval = 5'"},
        {"handshake-timeout = 0\n",
         "1: handshake-timeout must be a number of seconds from 1 to 3600, not '0'"},
        {"handshake-timeout = 5000\n",
         "1: handshake-timeout must be a number of seconds from 1 to 3600, not '5000'"},
        {"# c\njust words\n", "2: expected 'name = value', got 'just words'"},
        {"allow-legacy-md5\n", "1: expected 'name = value', got 'allow-legacy-md5'"},
        {"port 80\n", "1: expected 'name = value', got 'port 80'"},
        {"output =\n", "1: output needs a non-empty value"},
        {"bind = \"\"\n", "1: bind needs a non-empty value"},
        {"#1\n\n#3\n\n\n\n\n\n\nkey-file =   \n", "10: key-file needs a non-empty value"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        lcd_options o;
        char err[1024], want[1024];
        int rc = load_text(&o, v[i].text, err, sizeof err);
        lcd_options_free(&o);
        snprintf(want, sizeof want, "%s:%s", conf, v[i].msg);
        ck_assert_msg(rc == -1, "case %zu accepted", i);
        ck_assert_msg(strcmp(err, want) == 0, "case %zu: got \"%s\", want \"%s\"", i, err, want);
    }
    remove_tmpdir();
}
END_TEST

START_TEST(test_config_line_length)
{
    enter_tmpdir("line_length");
    /* "output = " and a value: a line of exactly 4094 bytes is fine */
    size_t cap = 3 * 4096 + 100;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    char *val = malloc(4096);
    ck_assert_ptr_nonnull(val);
    memset(val, 'v', 4094 - 9);
    val[4094 - 9] = '\0';
    snprintf(text, cap, "# c\noutput = %s\nport = 9\n", val);
    lcd_options o;
    char err[1024];
    ck_assert_msg(load_text(&o, text, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(o.output, val);
    ck_assert_int_eq(o.port, 9);
    lcd_options_free(&o);

    /* the same as the last line, without a newline */
    snprintf(text, cap, "port = 9\noutput = %s", val);
    ck_assert_msg(load_text(&o, text, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(o.output, val);
    lcd_options_free(&o);

    /* 4095 bytes is one too many, with or without a newline */
    char want[512];
    snprintf(want, sizeof want, "%s:2: line longer than 4094 bytes", conf);
    snprintf(text, cap, "# c\noutput = %sv\nport = 9\n", val);
    ck_assert_int_eq(load_text(&o, text, err, sizeof err), -1);
    lcd_options_free(&o);
    ck_assert_str_eq(err, want);
    snprintf(text, cap, "# c\noutput = %sv", val);
    ck_assert_int_eq(load_text(&o, text, err, sizeof err), -1);
    lcd_options_free(&o);
    ck_assert_str_eq(err, want);

    /* much longer: one error, naming the line where it starts */
    memset(text, 'x', 3 * 4096);
    memcpy(text, "\n\n\nport = ", 10);
    strcpy(text + 3 * 4096, "\n");
    snprintf(want, sizeof want, "%s:4: line longer than 4094 bytes", conf);
    ck_assert_int_eq(load_text(&o, text, err, sizeof err), -1);
    lcd_options_free(&o);
    ck_assert_str_eq(err, want);
    free(val);
    free(text);
    remove_tmpdir();
}
END_TEST

START_TEST(test_config_missing)
{
    enter_tmpdir("missing");
    lcd_options o;
    char err[1024], want[1024];

    /* a missing file is fine unless it must exist */
    lcd_options_defaults(&o);
    err[0] = '\0';
    ck_assert_int_eq(lcd_options_load_config(&o, missing, 0, err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    assert_defaults_except(&o, SIZE_MAX);
    ck_assert_int_eq(lcd_options_load_config(&o, missing, 1, err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot read config file %s: %s", missing, strerror(ENOENT));
    ck_assert_str_eq(err, want);

    /* a folder is an error either way */
    for (int must = 0; must < 2; must++) {
        ck_assert_int_eq(lcd_options_load_config(&o, tmpdir, must, err, sizeof err), -1);
        snprintf(want, sizeof want, "cannot read config file %s: %s", tmpdir, strerror(EISDIR));
        ck_assert_str_eq(err, want);
    }
    /* so is any other failure to open it */
    write_file(conf, "port = 1\n");
    char below[300];
    snprintf(below, sizeof below, "%s/x.conf", conf);
    ck_assert_int_eq(lcd_options_load_config(&o, below, 0, err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot read config file %s: %s", below, strerror(ENOTDIR));
    ck_assert_str_eq(err, want);
    lcd_options_free(&o);

    /* a missing file given with --config is an error */
    lcd_options_defaults(&o);
    ck_assert_int_eq(parse(&o, ARGV("--config", missing), err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot read config file %s: %s", missing, strerror(ENOENT));
    ck_assert_str_eq(err, want);
    lcd_options_free(&o);
    snprintf(confarg, sizeof confarg, "--config=%s", missing);
    lcd_options_defaults(&o);
    ck_assert_int_eq(parse(&o, ARGV("--port", "5", confarg), err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    lcd_options_free(&o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_config_from_argv)
{
    enter_tmpdir("from_argv");
    write_file(conf, "max-record = 2K\nallow-legacy-md5 = yes\nhandshake-timeout = \"7\"\n"
                     "max-clients=3\noutput = /from/file\n");
    lcd_options o;
    char err[1024];

    /* --config PATH: the file applies and the path is kept */
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--config", conf), err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(o.max_record, 2048);
    ck_assert_int_eq(o.allow_legacy_md5, 1);
    ck_assert_int_eq(o.handshake_timeout_ms, 7000);
    ck_assert_int_eq(o.max_clients, 3);
    ck_assert_str_eq(o.output, "/from/file");
    ck_assert_str_eq(o.config, conf);
    ck_assert_int_eq(o.port, 0);
    lcd_options_free(&o);

    /* the command line wins, before or after --config */
    snprintf(confarg, sizeof confarg, "--config=%s", conf);
    for (int order = 0; order < 4; order++) {
        lcd_options_defaults(&o);
        int rc;
        switch (order) {
        case 0:
            rc = parse(&o, ARGV("--config", conf, "--max-clients", "50", "--output", "/cli"),
                       err, sizeof err);
            break;
        case 1:
            rc = parse(&o, ARGV("--max-clients", "50", "--output", "/cli", "--config", conf),
                       err, sizeof err);
            break;
        case 2:
            rc = parse(&o, ARGV("--max-clients=50", confarg, "--output=/cli"), err, sizeof err);
            break;
        default:
            rc = parse(&o, ARGV("--output", "/cli", "--max-clients=50", confarg), err, sizeof err);
            break;
        }
        ck_assert_msg(rc == 0, "order %d: %s", order, err);
        ck_assert_msg(o.max_clients == 50, "order %d: max-clients %ld", order, o.max_clients);
        ck_assert_msg(strcmp(o.output, "/cli") == 0, "order %d: output %s", order, o.output);
        ck_assert_msg(o.max_record == 2048, "order %d: max-record %ld", order, o.max_record);
        ck_assert_msg(o.handshake_timeout_ms == 7000, "order %d", order);
        ck_assert_str_eq(o.config, conf);
        lcd_options_free(&o);
    }

    /* an abbreviated --config (getopt_long accepts --conf) loads it too */
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--conf", conf, "--port", "4"), err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(o.config, conf);
    ck_assert_int_eq(o.max_record, 2048);
    ck_assert_int_eq(o.max_clients, 3);
    ck_assert_int_eq(o.port, 4);
    lcd_options_free(&o);
    snprintf(confarg, sizeof confarg, "--co=%s", conf);
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV(confarg), err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(o.config, conf);
    ck_assert_int_eq(o.max_clients, 3);
    lcd_options_free(&o);

    /* given twice, the last --config is the one read, as with any option */
    write_file(conf2, "max-clients = 9\n");
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--config", conf, "--config", conf2), err, sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(o.config, conf2);
    ck_assert_int_eq(o.max_clients, 9);
    ck_assert_int_eq(o.max_record, 1L << 20); /* conf not read */
    lcd_options_free(&o);

    /* a flag set to no in the file, on the command line */
    write_file(conf2, "allow-legacy-md5 = no\nport = 77\n");
    lcd_options_defaults(&o);
    ck_assert_msg(parse(&o, ARGV("--allow-legacy-md5", "--config", conf2), err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(o.allow_legacy_md5, 1);
    ck_assert_int_eq(o.port, 77);
    lcd_options_free(&o);

    /* an error in the file names FILE:LINE and fails the parse */
    write_file(conf2, "port = 1\n\nbogus = 2\n");
    char want[1024];
    snprintf(want, sizeof want, "%s:3: unknown setting 'bogus' (see logcollectord --help)",
             conf2);
    lcd_options_defaults(&o);
    ck_assert_int_eq(parse(&o, ARGV("--port", "5", "--config", conf2), err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    lcd_options_free(&o);

    /* a command line error after a good file */
    lcd_options_defaults(&o);
    ck_assert_int_eq(parse(&o, ARGV("--config", conf, "--port", "x"), err, sizeof err), -1);
    ck_assert_str_eq(err, "--port must be a number from 0 to 65535, not 'x'");
    lcd_options_free(&o);

    /* --config after "--" is an argument, not read */
    lcd_options_defaults(&o);
    if (!default_config_exists()) {
        ck_assert_int_eq(parse(&o, ARGV("--", "--config", conf), err, sizeof err), -1);
        ck_assert_str_eq(err,
                         "unexpected argument '--config' (all settings are --options; see --help)");
        ck_assert_int_eq(o.max_clients, 1024);
    }
    lcd_options_free(&o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_config_not_read_for_help)
{
    /* --help, --version and --gen-key work whatever the config file says */
    enter_tmpdir("not_read");
    write_file(conf, "port = 5\nbogus = 1\n");
    char want[1024], err[1024];
    snprintf(want, sizeof want, "%s:2: unknown setting 'bogus' (see logcollectord --help)", conf);
    lcd_options o;
    lcd_options_defaults(&o);
    ck_assert_int_eq(parse(&o, ARGV("--config", conf), err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    lcd_options_free(&o);

    snprintf(confarg, sizeof confarg, "--config=%s", missing);
    for (int i = 0; i < 6; i++) {
        lcd_options_defaults(&o);
        int rc;
        switch (i) {
        case 0: rc = parse(&o, ARGV("--config", conf, "--help"), err, sizeof err); break;
        case 1: rc = parse(&o, ARGV("-h", "--config", conf), err, sizeof err); break;
        case 2: rc = parse(&o, ARGV("--version", "--config", conf), err, sizeof err); break;
        case 3: rc = parse(&o, ARGV("--config", conf, "--gen-key", "/x/k"), err, sizeof err); break;
        case 4: rc = parse(&o, ARGV("--gen-key=/x/k", "--config", conf), err, sizeof err); break;
        default: rc = parse(&o, ARGV(confarg, "--version"), err, sizeof err); break;
        }
        ck_assert_msg(rc == 0, "case %d: %s", i, err);
        ck_assert_msg(o.port == 0, "case %d: the config file was read", i);
        ck_assert_str_eq(o.config, i == 5 ? missing : conf);
        ck_assert_int_eq(o.help, i < 2);
        ck_assert_int_eq(o.version, i == 2 || i == 5);
        if (i == 3 || i == 4)
            ck_assert_str_eq(o.gen_key, "/x/k");
        else
            ck_assert_ptr_null(o.gen_key);
        lcd_options_free(&o);
    }
    remove_tmpdir();
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("argv");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_parse_nothing);
    tcase_add_test(tc, test_parse_strings);
    tcase_add_test(tc, test_parse_numbers);
    tcase_add_test(tc, test_parse_flags);
    tcase_add_test(tc, test_parse_fsync);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_usage);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_test(tc, test_config_all_settings);
    tcase_add_test(tc, test_config_flags);
    tcase_add_test(tc, test_config_errors);
    tcase_add_test(tc, test_config_line_length);
    tcase_add_test(tc, test_config_missing);
    tcase_add_test(tc, test_config_from_argv);
    tcase_add_test(tc, test_config_not_read_for_help);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(options_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
