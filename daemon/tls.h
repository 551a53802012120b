/*
 * tls.h - the daemon's TLS context (--tls-cert, --tls-key, --tls-client-ca).
 *
 * With TLS the whole connection, the HMAC handshake included, runs inside
 * TLS (libevent's OpenSSL bufferevents).  TLS 1.2 is the minimum.  With
 * --tls-client-ca, clients must present a certificate signed by that CA.
 */
#ifndef LCD_TLS_H
#define LCD_TLS_H

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;

/* Returns a context, or NULL with err set (which file, what is wrong). */
SSL_CTX *lcd_tls_context(const char *cert, const char *key, const char *client_ca,
                         char *err, size_t errlen);

void lcd_tls_context_free(SSL_CTX *ctx);

/* The latest OpenSSL error as text (for logs). */
const char *lcd_tls_error(char *buf, size_t len);

/* Is this bind address a loopback address (127.0.0.0/8, ::1)? */
int lcd_is_loopback(const char *addr);

#endif
