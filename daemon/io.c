/*
 * io.c - see io.h.
 */
#include "io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define READ_CHUNK (256 * 1024)  /* one readv asks for this much */
#define READ_BUDGET LCD_IO_READ_MAX /* per callback, so no peer starves the rest */

struct lcd_io {
    lcd_io_cbs cbs;
    void *arg;
    evutil_socket_t fd;
    size_t read_high, low;
    size_t need;        /* no read callback before this much is buffered */
    int paused;
    /* plaintext, during a read callback: the bytes are in scratch */
    uint8_t *scratch;
    size_t sc_len, sc_off;
    int in_scratch;
    /* TLS backend */
    struct bufferevent *bev;
    /* plaintext backend */
    struct event *rev, *wev;
    struct event *kick; /* lcd_io_retrigger: not rev, which event_del may cancel */
    struct evbuffer *in, *out;
    int reading; /* rev is added */
    int draining; /* lcd_io_finish: rev is the discarding reader */
};

/* The read high mark now: the fixed one, lowered by the owner's read_cap.
 * 0: no limit. */
static size_t high_of(lcd_io *io)
{
    size_t high = io->read_high;
    if (io->cbs.read_cap) {
        size_t cap = io->cbs.read_cap(io, io->arg);
        if (high == 0 || cap < high)
            high = cap;
    }
    return high;
}

/* ---- plaintext ---------------------------------------------------------- */

static void update_reading(lcd_io *io)
{
    if (io->draining)
        return;
    size_t high = high_of(io);
    int want = !io->paused && (high == 0 || evbuffer_get_length(io->in) < high);
    if (want && !io->reading)
        event_add(io->rev, NULL);
    else if (!want && io->reading)
        event_del(io->rev);
    io->reading = want;
}

/* Read until EAGAIN, the budget, or the high mark.  Returns bytes read, or
 * -1 for EOF (with whatever came before it in the buffer), -2 for error. */
static ssize_t read_some(lcd_io *io)
{
    size_t total = 0;
    size_t high = high_of(io);
    while (total < READ_BUDGET) {
        size_t room = READ_CHUNK;
        if (high) {
            size_t have = evbuffer_get_length(io->in);
            if (have >= high)
                break;
            if (high - have < room)
                room = high - have;
        }
        struct evbuffer_iovec v[2];
        int nv = evbuffer_reserve_space(io->in, (ev_ssize_t)room, v, 2);
        if (nv <= 0)
            return -2;
        size_t asked = 0;
        for (int i = 0; i < nv; i++)
            asked += v[i].iov_len;
        ssize_t r = readv(io->fd, (struct iovec *)v, nv);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            evbuffer_commit_space(io->in, v, 0);
            if (r == 0)
                return -1;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -2;
        }
        size_t left = (size_t)r;
        for (int i = 0; i < nv; i++) {
            if (v[i].iov_len > left)
                v[i].iov_len = left;
            left -= v[i].iov_len;
        }
        evbuffer_commit_space(io->in, v, nv);
        total += (size_t)r;
        if ((size_t)r < asked)
            break; /* the socket is empty */
    }
    return (ssize_t)total;
}

/* Read into the shared scratch buffer, after the bytes this connection
 * kept from last time.  Returns as read_some. */
