/*
 * status.c - lc_query_status: one short connection that asks the
 * collector for its counters (STATUS request, docs/protocol.md §6.5).
 *
 * It authenticates like any client (so only key holders can read the
 * counters) and says HELLO with a session of its own, then sends nothing
 * but the request.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "client_conn.h"
#include "frame.h"
#include "internal.h"
#include "logcollect.h"
#include "client_tls.h"

static int send_request(lcc_conn *c, const lcc_target *t, int64_t deadline)
{
    static const uint8_t req[LCP_FRAME_HDR + 1] = {0, 0, 0, 1, LCP_MSG_STATUS_REQ};
    int r = lcc_send_all(c, t, req, sizeof req, deadline);
    if (r == LC_ETIMEDOUT)
        return lcc_set_error(LC_ETIMEDOUT, "sending the STATUS request to logcollectord at %s "
                             "timed out", c->peer);
    return r == LC_OK ? LC_OK : lcc_set_error(r, "cannot send the STATUS request: %s", c->err);
}

/* Read frames until the STATUS reply; returns it as a new string. */
static int read_reply(lcc_conn *c, const lcc_target *t, int64_t deadline, char **json)
{
    for (;;) {
        const uint8_t *p;
        uint32_t len;
        size_t used;
        int r = lcc_recv_frame(c, t, LCC_RECV_MAX, deadline, &p, &len, &used);
        if (r == LC_ETIMEDOUT)
            return lcc_set_error(LC_ETIMEDOUT, "logcollectord at %s did not answer the "
                                 "STATUS request in time", c->peer);
        if (r == LC_ECLOSED)
            return lcc_set_error(LC_ECLOSED, "logcollectord at %s closed the connection before "
                                 "answering the STATUS request (is it stopping, or an older "
                                 "daemon without STATUS? see its log)", c->peer);
        if (r < 0)
            return lcc_set_error(r, "%s", c->err);
        if (len >= 1 && p[0] == LCP_MSG_STATUS) {
            *json = malloc(len);
            if (!*json)
                return lcc_set_error(LC_ENOMEM, "lc_query_status: out of memory");
            memcpy(*json, p + 1, len - 1);
            (*json)[len - 1] = '\0';
            return LC_OK;
        }
        lcc_consume(c, used); /* an ACK or the like: not ours to act on */
    }
}

LC_API int lc_query_status(const lc_options *o, char **json, int timeout_ms)
{
    if (!json)
        return lcc_set_error(LC_EINVAL, "lc_query_status: json is NULL");
    *json = NULL;
    const char *pf, *kf, *app;
    lcc_options_target(o, &pf, &kf, &app);
    if (timeout_ms <= 0)
        timeout_ms = 5000;
    int64_t deadline = lcc_now_ms() + timeout_ms;

    lcc_conn c;
    memset(&c, 0, sizeof c);
    c.fd = -1;
    lcc_tls *tls = NULL;
    uint8_t *key = NULL;
    size_t keylen = 0;
    char msg[LCC_ERR_MAX];
    int rc = lcc_read_key(kf, &key, &keylen, msg, sizeof msg);
    if (rc != LC_OK)
        return lcc_set_error(rc, "%s", msg);
    uint8_t raw[16];
    char secret[LCP_SID_HEX + 1], sid[LCP_SID_HEX + 1];
    c.rbuf = malloc(LCC_RBUF_SIZE);
    if (!c.rbuf || lcc_random(raw, sizeof raw) != 0) {
        rc = lcc_set_error(LC_ENOMEM, "lc_query_status: out of memory");
        goto out;
    }
    lcp_sid_format(secret, raw);
    if (lcp_sid_derive(secret, sid) != 0) {
        rc = lcc_set_error(LC_ENOMEM, "lc_query_status: cannot derive a session id");
        goto out;
    }
    char host[LCP_NAME_MAX + 1] = "";
    gethostname(host, sizeof host - 1);
    rc = lcc_options_tls(o, &tls, msg, sizeof msg);
    if (rc != LC_OK) {
        rc = lcc_set_error(rc, "%s", msg);
        goto out;
    }
    lcc_target t = {.port_file = pf, .key_file = kf, .key = key, .keylen = keylen, .secret = secret, .sid = sid,
                    .seq = 1, .app = app, .host = host, .pid = (int64_t)getpid(),
                    .tls = tls, .timeout_ms = timeout_ms, .wakefd = -1};
    rc = lcc_connect(&c, &t);
    if (rc != LC_OK) {
        rc = lcc_set_error(rc, "%s", c.err);
        goto out;
    }
    rc = send_request(&c, &t, deadline);
    if (rc == LC_OK)
        rc = read_reply(&c, &t, deadline, json);
out:
    lcc_tls_close_notify(&c);
    lcc_conn_close(&c);
    lcc_tls_free(tls);
    free(c.rbuf);
    if (key) {
        OPENSSL_cleanse(key, keylen);
        free(key);
    }
    return rc;
}
