/*
 * client.c - the public API: a blocking, thread-safe client.
 *
 * One mutex per client guards everything: the connection, the buffers and
 * the counters.  Records are formatted into the client's own buffer
 * (format.c) and sent as one frame each (conn.c); ACK and ERROR frames are
 * read along the way, without waiting, and lc_flush waits for the rest.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "format.h"
#include "internal.h"
#include "logcollect.h"
#include "record.h"

#define DEFAULT_PORT_FILE "/run/logcollectord/port"
#define DEFAULT_KEY_FILE "/etc/logcollectord/key"

struct lc_client {
    pthread_mutex_t mu;
    lcc_conn conn;
    lcc_buf rec;         /* the record being sent */
    lcc_buf msg;         /* lc_log's message */
    const char **kv;     /* lc_log_kv's arguments */
    size_t kv_cap;
    int send_timeout_ms; /* negative: no limit */
};

/* The argument, else the environment variable, else the default. */
static const char *pick_path(const char *given, const char *env, const char *def)
{
    if (given)
        return given;
    const char *v = secure_getenv(env);
    return v && *v ? v : def;
}

LC_API lc_client *lc_open(const char *port_file, const char *key_file,
                          const char *app, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    const char *pf = pick_path(port_file, "LOGCOLLECT_PORT_FILE", DEFAULT_PORT_FILE);
    const char *kf = pick_path(key_file, "LOGCOLLECT_KEY_FILE", DEFAULT_KEY_FILE);

    char appbuf[LCP_NAME_MAX + 1];
    if (!app) {
        const char *prog = program_invocation_short_name;
        snprintf(appbuf, sizeof appbuf, "%s", prog && *prog ? prog : "unknown");
        appbuf[lcp_utf8_valid_prefix((const uint8_t *)appbuf, strlen(appbuf))] = '\0';
        app = appbuf;
    } else {
        size_t n = strlen(app);
        if (n == 0 || n > LCP_NAME_MAX) {
            *err = lcc_set_error(LC_EINVAL,
                                 "lc_open: app name must be 1 to %d bytes, not %zu",
                                 LCP_NAME_MAX, n);
            return NULL;
        }
        if (lcp_utf8_valid_prefix((const uint8_t *)app, n) != n) {
            *err = lcc_set_error(LC_EINVAL, "lc_open: app name is not valid UTF-8");
            return NULL;
        }
    }

    lc_client *c = calloc(1, sizeof *c);
    if (!c) {
        *err = lcc_set_error(LC_ENOMEM, "lc_open: out of memory");
        return NULL;
    }
    c->send_timeout_ms = -1;
    int rc = pthread_mutex_init(&c->mu, NULL);
    if (rc != 0) {
        free(c);
        *err = lcc_set_error(LC_ENOMEM, "lc_open: cannot create a mutex: %s",
                             strerror(rc));
        return NULL;
    }
    rc = lcc_open(&c->conn, pf, kf, app, -1);
    if (rc != LC_OK) {
        *err = lcc_set_error(rc, "%s", c->conn.err);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    *err = LC_OK;
    return c;
}

/* Format a record with the current time and send it.  Called locked. */
static int send_record(lc_client *c, lc_level level,
                       const char *msg, size_t msg_len, const char *const *kv,
                       size_t nkv)
{
    char ts[LCP_TIME_LEN + 1];
    char why[300];
    lcc_format_now(ts);
    int rc = lcc_format_record(&c->rec, ts, level, msg, msg_len, kv, nkv, why,
                               sizeof why);
    if (rc != LC_OK)
        return lcc_set_error(rc, "%s", why);
    rc = lcc_send_record(&c->conn, c->rec.data, c->rec.len, c->send_timeout_ms);
    if (rc != LC_OK)
        return lcc_set_error(rc, "%s", c->conn.err);
    return LC_OK;
}

static int bad_level(const char *fn, lc_level level)
{
    return lcc_set_error(LC_EINVAL,
                         "%s: level %d is not one of LC_EMERGENCY (0) .. LC_DEBUG (7)",
                         fn, (int)level);
}

LC_API int lc_log(lc_client *c, lc_level level, const char *fmt, ...)
{
    if (!c || !fmt)
        return lcc_set_error(LC_EINVAL, "lc_log: %s is NULL", c ? "fmt" : "the client");
    if (!lc_level_name(level))
        return bad_level("lc_log", level);
    pthread_mutex_lock(&c->mu);
    va_list ap;
    va_start(ap, fmt);
    int rc = lcc_buf_vprintf(&c->msg, fmt, ap);
    va_end(ap);
    if (rc == -1)
        rc = lcc_set_error(LC_ENOMEM, "lc_log: out of memory");
    else if (rc != 0)
        rc = lcc_set_error(LC_EINVAL, "lc_log: cannot format the message: %s",
                           strerror(errno));
    else
        rc = send_record(c, level, c->msg.data, c->msg.len, NULL, 0);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* Make room for n strings in c->kv.  Called locked. */
static int kv_room(lc_client *c, size_t n)
{
    if (n <= c->kv_cap)
        return 0;
    size_t cap = c->kv_cap ? c->kv_cap : 16;
    while (cap < n) {
        if (cap > SIZE_MAX / 2 / sizeof *c->kv)
            return -1;
        cap *= 2;
    }
    const char **p = realloc(c->kv, cap * sizeof *p);
    if (!p)
        return -1;
    c->kv = p;
    c->kv_cap = cap;
    return 0;
}

LC_API int lc_log_kv(lc_client *c, lc_level level, const char *msg, ...)
{
    if (!c || !msg)
        return lcc_set_error(LC_EINVAL, "lc_log_kv: %s is NULL",
                             c ? "msg" : "the client");
    if (!lc_level_name(level))
        return bad_level("lc_log_kv", level);
    pthread_mutex_lock(&c->mu);
    int rc = LC_OK;
    size_t n = 0;
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *s = va_arg(ap, const char *);
        if (!s)
            break;
        if (kv_room(c, n + 1) != 0) {
            rc = lcc_set_error(LC_ENOMEM, "lc_log_kv: out of memory");
            break;
        }
        c->kv[n++] = s;
    }
    va_end(ap);
    if (rc == LC_OK)
        rc = send_record(c, level, msg, strlen(msg), c->kv, n);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

LC_API int lc_log_fields(lc_client *c, lc_level level, const char *msg,
                         const char *const *names, const char *const *values,
                         size_t n)
{
    if (!c || !msg || (n && (!names || !values)))
        return lcc_set_error(LC_EINVAL, "lc_log_fields: %s is NULL",
                             !c ? "the client" : !msg ? "msg" : "an array");
    if (!lc_level_name(level))
        return bad_level("lc_log_fields", level);
    pthread_mutex_lock(&c->mu);
    int rc;
    if (n > SIZE_MAX / 2 || kv_room(c, 2 * n) != 0) {
        rc = lcc_set_error(LC_ENOMEM, "lc_log_fields: out of memory");
    } else {
        for (size_t i = 0; i < n; i++) {
            c->kv[2 * i] = names[i];
            c->kv[2 * i + 1] = values[i];
        }
        rc = send_record(c, level, msg, strlen(msg), c->kv, 2 * n);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

LC_API int lc_send_json(lc_client *c, const char *json_object)
{
    if (!c || !json_object)
        return lcc_set_error(LC_EINVAL, "lc_send_json: %s is NULL",
                             c ? "the record" : "the client");
    size_t len = strlen(json_object);
    pthread_mutex_lock(&c->mu);
    int rc;
    if (c->conn.broken) {
        /* Say so before spending time on a record that cannot go. */
        rc = lcc_send_record(&c->conn, json_object, len, c->send_timeout_ms);
        rc = lcc_set_error(rc, "%s", c->conn.err);
        goto out;
    }
    if (len > c->conn.max_record) {
        rc = lcc_set_error(LC_ETOOBIG,
                           "record is %zu bytes, logcollectord at %s "
                           "accepts at most %lu (its --max-record)",
                           len, c->conn.peer, (unsigned long)c->conn.max_record);
        goto out;
    }
    lcp_rec_info info;
    char detail[200];
    lcp_rec_status st = lcp_record_check((const uint8_t *)json_object, len, &info,
                                         detail, sizeof detail);
    if (st != LCP_REC_OK) {
        rc = lcc_set_error(LC_EINVAL, "record refused (%s): %s",
                           lcp_rec_status_name(st), detail);
        goto out;
    }
    rc = lcc_send_record(&c->conn, json_object, len, c->send_timeout_ms);
    if (rc != LC_OK)
        rc = lcc_set_error(rc, "%s", c->conn.err);
out:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

LC_API int lc_flush(lc_client *c, int timeout_ms)
{
    if (!c)
        return lcc_set_error(LC_EINVAL, "lc_flush: the client is NULL");
    pthread_mutex_lock(&c->mu);
    int rc = lcc_wait_acked(&c->conn, lcc_last_sent(&c->conn), timeout_ms);
    if (rc != LC_OK) {
        rc = lcc_set_error(rc, "%s", c->conn.err);
    } else {
        char why[LCC_ERR_MAX];
        if (lcc_take_rejection(&c->conn, why, sizeof why) > 0)
            rc = lcc_set_error(LC_EREJECTED, "%s", why);
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

LC_API int lc_set_send_timeout(lc_client *c, int timeout_ms)
{
    if (!c)
        return lcc_set_error(LC_EINVAL, "lc_set_send_timeout: the client is NULL");
    pthread_mutex_lock(&c->mu);
    c->send_timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
    pthread_mutex_unlock(&c->mu);
    return LC_OK;
}

LC_API void lc_close(lc_client *c)
{
    if (!c)
        return;
    lcc_close(&c->conn);
    lcc_buf_free(&c->rec);
    lcc_buf_free(&c->msg);
    free(c->kv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