static ssize_t read_scratch(lcd_io *io)
{
    size_t kept = evbuffer_get_length(io->in);
    if (kept)
        evbuffer_remove(io->in, io->scratch, kept);
    io->sc_len = kept;
    io->sc_off = 0;
    io->in_scratch = 1;
    size_t total = 0;
    size_t high = high_of(io);
    size_t end = high && high < LCD_IO_SCRATCH ? high : LCD_IO_SCRATCH;
    while (io->sc_len < end) {
        size_t room = end - io->sc_len;
        ssize_t r = read(io->fd, io->scratch + io->sc_len, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return -1;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? (ssize_t)total : -2;
        io->sc_len += (size_t)r;
        total += (size_t)r;
        if ((size_t)r < room)
            break;
    }
    return (ssize_t)total;
}

/* After a callback: what it did not use goes back to the connection. */
static void keep_rest(lcd_io *io)
{
    if (io->in_scratch && io->sc_off < io->sc_len)
        evbuffer_add(io->in, io->scratch + io->sc_off, io->sc_len - io->sc_off);
    io->in_scratch = 0;
    io->sc_len = io->sc_off = 0;
}

/* One read and the callbacks it calls for.  always: call the read
 * callback even when nothing new came (bytes kept from before).  Returns
 * the bytes read (0: none, EAGAIN), or -1 when the io was freed. */
static ssize_t read_once(lcd_io *io, int always)
{
    /* Small leftovers (the usual case) go through the scratch buffer; a
     * large frame still arriving accumulates in the connection's buffer. */
    ssize_t n = io->scratch && evbuffer_get_length(io->in) <= LCD_IO_SCRATCH / 2
                    ? read_scratch(io)
                    : read_some(io);
    size_t have = io->in_scratch ? io->sc_len : evbuffer_get_length(io->in);
    if (have > 0 && have >= io->need && (n > 0 || n == -1 || always)) {
        io->need = 0;
        if (!io->cbs.read(io, io->arg))
            return -1;
    }
    keep_rest(io);
    if (n == -1 || n == -2) {
        io->cbs.event(io, n == -1 ? LCD_IO_EOF : LCD_IO_ERROR, io->arg);
        return -1;
    }
    return n;
}

static void plain_read(evutil_socket_t fd, short what, void *arg)
{
    lcd_io *io = arg;
    (void)fd;
    (void)what;
    if (read_once(io, 0) >= 0)
        update_reading(io);
}

int lcd_io_read_now(lcd_io *io, size_t limit)
{
    if (io->bev)
        return 1;
    int inq = 0;
    if (ioctl(io->fd, FIONREAD, &inq) == 0 && inq >= 0 && (size_t)inq < limit)
        limit = (size_t)inq; /* what is there now, not what a flood adds meanwhile */
    size_t total = 0;
    int first = 1;
    while (total < limit) {
        ssize_t n = read_once(io, first);
        if (n < 0)
            return 0;
        if (n == 0)
            break;
        total += (size_t)n;
        first = 0;
    }
    update_reading(io);
    return 1;
}

static void plain_kick(evutil_socket_t fd, short what, void *arg)
{
    lcd_io *io = arg;
    (void)fd;
    (void)what;
    if (io->cbs.read(io, io->arg)) {
        keep_rest(io);
        update_reading(io);
    }
}

/* Send what is queued; 0 ok (maybe partly), -1 the peer is gone. */
static int plain_flush(lcd_io *io)
{
    while (evbuffer_get_length(io->out) > 0) {
        int n = evbuffer_write(io->out, io->fd);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return -1;
    }
    if (evbuffer_get_length(io->out) > 0)
        event_add(io->wev, NULL);
    else
        event_del(io->wev);
    return 0;
}

static void plain_write(evutil_socket_t fd, short what, void *arg)
{
    lcd_io *io = arg;
    (void)fd;
    (void)what;
    if (plain_flush(io) != 0) {
        io->cbs.event(io, LCD_IO_ERROR, io->arg);
        return;
    }
    if (evbuffer_get_length(io->out) <= io->low && io->cbs.drained)
        io->cbs.drained(io, io->arg);
}

/* ---- TLS (bufferevent) ---------------------------------------------------- */

/* TLS: the bufferevent's read high watermark follows high_of. */
static void bev_refresh_high(lcd_io *io)
{
    bufferevent_setwatermark(io->bev, EV_READ, 0, high_of(io));
}

static void bev_read(struct bufferevent *bev, void *arg)
{
    lcd_io *io = arg;
    if (evbuffer_get_length(bufferevent_get_input(bev)) < io->need)
        return;
    io->need = 0;
    io->cbs.read(io, io->arg);
}

static void bev_write(struct bufferevent *bev, void *arg)
{
    lcd_io *io = arg;
    (void)bev;
    if (io->cbs.drained)
        io->cbs.drained(io, io->arg);
}

static void bev_event(struct bufferevent *bev, short what, void *arg)
{
    lcd_io *io = arg;
    (void)bev;
    if (what & BEV_EVENT_ERROR)
        io->cbs.event(io, LCD_IO_ERROR, io->arg);
    else if (what & BEV_EVENT_EOF)
        io->cbs.event(io, LCD_IO_EOF, io->arg);
}

/* ---- common ----------------------------------------------------------------- */

lcd_io *lcd_io_new(struct event_base *base, evutil_socket_t fd, SSL_CTX *tls,
                   uint8_t *scratch, const lcd_io_cbs *cbs, void *arg)
{
    lcd_io *io = calloc(1, sizeof *io);
    if (!io) {
        evutil_closesocket(fd);
        return NULL;
    }
    io->cbs = *cbs;
    io->arg = arg;
    io->fd = fd;
    if (tls) {
        SSL *ssl = SSL_new(tls);
        io->bev = ssl ? bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                       BEV_OPT_CLOSE_ON_FREE)
                      : NULL;
        if (!io->bev) {
            if (ssl)
                SSL_free(ssl);
            evutil_closesocket(fd);
            free(io);
            return NULL;
        }
        bufferevent_openssl_set_allow_dirty_shutdown(io->bev, 1);
        bufferevent_setcb(io->bev, bev_read, bev_write, bev_event, io);
        return io;
    }
    evutil_make_socket_nonblocking(fd);
    io->scratch = scratch;
    io->in = evbuffer_new();
    io->out = evbuffer_new();
    io->rev = event_new(base, fd, EV_READ | EV_PERSIST, plain_read, io);
    io->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, plain_write, io);
    io->kick = event_new(base, -1, 0, plain_kick, io);
    if (!io->in || !io->out || !io->rev || !io->wev || !io->kick) {
        lcd_io_free(io);
        return NULL;
    }
    return io;
}

