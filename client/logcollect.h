/*
 * logcollect.h - client library for logcollectord.
 *
 * One header, one prefix (lc_), one opaque handle (lc_client).  Link with
 * -llogcollect (pkg-config --libs logcollect).
 *
 * Return values: functions that can fail return 0 on success or a negative
 * LC_E* code; lc_strerror() turns a code into text, lc_last_error() gives
 * the detailed message (which file, which peer, what to do) of the last
 * failure in the calling thread.
 *
 * Ownership: strings passed in are copied; nothing returned needs freeing
 * except the lc_client itself (lc_close).
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

#define LC_VERSION "0.1.0"

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
    LC_EINVAL = -1,     /* bad argument */
    LC_ENOMEM = -2,     /* out of memory */
    LC_EPORTFILE = -3,  /* port file missing or unreadable: collector not running? */
    LC_EKEYFILE = -4,   /* key file missing, unreadable or malformed */
    LC_ECONNECT = -5,   /* cannot connect to the address in the port file */
    LC_EAUTH = -6,      /* handshake failed: the two sides have different keys */
    LC_EPROTO = -7,     /* the peer broke the protocol */
    LC_EREJECTED = -8,  /* the collector refused a record (see lc_last_error) */
    LC_ETIMEDOUT = -9,  /* the wait ended before the acknowledgement came */
    LC_ECLOSED = -10,   /* the connection was lost */
    LC_ETOOBIG = -11,   /* the record is larger than the collector accepts */
    LC_EFULL = -12,     /* the collector has no room for more clients */
};

typedef struct lc_client lc_client;

/* Connect to the collector and authenticate.
 * port_file, key_file: NULL means $LOGCOLLECT_PORT_FILE / $LOGCOLLECT_KEY_FILE,
 * then /run/logcollectord/port and /etc/logcollectord/key.
 * app: the application name recorded as _app (NULL: the program name).
 * err: if not NULL, receives the error code when NULL is returned. */
LC_API lc_client *lc_open(const char *port_file, const char *key_file,
                          const char *app, int *err);

/* A record with "ts", "level" and "msg" (printf-style). */
LC_API int lc_log(lc_client *c, lc_level level, const char *fmt, ...) LC_PRINTF(3, 4);

/* A record with "ts", "level", "msg" and string fields given as name, value
 * pairs ending with NULL:
 *   lc_log_kv(c, LC_INFO, "request", "path", "/x", "status", "200", NULL); */
LC_API int lc_log_kv(lc_client *c, lc_level level, const char *msg, ...) LC_SENTINEL;

/* The same with the fields in arrays: names[i] = values[i] for i < n.
 * For callers that build the list at run time (and for bindings to other
 * languages, which cannot call variadic functions). */
LC_API int lc_log_fields(lc_client *c, lc_level level, const char *msg,
                         const char *const *names, const char *const *values,
                         size_t n);

/* A whole record given as JSON text; it must be one JSON object. */
LC_API int lc_send_json(lc_client *c, const char *json_object);

/* Wait until every record sent so far is acknowledged (written to the
 * collector's output file), or timeout_ms passes (negative: no limit). */
LC_API int lc_flush(lc_client *c, int timeout_ms);

/* Limit how long lc_log, lc_log_kv and lc_send_json may block while the
 * collector takes no data (default: no limit).  A record that could not be
 * sent at all returns LC_ETIMEDOUT and is dropped; one cut short also
 * closes the connection (later calls return LC_ECLOSED).  Negative: no
 * limit. */
LC_API int lc_set_send_timeout(lc_client *c, int timeout_ms);

/* Close the connection and free the client.  Does not wait for
 * acknowledgements (call lc_flush first for that), but gives the collector
 * up to 2 s to receive what was already sent. */
LC_API void lc_close(lc_client *c);

/* Text for an error code. */
LC_API const char *lc_strerror(int err);

/* Details of the last error in this thread ("" if none). */
LC_API const char *lc_last_error(void);

/* Name of a level ("info"), or NULL; and back (-1 if unknown). */
LC_API const char *lc_level_name(lc_level level);
LC_API int lc_level_from_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif
