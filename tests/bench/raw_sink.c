/*
 * raw_sink - the floor every collector is measured against: a trivial
 * epoll reader that appends the raw bytes it receives to a file.  No
 * framing, no validation, no authentication, no acknowledgement.
 *
 *   raw_sink --port P --out FILE
 *
 * Listens on 127.0.0.1:P, accepts any number of connections, appends what
 * it reads (256 KiB reads) with write(2) on an O_APPEND file.  Runs until
 * SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"out", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    long port = 0;
    const char *out = NULL;
    int ch;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'p': port = bench_number("raw_sink", optarg, "--port", 1, 65535); break;
        case 'o': out = optarg; break;
        default: fprintf(stderr, "usage: raw_sink --port P --out FILE\n"); return 2;
        }
    }
    if (!port || !out) {
        fprintf(stderr, "usage: raw_sink --port P --out FILE\n");
        return 2;
    }
    struct sigaction sa_sig = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa_sig, NULL);
    sigaction(SIGINT, &sa_sig, NULL);

    int ofd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (ofd < 0 || lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(lfd, 1024) != 0) {
        fprintf(stderr, "raw_sink: %s\n", strerror(errno));
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    size_t cap = 256 * 1024;
    char *buf = malloc(cap);
    struct epoll_event evs[64];
    while (!stop && buf) {
        int n = epoll_wait(ep, evs, 64, 1000);
        for (int e = 0; e < n; e++) {
            int fd = evs[e].data.fd;
            if (fd == lfd) {
                int c;
                while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, cap);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
                continue;
            }
            for (ssize_t off = 0; r > 0 && off < r;) {
                ssize_t w = write(ofd, buf + off, (size_t)(r - off));
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    fprintf(stderr, "raw_sink: write: %s\n", strerror(errno));
                    return 1;
                }
                off += w;
            }
        }
    }
    free(buf);
    close(ofd);
    close(lfd);
    close(ep);
    return 0;
}
