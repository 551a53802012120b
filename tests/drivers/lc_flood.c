/*
 * lc_flood - load generator that speaks the wire protocol directly (no
 * client library), so the daemon's cost can be measured apart from the
 * library's.  N connections, each: handshake, HELLO, M records, then wait
 * until the daemon has acknowledged all M.  One thread, epoll, non-blocking
 * sockets; records are written in large batches.
 *
 *   lc_flood --port-file P --key-file K [--conns N] [--records M]
 *            [--size BYTES] [--window W] [--connect-batch B]
 *
 * Record j of connection i (j from 1) is
 *   {"msg":"flood","c":i,"r":j,"pad":"xxx..."}  padded to about BYTES.
 * Prints one line: "conns N records TOTAL seconds S rate R/s" and exits 0
 * when every record was acknowledged, 1 otherwise (with the reason).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth.h"
#include "control.h"
#include "frame.h"
#include "keyfile.h"
#include "portfile.h"
#include "record.h"

enum { C_HANDSHAKE, C_WELCOME, C_SENDING, C_DONE, C_DEAD };

typedef struct {
    int fd, state, idx;
    lcp_client_hs hs;
    uint64_t next, acked; /* next record to send (1-based), highest ack */
    uint8_t *out;         /* pending output */
    size_t out_len, out_off, out_cap;
    uint8_t in[65536];
    size_t in_len;
    int want_out;
} conn;

typedef struct {
    int conns, window, batch, size;
    long records;
    const char *port_file, *key_file;
} flood_opts;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what, const char *detail)
{
    fprintf(stderr, "lc_flood: %s%s%s\n", what, *detail ? ": " : "", detail);
    return 1;
}

static int out_reserve(conn *c, size_t n)
{
    if (c->out_off > 0 && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len + n <= c->out_cap)
        return 0;
    size_t cap = c->out_cap ? c->out_cap : 65536;
    while (cap < c->out_len + n)
        cap *= 2;
    uint8_t *p = realloc(c->out, cap);
    if (!p)
        return -1;
    c->out = p;
    c->out_cap = cap;
    return 0;
}

static int out_frame(conn *c, const void *msg, size_t len)
{
    if (out_reserve(c, LCP_FRAME_HDR + len) != 0)
        return -1;
    lcp_frame_put_header(c->out + c->out_len, (uint32_t)len);
    memcpy(c->out + c->out_len + LCP_FRAME_HDR, msg, len);
    c->out_len += LCP_FRAME_HDR + len;
    return 0;
}

static int out_raw(conn *c, const void *data, size_t len)
{
    if (out_reserve(c, len) != 0)
        return -1;
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

/* Queue records up to the window of unacknowledged ones.  Formatted by
 * hand: the generator must cost far less than the daemon it measures. */
static void fill_records(conn *c, const flood_opts *o, const char *pad)
{
    char rec[4096];
    size_t padlen = strlen(pad);
    while (c->next <= (uint64_t)o->records && c->next - c->acked <= (uint64_t)o->window &&
           c->out_len - c->out_off < 256 * 1024) {
        char *p = rec;
        memcpy(p, "{\"msg\":\"flood\",\"c\":", 19);
        p = lcp_put_decimal(p + 19, (uint64_t)c->idx);
        memcpy(p, ",\"r\":", 5);
        p = lcp_put_decimal(p + 5, c->next);
        memcpy(p, ",\"pad\":\"", 8);
        memcpy(p + 8, pad, padlen);
        p += 8 + padlen;
        memcpy(p, "\"}", 2);
        p += 2;
        out_frame(c, rec, (size_t)(p - rec));
        c->next++;
    }
}

static int flush_out(conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (w <= 0)
            return -1;
        c->out_off += (size_t)w;
    }
    return 0;
}

static int handle_msg(conn *c, const uint8_t *p, uint32_t len, const flood_opts *o,
                      const char *pad, long *errors, int *handshaking)
{
    lcp_auth_out ao;
    switch (c->state) {
    case C_HANDSHAKE: {
        lcp_hs_result r = lcp_client_hs_input(&c->hs, p, len, &ao);
        if (r != LCP_HS_CONTINUE)
            (*handshaking)--;
        if (ao.len)
            out_raw(c, ao.data, ao.len);
        if (r == LCP_HS_FAIL)
            return -1;
        if (r == LCP_HS_DONE) {
            lcp_hello h = {.seq = 1, .pid = getpid()};
            uint8_t raw[16], msg[1024];
            RAND_bytes(raw, sizeof raw);
            lcp_sid_format(h.secret, raw);
            snprintf(h.app, sizeof h.app, "flood");
            snprintf(h.host, sizeof h.host, "loadgen");
            int n = lcp_hello_encode(&h, msg, sizeof msg);
            if (n < 0)
                return -1;
            out_frame(c, msg, (size_t)n);
            c->state = C_WELCOME;
            c->next = 1;
            fill_records(c, o, pad); /* pipelined after HELLO */
        }
        return 0;
    }
    default:
        if (len >= 1 && p[0] == LCP_MSG_WELCOME)
            return 0;
        if (len >= 1 && p[0] == LCP_MSG_ACK) {
            uint64_t seq;
            if (lcp_ack_decode(p, len, &seq) != 0)
                return -1;
            c->acked = seq;
            if (c->acked >= (uint64_t)o->records) {
                c->state = C_DONE;
                return 1;
            }
            c->state = C_SENDING;
            fill_records(c, o, pad);
            return 0;
        }
        if (len >= 1 && p[0] == LCP_MSG_ERROR) {
            (*errors)++;
            return 0;
        }
        return -1;
    }
}

