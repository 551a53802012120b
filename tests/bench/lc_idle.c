/*
 * lc_idle - hold N idle, authenticated connections to logcollectord, to
 * measure what a connection costs the daemon in memory.
 *
 *   lc_idle --port-file P --key-file K [--conns N]
 *
 * Each connection: TCP connect, the mutual handshake, HELLO, WELCOME (the
 * wire protocol directly, like tests/drivers/lc_flood.c), then nothing.
 * When all N are up it prints "ready N" and waits until its standard input
 * is closed (or it gets a signal), then closes them and exits.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth.h"
#include "bench_common.h"
#include "control.h"
#include "frame.h"
#include "keyfile.h"
#include "portfile.h"

static int send_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_frame(int fd, const void *msg, size_t len)
{
    uint8_t buf[LCP_FRAME_HDR + 4096];
    if (len > 4096)
        return -1;
    lcp_frame_put_header(buf, (uint32_t)len);
    memcpy(buf + LCP_FRAME_HDR, msg, len);
    return send_all(fd, buf, LCP_FRAME_HDR + len); /* one segment: no Nagle wait */
}

/* Read one frame (blocking) into buf; returns its payload length or -1. */
static long read_frame(int fd, uint8_t *buf, size_t cap)
{
    size_t have = 0;
    for (;;) {
        lcp_frame f;
        if (have > 0) {
            lcp_frame_status st = lcp_frame_next(buf, have, (uint32_t)cap - LCP_FRAME_HDR, &f);
            if (st == LCP_FRAME_OK) {
                memmove(buf, f.payload, f.len);
                return (long)f.len;
            }
            if (st != LCP_FRAME_NEED_MORE)
                return -1;
        }
        ssize_t r = recv(fd, buf + have, cap - have, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        have += (size_t)r;
    }
}

static int open_one(const struct addrinfo *ai, const lcp_keyring *ring, int idx)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        goto fail;
    lcp_client_hs hs;
    uint8_t nonce[LCP_AUTH_NONCE_LEN], buf[4096];
    RAND_bytes(nonce, sizeof nonce);
    lcp_client_hs_start(&hs, ring->keys[0].bytes, ring->keys[0].len, nonce);
    for (;;) {
        long n = read_frame(fd, buf, sizeof buf);
        if (n < 0)
            goto fail;
        lcp_auth_out ao;
        lcp_hs_result r = lcp_client_hs_input(&hs, buf, (size_t)n, &ao);
        if (ao.len && send_all(fd, ao.data, ao.len) != 0)
            goto fail;
        if (r == LCP_HS_FAIL)
            goto fail;
        if (r == LCP_HS_DONE)
            break;
    }
    lcp_hello h = {.seq = 1, .pid = getpid()};
    uint8_t raw[16];
    RAND_bytes(raw, sizeof raw);
    lcp_sid_format(h.secret, raw);
    snprintf(h.app, sizeof h.app, "idle");
    snprintf(h.host, sizeof h.host, "loadgen");
    int m = lcp_hello_encode(&h, buf, sizeof buf);
    if (m < 0 || send_frame(fd, buf, (size_t)m) != 0)
        goto fail;
    long n = read_frame(fd, buf, sizeof buf);
    if (n < 1 || buf[0] != LCP_MSG_WELCOME)
        goto fail;
    return fd;
fail:
    fprintf(stderr, "lc_idle: connection %d: %s\n", idx, errno ? strerror(errno) : "refused");
    if (fd >= 0)
        close(fd);
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port-file", required_argument, NULL, 'p'},
        {"key-file", required_argument, NULL, 'k'},
        {"conns", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *port_file = getenv("LOGCOLLECT_PORT_FILE");
    const char *key_file = getenv("LOGCOLLECT_KEY_FILE");
    long conns = 1000;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'p': port_file = optarg; break;
        case 'k': key_file = optarg; break;
        case 'c': conns = bench_number("lc_idle", optarg, "--conns", 1, 100000); break;
        default: fprintf(stderr, "usage: lc_idle --port-file P --key-file K [--conns N]\n"); return 2;
        }
    }
    if (!port_file || !key_file) {
        fprintf(stderr, "lc_idle: need the port and key files\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    char err[512];
    size_t len;
    char *text = lcp_read_small_file(port_file, 4096, &len, err, sizeof err);
    lcp_portinfo pi;
    if (!text || lcp_portinfo_parse(text, len, &pi, err, sizeof err) != 0) {
        fprintf(stderr, "lc_idle: %s\n", err);
        return 1;
    }
    free(text);
    lcp_keyring ring;
    if (lcp_keyring_load(&ring, key_file, 0, err, sizeof err) != 0) {
        fprintf(stderr, "lc_idle: %s\n", err);
        return 1;
    }
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", pi.port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *ai;
    if (getaddrinfo(pi.host, portstr, &hints, &ai) != 0) {
        fprintf(stderr, "lc_idle: bad host %s\n", pi.host);
        return 1;
    }
    int *fds = calloc((size_t)conns, sizeof *fds);
    double t0 = bench_now();
    for (long i = 0; i < conns; i++) {
        errno = 0;
        fds[i] = open_one(ai, &ring, (int)i);
        if (fds[i] < 0)
            return 1;
    }
    printf("ready %ld seconds %.3f\n", conns, bench_now() - t0);
    fflush(stdout);
    char b;
    while (read(0, &b, 1) > 0)
        ;
    for (long i = 0; i < conns; i++)
        close(fds[i]);
    free(fds);
    freeaddrinfo(ai);
    lcp_keyring_free(&ring);
    return 0;
}
