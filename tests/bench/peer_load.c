/*
 * peer_load - load generator for the peers (rsyslog, syslog-ng, the raw
 * epoll sink): the benchmark's JSON records over plain TCP with the framing
 * the peer wants, as fast as it takes them, then wait until every record is
 * a line in the peer's output file.
 *
 *   peer_load --port P [--host 127.0.0.1] [--conns C] [--records N]
 *             [--size BYTES] [--framing lf|octet] --out FILE [--timeout S]
 *
 * Each of the C connections sends N records (bench_common.h, SIZE bytes
 * each): "lf" is newline-delimited (syslog-ng network(), the raw sink),
 * "octet" is RFC 6587 octet counting, "LEN SP RECORD" (rsyslog imptcp).
 * One thread, epoll, non-blocking sockets, 256 KiB writes.
 *
 * The clock starts once every connection is established (connection setup
 * is left out, as lc_e2e leaves out the library's: a peer whose listen
 * backlog is short would otherwise pay a 1 s SYN retransmission for a burst
 * of connects) and stops when FILE holds
 * C * N lines (read incrementally, polled every millisecond once all is
 * sent), or when it has not grown for --timeout seconds (default 30).
 * Prints one line:
 *   conns C records T seconds S rate R/s sent_seconds X lines L lost K
 * and exits 0 when K is 0, else 1.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"

#define CHUNK (256 * 1024)

typedef struct {
    int fd, idx;
    long next; /* next record to frame, from 1 */
    char *buf;
    size_t len, off;
} pconn;

static void refill(pconn *c, long records, int size, int octet)
{
    char rec[BENCH_MAX_SIZE + 32];
    if (c->off == c->len)
        c->off = c->len = 0;
    while (c->next <= records && c->len + (size_t)size + 16 <= CHUNK) {
        bench_record(rec, sizeof rec, size, c->idx, c->next);
        if (octet)
            c->len += (size_t)sprintf(c->buf + c->len, "%d ", size);
        memcpy(c->buf + c->len, rec, (size_t)size);
        c->len += (size_t)size;
        if (!octet)
            c->buf[c->len++] = '\n';
        c->next++;
    }
}

/* Count the newlines FILE has gained since the last call. */
static long count_new_lines(int *fd, const char *path, char *buf, size_t cap, long *grew)
{
    if (*fd < 0) {
        *fd = open(path, O_RDONLY | O_CLOEXEC);
        if (*fd < 0)
            return 0;
    }
    long lines = 0;
    for (;;) {
        ssize_t r = read(*fd, buf, cap);
        if (r <= 0)
            break;
        *grew += r;
        for (char *p = buf, *end = buf + r; (p = memchr(p, '\n', (size_t)(end - p))); p++)
            lines++;
    }
    return lines;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'h'},    {"port", required_argument, NULL, 'p'},
        {"conns", required_argument, NULL, 'c'},   {"records", required_argument, NULL, 'n'},
        {"size", required_argument, NULL, 's'},    {"framing", required_argument, NULL, 'f'},
        {"out", required_argument, NULL, 'o'},     {"timeout", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *host = "127.0.0.1", *out = NULL;
    long port = 0, conns = 1, records = 100000, size = BENCH_DEFAULT_SIZE, timeout = 30;
    int octet = 0, ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'h': host = optarg; break;
        case 'p': port = bench_number("peer_load", optarg, "--port", 1, 65535); break;
        case 'c': conns = bench_number("peer_load", optarg, "--conns", 1, 100000); break;
        case 'n': records = bench_number("peer_load", optarg, "--records", 1, LONG_MAX); break;
        case 's': size = bench_number("peer_load", optarg, "--size", 1, BENCH_MAX_SIZE); break;
        case 'f':
            if (strcmp(optarg, "octet") == 0)
                octet = 1;
            else if (strcmp(optarg, "lf") != 0) {
                fprintf(stderr, "peer_load: --framing lf or octet\n");
                return 2;
            }
            break;
        case 'o': out = optarg; break;
        case 't': timeout = bench_number("peer_load", optarg, "--timeout", 1, 3600); break;
        default:
            fprintf(stderr, "usage: peer_load --port P [--host H] [--conns C] [--records N] "
                            "[--size B] [--framing lf|octet] --out FILE [--timeout S]\n");
            return 2;
        }
    }
    char probe[BENCH_MAX_SIZE + 1];
    if (!port || !out || bench_record(probe, sizeof probe, (int)size, 0, 1) < 0) {
        fprintf(stderr, "peer_load: need --port and --out, and --size of at least 170\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "peer_load: bad IPv4 address %s\n", host);
        return 2;
    }
    pconn *cs = calloc((size_t)conns, sizeof *cs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!cs || ep < 0)
        return 1;

    for (long i = 0; i < conns; i++) {
        pconn *c = &cs[i];
        c->idx = (int)i;
        c->next = 1;
        c->buf = malloc(CHUNK);
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (!c->buf || c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            fprintf(stderr, "peer_load: connect %s:%ld: %s\n", host, port, strerror(errno));
            return 1;
        }
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    double t0 = bench_now();
    long busy = conns;
    struct epoll_event evs[256];
    while (busy > 0) {
        int n = epoll_wait(ep, evs, 256, (int)timeout * 1000);
        if (n == 0) {
            fprintf(stderr, "peer_load: the peer took nothing for %ld s\n", timeout);
            break;
        }
        for (int e = 0; e < n; e++) {
            pconn *c = &cs[evs[e].data.u32];
            if (evs[e].events & (EPOLLERR | EPOLLHUP)) {
                fprintf(stderr, "peer_load: connection %d closed by the peer\n", c->idx);
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                busy--;
                continue;
            }
            for (;;) {
                if (c->off == c->len)
                    refill(c, records, (int)size, octet);
                if (c->off == c->len) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    busy--;
                    break;
                }
                ssize_t w = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                if (w <= 0) {
                    fprintf(stderr, "peer_load: send: %s\n", strerror(errno));
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    busy--;
                    break;
                }
                c->off += (size_t)w;
            }
        }
    }
    double t_sent = bench_now();

    long want = conns * records, lines = 0, grew = 0;
    int fd = -1;
    size_t cap = 1 << 20;
    char *buf = malloc(cap);
    double last_growth = bench_now(), t1 = last_growth;
    while (buf) {
        long before = grew;
        lines += count_new_lines(&fd, out, buf, cap, &grew);
        t1 = bench_now();
        if (lines >= want)
            break;
        if (grew != before)
            last_growth = t1;
        else if (t1 - last_growth > (double)timeout)
            break;
        else
            usleep(1000);
    }
    double secs = (lines >= want ? t1 : last_growth) - t0;
    printf("conns %ld records %ld seconds %.3f rate %.0f/s sent_seconds %.3f lines %ld lost %ld\n",
           conns, want, secs, (double)want / secs, t_sent - t0, lines,
           want > lines ? want - lines : 0);
    for (long i = 0; i < conns; i++) {
        close(cs[i].fd);
        free(cs[i].buf);
    }
    free(cs);
    free(buf);
    if (fd >= 0)
        close(fd);
    close(ep);
    return lines == want ? 0 : 1;
}
