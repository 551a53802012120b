/*
 * web.c - logcollect web: the collector's output file as a live page in
 * the browser, served by libevent's HTTP server on loopback.
 *
 * Access: a random 128-bit token, printed in the URL.  A request with
 * ?token=T (T right, compared in constant time) gets it as an HttpOnly,
 * SameSite=Strict cookie named for the port, and a redirect to the same
 * path without it; every other request needs that cookie; anything else
 * is 403.  Every answer carries a Content-Security-Policy that allows
 * only this origin's script and style (no inline script, nothing remote),
 * nosniff, no-referrer and no framing.  The page (web/index.html, app.js,
 * app.css) is embedded in the binary; it inserts record text only as text.
 *
 * Paths: / /app.js /app.css (the page), /events (live rows, web_sse.c),
 * /history (older rows, web_history.c), /stats (the chart's counts).
 * /events and /history take the filter as query parameters named as in
 * filter.h (level, app, pid, since, until, grep, field); a bad value is a
 * 400 that says why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "web.h"
#include "web_assets.h"
#include "web_conns.h"

#define DEFAULT_OUTPUT "/var/log/logcollectord/collected.jsonl"
#define TOKEN_BYTES 16
#define PING_S 15
#define HISTORY_MAX_ROWS 500

extern char **environ;

typedef struct {
    web_app app;
    struct evhttp *http;
    web_conns *conns;
    char token[2 * TOKEN_BYTES + 1];
    char cookie[32];  /* its name: lcweb_PORT (browsers share cookies across ports) */
    char url[256];    /* what to open, with the token */
    struct event *ping, *sigint, *sigterm;
} web_server;

static const char usage_web[] =
    "usage: logcollect web [OPTIONS] [FILE]\n"
    "\n"
    "Serve a live view of the collector's output file (default\n"
    "$LOGCOLLECT_OUTPUT, else " DEFAULT_OUTPUT ") to a browser: the\n"
    "records as tail shows them, filters, history, a chart of records per\n"
    "second.  Prints the URL to open; it carries a secret token, and any\n"
    "request without it (or its cookie) is refused.\n"
    "\n"
    "Options:\n"
    "      --listen ADDR:PORT  where to listen (default 127.0.0.1:0, a port\n"
    "                       the kernel picks)\n"
    "      --allow-remote   allow an ADDR that is not loopback (plain HTTP: the\n"
    "                       token and the records cross the network unencrypted)\n"
    "      --open           start the desktop's browser on the URL (xdg-open)\n"
    "      --utc            show times in UTC (default: local time)\n"
    "  -v, --verbose        also show the collector's _ fields\n"
    "  -h, --help           show this help\n";

/* ---- strings for JSON ---------------------------------------------------- */

json_t *web_text(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    if (j)
        return j;
    /* invalid UTF-8 (a line that is not JSON): show the high bytes */
    char *t = malloc(4 * n + 1), *o = t;
    if (!t)
        return json_string("");
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80)
            *o++ = (char)b;
        else
            o += sprintf(o, "\\x%02x", b);
    }
    j = json_stringn(t, (size_t)(o - t));
    free(t);
    return j;
}

json_t *web_take_text(struct evbuffer *b)
{
    size_t n = evbuffer_get_length(b);
    json_t *j = web_text(n ? (const char *)evbuffer_pullup(b, -1) : "", n);
    evbuffer_drain(b, n);
    return j;
}

/* ---- answers ------------------------------------------------------------- */

static void security_headers(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; script-src 'self'; style-src 'self'; "
                      "connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
                      "form-action 'none'; frame-ancestors 'none'");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "X-Frame-Options", "DENY");
    evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
    evhttp_add_header(h, "Cache-Control", "no-store");
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  const void *body, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (b)
        evbuffer_add(b, body, len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_send_reply(req, code, reason, b);
    if (b)
        evbuffer_free(b);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    reply(req, code, reason, "text/plain; charset=utf-8", text, strlen(text));
}

