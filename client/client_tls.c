/*
 * client_tls.c - TLS for the client's connections.  See client_tls.h.
 */
#include "client_tls.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509err.h>
#include <openssl/x509_vfy.h>

#include "hex.h"
#include "keyfile.h"
#include "logcollect.h"

struct lcc_tls {
    SSL_CTX *ctx;
    char *ca;        /* for messages; NULL: no CA */
    int have_fp;
    uint8_t fp[LCC_FP_LEN];
    int have_cert;
    int verify_from_env;
};

/* ---- fingerprints ------------------------------------------------------ */

int lcc_parse_fingerprint(const char *text, uint8_t fp[LCC_FP_LEN], char *why, size_t whylen)
{
    const char *p = text;
    /* "sha256:..." as we print it; also the line openssl x509 -fingerprint
     * -sha256 prints ("sha256 Fingerprint=AB:..."). */
    if (strncasecmp(p, "sha256:", 7) == 0)
        p += 7;
    else if (strncasecmp(p, "sha256 fingerprint=", 19) == 0)
        p += 19;
    size_t nibbles = 0;
    int colon_ok = 0;
    for (; *p; p++) {
        if (*p == ':') {
            if (!colon_ok) {
                snprintf(why, whylen, "a ':' out of place (colons go between bytes)");
                return -1;
            }
            colon_ok = 0;
            continue;
        }
        int v = lcp_hex_digit((unsigned char)*p);
        if (v < 0) {
            snprintf(why, whylen, "'%c' is not a hex digit (expected sha256:AB:CD:..., 32 bytes)",
                     isprint((unsigned char)*p) ? *p : '?');
            return -1;
        }
        if (nibbles == 2 * LCC_FP_LEN) {
            snprintf(why, whylen, "more than 32 bytes (a SHA-256 fingerprint has 64 hex digits)");
            return -1;
        }
        if (nibbles % 2 == 0)
            fp[nibbles / 2] = (uint8_t)(v << 4);
        else
            fp[nibbles / 2] |= (uint8_t)v;
        nibbles++;
        colon_ok = nibbles % 2 == 0;
    }
    if (nibbles != 2 * LCC_FP_LEN || (p > text && p[-1] == ':')) {
        snprintf(why, whylen, "%zu hex digits where a SHA-256 fingerprint has 64 (expected "
                 "sha256:AB:CD:..., as printed by openssl x509 -noout -fingerprint -sha256)",
                 nibbles);
        return -1;
    }
    return 0;
}

void lcc_format_fingerprint(const uint8_t fp[LCC_FP_LEN], char out[LCC_FP_TEXT])
{
    memcpy(out, "sha256:", 7);
    size_t n = 0;
    /* "AB:CD:..." is exactly OpenSSL's form; the buffer is sized for it */
    if (OPENSSL_buf2hexstr_ex(out + 7, LCC_FP_TEXT - 7, &n, fp, LCC_FP_LEN, ':') != 1)
        out[7] = '\0';
}

/* ---- OpenSSL errors ------------------------------------------------------ */

/* The oldest error in this thread's queue as text (its reason, e.g.
 * "tlsv13 alert certificate required"), then clear the queue.  Returns
 * its reason code (0 if none).  Called with lcc_fork_mu held. */
static int take_error(char *out, size_t cap)
{
    unsigned long e = ERR_get_error();
    int reason = 0;
    if (!e) {
        snprintf(out, cap, "unknown TLS error");
    } else {
        reason = ERR_GET_REASON(e);
        const char *r = ERR_reason_error_string(e);
        if (r)
            snprintf(out, cap, "%s", r);
        else
            ERR_error_string_n(e, out, cap);
    }
    ERR_clear_error();
    return reason;
}

/* A hint for an alert the collector sent about certificates. */
static const char *alert_hint(int reason, int has_cert)
{
    switch (reason) {
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        return has_cert ? "" : " (the collector requires a client certificate: set "
                               "LOGCOLLECT_TLS_CERT and LOGCOLLECT_TLS_KEY)";
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
        return has_cert ? " (the collector refused our client certificate: is it signed "
                          "by its --tls-client-ca?)"
                        : "";
    case SSL_R_WRONG_VERSION_NUMBER:
        return " (the port file says the collector speaks TLS: does it?)";
    }
    return "";
}

