/*
 * tls.c - see tls.h.
 */
#include "tls.h"
#include "keyfile.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

const char *lcd_tls_error(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (!e) {
        snprintf(buf, len, "unknown TLS error");
        return buf;
    }
    ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

/* OpenSSL opens the files itself, blocking: a FIFO planted where a PEM
 * file belongs would hang the start for good.  Refuse anything that is not
 * a regular file first, as the key and port files are refused. */
static int regular_files(const char *const *paths, const char *const *opts, size_t n,
                         char *err, size_t errlen)
{
    char why[512];
    for (size_t i = 0; i < n; i++) {
        if (!paths[i])
            continue;
        int fd = lcp_open_regular(paths[i], why, sizeof why);
        if (fd < 0) {
            snprintf(err, errlen, "cannot load %s: %s", opts[i], why);
            return -1;
        }
        close(fd);
    }
    return 0;
}

SSL_CTX *lcd_tls_context(const char *cert, const char *key, const char *client_ca,
                         char *err, size_t errlen)
{
    char why[256];
    if (!cert || !key) {
        snprintf(err, errlen, "TLS needs both --tls-cert and --tls-key");
        return NULL;
    }
    const char *paths[] = {cert, key, client_ca};
    const char *opts[] = {"--tls-cert", "--tls-key", "--tls-client-ca"};
    if (regular_files(paths, opts, 3, err, errlen) != 0)
        return NULL;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        snprintf(err, errlen, "cannot create a TLS context: %s", lcd_tls_error(why, sizeof why));
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, errlen, "cannot load --tls-cert %s: %s", cert, lcd_tls_error(why, sizeof why));
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        snprintf(err, errlen, "cannot load --tls-key %s: %s", key, lcd_tls_error(why, sizeof why));
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "--tls-key %s does not match --tls-cert %s", key, cert);
        goto fail;
    }
    if (client_ca) {
        if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1) {
            snprintf(err, errlen, "cannot load --tls-client-ca %s: %s", client_ca,
                     lcd_tls_error(why, sizeof why));
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void lcd_tls_context_free(SSL_CTX *ctx)
{
    SSL_CTX_free(ctx);
}

int lcd_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return 1;
        if (IN6_IS_ADDR_V4MAPPED(&a6))
            return a6.s6_addr[12] == 127;
    }
    return 0;
}
