/*
 * portfile.h - the port file's contents: one line of JSON telling clients
 * where the daemon listens, e.g.
 *   {"host":"127.0.0.1","port":43567,"pid":1234,"proto":1}
 * plus "tls":true when the port speaks TLS, and "http_port":N when the
 * daemon serves /metrics and /healthz (--http).
 * Writing it atomically is the daemon's job (daemon/publish.c); this is
 * only the format, shared with the client.
 */
#ifndef LCP_PORTFILE_H
#define LCP_PORTFILE_H

#include <stddef.h>

#define LCP_HOST_MAX 64 /* an IPv4 or IPv6 literal */

typedef struct {
    char host[LCP_HOST_MAX];
    int port;
    long pid;
    int proto;
    int tls;  /* the daemon speaks TLS on this port ("tls":true) */
    int http_port; /* --http's port ("http_port"), 0: none */
} lcp_portinfo;

/* Returns the line's length (newline included), or -1. */
int lcp_portinfo_format(const lcp_portinfo *p, char *out, size_t cap);

/* Parse the file's text.  Returns 0, or -1 with the reason in err. */
int lcp_portinfo_parse(const char *text, size_t len, lcp_portinfo *p,
                       char *err, size_t errlen);

#endif