/* ---- the socket BIO ------------------------------------------------------ */

/* A BIO on a non-blocking socket: recv(MSG_DONTWAIT) and
 * send(MSG_DONTWAIT | MSG_NOSIGNAL), so that no write raises SIGPIPE in
 * the application (OpenSSL's socket BIO uses write()).  The fd is the
 * BIO's data; nothing is freed or closed with it. */

static BIO_METHOD *sock_method; /* lcc_fork_mu; made once, kept */

static int bio_fd(BIO *b)
{
    return (int)(intptr_t)BIO_get_data(b);
}

static int bio_write(BIO *b, const char *buf, int len)
{
    ssize_t r;
    do
        r = send(bio_fd(b), buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    BIO_clear_retry_flags(b);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_write(b);
    return (int)r;
}

static int bio_read(BIO *b, char *buf, int len)
{
    ssize_t r;
    do
        r = recv(bio_fd(b), buf, (size_t)len, MSG_DONTWAIT);
    while (r < 0 && errno == EINTR);
    BIO_clear_retry_flags(b);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        BIO_set_retry_read(b);
    else if (r == 0 && len > 0)
        BIO_set_flags(b, BIO_FLAGS_IN_EOF);
    return (int)r;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_EOF:
        return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    case BIO_CTRL_FLUSH:
    case BIO_CTRL_DUP:
        return 1;
    default:
        return 0;
    }
}

static BIO_METHOD *get_sock_method(void)
{
    if (sock_method)
        return sock_method;
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                 "logcollect socket");
    if (!m)
        return NULL;
    if (BIO_meth_set_write(m, bio_write) != 1 || BIO_meth_set_read(m, bio_read) != 1 ||
        BIO_meth_set_ctrl(m, bio_ctrl) != 1) {
        BIO_meth_free(m);
        return NULL;
    }
    sock_method = m;
    return m;
}

/* ---- the context ------------------------------------------------------------ */

/* Certificate checks, called by OpenSSL during the handshake for each
 * problem found and once more for each certificate of the chain.  With a
 * CA, OpenSSL's verdict stands.  With a pinned fingerprint, the server's
 * own certificate (depth 0) must have it: without a CA it is all that
 * counts (chain and dates are not looked at), with one it is checked as
 * well.  A mismatch fails the handshake there, with an alert to the
 * server, before we show it anything (not even our certificate). */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
    const lcc_tls *t = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
    lcc_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
    if (!t || !c || !t->have_fp)
        return ok;
    if (t->ca && !ok)
        return 0;
    if (X509_STORE_CTX_get_error_depth(x) != 0)
        return t->ca ? ok : 1;
    X509 *cert = X509_STORE_CTX_get_current_cert(x);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (cert && X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == LCC_FP_LEN &&
        CRYPTO_memcmp(md, t->fp, LCC_FP_LEN) == 0)
        return 1;
    if (!c->tls_pin_failed) {
        char got[LCC_FP_TEXT] = "(none)", want[LCC_FP_TEXT];
        if (n == LCC_FP_LEN)
            lcc_format_fingerprint(md, got);
        lcc_format_fingerprint(t->fp, want);
        snprintf(c->err, sizeof c->err, "the TLS certificate of logcollectord at %s has "
                 "fingerprint %s, not the pinned %s%s: not the collector we trust (or its "
                 "certificate changed); nothing was sent to it",
                 c->peer, got, want, t->verify_from_env ? " (LOGCOLLECT_TLS_FINGERPRINT)" : "");
        c->tls_pin_failed = 1;
    }
    X509_STORE_CTX_set_error(x, X509_V_ERR_CERT_REJECTED);
    return 0;
}

/* Encrypted keys: never ask a terminal for a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* ---- the context ----------------------------------------------------------- */

/* The PEM files, read before lcc_fork_mu is taken: file I/O may block (a
 * FIFO, a slow disk), and a fork must never wait for it.  Each is a regular
 * file of at most TLS_FILE_MAX bytes (lcp_read_small_file). */
