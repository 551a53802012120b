/*
 * lc_api - the API's contract, call by call (test driver).
 *
 *   lc_api
 *
 * Paths come from LOGCOLLECT_PORT_FILE / LOGCOLLECT_KEY_FILE.  Start it
 * with the collector down; it checks what needs no collector, prints
 * "ready", waits for a line on standard input (the test then starts the
 * collector with --max-record 1024), and checks the rest.  Each check
 * prints "ok NAME" or "FAIL NAME: details"; exit 0 when all passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logcollect.h"

static int failures;

static void expect(const char *name, int got, int want)
{
    if (got == want) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: got %d (%s), want %d (%s); last error: %s\n", name, got,
               lc_strerror(got), want, lc_strerror(want), lc_last_error());
        failures++;
    }
}

static void expect_msg(const char *name, const char *needle)
{
    if (strstr(lc_last_error(), needle)) {
        printf("ok %s\n", name);
    } else {
        printf("FAIL %s: last error \"%s\" lacks \"%s\"\n", name, lc_last_error(), needle);
        failures++;
    }
}

int main(void)
{
    lc_options *o = lc_options_new();
    expect("queue too small", lc_options_set_queue_bytes(o, 100), LC_EINVAL);
    expect_msg("queue too small message", "at least 4096");
    expect("empty app", lc_options_set_app(o, ""), LC_EINVAL);
    expect("bad policy", lc_options_set_queue_full(o, (lc_full_policy)7, 0), LC_EINVAL);
    expect("connect timeout 0", lc_options_set_connect_timeout(o, 0), LC_EINVAL);
    expect("negative close timeout", lc_options_set_close_timeout(o, -1), LC_EINVAL);
    expect("NULL options", lc_options_set_fail_fast(NULL, 1), LC_EINVAL);
    expect("empty path", lc_options_set_port_file(o, ""), LC_EINVAL);
    char longapp[300];
    memset(longapp, 'a', sizeof longapp - 1);
    longapp[sizeof longapp - 1] = '\0';
    int err = 0;
    expect("long app (lc_open)", lc_open(NULL, NULL, longapp, &err) == NULL ? err : 0,
           LC_EINVAL);
    /* TLS settings, on an options object of their own. */
    lc_options *t = lc_options_new();
    expect("tls: empty CA path", lc_options_set_tls_ca(t, ""), LC_EINVAL);
    expect("tls: CA path", lc_options_set_tls_ca(t, "/nonexistent/ca.pem"), LC_OK);
    expect("tls: CA unset", lc_options_set_tls_ca(t, NULL), LC_OK);
    expect("tls: short fingerprint", lc_options_set_tls_fingerprint(t, "sha256:12:34"), LC_EINVAL);
    expect_msg("tls: short fingerprint says 64", "64");
    expect("tls: not hex", lc_options_set_tls_fingerprint(t, "sha256:zz"), LC_EINVAL);
    const char *fp = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                     "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
    char buf[200];
    expect("tls: fingerprint, colons", lc_options_set_tls_fingerprint(t, fp), LC_OK);
    snprintf(buf, sizeof buf, "sha256:%s", fp);
    expect("tls: fingerprint, prefix", lc_options_set_tls_fingerprint(t, buf), LC_OK);
    snprintf(buf, sizeof buf, "SHA256 Fingerprint=%s", fp);
    expect("tls: fingerprint, as openssl prints it", lc_options_set_tls_fingerprint(t, buf), LC_OK);
    expect("tls: fingerprint, lower case, no colons",
           lc_options_set_tls_fingerprint(
               t, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"),
           LC_OK);
    snprintf(buf, sizeof buf, "%s:", fp);
    expect("tls: trailing colon", lc_options_set_tls_fingerprint(t, buf), LC_EINVAL);
    snprintf(buf, sizeof buf, "%s:00", fp);
    expect("tls: 33 bytes", lc_options_set_tls_fingerprint(t, buf), LC_EINVAL);
    expect("tls: colon inside a byte", lc_options_set_tls_fingerprint(t, "A:B"), LC_EINVAL);
    expect("tls: fingerprint unset", lc_options_set_tls_fingerprint(t, NULL), LC_OK);
    expect("tls: key without cert", lc_options_set_tls_cert(t, NULL, "/k.pem"), LC_EINVAL);
    expect("tls: empty cert", lc_options_set_tls_cert(t, "", NULL), LC_EINVAL);
    expect("tls: cert and key", lc_options_set_tls_cert(t, "/c.pem", "/k.pem"), LC_OK);
    expect("tls: cert alone (key inside)", lc_options_set_tls_cert(t, "/c.pem", NULL), LC_OK);
    expect("tls: cert unset", lc_options_set_tls_cert(t, NULL, NULL), LC_OK);
    expect("tls: NULL options", lc_options_set_tls_ca(NULL, "x"), LC_EINVAL);
    expect("tls: CA that does not load",
           lc_options_set_tls_ca(t, "/nonexistent/ca.pem") == LC_OK &&
                   lc_open_opts(t, &err) == NULL
               ? err
               : 0,
           LC_ETLS);
    expect_msg("tls: CA that does not load, message", "/nonexistent/ca.pem");
    lc_options_free(t);

    expect("app", lc_options_set_app(o, "lc_api"), LC_OK);
    expect("queue 64 KiB", lc_options_set_queue_bytes(o, 65536), LC_OK);
    lc_client *c = lc_open_opts(o, &err);
    lc_options_free(o);
    expect("open with the collector down", c ? LC_OK : err, LC_OK);
    if (!c)
        return 1;

    expect("NULL client", lc_log(NULL, LC_INFO, "x"), LC_EINVAL);
    expect("bad level", lc_log(c, (lc_level)9, "x"), LC_EINVAL);
    expect("reserved name", lc_log_kv(c, LC_INFO, "m", "_sid", "x", NULL), LC_EINVAL);
    expect_msg("reserved name message", "reserved");
    expect("name without value", lc_log_kv(c, LC_INFO, "m", "a", NULL), LC_EINVAL);
    expect("name twice", lc_log_kv(c, LC_INFO, "m", "a", "1", "a", "2", NULL), LC_EINVAL);
    expect("msg as a field", lc_log_kv(c, LC_INFO, "m", "msg", "1", NULL), LC_EINVAL);
    expect("json array", lc_send_json(c, "[1]"), LC_EINVAL);
    expect("json reserved", lc_send_json(c, "{\"_x\":1}"), LC_EINVAL);
    expect("json syntax", lc_send_json(c, "{\"a\":}"), LC_EINVAL);
    char huge[70000];
    memset(huge, 'x', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    expect("larger than the queue", lc_log(c, LC_INFO, "%s", huge), LC_ETOOBIG);

    /* Queued before any WELCOME: the collector refuses it later. */
    char big[2001];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    memcpy(big + 1, "\"pad\":\"", 7);
    memset(big + 8, 'p', 1980);
    memcpy(big + 1988, "\"}", 2);
    big[sizeof big - 1] = '\0';
    expect("big record queued", lc_send_json(c, big), LC_OK);
    expect("small record queued", lc_log(c, LC_NOTICE, "small %d", 1), LC_OK);
    expect("flush with the collector down", lc_flush(c, 100), LC_ETIMEDOUT);

    lc_stats st;
    memset(&st, 0xab, sizeof st);
    expect("stats (first member only)", lc_get_stats(c, &st, sizeof st.records), LC_OK);
    expect("stats size respected", st.records == 2 && st.dropped == 0xababababababababull,
           1);
    printf("ready\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin))
        return 1;

    expect("rejection reported by lc_flush", lc_flush(c, 30000), LC_EREJECTED);
    expect_msg("rejection message", "rejected record 1 (code 6, too large)");
    expect("reported once", lc_flush(c, 30000), LC_OK);
    expect("too big once max_record is known", lc_send_json(c, big), LC_ETOOBIG);
    expect_msg("too big message", "accepts at most 1024");
    lc_get_stats(c, &st, sizeof st);
    expect("stats after", st.rejected == 1 && st.acked == 2 && st.connected == 1 &&
                              strlen(st.sid) == 32, 1);
    expect("close", lc_close(c), LC_OK);
    expect("close NULL", lc_close(NULL), LC_OK);

    expect("no default yet", LC_LOG_INFO("nobody"), LC_EINVAL);
    expect("init", lc_init(NULL), LC_OK);
    expect("init twice", lc_init(NULL), LC_EINVAL);
    expect("default macro", LC_LOG_WARNING("via the default client %d", 42), LC_OK);
    expect("shutdown", lc_shutdown(), LC_OK);
    expect("default gone", lc_default() == NULL, 1);
    expect("level alias", lc_level_from_name("warn"), LC_WARNING);
    for (int e = LC_OK; e >= LC_ETLS; e--)
        if (strcmp(lc_strerror(e), "unknown error") == 0)
            expect("strerror", e, 1);
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
