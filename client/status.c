/*
 * status.c - lc_query_status: one short connection that asks the
 * collector for its counters (STATUS request, docs/protocol.md §6.5).
 *
 * It authenticates like any client (so only key holders can read the
 * counters) and says HELLO with a session of its own, then sends nothing
 * but the request.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conn.h"
#include "frame.h"
#include "internal.h"
#include "logcollect.h"
#include "tls.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events, until deadline.  1 ready, 0 timeout. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static int send_request(lcc_conn *c, int64_t deadline)
{
    static const uint8_t req[LCP_FRAME_HDR + 1] = {0, 0, 0, 1, LCP_MSG_STATUS_REQ};
    size_t off = 0;
    while (off < sizeof req) {
        ssize_t w = lcc_io_send(c, req + off, sizeof req - off);
        if (w > 0) {
            off += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            wait_fd(c->fd, lcc_io_wr_events(c), deadline) > 0)
            continue;
        return lcc_set_error(LC_ECLOSED, "cannot send the STATUS request to logcollectord at %s: %s",
                             c->peer, w < 0 ? lcc_io_strerror(c, errno) : "connection closed");
    }
    return LC_OK;
}

/* Read frames until the STATUS reply; returns it as a new string. */
static int read_reply(lcc_conn *c, int64_t deadline, char **json)
{
    for (;;) {
        const uint8_t *p;
        uint32_t len;
        size_t used;
        int r = lcc_next_frame(c, &p, &len, &used);
        if (r < 0)
            return lcc_set_error(LC_EPROTO, "%s", c->err);
        if (r > 0) {
            if (len >= 1 && p[0] == LCP_MSG_STATUS) {
                *json = malloc(len);
                if (!*json)
                    return lcc_set_error(LC_ENOMEM, "lc_query_status: out of memory");
                memcpy(*json, p + 1, len - 1);
                (*json)[len - 1] = '\0';
                return LC_OK;
            }
            lcc_consume(c, used); /* an ACK or the like: not ours to act on */
            continue;
        }
        ssize_t n = lcc_io_recv(c, c->rbuf + c->rlen, LCC_RBUF_SIZE - c->rlen);
        if (n > 0) {
            c->rlen += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(c->fd, lcc_io_rd_events(c), deadline) == 0)
                return lcc_set_error(LC_ETIMEDOUT, "logcollectord at %s did not answer the "
                                     "STATUS request in time", c->peer);
            continue;
        }
        if (n < 0 && c->ssl && errno == EPROTO)
            return lcc_set_error(LC_ETLS, "the TLS connection to logcollectord at %s failed: "
                                 "%s", c->peer, c->tls_why);
        return lcc_set_error(LC_ECLOSED, "logcollectord at %s closed the connection before "
                             "answering (an older daemon without STATUS?)", c->peer);
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
    int64_t deadline = now_ms() + timeout_ms;

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
    rc = send_request(&c, deadline);
    if (rc == LC_OK)
        rc = read_reply(&c, deadline, json);
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