static void reply_json(struct evhttp_request *req, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s)
        reply(req, 200, "OK", "application/json", s, strlen(s));
    else
        reply_text(req, 503, "Service Unavailable", "out of memory\n");
    free(s);
    json_decref(j);
}

/* ---- access -------------------------------------------------------------- */

static int token_is(const web_server *s, const char *given)
{
    return given && strlen(given) == sizeof s->token - 1 &&
           CRYPTO_memcmp(given, s->token, sizeof s->token - 1) == 0;
}

/* The value of cookie `name` in a Cookie header, copied into out. */
static int cookie_value(const char *header, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t vlen = len - nlen - 1;
            if (vlen >= outlen)
                return -1;
            memcpy(out, p + nlen + 1, vlen);
            out[vlen] = '\0';
            return 0;
        }
        p = end;
    }
    return -1;
}

/* 1 if the request may go on; else it was answered (403, or the redirect
 * that trades the token in the URL for the cookie). */
static int allowed(web_server *s, struct evhttp_request *req, const char *path,
                   struct evkeyvalq *q)
{
    const char *given = evhttp_find_header(q, "token");
    if (given) {
        if (!token_is(s, given)) {
            reply_text(req, 403, "Forbidden", "403 Forbidden: wrong token; open the URL "
                                              "that logcollect web printed\n");
            return 0;
        }
        char cookie[128];
        snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict", s->cookie,
                 s->token);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Set-Cookie", cookie);
        evhttp_add_header(h, "Location", path);
        reply_text(req, 303, "See Other", "see the page without the token in its URL\n");
        return 0;
    }
    const char *hdr = evhttp_find_header(evhttp_request_get_input_headers(req), "Cookie");
    char value[64];
    if (hdr && cookie_value(hdr, s->cookie, value, sizeof value) == 0 && token_is(s, value))
        return 1;
    reply_text(req, 403, "Forbidden", "403 Forbidden: open the URL that logcollect web "
                                      "printed (it carries the token)\n");
    return 0;
}

/* ---- routes -------------------------------------------------------------- */

/* The filter of a request's query; 0, or -1 after a 400 saying why. */
static int query_filter(struct evhttp_request *req, struct evkeyvalq *q, lcli_filter *f)
{
    static const char *const names[] = {"level", "app", "pid", "since", "until", "grep", "field"};
    for (struct evkeyval *kv = q->tqh_first; kv; kv = kv->next.tqe_next) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            char why[300];
            if (strcmp(kv->key, names[i]) != 0 || kv->value[0] == '\0')
                continue;
            if (lcli_filter_set(f, names[i], kv->value, why, sizeof why) != 0) {
                strcat(why, "\n");
                reply_text(req, 400, "Bad Request", why);
                return -1;
            }
        }
    }
    return 0;
}

static long long query_num(struct evkeyvalq *q, const char *name, long long def)
{
    const char *v = evhttp_find_header(q, name);
    if (!v || !*v)
        return def;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return errno || *end ? -1 : n;
}

static void serve_history(web_server *s, struct evhttp_request *req, struct evkeyvalq *q,
                          lcli_filter *f)
{
    long long g = query_num(q, "g", s->app.gen), before = query_num(q, "before", s->app.pos);
    long long n = query_num(q, "n", 200), mid = query_num(q, "mid", 0);
    if (g < 0 || before < 0 || n < 1 || n > HISTORY_MAX_ROWS || mid < 0 || mid > 1) {
        reply_text(req, 400, "Bad Request", "g, before: numbers; n: 1 to 500; mid: 0 or 1\n");
        return;
    }
    reply_json(req, web_history(&s->app, f, (unsigned)g, (off_t)before, (int)mid, (int)n));
}

static void serve_asset(struct evhttp_request *req, const char *path)
{
    for (size_t i = 0; i < web_nassets; i++)
        if (strcmp(path, web_assets[i].path) == 0) {
            reply(req, 200, "OK", web_assets[i].content_type, web_assets[i].data,
                  web_assets[i].len);
            return;
        }
    reply_text(req, 404, "Not Found", "404 Not Found\n");
}