static int connect_one(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

int main(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"port-file", required_argument, NULL, 'p'}, {"key-file", required_argument, NULL, 'k'},
        {"conns", required_argument, NULL, 'c'},     {"records", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},      {"window", required_argument, NULL, 'w'},
        {"connect-batch", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0},
    };
    flood_opts o = {.conns = 1, .records = 1000, .size = 200, .window = 100000, .batch = 200};
    o.port_file = getenv("LOGCOLLECT_PORT_FILE");
    o.key_file = getenv("LOGCOLLECT_KEY_FILE");
    int ch;
    while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
        switch (ch) {
        case 'p': o.port_file = optarg; break;
        case 'k': o.key_file = optarg; break;
        case 'c': o.conns = atoi(optarg); break;
        case 'n': o.records = atol(optarg); break;
        case 's': o.size = atoi(optarg); break;
        case 'w': o.window = atoi(optarg); break;
        case 'b': o.batch = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: lc_flood --port-file P --key-file K [--conns N] "
                            "[--records M] [--size B] [--window W] [--connect-batch B]\n");
            return 2;
        }
    }
    if (!o.port_file || !o.key_file || o.conns < 1 || o.records < 1 || o.size < 40 ||
        o.size > 4000 || o.window < 1 || o.batch < 1)
        return die("bad arguments (need port and key files; sizes 40..4000)", "");

    char err[512];
    size_t len;
    char *text = lcp_read_small_file(o.port_file, 4096, &len, err, sizeof err);
    lcp_portinfo pi;
    if (!text || lcp_portinfo_parse(text, len, &pi, err, sizeof err) != 0)
        return die(err, "");
    free(text);
    lcp_keyring ring;
    if (lcp_keyring_load(&ring, o.key_file, 0, err, sizeof err) != 0)
        return die(err, "");
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", pi.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *ai;
    if (getaddrinfo(pi.host, portstr, &hints, &ai) != 0)
        return die("bad host", pi.host);

    size_t padlen = (size_t)o.size - 40;
    char *pad = malloc(padlen + 1);
    memset(pad, 'x', padlen);
    pad[padlen] = '\0';

    conn *cs = calloc((size_t)o.conns, sizeof *cs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!cs || !pad || ep < 0)
        return die("out of memory", "");

    double t0 = now_s();
    int opened = 0, done = 0, dead = 0, in_handshake = 0;
    long errors = 0;
    struct epoll_event evs[256];
    while (done + dead < o.conns) {
        /* Open connections in batches so the listen backlog never overflows. */
        while (opened < o.conns && in_handshake < o.batch) {
            conn *c = &cs[opened];
            c->idx = opened;
            c->fd = connect_one(ai);
            if (c->fd < 0)
                return die("connect", strerror(errno));
            uint8_t nonce[LCP_AUTH_NONCE_LEN];
            RAND_bytes(nonce, sizeof nonce);
            lcp_client_hs_start(&c->hs, ring.keys[0].bytes, ring.keys[0].len, nonce);
            c->state = C_HANDSHAKE;
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)opened};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            opened++;
            in_handshake++;
        }
        int n = epoll_wait(ep, evs, 256, 10000);
        if (n == 0)
            return die("no progress for 10 s", "");
        for (int e = 0; e < n; e++) {
            conn *c = &cs[evs[e].data.u32];
            if (c->state == C_DONE || c->state == C_DEAD)
                continue;
            int fail = 0;
            if (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
                if (r <= 0 && !(r < 0 && (errno == EAGAIN || errno == EINTR)))
                    fail = 1;
                if (r > 0)
                    c->in_len += (size_t)r;
                size_t off = 0;
                while (!fail) {
                    lcp_frame f;
                    lcp_frame_status st = lcp_frame_next(c->in + off, c->in_len - off, 60000, &f);
                    if (st == LCP_FRAME_NEED_MORE)
                        break;
                    if (st != LCP_FRAME_OK) {
                        fail = 1;
                        break;
                    }
                    int h = handle_msg(c, f.payload, f.len, &o, pad, &errors, &in_handshake);
                    off += f.consumed;
                    if (h < 0)
                        fail = 1;
                    if (h > 0)
                        break;
                }
                memmove(c->in, c->in + off, c->in_len - off);
                c->in_len -= off;
            }
            if (c->state == C_DONE) {
                done++;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                continue;
            }
            if (!fail && flush_out(c) != 0)
                fail = 1;
            if (fail) {
                if (c->state == C_HANDSHAKE)
                    in_handshake--;
                c->state = C_DEAD;
                dead++;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                continue;
            }
            int want = c->out_off < c->out_len;
            if (want != c->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                                         .data.u32 = evs[e].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = want;
            }
        }
    }
    double secs = now_s() - t0;
    long total = (long)o.conns * o.records;
    printf("conns %d records %ld seconds %.3f rate %.0f/s errors %ld failed_conns %d\n", o.conns,
           total, secs, (double)total / secs, errors, dead);
    for (int i = 0; i < o.conns; i++)
        free(cs[i].out);
    free(cs);
    free(pad);
    freeaddrinfo(ai);
    lcp_keyring_free(&ring);
    close(ep);
    return dead == 0 && errors == 0 ? 0 : 1;
}
