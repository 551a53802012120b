/*
 * internal.h - what the library's files share (not installed).
 *
 * Threads and locks.  One mutex per client (mu) guards everything marked
 * "mu" below: the queue, the counters and the flags by which the log
 * calls, lc_flush and the sender thread talk.  The sender thread alone
 * touches the connection and the cursor, and alone frees records (on
 * ACK).  Nothing does I/O while holding mu.
 *
 * Waking the sender: it sleeps in poll() on its socket and on an eventfd.
 * Before sleeping it sets sender_idle under mu; a log call that finds it
 * set clears it and writes the eventfd once.  While the sender is busy no
 * log call makes a system call.
 *
 * Fork: every client is in a registry; pthread_atfork handlers lock the
 * registry and every client's mu around fork(), and in the child reset
 * each client to a fresh, thread-less state (new session on first use).
 */
#ifndef LCC_INTERNAL_H
#define LCC_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "client_conn.h"
#include "client_tls.h"
#include "logcollect.h"
#include "queue.h"

#define LCC_DEFAULT_PORT_FILE "/run/logcollectord/port"
#define LCC_DEFAULT_KEY_FILE "/etc/logcollectord/key"

/* The argument, else the environment variable, else the default. */
const char *lcc_pick_path(const char *given, const char *env, const char *def);

/* The port file, key file and app name that options (or NULL) select. */
void lcc_options_target(const lc_options *o, const char **port_file, const char **key_file,
                        const char **app);

/* The TLS settings that options (or NULL) and the environment select,
 * loaded (client_tls.h): *out NULL when none.  LC_OK, or LC_EINVAL (a malformed
 * $LOGCOLLECT_TLS_FINGERPRINT, a key without a certificate), LC_ETLS (a
 * file that does not load) or LC_ENOMEM, with the message in err. */
struct lcc_tls;
int lcc_options_tls(const lc_options *o, struct lcc_tls **out, char *err, size_t errlen);

/* fork.c: the registry of open clients.  lcc_registry_add returns -1
 * (not added) once exit() has begun; the first call installs the fork and
 * exit handlers. */
int lcc_registry_add(lc_client *c);
void lcc_registry_remove(lc_client *c);
/* The client's condition variables, on CLOCK_MONOTONIC (anew in a fork
 * child, where parent threads may have waited on them). */
void lcc_init_conds(lc_client *c);

/* What lc_options_new gives: every setting at its default. */
void lcc_options_defaults(lc_options *o);

/* An application name lc_open accepts: LC_OK, or LC_EINVAL (set, with fn). */
int lcc_check_app(const char *app, const char *fn);

struct lc_options {
    char *port_file;
    char *key_file;
    char *app;
    size_t queue_bytes;
    int policy;
    int block_ms;
    int close_ms;
    int connect_ms;
    int fail_fast;
    char *tls_ca;
    char *tls_cert;
    char *tls_key;
    int tls_fp_set;
    uint8_t tls_fp[LCC_FP_LEN];
};


/* Reconnect delays: exponential from BACKOFF_MIN_MS, capped, with jitter
 * (each delay is drawn between half and all of the nominal one). */
#define LCC_BACKOFF_MIN_MS 50
#define LCC_BACKOFF_MAX_MS 5000
/* With records in flight the sender does not ask to be woken for new
 * ones: it looks again when the ACK comes, or after this long.  If that
 * passes with no ACK (a slow daemon, or one withholding ACKs because its
 * disk is full), it asks to be woken like an idle sender and doubles the
 * timeout up to LCC_INFLIGHT_POLL_MAX_MS (a safety net only: nothing
 * depends on it), back to the start on any progress. */
#define LCC_INFLIGHT_POLL_MS 1
#define LCC_INFLIGHT_POLL_MAX_MS 1000
/* A connection that lasted this long resets the backoff. */
#define LCC_HEALTHY_MS 1000
/* After ERROR 102 the daemon closes within 5 s; we wait at most this. */
#define LCC_DRAIN_MAX_MS 10000
/* How long closing waits for the daemon to close its side (after FIN). */
#define LCC_CLOSE_LINGER_MS 500

struct lc_client {
    pthread_mutex_t mu;
    pthread_cond_t space_cv; /* LC_FULL_BLOCK callers waiting for room */
    pthread_cond_t ack_cv;   /* lc_flush callers waiting for ACKs */

    /* Settings, fixed at open. */
    char *port_file;
    char *key_file;
    char app[LCP_NAME_MAX + 1];
    char host[LCP_NAME_MAX + 1];
    uint8_t *key;
    size_t keylen;
    size_t queue_limit;
    int policy;
    int block_ms;
    int close_ms;
    int connect_ms;
    struct lcc_tls *tls; /* NULL: no TLS settings */

    /* mu */
    lcc_queue q;
    uint64_t acked;           /* highest record number acknowledged */
    uint64_t sent;            /* highest written whole on any connection */
    uint64_t pending_dropped; /* drops not yet announced */
    uint64_t records, dropped, notices, resent, rejected, connects, connect_failures;
    uint32_t max_record; /* from the last WELCOME; 0 before any */
    int connected;
    char peer[LCP_HOST_MAX + 16];
    int last_err;
    char last_err_msg[LCC_ERR_MAX];
    uint64_t rej_count; /* rejections since the last lc_flush */
    uint64_t rej_seq;
    uint16_t rej_code;
    char rej_text[LCP_ERROR_TEXT_MAX + 1];
    char sid[LCP_SID_HEX + 1];    /* "" until the session starts */
    char secret[LCP_SID_HEX + 1]; /* the session's secret (HELLO), never shown */
    int64_t pid;
    int running; /* a sender thread exists (join it) */
    int stop;
    int sender_idle;
    int flush_waiters;
    int space_waiters;
    int have_conn; /* lc_open (fail fast) connected already: conn is up */
    int wakefd;
    int sock_fd; /* the sender's socket, for a fork child to close */
    pthread_t thread;

    /* The sender thread's own. */
    lcc_conn conn;
    lcc_cursor cur;
    unsigned backoff;
    uint64_t rng;

    /* The registry of clients (for fork); guarded by its own lock. */
    struct lc_client *reg_prev, *reg_next;
};

/* Set this thread's lc_last_error() text; returns code, for
 *   return lcc_set_error(LC_EINVAL, "...", ...); */
int lcc_set_error(int code, const char *fmt, ...) LC_PRINTF(2, 3);

/* sender.c */
void *lcc_sender_main(void *arg);
/* Build the HELLO target from the client (call with mu held; the strings
 * it points to live as long as the client). */
void lcc_target_init(lc_client *c, lcc_target *t, int wakefd);
/* The socket-fd callback for lcc_target.on_fd. */
void lcc_publish_fd(void *arg, int fd);
/* Wake the sender (write the eventfd). */
void lcc_wake(lc_client *c);

#endif
