/*
 * logcollect.h - client library for logcollectord.
 *
 * One header, one prefix (lc_), two opaque handles (lc_client, lc_options).
 * Link with -llogcollect (pkg-config --cflags --libs logcollect).
 *
 * The client is asynchronous: lc_log, lc_log_kv, lc_log_fields and
 * lc_send_json format the record into a bounded in-memory queue and return;
 * a background thread owned by the client connects (and reconnects) to the
 * collector, sends the records in batches and frees each one once the
 * collector acknowledges it (after writing it to its output file).  The
 * calling thread never waits on a socket.  docs/client.md states the
 * guarantees (delivery, order, fork, exec, threads) exactly.
 *
 * Return values: functions that can fail return 0 on success or a negative
 * LC_E* code; lc_strerror() turns a code into text, lc_last_error() gives
 * the detailed message (which file, which peer, what to do) of the last
 * failure in the calling thread.  The library never prints and never exits.
 *
 * Ownership: every string passed in is copied before the call returns;
 * nothing returned needs freeing except an lc_client (lc_close) and an
 * lc_options (lc_options_free).  Strings returned (lc_strerror,
 * lc_level_name, lc_last_error) belong to the library.
 *
 * Threads: any number of threads may use one lc_client at once, except
 * lc_close, which must be the last call on it.  lc_options objects are not
 * thread-safe (build one, open with it, free it).
 */
#ifndef LOGCOLLECT_H
#define LOGCOLLECT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LC_API __attribute__((visibility("default")))
#define LC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LC_SENTINEL __attribute__((sentinel))
#else
#define LC_API
#define LC_PRINTF(f, a)
#define LC_SENTINEL
#endif

/* ---- version --------------------------------------------------------------
 * The release this header belongs to; the one place the version is written
 * (the Makefile and logcollect.pc read it from here).  MINOR and PATCH stay
 * below 100.  LC_VERSION_NUMBER is MAJOR * 10000 + MINOR * 100 + PATCH, so
 * versions compare as integers: #if LC_VERSION_NUMBER >= 10200 (1.2.0). */
#define LC_VERSION_MAJOR 0
#define LC_VERSION_MINOR 1
#define LC_VERSION_PATCH 0
#define LC_VERSION_NUMBER \
    (LC_VERSION_MAJOR * 10000 + LC_VERSION_MINOR * 100 + LC_VERSION_PATCH)
#define LC_STRINGIFY_(x) #x
#define LC_STRINGIFY(x) LC_STRINGIFY_(x)
/* "MAJOR.MINOR.PATCH" as a string literal */
#define LC_VERSION                                                         \
    LC_STRINGIFY(LC_VERSION_MAJOR) "." LC_STRINGIFY(LC_VERSION_MINOR) "." \
    LC_STRINGIFY(LC_VERSION_PATCH)

/* Severity, with syslog's numbers and names. */
typedef enum {
    LC_EMERGENCY = 0,
    LC_ALERT = 1,
    LC_CRITICAL = 2,
    LC_ERROR = 3,
    LC_WARNING = 4,
    LC_NOTICE = 5,
    LC_INFO = 6,
    LC_DEBUG = 7,
} lc_level;

/* Error codes (negative; 0 is success). */
enum {
    LC_OK = 0,
    LC_EINVAL = -1,     /* bad argument (detected in the calling thread) */
    LC_ENOMEM = -2,     /* out of memory */
    LC_EPORTFILE = -3,  /* port file missing or unreadable: collector not running? */
    LC_EKEYFILE = -4,   /* key file missing, unreadable or malformed */
    LC_ECONNECT = -5,   /* cannot connect to the address in the port file */
    LC_EAUTH = -6,      /* handshake failed: the two sides have different keys */
    LC_EPROTO = -7,     /* the peer broke the protocol */
    LC_EREJECTED = -8,  /* the collector refused a record (see lc_last_error) */
    LC_ETIMEDOUT = -9,  /* the wait ended before the acknowledgement came */
    LC_ECLOSED = -10,   /* the connection was lost / the collector is stopping */
    LC_ETOOBIG = -11,   /* the record is larger than the collector or queue accepts */
    LC_EFULL = -12,     /* the collector has no room for more clients */
    LC_EDROPPED = -13,  /* the queue was full: this record was dropped (and counted) */
    LC_ETLS = -14,      /* TLS: the server's certificate is not trusted, TLS settings
                           are missing or refer to a file that does not load, or the
                           collector and the settings disagree on TLS (downgrade) */
};