static void route(web_server *s, struct evhttp_request *req, const char *path,
                  struct evkeyvalq *q)
{
    int events = strcmp(path, "/events") == 0, history = strcmp(path, "/history") == 0;
    if (!events && !history) {
        if (strcmp(path, "/stats") == 0)
            reply_json(req, web_chart_json(&s->app));
        else
            serve_asset(req, path);
        return;
    }
    lcli_filter f;
    lcli_filter_init(&f);
    if (query_filter(req, q, &f) == 0) {
        if (events) {
            struct evhttp_connection *evcon = evhttp_request_get_connection(req);
            int before = s->app.nclients;
            web_sse_start(&s->app, req, &f);
            if (s->app.nclients > before) /* answered: a live stream has no deadline */
                web_conns_exempt(s->conns, evcon);
        } else
            serve_history(s, req, q, &f);
    }
    lcli_filter_free(&f);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    web_server *s = arg;
    web_conns_touch(s->conns, evhttp_request_get_connection(req));
    security_headers(req);
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    const char *query = u ? evhttp_uri_get_query(u) : NULL;
    if (!path || !*path)
        path = "/";
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (query && evhttp_parse_query_str(query, &q) != 0)
        reply_text(req, 400, "Bad Request", "cannot read the query string\n");
    else if (allowed(s, req, path, &q))
        route(s, req, path, &q);
    evhttp_clear_headers(&q);
}

/* ---- setup --------------------------------------------------------------- */

/* "ADDR:PORT" or "[V6]:PORT" into addr (brackets removed) and port. */
static int split_listen(const char *arg, char *addr, size_t addrlen, int *port)
{
    const char *colon = strrchr(arg, ':');
    if (!colon)
        return -1;
    const char *a = arg, *aend = colon;
    if (*a == '[') {
        if (aend[-1] != ']')
            return -1;
        a++;
        aend--;
    }
    if (aend <= a || (size_t)(aend - a) >= addrlen)
        return -1;
    memcpy(addr, a, (size_t)(aend - a));
    addr[aend - a] = '\0';
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static int is_loopback(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &v6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&v6);
    return strcmp(addr, "localhost") == 0;
}