#define TLS_FILE_MAX (4 << 20)

typedef struct {
    char *ca, *cert, *key; /* NULL: not configured, or the key is in cert */
    size_t ca_len, cert_len, key_len;
} pem_texts;

static void pem_texts_free(pem_texts *p)
{
    if (p->key)
        OPENSSL_cleanse(p->key, p->key_len);
    if (p->cert)
        OPENSSL_cleanse(p->cert, p->cert_len); /* may hold the key too */
    free(p->ca);
    free(p->cert);
    free(p->key);
}

static int read_pem(const char *path, const char *what, const char *env, char **text,
                    size_t *len, char *err, size_t errlen)
{
    char why[512];
    *text = lcp_read_small_file(path, TLS_FILE_MAX, len, why, sizeof why);
    if (*text)
        return LC_OK;
    if (errno == EINVAL || errno == EFBIG) /* why names the file */
        snprintf(err, errlen, "cannot load the TLS %s%s: %s", what, env, why);
    else
        snprintf(err, errlen, "cannot load the TLS %s %s%s: %s", what, path, env,
                 strerror(errno));
    return LC_ETLS;
}

static int read_pems(const lcc_tls_settings *s, pem_texts *p, char *err, size_t errlen)
{
    const char *venv = s->verify_from_env ? " (from the environment)" : "";
    const char *cenv = s->cert_from_env ? " (from the environment)" : "";
    memset(p, 0, sizeof *p);
    int rc = LC_OK;
    if (s->ca)
        rc = read_pem(s->ca, "CA file", venv, &p->ca, &p->ca_len, err, errlen);
    if (rc == LC_OK && s->cert)
        rc = read_pem(s->cert, "client certificate", cenv, &p->cert, &p->cert_len, err, errlen);
    if (rc == LC_OK && s->cert && s->key)
        rc = read_pem(s->key, "client key", cenv, &p->key, &p->key_len, err, errlen);
    return rc;
}

/* The CAs (and CRLs) of a PEM text into the context's store: what
 * SSL_CTX_load_verify_locations does with a file.  1, or 0 with the error
 * queued. */
static int load_ca(SSL_CTX *ctx, const char *pem, size_t len)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    STACK_OF(X509_INFO) *infos = b ? PEM_X509_INFO_read_bio(b, NULL, no_passphrase, NULL)
                                   : NULL;
    BIO_free(b);
    if (!infos)
        return 0;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int n = 0, ok = 1;
    for (int i = 0; ok && i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *xi = sk_X509_INFO_value(infos, i);
        if (xi->x509) {
            ok = X509_STORE_add_cert(store, xi->x509) == 1;
            n++;
        }
        if (ok && xi->crl) {
            ok = X509_STORE_add_crl(store, xi->crl) == 1;
            n++;
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    if (ok && n == 0)
        ERR_raise(ERR_LIB_X509, X509_R_NO_CERTIFICATE_OR_CRL_FOUND);
    return ok && n > 0;
}

/* The certificate and the chain after it: what
 * SSL_CTX_use_certificate_chain_file does with a file.  1, or 0 with the
 * error queued. */
static int use_chain(SSL_CTX *ctx, const char *pem, size_t len)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (!b)
        return 0;
    int ok = 0;
    X509 *x = PEM_read_bio_X509_AUX(b, NULL, no_passphrase, NULL);
    if (x && SSL_CTX_use_certificate(ctx, x) == 1 && ERR_peek_error() == 0) {
        SSL_CTX_clear_chain_certs(ctx);
        X509 *ca;
        ok = 1;
        while (ok && (ca = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL) {
            ok = SSL_CTX_add0_chain_cert(ctx, ca) == 1;
            if (!ok)
                X509_free(ca);
        }
        /* the loop ends at the end of the text: "no start line" */
        unsigned long e = ERR_peek_last_error();
        if (ok && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
            ERR_clear_error();
        else if (ok && e != 0)
            ok = 0;
    }
    X509_free(x);
    BIO_free(b);
    return ok;
}

/* The private key: what SSL_CTX_use_PrivateKey_file does with a PEM file.
 * 1, or 0 with the error queued (X509_R_KEY_VALUES_MISMATCH when it is not
 * the certificate's). */
static int use_key(SSL_CTX *ctx, const char *pem, size_t len)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL) : NULL;
    BIO_free(b);
    int ok = k && SSL_CTX_use_PrivateKey(ctx, k) == 1;
    EVP_PKEY_free(k);
    return ok;
}

