/*
 * io.h - moving a connection's bytes: one interface, two backends.
 *
 * Plaintext connections use raw libevent events: reads of up to 256 KiB
 * straight into the input evbuffer (libevent 2.1's evbuffer_read stops at
 * 4 KiB and asks FIONREAD every time, which made the daemon syscall-bound),
 * and replies written with send() at once when nothing is queued (no
 * epoll_ctl per ACK).  TLS connections use libevent's OpenSSL bufferevent,
 * with the same interface.
 *
 * Callbacks may free the connection that owns the io: the read callback
 * says so by returning 0, and the io touches nothing after that.
 */
#ifndef LCD_IO_H
#define LCD_IO_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>

struct event_base;
struct evbuffer;
typedef struct ssl_ctx_st SSL_CTX;

typedef struct lcd_io lcd_io;

enum { LCD_IO_EOF = 1, LCD_IO_ERROR = 2 };

typedef struct {
    /* New input (or a retrigger).  Return 0 if the io was freed. */
    int (*read)(lcd_io *io, void *arg);
    /* The output went down to the low mark set with lcd_io_set_low. */
    void (*drained)(lcd_io *io, void *arg);
    /* LCD_IO_EOF or LCD_IO_ERROR; the owner frees the io. */
    void (*event)(lcd_io *io, int what, void *arg);
    /* Optional: asked before every read, the most input bytes the owner
     * lets the io hold right now (a lower read high mark; it changes with
     * the daemon-wide budget for partly received frames). */
    size_t (*read_cap)(lcd_io *io, void *arg);
} lcd_io_cbs;

/* Take over fd (closed by lcd_io_free).  tls: NULL for plaintext.
 * scratch: LCD_IO_SCRATCH bytes shared by all plaintext connections of the
 * loop (one thread): new bytes land there and are parsed in place; only an
 * unfinished frame's bytes are kept per connection. */
#define LCD_IO_SCRATCH (256 * 1024)
/* The most bytes one read callback's reading adds to a connection's input. */
#define LCD_IO_READ_MAX (512 * 1024)
lcd_io *lcd_io_new(struct event_base *base, evutil_socket_t fd, SSL_CTX *tls,
                   uint8_t *scratch, const lcd_io_cbs *cbs, void *arg);

/* Start reading (after the owner is ready for callbacks). */
void lcd_io_start(lcd_io *io);

/* In the read callback: all unprocessed input, contiguous.  Tell the io
 * how much was used with lcd_io_eat; the rest is kept for next time. */
void lcd_io_view(lcd_io *io, const uint8_t **data, size_t *len);
void lcd_io_eat(lcd_io *io, size_t n);

/* Do not call the read callback before this many unprocessed bytes are
 * there (a frame's length is known, its bytes are still coming). */
void lcd_io_need(lcd_io *io, size_t n);

/* Unprocessed input bytes held for the next callback. */
size_t lcd_io_buffered(lcd_io *io);

/* Queue bytes for the peer; plaintext tries to send them right away. */
int lcd_io_write(lcd_io *io, const void *data, size_t len);
size_t lcd_io_pending(lcd_io *io);

/* Reading stops while paused, and while the input holds high bytes. */
void lcd_io_pause(lcd_io *io, int paused);
void lcd_io_set_read_high(lcd_io *io, size_t high);

/* Read now, without waiting for the loop, what the socket holds at the
 * time of the call (at most limit bytes; not what a flooding peer adds
 * meanwhile), calling the read callback for it and for what was kept from
 * before.  Plaintext only (a TLS io does nothing).  Returns 0 if
 * the io was freed (EOF, error, or the callback said so). */
int lcd_io_read_now(lcd_io *io, size_t limit);

/* Call the read callback again soon, even without new bytes (after the
 * current loop turn's queued events, e.g. the output flush). */
void lcd_io_retrigger(lcd_io *io);

/* The owner consumed input (or its read_cap grew): reading may resume if
 * it had stopped at the high mark. */
void lcd_io_consumed(lcd_io *io);

/* drained fires when pending output falls to at most low bytes. */
void lcd_io_set_low(lcd_io *io, size_t low);

/* The last TLS error on this connection (0: none, or plaintext). */
unsigned long lcd_io_tls_error(lcd_io *io);

/* Lingering close, once the output is sent: send our FIN, then read and
 * drop whatever the peer still sends until its FIN, which comes to the
 * event callback as LCD_IO_EOF (the owner bounds the wait with a timer).
 * Closing with unread bytes in the kernel would send a reset instead of a
 * FIN, and a reset can make the peer lose the last message we sent (the
 * ERROR that says why) before it reads it.  Returns 0 when the drain
 * started, -1 when the io cannot linger (TLS, or shutdown failed): free it. */
int lcd_io_finish(lcd_io *io);

void lcd_io_free(lcd_io *io);

#endif
