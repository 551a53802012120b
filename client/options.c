/*
 * options.c - lc_options: what lc_open_opts and lc_query_status are told,
 * with the defaults in one place, and where unset settings come from (the
 * environment, then the installed paths).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_tls.h"
#include "internal.h"
#include "logcollect.h"
#include "record.h"

#define DEFAULT_QUEUE_BYTES (8u << 20)
#define MIN_QUEUE_BYTES 4096
#define DEFAULT_CLOSE_MS 2000
#define DEFAULT_CONNECT_MS 5000



void lcc_options_target(const lc_options *o, const char **port_file, const char **key_file,
                        const char **app)
{
    *port_file = lcc_pick_path(o ? o->port_file : NULL, "LOGCOLLECT_PORT_FILE",
                               LCC_DEFAULT_PORT_FILE);
    *key_file = lcc_pick_path(o ? o->key_file : NULL, "LOGCOLLECT_KEY_FILE",
                              LCC_DEFAULT_KEY_FILE);
    *app = o && o->app ? o->app : "logcollect-status";
}

void lcc_options_defaults(lc_options *o)
{
    memset(o, 0, sizeof *o);
    o->queue_bytes = DEFAULT_QUEUE_BYTES;
    o->policy = LC_FULL_DROP;
    o->close_ms = DEFAULT_CLOSE_MS;
    o->connect_ms = DEFAULT_CONNECT_MS;
}

LC_API lc_options *lc_options_new(void)
{
    lc_options *o = malloc(sizeof *o);
    if (!o) {
        lcc_set_error(LC_ENOMEM, "lc_options_new: out of memory");
        return NULL;
    }
    lcc_options_defaults(o);
    return o;
}

LC_API void lc_options_free(lc_options *o)
{
    if (!o)
        return;
    free(o->port_file);
    free(o->key_file);
    free(o->app);
    free(o->tls_ca);
    free(o->tls_cert);
    free(o->tls_key);
    free(o);
}

static int set_string(char **slot, const char *value, const char *fn)
{
    char *copy = NULL;
    if (value) {
        if (!*value)
            return lcc_set_error(LC_EINVAL, "%s: the path is empty (NULL means the "
                                            "default)", fn);
        copy = strdup(value);
        if (!copy)
            return lcc_set_error(LC_ENOMEM, "%s: out of memory", fn);
    }
    free(*slot);
    *slot = copy;
    return LC_OK;
}

#define NEED_OPTS(o, fn)                                                        \
    do {                                                                        \
        if (!(o))                                                               \
            return lcc_set_error(LC_EINVAL, "%s: the options object is NULL", fn); \
    } while (0)

LC_API int lc_options_set_port_file(lc_options *o, const char *path)
{
    NEED_OPTS(o, "lc_options_set_port_file");
    return set_string(&o->port_file, path, "lc_options_set_port_file");
}

LC_API int lc_options_set_key_file(lc_options *o, const char *path)
{
    NEED_OPTS(o, "lc_options_set_key_file");
    return set_string(&o->key_file, path, "lc_options_set_key_file");
}

int lcc_check_app(const char *app, const char *fn)
{
    size_t n = strlen(app);
    if (n == 0 || n > LCP_NAME_MAX)
        return lcc_set_error(LC_EINVAL, "%s: app name must be 1 to %d bytes, not %zu",
                             fn, LCP_NAME_MAX, n);
    if (lcp_utf8_valid_prefix((const uint8_t *)app, n) != n)
        return lcc_set_error(LC_EINVAL, "%s: app name is not valid UTF-8", fn);
    return LC_OK;
}

LC_API int lc_options_set_app(lc_options *o, const char *app)
{
    NEED_OPTS(o, "lc_options_set_app");
    if (app) {
        int rc = lcc_check_app(app, "lc_options_set_app");
        if (rc != LC_OK)
            return rc;
    }
    char *copy = NULL;
    if (app && !(copy = strdup(app)))
        return lcc_set_error(LC_ENOMEM, "lc_options_set_app: out of memory");
    free(o->app);
    o->app = copy;
    return LC_OK;
}

LC_API int lc_options_set_queue_bytes(lc_options *o, size_t bytes)
{
    NEED_OPTS(o, "lc_options_set_queue_bytes");
    if (bytes < MIN_QUEUE_BYTES)
        return lcc_set_error(LC_EINVAL,
                             "lc_options_set_queue_bytes: %zu bytes is too small (at "
                             "least %d)",
                             bytes, MIN_QUEUE_BYTES);
    o->queue_bytes = bytes;
    return LC_OK;
}

LC_API int lc_options_set_queue_full(lc_options *o, lc_full_policy policy,
                                     int block_timeout_ms)
{
    NEED_OPTS(o, "lc_options_set_queue_full");
    if (policy != LC_FULL_DROP && policy != LC_FULL_BLOCK)
        return lcc_set_error(LC_EINVAL,
                             "lc_options_set_queue_full: policy %d is neither "
                             "LC_FULL_DROP nor LC_FULL_BLOCK",
                             (int)policy);
    o->policy = policy;
    o->block_ms = block_timeout_ms < 0 ? -1 : block_timeout_ms;
    return LC_OK;
}

LC_API int lc_options_set_close_timeout(lc_options *o, int timeout_ms)
{
    NEED_OPTS(o, "lc_options_set_close_timeout");
    if (timeout_ms < 0)
        return lcc_set_error(LC_EINVAL,
                             "lc_options_set_close_timeout: %d ms is negative (lc_close "
                             "must not wait forever)",
                             timeout_ms);
    o->close_ms = timeout_ms;
    return LC_OK;
}

LC_API int lc_options_set_connect_timeout(lc_options *o, int timeout_ms)
{
    NEED_OPTS(o, "lc_options_set_connect_timeout");
    if (timeout_ms < 1)
        return lcc_set_error(LC_EINVAL,
                             "lc_options_set_connect_timeout: %d ms is less than 1",
                             timeout_ms);
    o->connect_ms = timeout_ms;
    return LC_OK;
}

LC_API int lc_options_set_fail_fast(lc_options *o, int on)
{
    NEED_OPTS(o, "lc_options_set_fail_fast");
    o->fail_fast = on != 0;
    return LC_OK;
}

LC_API int lc_options_set_tls_ca(lc_options *o, const char *path)
{
    NEED_OPTS(o, "lc_options_set_tls_ca");
    return set_string(&o->tls_ca, path, "lc_options_set_tls_ca");
}

LC_API int lc_options_set_tls_fingerprint(lc_options *o, const char *fp)
{
    NEED_OPTS(o, "lc_options_set_tls_fingerprint");
    if (!fp) {
        o->tls_fp_set = 0;
        return LC_OK;
    }
    uint8_t bytes[LCC_FP_LEN];
    char why[200];
    if (lcc_parse_fingerprint(fp, bytes, why, sizeof why) != 0)
        return lcc_set_error(LC_EINVAL, "lc_options_set_tls_fingerprint: \"%.100s\" is not a "
                             "SHA-256 fingerprint: %s", fp, why);
    memcpy(o->tls_fp, bytes, sizeof bytes);
    o->tls_fp_set = 1;
    return LC_OK;
}

LC_API int lc_options_set_tls_cert(lc_options *o, const char *cert_file, const char *key_file)
{
    static const char fn[] = "lc_options_set_tls_cert";
    NEED_OPTS(o, fn);
    if (!cert_file && key_file)
        return lcc_set_error(LC_EINVAL, "%s: a key file without a certificate file", fn);
    if ((cert_file && !*cert_file) || (key_file && !*key_file))
        return lcc_set_error(LC_EINVAL, "%s: the path is empty (NULL means the default)", fn);
    char *cert = NULL, *key = NULL;
    if ((cert_file && !(cert = strdup(cert_file))) || (key_file && !(key = strdup(key_file)))) {
        free(cert);
        return lcc_set_error(LC_ENOMEM, "%s: out of memory", fn);
    }
    free(o->tls_cert);
    free(o->tls_key);
    o->tls_cert = cert;
    o->tls_key = key;
    return LC_OK;
}

/* An environment variable, NULL when unset or empty. */
static const char *env_value(const char *name)
{
    const char *v = secure_getenv(name);
    return v && *v ? v : NULL;
}