/* Called with lcc_fork_mu held; the files are read already. */
static int make_ctx(lcc_tls *t, const lcc_tls_settings *s, const pem_texts *p, char *err,
                    size_t errlen)
{
    char why[256];
    const char *venv = s->verify_from_env ? " (from the environment)" : "";
    const char *cenv = s->cert_from_env ? " (from the environment)" : "";
    ERR_clear_error();
    if (!get_sock_method()) {
        snprintf(err, errlen, "cannot set up TLS: out of memory");
        return LC_ENOMEM;
    }
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) {
        take_error(why, sizeof why);
        snprintf(err, errlen, "cannot create a TLS context: %s", why);
        return LC_ENOMEM;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_default_passwd_cb(t->ctx, no_passphrase);
    if (s->ca) {
        if (!load_ca(t->ctx, p->ca, p->ca_len)) {
            take_error(why, sizeof why);
            snprintf(err, errlen, "cannot load the TLS CA file %s%s: %s (it must hold PEM "
                     "certificates)", s->ca, venv, why);
            return LC_ETLS;
        }
    }
    /* Pinned only: OpenSSL still builds and checks the chain (and fails
     * it, with no CA), and verify_cb overrules it by the fingerprint. */
    if (s->ca || s->fp)
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, s->fp ? verify_cb : NULL);
    SSL_CTX_set_app_data(t->ctx, t);
    if (s->cert) {
        const char *key = s->key ? s->key : s->cert;
        if (!use_chain(t->ctx, p->cert, p->cert_len)) {
            take_error(why, sizeof why);
            snprintf(err, errlen, "cannot load the TLS client certificate %s%s: %s", s->cert,
                     cenv, why);
            return LC_ETLS;
        }
        if (!use_key(t->ctx, s->key ? p->key : p->cert, s->key ? p->key_len : p->cert_len)) {
            if (take_error(why, sizeof why) == X509_R_KEY_VALUES_MISMATCH) {
                snprintf(err, errlen, "the TLS client key %s%s does not match the certificate "
                         "%s", key, cenv, s->cert);
                return LC_ETLS;
            }
            snprintf(err, errlen, "cannot load the TLS client key %s%s: %s%s", key, cenv, why,
                     s->key ? " (an unencrypted PEM key)"
                            : " (no key file given: the key must follow the certificate "
                              "in the same file)");
            return LC_ETLS;
        }
        if (SSL_CTX_check_private_key(t->ctx) != 1) {
            ERR_clear_error();
            snprintf(err, errlen, "the TLS client key %s%s does not match the certificate %s",
                     key, cenv, s->cert);
            return LC_ETLS;
        }
    }
    return LC_OK;
}

int lcc_tls_new(const lcc_tls_settings *s, lcc_tls **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!s->ca && !s->fp && !s->cert)
        return LC_OK;
    lcc_tls *t = calloc(1, sizeof *t);
    if (!t || (s->ca && !(t->ca = strdup(s->ca)))) {
        free(t);
        snprintf(err, errlen, "out of memory setting up TLS");
        return LC_ENOMEM;
    }
    if (s->fp) {
        t->have_fp = 1;
        memcpy(t->fp, s->fp, LCC_FP_LEN);
    }
    t->have_cert = s->cert != NULL;
    t->verify_from_env = s->verify_from_env;
    pem_texts pem;
    int rc = read_pems(s, &pem, err, errlen);
    if (rc == LC_OK) {
        pthread_mutex_lock(&lcc_fork_mu);
        rc = make_ctx(t, s, &pem, err, errlen);
        pthread_mutex_unlock(&lcc_fork_mu);
    }
    pem_texts_free(&pem);
    if (rc != LC_OK) {
        lcc_tls_free(t);
        return rc;
    }
    *out = t;
    return LC_OK;
}

