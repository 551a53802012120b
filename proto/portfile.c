/*
 * portfile.c - format and parse the port file line (see portfile.h).
 */
#include "portfile.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "control.h"

int lcp_portinfo_format(const lcp_portinfo *p, char *out, size_t cap)
{
    /* host is an address literal we produced with inet_ntop: no escaping. */
    char http[32] = "";
    if (p->http_port > 0)
        snprintf(http, sizeof http, ",\"http_port\":%d", p->http_port);
    int n = snprintf(out, cap, "{\"host\":\"%s\",\"port\":%d,\"pid\":%ld,\"proto\":%d%s%s}\n",
                     p->host, p->port, p->pid, p->proto, p->tls ? ",\"tls\":true" : "", http);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int lcp_portinfo_parse(const char *text, size_t len, lcp_portinfo *p,
                       char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    json_error_t je;
    json_t *o = json_loadb(text, len, 0, &je);
    if (!o) {
        snprintf(err, errlen, "not valid JSON (%s)", je.text);
        return -1;
    }
    const char *host = NULL;
    json_int_t port = 0, pid = 0, proto = 0, http_port = 0;
    int tls = 0;
    int rc = -1;
    if (json_unpack_ex(o, &je, 0, "{s:s,s:I,s?I,s:I,s?b,s?I}", "host", &host, "port", &port,
                       "pid", &pid, "proto", &proto, "tls", &tls, "http_port", &http_port) != 0) {
        snprintf(err, errlen, "%s", je.text);
        goto out;
    }
    if (strlen(host) == 0 || strlen(host) >= sizeof p->host) {
        snprintf(err, errlen, "\"host\" is not an address");
        goto out;
    }
    if (port < 1 || port > 65535) {
        snprintf(err, errlen, "\"port\" %lld is out of range", (long long)port);
        goto out;
    }
    if (proto != LCP_PROTO_VERSION) {
        snprintf(err, errlen, "protocol version %lld is not %d: client and daemon "
                 "versions differ", (long long)proto, LCP_PROTO_VERSION);
        goto out;
    }
    strcpy(p->host, host);
    p->port = (int)port;
    p->pid = (long)pid;
    p->proto = (int)proto;
    p->tls = tls;
    p->http_port = http_port > 0 && http_port <= 65535 ? (int)http_port : 0;
    rc = 0;
out:
    json_decref(o);
    return rc;
}