static int make_token(web_server *s)
{
    unsigned char raw[TOKEN_BYTES];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        fprintf(stderr, "logcollect: cannot get random bytes for the token: %s\n",
                strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(s->token + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

static void open_browser(const char *url)
{
    char *argv[] = {"xdg-open", (char *)url, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
        fprintf(stderr, "logcollect: cannot start xdg-open to open the browser; "
                        "open the URL above yourself\n");
    posix_spawn_file_actions_destroy(&fa);
}

static void on_ping(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    web_sse_ping(&((web_server *)arg)->app);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    web_server *s = arg;
    fprintf(stderr, "logcollect: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
    event_base_loopexit(s->app.base, NULL);
}

/* Bind, then print the URL: 0, or -1 with a message. */
static int listen_on(web_server *s, const char *addr, int port)
{
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, addr,
                                                                     (ev_uint16_t)port);
    if (!bs) {
        fprintf(stderr, "logcollect: cannot listen on %s port %d: %s (try another --listen)\n",
                addr, port, strerror(errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) != 0)
        return -1;
    int bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(s->cookie, sizeof s->cookie, "lcweb_%d", bound);
    snprintf(s->url, sizeof s->url, "http://%s%s%s:%d/?token=%s", strchr(addr, ':') ? "[" : "",
             addr, strchr(addr, ':') ? "]" : "", bound, s->token);
    printf("%s\n", s->url);
    fflush(stdout);
    fprintf(stderr, "logcollect: serving %s at the URL above (Ctrl-C stops)\n", s->app.path);
    return 0;
}

static int setup(web_server *s, const char *addr, int port, int open)
{
    s->app.base = event_base_new();
    s->app.scratch = evbuffer_new();
    s->http = s->app.base ? evhttp_new(s->app.base) : NULL;
    s->conns = s->http ? web_conns_new(s->app.base, s->http) : NULL;
    if (!s->conns || !s->app.scratch || make_token(s) != 0)
        return -1;
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(s->http, 16384);
    evhttp_set_max_body_size(s->http, 0);
    evhttp_set_timeout(s->http, WEB_TIMEOUT_S);
    evhttp_set_gencb(s->http, on_request, s);
    if (web_follow_open(&s->app) != 0 || listen_on(s, addr, port) != 0 ||
        web_follow_start(&s->app) != 0)
        return -1;
    struct timeval ping = {PING_S, 0};
    s->ping = event_new(s->app.base, -1, EV_PERSIST, on_ping, s);
    s->sigint = evsignal_new(s->app.base, SIGINT, on_signal, s);
    s->sigterm = evsignal_new(s->app.base, SIGTERM, on_signal, s);
    if (!s->ping || !s->sigint || !s->sigterm || event_add(s->ping, &ping) != 0 ||
        event_add(s->sigint, NULL) != 0 || event_add(s->sigterm, NULL) != 0)
        return -1;
    if (open)
        open_browser(s->url);
    return 0;
}

static void teardown(web_server *s)
{
    web_sse_close_all(&s->app);
    if (s->http)
        evhttp_free(s->http); /* closes every connection, forgetting each */
    web_conns_free(s->conns);
    web_follow_close(&s->app);
    if (s->ping)
        event_free(s->ping);
    if (s->sigint)
        event_free(s->sigint);
    if (s->sigterm)
        event_free(s->sigterm);
    if (s->app.scratch)
        evbuffer_free(s->app.scratch);
    if (s->app.base)
        event_base_free(s->app.base);
}

int lcli_cmd_web(int argc, char **argv)
{
    enum { OPT_LISTEN = 256, OPT_REMOTE, OPT_OPEN, OPT_UTC };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"allow-remote", no_argument, NULL, OPT_REMOTE},
        {"open", no_argument, NULL, OPT_OPEN},
        {"utc", no_argument, NULL, OPT_UTC},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    web_server s;
    memset(&s, 0, sizeof s);
    s.app.fd = -1;
    const char *env = getenv("LOGCOLLECT_OUTPUT");
    s.app.path = env && *env ? env : DEFAULT_OUTPUT;
    char addr[128] = "127.0.0.1";
    int port = 0, remote = 0, open = 0, ch;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        switch (ch) {
        case OPT_LISTEN:
            if (split_listen(optarg, addr, sizeof addr, &port) != 0)
                return lcli_usage_error("web ", "--listen wants ADDR:PORT (e.g. 127.0.0.1:8080, "
                                        "[::1]:0), not '%s'", optarg);
            break;
        case OPT_REMOTE: remote = 1; break;
        case OPT_OPEN: open = 1; break;
        case OPT_UTC: s.app.fmt.utc = 1; break;
        case 'v': s.app.fmt.verbose = 1; break;
        case 'h': fputs(usage_web, stdout); return 0;
        case ':': return lcli_usage_error("web ", "option %s needs a value", argv[optind - 1]);
        default: return lcli_usage_error("web ", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        s.app.path = argv[optind++];
    if (optind < argc)
        return lcli_usage_error("web ", "one FILE at most");
    if (!is_loopback(addr)) {
        if (!remote)
            return lcli_usage_error("web ", "%s is not a loopback address: the page would be "
                                    "reachable from other machines over plain HTTP; add "
                                    "--allow-remote if that is what you want", addr);
        fprintf(stderr, "logcollect: warning: listening on %s, not loopback: the token and the "
                        "records cross the network unencrypted\n", addr);
    }
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN); /* xdg-open is not waited for */
    int rc = 1;
    if (setup(&s, addr, port, open) == 0 && event_base_dispatch(s.app.base) == 0)
        rc = 0;
    teardown(&s);
    return rc;
}