int lcc_options_tls(const lc_options *o, lcc_tls **out, char *err, size_t errlen)
{
    lcc_tls_settings s;
    uint8_t envfp[LCC_FP_LEN];
    memset(&s, 0, sizeof s);
    if (o && (o->tls_ca || o->tls_fp_set)) {
        s.ca = o->tls_ca;
        s.fp = o->tls_fp_set ? o->tls_fp : NULL;
    } else {
        s.ca = env_value("LOGCOLLECT_TLS_CA");
        const char *fp = env_value("LOGCOLLECT_TLS_FINGERPRINT");
        char why[200];
        if (fp && lcc_parse_fingerprint(fp, envfp, why, sizeof why) != 0) {
            snprintf(err, errlen, "LOGCOLLECT_TLS_FINGERPRINT=\"%.100s\" is not a SHA-256 "
                     "fingerprint: %s", fp, why);
            return LC_EINVAL;
        }
        s.fp = fp ? envfp : NULL;
        s.verify_from_env = 1;
    }
    if (o && o->tls_cert) {
        s.cert = o->tls_cert;
        s.key = o->tls_key;
    } else {
        s.cert = env_value("LOGCOLLECT_TLS_CERT");
        s.key = env_value("LOGCOLLECT_TLS_KEY");
        if (!s.cert && s.key) {
            snprintf(err, errlen, "LOGCOLLECT_TLS_KEY is set but LOGCOLLECT_TLS_CERT is not: "
                     "set both for a TLS client certificate");
            return LC_EINVAL;
        }
        s.cert_from_env = 1;
    }
    return lcc_tls_new(&s, out, err, errlen);
}
