/*
 * conn.h - one client connection: handshake, then frames (records and
 * control messages), acks and errors back.
 */
#ifndef LCD_CONN_H
#define LCD_CONN_H

#include <sys/socket.h>
#include <sys/queue.h>

#include <event2/util.h>

struct lcd_server;
struct lcd_session;

enum {
    LCD_PAUSE_PEER = 1,   /* the peer does not read what we send */
    LCD_PAUSE_OUTPUT = 2, /* a record came while the output file cannot be written */
    LCD_PAUSE_MEMORY = 4, /* its partial frame waits for room in --max-partial-bytes */
    LCD_PAUSE_HELD = 8,   /* a failed handshake held for its delayed answer */
};

#include "auth.h"
#include "budget.h"

typedef struct lcd_conn {
    TAILQ_ENTRY(lcd_conn) link;     /* in srv->conns */
    TAILQ_ENTRY(lcd_conn) ack_link; /* in srv->ackq */
    TAILQ_ENTRY(lcd_conn) hs_link;  /* in srv->handshakes (oldest first) while in the handshake */
    int in_ackq, in_handshakes;     /* (the server keeps these lists and flags) */
    struct lcd_server *srv;
    struct lcd_io *io;
    int lingering;               /* closing, waiting for the output to go */
    int finishing;               /* closing, our FIN sent, waiting for the peer's */
    char peer[96]; /* "127.0.0.1:5555" or "[::1]:5555" */
    struct sockaddr_storage sa;
    int state;
    int held;                    /* failed: held until its answer is due (ratelimit.h) */
    uint8_t verdict[32];         /* that answer (a framed #FAILURE#) */
    size_t verdict_len;
    lcp_server_hs hs;
    void *keyset;                /* lcd_keyset the handshake uses (a reference) */
    lcp_key key;                 /* the key that authenticated the peer (copy) */
    struct event *timer;         /* handshake timeout, then close linger */
    struct lcd_session *sess;    /* NULL until HELLO or the first record */
    uint64_t next_seq;           /* number of the next record on this connection */
    uint64_t acked;              /* last ACK sent */
    int ack_wanted;              /* an ACK is owed once the peer reads again */
    int hello_seen, record_seen;
    uint64_t skip;               /* bytes of an oversize record still to discard */
    char *tail;                  /* constant trusted fields: ,"_app":...,"_peer":"..." */
    size_t tail_len;
    unsigned pause;              /* LCD_PAUSE_* bits */
    size_t batch_bytes;          /* record bytes appended in this read batch */
    char app[64];                /* HELLO's app (cut), for log lines; "" if anonymous */
    int64_t rej_window;          /* rejection log lines: start of the window (ms) */
    unsigned rej_logged;         /* lines logged in the window */
    unsigned rej_unlogged;       /* rejections not logged since the last line */
    int final_read;              /* stopping: parse every complete frame, no cap */
    lcd_claim claim;             /* its share of --max-partial-bytes (budget.h) */
} lcd_conn;

/* Take over an accepted socket and start the handshake. */
lcd_conn *lcd_conn_new(struct lcd_server *srv, evutil_socket_t fd,
                       const struct sockaddr *sa, socklen_t salen);

/* Send the peer an ACK for everything its session has written. */
void lcd_conn_send_ack(lcd_conn *c);

/* Turn reading off or on for a reason (LCD_PAUSE_*). */
void lcd_conn_pause(lcd_conn *c, unsigned reason, int on);

/* The output file can be written again: take the record this connection
 * was stopped at. */
void lcd_conn_output_resumed(lcd_conn *c);

/* Close a connection still in the handshake to make room for a new one
 * (--max-handshakes, or out of file descriptors): counted, logged. */
void lcd_conn_evict(lcd_conn *c, const char *why);

/* The daemon is stopping: tell a client that reads (it said HELLO) to
 * stop sending; what it already sent is still read and written. */
void lcd_conn_notify_shutdown(lcd_conn *c);

/* The daemon is about to close c for good: read and write every complete
 * frame that already reached it (buffered, or in the socket's receive
 * queue), ignoring the per-turn cap; a partial last frame is dropped with
 * the connection.  Returns 0 if c was freed (the peer had hung up). */
int lcd_conn_final_read(lcd_conn *c);

/* After a key reload: close the connection if its key is gone or changed. */
void lcd_conn_check_key(lcd_conn *c);

/* Authenticated and past the handshake? */
int lcd_conn_is_open(const lcd_conn *c);

/* Send what is queued for the peer, then close (or close at once). */
void lcd_conn_close(lcd_conn *c, int linger);

/* Free immediately (daemon exit). */
void lcd_conn_free(lcd_conn *c);

#endif
