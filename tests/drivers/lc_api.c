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
    for (int e = LC_OK; e >= LC_EDROPPED; e--)
        if (strcmp(lc_strerror(e), "unknown error") == 0)
            expect("strerror", e, 1);
    printf("%s\n", failures ? "FAILED" : "all ok");
    return failures ? 1 : 0;
}