void lcc_tls_free(lcc_tls *t)
{
    if (!t)
        return;
    if (t->ctx) {
        pthread_mutex_lock(&lcc_fork_mu);
        SSL_CTX_free(t->ctx);
        pthread_mutex_unlock(&lcc_fork_mu);
    }
    free(t->ca);
    OPENSSL_cleanse(t->fp, sizeof t->fp);
    free(t);
}

int lcc_tls_verifies(const lcc_tls *t)
{
    return t && (t->ca || t->have_fp);
}

void lcc_tls_describe(const lcc_tls *t, char *out, size_t cap)
{
    char fp[LCC_FP_TEXT];
    const char *env = t->verify_from_env ? ", from the environment" : "";
    if (t->have_fp)
        lcc_format_fingerprint(t->fp, fp);
    if (t->ca && t->have_fp)
        snprintf(out, cap, "CA file %s and pinned fingerprint %s%s", t->ca, fp, env);
    else if (t->ca)
        snprintf(out, cap, "CA file %s%s", t->ca, env);
    else if (t->have_fp)
        snprintf(out, cap, "pinned fingerprint %s%s", fp, env);
    else
        snprintf(out, cap, "no CA file or fingerprint");
}

/* ---- one connection ------------------------------------------------------- */

int lcc_tls_attach(lcc_conn *c, const lcc_tls *t, const char *host)
{
    int rc = LC_OK;
    char why[256];
    pthread_mutex_lock(&lcc_fork_mu);
    ERR_clear_error();
    SSL *ssl = SSL_new(t->ctx);
    BIO *bio = ssl ? BIO_new(sock_method) : NULL;
    if (!bio) {
        take_error(why, sizeof why);
        snprintf(c->err, sizeof c->err, "cannot start TLS with %s: %s", c->peer, why);
        SSL_free(ssl);
        rc = LC_ENOMEM;
        goto out;
    }
    BIO_set_data(bio, (void *)(intptr_t)c->fd);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl, bio, bio);
    SSL_set_connect_state(ssl);
    SSL_set_app_data(ssl, c); /* for verify_cb */
    c->tls_pin_failed = 0;
    if (t->ca) {
        /* The port file holds an address literal: the certificate must
         * name that IP address (subjectAltName IP).  Anything else (a
         * scoped IPv6 address loses its "%if") is checked as a DNS name. */
        char h[LCP_HOST_MAX];
        snprintf(h, sizeof h, "%s", host);
        char *pct = strchr(h, '%');
        if (pct)
            *pct = '\0';
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), h) != 1 &&
            (SSL_set1_host(ssl, h) != 1 || SSL_set_tlsext_host_name(ssl, h) != 1)) {
            take_error(why, sizeof why);
            snprintf(c->err, sizeof c->err, "cannot check the TLS certificate of %s against "
                     "\"%s\": %s", c->peer, h, why);
            SSL_free(ssl);
            rc = LC_ETLS;
            goto out;
        }
    }
    c->ssl = ssl;
    c->tls_rd_ev = POLLIN;
    c->tls_wr_ev = POLLOUT;
    c->tls_has_cert = t->have_cert;
    c->tls_why[0] = '\0';
out:
    pthread_mutex_unlock(&lcc_fork_mu);
    return rc;
}

/* After SSL_connect succeeded, once more (verify_cb did it already):
 * the certificate in the session is the pinned one.  Called with
 * lcc_fork_mu held. */
static int check_fingerprint(lcc_conn *c, const lcc_tls *t)
{
    X509 *cert = SSL_get0_peer_certificate(c->ssl);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!cert || X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != LCC_FP_LEN) {
        ERR_clear_error();
        snprintf(c->err, sizeof c->err, "logcollectord at %s showed no TLS certificate to "
                 "check against the pinned fingerprint; nothing was sent to it", c->peer);
        return LC_ETLS;
    }
    if (CRYPTO_memcmp(md, t->fp, LCC_FP_LEN) != 0) {
        char got[LCC_FP_TEXT], want[LCC_FP_TEXT];
        lcc_format_fingerprint(md, got);
        lcc_format_fingerprint(t->fp, want);
        snprintf(c->err, sizeof c->err, "the TLS certificate of logcollectord at %s has "
                 "fingerprint %s, not the pinned %s%s: not the collector we trust (or its "
                 "certificate changed); nothing was sent to it",
                 c->peer, got, want, t->verify_from_env ? " (LOGCOLLECT_TLS_FINGERPRINT)" : "");
        return LC_ETLS;
    }
    return LC_OK;
}