typedef struct lc_client lc_client;
typedef struct lc_options lc_options;

/* ---- options -------------------------------------------------------------
 * An lc_options holds the settings of lc_open_opts.  Every setter copies
 * its argument and returns LC_OK, or LC_EINVAL (lc_last_error says why)
 * leaving the option unchanged.  Defaults:
 *   port file     NULL: $LOGCOLLECT_PORT_FILE, else /run/logcollectord/port
 *   key file      NULL: $LOGCOLLECT_KEY_FILE, else /etc/logcollectord/key
 *   app           NULL: the program's name (sent as _app)
 *   queue bytes   8 MiB (records queued or not yet acknowledged, framed)
 *   queue full    LC_FULL_DROP
 *   close timeout 2000 ms
 *   connect       5000 ms per attempt (TCP connect; then TLS, handshake + HELLO)
 *   fail fast     0
 *   TLS           NULL: $LOGCOLLECT_TLS_CA, $LOGCOLLECT_TLS_FINGERPRINT,
 *                 $LOGCOLLECT_TLS_CERT, $LOGCOLLECT_TLS_KEY (see below) */

typedef enum {
    LC_FULL_DROP = 0,  /* drop the new record, count it, return LC_EDROPPED */
    LC_FULL_BLOCK = 1, /* wait for room up to a timeout, then drop as above */
} lc_full_policy;

LC_API lc_options *lc_options_new(void); /* NULL when out of memory */
LC_API void lc_options_free(lc_options *o);
LC_API int lc_options_set_port_file(lc_options *o, const char *path);
LC_API int lc_options_set_key_file(lc_options *o, const char *path);
/* 1 to 255 bytes of UTF-8. */
LC_API int lc_options_set_app(lc_options *o, const char *app);
/* At least 4096. */
LC_API int lc_options_set_queue_bytes(lc_options *o, size_t bytes);
/* block_timeout_ms: LC_FULL_BLOCK's limit (negative: wait as long as it
 * takes); ignored for LC_FULL_DROP. */
LC_API int lc_options_set_queue_full(lc_options *o, lc_full_policy policy,
                                     int block_timeout_ms);
/* How long lc_close waits for acknowledgements (0: not at all). */
LC_API int lc_options_set_close_timeout(lc_options *o, int timeout_ms);
/* Limit for each connection attempt (at least 1). */
LC_API int lc_options_set_connect_timeout(lc_options *o, int timeout_ms);
/* on != 0: lc_open_opts connects in the calling thread and fails (NULL)
 * when it cannot (collector down, wrong key...).  Later connection losses
 * are still retried in the background. */
LC_API int lc_options_set_fail_fast(lc_options *o, int on);

/* TLS.  A collector started with --tls-cert / --tls-key says "tls":true in
 * its port file, and the whole connection (the key handshake included)
 * then runs inside TLS.  The client never talks to it unverified: it
 * needs a CA file or a pinned fingerprint, else every attempt fails with
 * LC_ETLS ("requires TLS: set LOGCOLLECT_TLS_CA or ...").  Conversely,
 * once a CA or a fingerprint is set, a collector whose port file does not
 * say "tls" is refused (LC_ETLS: no silent downgrade to plaintext).
 *
 * Where the settings come from: the CA and the fingerprint are taken
 * from these options if either is set, else from $LOGCOLLECT_TLS_CA and
 * $LOGCOLLECT_TLS_FINGERPRINT; the client certificate from these options
 * if set, else from $LOGCOLLECT_TLS_CERT and $LOGCOLLECT_TLS_KEY.  The
 * files are read by lc_open_opts (and lc_query_status): one that does not
 * load fails there with LC_ETLS.  Paths are copied; NULL unsets. */

/* PEM file of the CA(s) that signed the collector's certificate.  The
 * chain must verify, and the certificate must name the address in the
 * port file (subjectAltName IP:127.0.0.1, say). */
