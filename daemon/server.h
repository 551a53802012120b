/*
 * server.h - the daemon's state: one struct owns the event loop's pieces
 * (listener, connections, sessions, output, keys, counters).
 */
#ifndef LCD_SERVER_H
#define LCD_SERVER_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "keyfile.h"
#include "options.h"
#include "output.h"
#include "record.h"
#include "session.h"

struct event_base;
struct evconnlistener;
struct event;
struct lcd_conn;

#define LCD_REJECT_REASONS 8 /* indexed by lcp_rec_status */

typedef struct {
    uint64_t conn_total;
    uint64_t conn_refused_full;
    uint64_t handshakes_failed;
    uint64_t records_accepted;
    uint64_t records_rejected[LCD_REJECT_REASONS];
    uint64_t records_duplicate; /* resends skipped because already written */
    uint64_t bytes_in;
    uint64_t protocol_errors;
} lcd_counters;

TAILQ_HEAD(lcd_conn_list, lcd_conn);

typedef struct lcd_server {
    struct event_base *base;
    const lcd_options *opt;
    lcp_keyring keys;
    lcd_output *out;
    lcd_sessions *sessions;
    struct evconnlistener *listener;
    struct event *accept_retry;
    struct lcd_conn_list conns;
    size_t nconns;
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

/* SIGHUP: reopen the output file. */
void lcd_server_reload(lcd_server *srv);

/* Receive time: refreshed when a read batch starts, read per record. */
void lcd_server_rt_refresh(lcd_server *srv);
const char *lcd_server_rt(lcd_server *srv);

uint64_t lcd_server_rejected_total(const lcd_server *srv);

/* SIGUSR1: the counters on one line of stderr. */
void lcd_server_log_status(lcd_server *srv);

/* Counters as a JSON object (caller frees). */
char *lcd_server_status_json(lcd_server *srv);

void lcd_server_free(lcd_server *srv);

#endif
