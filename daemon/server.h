/*
 * server.h - the daemon's state: one struct owns the event loop's pieces
 * (listener, connections, sessions, output, keys, counters).
 */
#ifndef LCD_SERVER_H
#define LCD_SERVER_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "budget.h"
#include "keyfile.h"
#include "options.h"
#include "output.h"
#include "ratelimit.h"
#include "record.h"
#include "session.h"

struct event_base;
struct evconnlistener;
struct event;
struct lcd_conn;

#define LCD_REJECT_REASONS 8 /* indexed by lcp_rec_status */

/* Why a handshake failed, for the handshakes_failed_total{reason} metric. */
typedef enum {
    LCD_HSR_BAD_MESSAGE,  /* not a handshake message where one was expected */
    LCD_HSR_WRONG_KEY,    /* the proof matched no key */
    LCD_HSR_LEGACY,       /* HMAC-MD5 offered without --allow-legacy-md5 */
    LCD_HSR_DIGEST,       /* a digest we do not support */
    LCD_HSR_REJECTED,     /* the peer refused our proof */
    LCD_HSR_NOT_PROTOCOL, /* a frame that is not ours (or over 256 bytes) */
    LCD_HSR_KEY_REMOVED,  /* the key went away (SIGHUP) during the handshake */
    LCD_HSR_CLOSED,       /* the peer hung up */
    LCD_HSR_TIMEOUT,      /* --handshake-timeout */
    LCD_HSR_TLS,          /* the TLS handshake failed */
    LCD_HSR_COUNT
} lcd_hs_reason;

/* The label value of a reason ("wrong_key"). */
const char *lcd_hs_reason_key(lcd_hs_reason r);

typedef struct {
    uint64_t conn_total;
    uint64_t conn_refused_full;
    uint64_t handshakes_failed;
    uint64_t handshakes_failed_by[LCD_HSR_COUNT];
    uint64_t handshakes_delayed; /* failed, answered late: their address kept failing */
    uint64_t handshakes_dropped; /* failed, closed unanswered: too many of the address held */
    uint64_t handshakes_evicted; /* closed unauthenticated to make room (--max-handshakes) */
    uint64_t records_accepted;
    uint64_t records_rejected[LCD_REJECT_REASONS];
    uint64_t records_duplicate; /* resends skipped because already written */
    uint64_t bytes_in;
    uint64_t reads_capped;      /* read batches cut at --max-unwritten */
    uint64_t protocol_errors;
    uint64_t client_dropped;    /* sum of "dropped" in the clients' drop notices */
} lcd_counters;

TAILQ_HEAD(lcd_conn_list, lcd_conn);

/* The keys, shared by reference: a handshake in progress keeps the set it
 * started with even if SIGHUP loads a new one. */
typedef struct {
    lcp_keyring ring;
    unsigned refs;
} lcd_keyset;

lcd_keyset *lcd_keyset_ref(lcd_keyset *k);
void lcd_keyset_unref(lcd_keyset *k);

typedef struct lcd_server {
    struct event_base *base;
    const lcd_options *opt;
    lcd_keyset *keys;
    struct ssl_ctx_st *tls;  /* NULL: plaintext */
    uint8_t *scratch;        /* LCD_IO_SCRATCH bytes: where plaintext reads land */
    lcd_output *out;
    lcd_sessions *sessions;
    struct evconnlistener *listener;
    struct event *accept_retry;
    struct lcd_conn_list conns;
    size_t nconns;
    struct lcd_conn_list handshakes; /* the connections still in the handshake, oldest first */
    size_t nhandshakes;
    lcd_budget budget; /* --max-partial-bytes (budget.h) */
    struct lcd_conn_list ackq; /* connections owed an ACK after a flush */
    int output_failing;
    int stopping;
    struct event *drain_timer;
    uint64_t drain_last_bytes;
    struct timeval drain_start;
    char host[64]; /* bound address, for the port file */
    int port;
    struct timeval started;
    lcd_counters cnt;
    lcd_ratelimit rl;
    /* lcd_server_log_limited: at most a few lines a second */
    int64_t log_window;
    unsigned log_count, log_suppressed;
    /* receive time of the current loop turn, formatted once per change */
    struct timeval rt_tv;
    char rt[LCP_TIME_LEN + 1];
} lcd_server;

/* Load keys, open the output, set up sessions.  Returns 0 or -1 with err. */
int lcd_server_init(lcd_server *srv, struct event_base *base,
                    const lcd_options *opt, char *err, size_t errlen);

/* Bind and listen; fills srv->host and srv->port. */
int lcd_server_listen(lcd_server *srv, char *err, size_t errlen);

/* SIGTERM: stop accepting, drain what peers already sent, write it, send
 * the last acks, close everything, then leave the event loop. */
void lcd_server_stop(lcd_server *srv);

/* SIGHUP: reopen the output file and reload the keys (sessions whose key
 * is gone or changed are closed). */
void lcd_server_reload(lcd_server *srv);

/* Does the current key set still hold this key, with the same bytes? */
int lcd_server_key_valid(const lcd_server *srv, const lcp_key *k);

/* The connections, for conn.c: the server keeps the lists (all, in the
 * handshake oldest first, owed an ACK) and their counts. */
void lcd_server_add_conn(lcd_server *srv, struct lcd_conn *c);    /* new, in the handshake */
void lcd_server_left_handshake(lcd_server *srv, struct lcd_conn *c);
void lcd_server_remove_conn(lcd_server *srv, struct lcd_conn *c); /* before it is freed */
size_t lcd_server_handshaking(const lcd_server *srv);
/* Are --max-clients authenticated connections open? */
int lcd_server_clients_full(const lcd_server *srv);

/* Receive time: refreshed when a read batch starts, read per record. */
void lcd_server_rt_refresh(lcd_server *srv);
const char *lcd_server_rt(lcd_server *srv);

uint64_t lcd_server_rejected_total(const lcd_server *srv);

/* lcd_log for messages a peer can cause at will (failed handshakes): at
 * most 10 a second, then one line saying how many were suppressed. */
void lcd_server_log_limited(lcd_server *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* SIGUSR1: the counters on one line of stderr. */
void lcd_server_log_status(lcd_server *srv);

/* Counters as a JSON object (caller frees). */
char *lcd_server_status_json(lcd_server *srv);

void lcd_server_free(lcd_server *srv);

#endif