int lcc_tls_handshake_step(lcc_conn *c, const lcc_tls *t, short *events)
{
    char why[256], how[LCC_ERR_MAX / 2];
    pthread_mutex_lock(&lcc_fork_mu);
    ERR_clear_error();
    errno = 0;
    int r = SSL_connect(c->ssl);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, r);
    int saved = errno;
    int rc;
    switch (e) {
    case SSL_ERROR_NONE:
        rc = t->have_fp ? check_fingerprint(c, t) : LC_OK;
        if (rc == LC_OK)
            rc = 1;
        break;
    case SSL_ERROR_WANT_READ:
        *events = POLLIN;
        rc = 0;
        break;
    case SSL_ERROR_WANT_WRITE:
        *events = POLLOUT;
        rc = 0;
        break;
    case SSL_ERROR_SSL: {
        long vr = SSL_get_verify_result(c->ssl);
        int reason = take_error(why, sizeof why);
        lcc_tls_describe(t, how, sizeof how);
        if (c->tls_pin_failed) {
            /* c->err says which fingerprint it has */
        } else if (vr != X509_V_OK && t->ca) {
            const char *hint = "";
            if (vr == X509_V_ERR_IP_ADDRESS_MISMATCH || vr == X509_V_ERR_HOSTNAME_MISMATCH)
                hint = ": the certificate does not name the address in the port file";
            snprintf(c->err, sizeof c->err, "the TLS certificate of logcollectord at %s is not "
                     "trusted: %s%s (checked with %s); nothing was sent to it",
                     c->peer, X509_verify_cert_error_string(vr), hint, how);
        } else {
            snprintf(c->err, sizeof c->err, "TLS handshake with logcollectord at %s failed: "
                     "%s%s", c->peer, why, alert_hint(reason, t->have_cert));
        }
        rc = LC_ETLS;
        break;
    }
    default: /* SSL_ERROR_SYSCALL, SSL_ERROR_ZERO_RETURN: the peer went */
        ERR_clear_error();
        snprintf(c->err, sizeof c->err, "logcollectord at %s %s during the TLS handshake%s",
                 c->peer, saved && saved != EAGAIN ? strerror(saved) : "closed the connection",
                 t->have_cert ? " (did it refuse our client certificate?)"
                              : " (does it require a client certificate? set "
                                "LOGCOLLECT_TLS_CERT and LOGCOLLECT_TLS_KEY)");
        rc = LC_ECLOSED;
        break;
    }
    pthread_mutex_unlock(&lcc_fork_mu);
    return rc;
}

/* Turn an SSL_read / SSL_write outcome into recv / send's.  Called with
 * lcc_fork_mu held (it reads the error queue). */
static ssize_t io_result(lcc_conn *c, int n, int e, int saved, short *wait_ev)
{
    switch (e) {
    case SSL_ERROR_NONE:
        return n; /* (the caller resets *wait_ev) */
    case SSL_ERROR_WANT_READ:
        *wait_ev = POLLIN;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        *wait_ev = POLLOUT;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0; /* close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a plain EOF */
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (saved == 0 || saved == EAGAIN)
            return 0;
        errno = saved;
        return -1;
    default: {
        char why[200];
        int reason = take_error(why, sizeof why);
        snprintf(c->tls_why, sizeof c->tls_why, "TLS: %s%s", why,
                 alert_hint(reason, c->tls_has_cert));
        errno = EPROTO;
        return -1;
    }
    }
}