void lcd_io_start(lcd_io *io)
{
    if (io->bev)
        bufferevent_enable(io->bev, EV_READ);
    else
        update_reading(io);
}

void lcd_io_view(lcd_io *io, const uint8_t **data, size_t *len)
{
    if (io->in_scratch) {
        *data = io->scratch + io->sc_off;
        *len = io->sc_len - io->sc_off;
        return;
    }
    struct evbuffer *in = io->bev ? bufferevent_get_input(io->bev) : io->in;
    *len = evbuffer_get_length(in);
    *data = *len ? evbuffer_pullup(in, -1) : NULL;
    if (!*data)
        *len = 0;
}

void lcd_io_eat(lcd_io *io, size_t n)
{
    if (io->in_scratch)
        io->sc_off += n;
    else
        evbuffer_drain(io->bev ? bufferevent_get_input(io->bev) : io->in, n);
}

void lcd_io_need(lcd_io *io, size_t n)
{
    io->need = n;
}

size_t lcd_io_buffered(lcd_io *io)
{
    if (io->bev)
        return evbuffer_get_length(bufferevent_get_input(io->bev));
    return evbuffer_get_length(io->in) + (io->in_scratch ? io->sc_len - io->sc_off : 0);
}

int lcd_io_write(lcd_io *io, const void *data, size_t len)
{
    if (io->bev)
        return bufferevent_write(io->bev, data, len);
    if (evbuffer_get_length(io->out) == 0) {
        ssize_t w = send(io->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w == (ssize_t)len)
            return 0;
        if (w > 0) {
            data = (const char *)data + w;
            len -= (size_t)w;
        }
        /* errors show up in the write callback or the next read */
    }
    if (evbuffer_add(io->out, data, len) != 0)
        return -1;
    event_add(io->wev, NULL);
    return 0;
}

size_t lcd_io_pending(lcd_io *io)
{
    return evbuffer_get_length(io->bev ? bufferevent_get_output(io->bev) : io->out);
}

void lcd_io_pause(lcd_io *io, int paused)
{
    io->paused = paused;
    if (io->bev) {
        if (paused) {
            bufferevent_disable(io->bev, EV_READ);
        } else {
            bev_refresh_high(io);
            bufferevent_enable(io->bev, EV_READ);
        }
    } else {
        update_reading(io);
    }
}

void lcd_io_set_read_high(lcd_io *io, size_t high)
{
    io->read_high = high;
    if (io->bev)
        bev_refresh_high(io);
}

void lcd_io_retrigger(lcd_io *io)
{
    if (io->bev) {
        bufferevent_trigger(io->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
        return;
    }
    /* Activated now, it runs after the events already active in this loop
     * turn, the output flush among them. */
    event_active(io->kick, 0, 0);
}

void lcd_io_consumed(lcd_io *io)
{
    if (io->bev)
        bev_refresh_high(io);
    else
        update_reading(io);
}

void lcd_io_set_low(lcd_io *io, size_t low)
{
    io->low = low;
    if (io->bev)
        bufferevent_setwatermark(io->bev, EV_WRITE, low, 0);
}

unsigned long lcd_io_tls_error(lcd_io *io)
{
    if (!io->bev)
        return 0;
    unsigned long e = bufferevent_get_openssl_error(io->bev);
    while (bufferevent_get_openssl_error(io->bev))
        ;
    return e;
}

#define DRAIN_BUDGET (1024 * 1024) /* per callback: a flood does not hold the loop */

static void discard_read(evutil_socket_t fd, short what, void *arg)
{
    lcd_io *io = arg;
    char buf[16384];
    size_t total = 0;
    (void)what;
    while (total < DRAIN_BUDGET) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (r <= 0) {
            io->cbs.event(io, r == 0 ? LCD_IO_EOF : LCD_IO_ERROR, io->arg);
            return;
        }
        total += (size_t)r;
    }
}

int lcd_io_finish(lcd_io *io)
{
    if (io->bev || evbuffer_get_length(io->out) > 0)
        return -1;
    struct event_base *base = event_get_base(io->rev);
    event_del(io->rev);
    event_del(io->kick);
    event_del(io->wev);
    if (shutdown(io->fd, SHUT_WR) != 0)
        return -1;
    evbuffer_drain(io->in, evbuffer_get_length(io->in));
    io->in_scratch = 0;
    io->sc_len = io->sc_off = 0;
    if (event_assign(io->rev, base, io->fd, EV_READ | EV_PERSIST, discard_read, io) != 0 ||
        event_add(io->rev, NULL) != 0)
        return -1;
    io->reading = 1;
    io->draining = 1;
    return 0;
}

void lcd_io_free(lcd_io *io)
{
    if (!io)
        return;
    if (io->bev) {
        bufferevent_free(io->bev);
    } else {
        if (io->rev)
            event_free(io->rev);
        if (io->wev)
            event_free(io->wev);
        if (io->kick)
            event_free(io->kick);
        if (io->in)
            evbuffer_free(io->in);
        if (io->out)
            evbuffer_free(io->out);
        evutil_closesocket(io->fd);
    }
    free(io);
}