LC_API int lc_options_set_tls_ca(lc_options *o, const char *path);
/* Pin the SHA-256 fingerprint of the collector's certificate instead (or
 * as well): "sha256:AB:CD:..." as `openssl x509 -noout -fingerprint
 * -sha256` prints it; the "sha256:" prefix and the colons are optional,
 * hex digits in either case.  Without a CA the certificate is trusted by
 * its fingerprint alone (no chain, name or date check); with one, both
 * must hold.  LC_EINVAL when fp is not 32 bytes of hex. */
LC_API int lc_options_set_tls_fingerprint(lc_options *o, const char *fp);
/* A client certificate (PEM chain) and its unencrypted PEM private key,
 * for a collector started with --tls-client-ca.  key NULL: the key
 * follows the certificate in cert_file.  cert_file NULL (with key NULL)
 * unsets; a key without a certificate is LC_EINVAL. */
LC_API int lc_options_set_tls_cert(lc_options *o, const char *cert_file,
                                   const char *key_file);

/* ---- opening and closing ------------------------------------------------ */

/* Create a client.  o may be NULL (all defaults).  Reads the key file at
 * once: a missing or malformed key file, or a bad option, fails here.
 * Unless fail fast is set, a collector that is down (no port file, nothing
 * listening) does not: the client connects in the background and keeps the
 * records meanwhile.  err, if not NULL, receives the code when NULL is
 * returned.  o is not kept: free it whenever you like. */
LC_API lc_client *lc_open_opts(const lc_options *o, int *err);

/* Shorthand for lc_open_opts with those three options set (NULL: default). */
LC_API lc_client *lc_open(const char *port_file, const char *key_file,
                          const char *app, int *err);

/* Wait until every record queued (by any thread) before this call is
 * acknowledged, i.e. written to the collector's output file, or timeout_ms
 * passes (negative: no limit; 0: just check).  LC_OK, LC_ETIMEDOUT (the
 * records stay queued and are still delivered later), or LC_EREJECTED when
 * the collector refused records since the last lc_flush (they count as
 * acknowledged; lc_last_error names the first and its reason). */
LC_API int lc_flush(lc_client *c, int timeout_ms);

/* lc_flush with the close timeout, then stop the background thread, close
 * the connection and free everything.  Returns the lc_flush result
 * (LC_ETIMEDOUT: records not acknowledged by then may be lost).  c is
 * invalid afterwards; NULL is accepted (LC_OK). */
LC_API int lc_close(lc_client *c);

/* ---- logging ------------------------------------------------------------
 * Each call formats one record, queues it and returns: LC_OK (queued),
 * LC_EDROPPED (queue full: dropped, counted, and announced to the collector
 * before the next record that is queued), LC_EINVAL (bad argument),
 * LC_ETOOBIG (larger than the collector's --max-record or than the queue),
 * LC_ENOMEM.  Records from one thread keep their order. */

/* A record with "ts", "level" and "msg" (printf-style). */
LC_API int lc_log(lc_client *c, lc_level level, const char *fmt, ...) LC_PRINTF(3, 4);

/* A record with "ts", "level", "msg" and string fields given as name, value
 * pairs ending with NULL:
 *   lc_log_kv(c, LC_INFO, "request", "path", "/x", "status", "200", NULL);
 * Names must not start with '_' nor be ts, level or msg, nor repeat. */
LC_API int lc_log_kv(lc_client *c, lc_level level, const char *msg, ...) LC_SENTINEL;

/* The same with the fields in arrays: names[i] = values[i] for i < n.
 * For callers that build the list at run time (and for bindings to other
 * languages, which cannot call variadic functions). */
LC_API int lc_log_fields(lc_client *c, lc_level level, const char *msg,
                         const char *const *names, const char *const *values,
                         size_t n);

/* A whole record given as JSON text; it must be one JSON object with no
 * top-level name starting with '_' (checked before it is queued). */
LC_API int lc_send_json(lc_client *c, const char *json_object);

/* ---- counters ----------------------------------------------------------- */