ssize_t lcc_tls_recv(lcc_conn *c, void *buf, size_t len)
{
    if (len > INT_MAX)
        len = INT_MAX;
    pthread_mutex_lock(&lcc_fork_mu);
    ERR_clear_error();
    errno = 0;
    int n = SSL_read(c->ssl, buf, (int)len);
    int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, n);
    ssize_t r = io_result(c, n, e, errno, &c->tls_rd_ev);
    if (r > 0)
        c->tls_rd_ev = POLLIN;
    int saved = errno;
    pthread_mutex_unlock(&lcc_fork_mu);
    errno = saved;
    return r;
}

ssize_t lcc_tls_send(lcc_conn *c, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (len > INT_MAX)
        len = INT_MAX;
    pthread_mutex_lock(&lcc_fork_mu);
    ERR_clear_error();
    errno = 0;
    int n = SSL_write(c->ssl, buf, (int)len);
    int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, n);
    ssize_t r = io_result(c, n, e, errno, &c->tls_wr_ev);
    if (r > 0)
        c->tls_wr_ev = POLLOUT;
    if (r == 0) { /* a write that wrote nothing: the peer is gone */
        errno = EPIPE;
        r = -1;
    }
    int saved = errno;
    pthread_mutex_unlock(&lcc_fork_mu);
    errno = saved;
    return r;
}

ssize_t lcc_tls_sendv(lcc_conn *c, const struct iovec *iov, int n)
{
    size_t total = 0;
    ssize_t r = 0;
    int saved = 0;
    pthread_mutex_lock(&lcc_fork_mu);
    for (int i = 0; i < n; i++) {
        const char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left > 0) {
            int chunk = left > INT_MAX ? INT_MAX : (int)left;
            ERR_clear_error();
            errno = 0;
            int w = SSL_write(c->ssl, p, chunk);
            if (w > 0) {
                /* Partial writes: w is at most one TLS record. */
                p += w;
                left -= (size_t)w;
                total += (size_t)w;
                continue;
            }
            int e = SSL_get_error(c->ssl, w);
            r = io_result(c, w, e, errno, &c->tls_wr_ev);
            if (r == 0) {
                errno = EPIPE;
                r = -1;
            }
            saved = errno;
            goto out;
        }
    }
out:
    pthread_mutex_unlock(&lcc_fork_mu);
    if (total > 0) {
        if (r == 0)
            c->tls_wr_ev = POLLOUT; /* all went: nothing to wait for */
        return (ssize_t)total;
    }
    errno = saved;
    return r < 0 ? r : 0;
}

void lcc_tls_close_notify(lcc_conn *c)
{
    if (!c->ssl)
        return;
    pthread_mutex_lock(&lcc_fork_mu);
    ERR_clear_error();
    (void)SSL_shutdown(c->ssl);
    ERR_clear_error();
    pthread_mutex_unlock(&lcc_fork_mu);
}

void lcc_tls_detach(lcc_conn *c)
{
    if (!c->ssl)
        return;
    pthread_mutex_lock(&lcc_fork_mu);
    SSL_free(c->ssl);
    c->ssl = NULL;
    pthread_mutex_unlock(&lcc_fork_mu);
}

void lcc_tls_forget(lcc_conn *c)
{
    if (!c->ssl)
        return;
    SSL_free(c->ssl); /* no I/O: SSL_free sends nothing and closes nothing */
    c->ssl = NULL;
}

/* ---- plain or TLS ------------------------------------------------------------ */

ssize_t lcc_io_recv(lcc_conn *c, void *buf, size_t len)
{
    if (c->ssl)
        return lcc_tls_recv(c, buf, len);
    return recv(c->fd, buf, len, MSG_DONTWAIT);
}

ssize_t lcc_io_send(lcc_conn *c, const void *buf, size_t len)
{
    if (c->ssl)
        return lcc_tls_send(c, buf, len);
    return send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

short lcc_io_rd_events(const lcc_conn *c)
{
    return c->ssl ? c->tls_rd_ev : POLLIN;
}

short lcc_io_wr_events(const lcc_conn *c)
{
    return c->ssl ? c->tls_wr_ev : POLLOUT;
}

const char *lcc_io_strerror(const lcc_conn *c, int errnum)
{
    if (c->ssl && errnum == EPROTO && c->tls_why[0])
        return c->tls_why;
    return strerror(errnum);
}