typedef struct {
    unsigned long long records;   /* records queued by log calls */
    unsigned long long dropped;   /* records dropped because the queue was full */
    unsigned long long notices;   /* "dropped N records" notices queued */
    unsigned long long last_seq;  /* number of the last record queued (records + notices) */
    unsigned long long sent;      /* highest record number written whole to a connection */
    unsigned long long acked;     /* highest record number acknowledged */
    unsigned long long resent;    /* records sent again after a reconnect */
    unsigned long long rejected;  /* records the collector refused */
    unsigned long long connects;  /* connections established (handshake and HELLO done) */
    unsigned long long connect_failures; /* attempts that failed, connections lost */
    unsigned long long queue_bytes;      /* bytes held (queued or not yet acknowledged) */
    unsigned long long queue_records;    /* records held */
    int connected;                /* 1 while a connection is up */
    int last_error;               /* LC_E* of the last failed attempt or lost connection */
    char sid[33];                 /* this client's session id ("" before it has one) */
} lc_stats;

/* Copy the counters into *st.  size: sizeof(lc_stats) as the caller was
 * compiled (later versions only add members at the end). */
LC_API int lc_get_stats(lc_client *c, lc_stats *st, size_t size);

/* ---- one client per process ----------------------------------------------
 * lc_init opens the process's default client (o may be NULL) and registers
 * an atexit handler that flushes it (with the close timeout) when the
 * program calls exit() or returns from main.  lc_default() returns it (NULL
 * before lc_init or after lc_shutdown); lc_shutdown closes it.  Like every
 * client it is fork-safe: in a child it starts a new session on first use. */
/* Ask the collector for its counters (connections, handshakes, records
 * accepted / rejected / duplicate, bytes, write errors, queue sizes,
 * uptime): connects with o's port and key files and TLS settings (NULL:
 * the defaults and the environment), authenticates, asks, closes.  On success *json is a JSON object as text,
 * which the caller frees with free().  timeout_ms <= 0 means 5000. */
LC_API int lc_query_status(const lc_options *o, char **json, int timeout_ms);

/* Make a new key file at path: 32 random bytes in hex, created with
 * O_EXCL and mode 0600 (an existing file is never overwritten).  Returns
 * LC_OK, or LC_EKEYFILE (the file exists, or cannot be created or written:
 * lc_last_error says which and why) or LC_ENOMEM. */
LC_API int lc_keygen(const char *path);

LC_API int lc_init(const lc_options *o);
LC_API lc_client *lc_default(void);
LC_API int lc_shutdown(void);

/* LC_LOG_INFO("listening on %d", port) logs through the default client
 * (LC_EINVAL when there is none). */
#define LC_LOG_EMERGENCY(...) lc_log(lc_default(), LC_EMERGENCY, __VA_ARGS__)
#define LC_LOG_ALERT(...) lc_log(lc_default(), LC_ALERT, __VA_ARGS__)
#define LC_LOG_CRITICAL(...) lc_log(lc_default(), LC_CRITICAL, __VA_ARGS__)
#define LC_LOG_ERROR(...) lc_log(lc_default(), LC_ERROR, __VA_ARGS__)
#define LC_LOG_WARNING(...) lc_log(lc_default(), LC_WARNING, __VA_ARGS__)
#define LC_LOG_NOTICE(...) lc_log(lc_default(), LC_NOTICE, __VA_ARGS__)
#define LC_LOG_INFO(...) lc_log(lc_default(), LC_INFO, __VA_ARGS__)
#define LC_LOG_DEBUG(...) lc_log(lc_default(), LC_DEBUG, __VA_ARGS__)

/* ---- text ---------------------------------------------------------------- */

/* Text for an error code. */
LC_API const char *lc_strerror(int err);

/* Details of the last error in this thread ("" if none). */
LC_API const char *lc_last_error(void);

/* The version of the library the program runs with (which may be newer
 * than the header it was compiled with): LC_VERSION_NUMBER and LC_VERSION
 * as the library was built.  A program that needs a feature of 1.2 checks
 * lc_version() >= 10200 at run time. */
LC_API int lc_version(void);
LC_API const char *lc_version_string(void);

/* Name of a level ("info"), or NULL; and back (-1 if unknown). */
LC_API const char *lc_level_name(lc_level level);
LC_API int lc_level_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif
