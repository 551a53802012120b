/*
 * format.h - record formatting for liblogcollect (internal).
 *
 * Pure functions: no I/O, no clock, no locks, so the unit tests can call
 * them directly and the asynchronous version can reuse them.  Records are
 * written straight into a growable byte buffer with lcp_json_escape, never
 * through a JSON tree:
 *
 *   {"ts":"2026-11-27T13:37:24.123456Z","level":"info","msg":"...","k":"v"}
 *
 * Every string is escaped, so the result is valid JSON for any input:
 * quotes and control characters are escaped, invalid UTF-8 becomes U+FFFD,
 * and a NUL byte inside a counted string becomes U+FFFD too (the collector
 * refuses \u0000).
 */
#ifndef LCC_FORMAT_H
#define LCC_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

#include "logcollect.h"
#include "record.h"

/* A growable byte buffer.  Zero-initialised is a valid empty buffer. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} lcc_buf;

void lcc_buf_free(lcc_buf *b);

/* Make room for extra more bytes.  0, or -1 when out of memory. */
int lcc_buf_reserve(lcc_buf *b, size_t extra);

int lcc_buf_append(lcc_buf *b, const void *p, size_t n);

/* Append the JSON string for s[0..n), quotes included. */
int lcc_buf_append_json_string(lcc_buf *b, const char *s, size_t n);

/* Replace the contents with printf output (NUL-terminated; len excludes the
 * NUL).  0; -1 when out of memory; -2 when vsnprintf fails (errno says
 * why, e.g. EOVERFLOW). */
int lcc_buf_vprintf(lcc_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Is name acceptable for a field added with lc_log_kv?  Refused: NULL, "",
 * a name starting with '_' (the collector's), "ts", "level", "msg".
 * Returns 0, or LC_EINVAL with the reason in err. */
int lcc_check_field_name(const char *name, char *err, size_t errlen);

/* Replace b's contents with a whole record.
 *   ts:     the time, as lcp_format_time writes it (no escaping is done)
 *   level:  LC_EMERGENCY..LC_DEBUG
 *   msg:    msg_len bytes (may hold any bytes)
 *   kv:     nkv strings, name, value, name, value, ... (nkv even)
 * Names are checked with lcc_check_field_name and must not repeat.
 * Returns LC_OK, LC_EINVAL (reason in err) or LC_ENOMEM. */
int lcc_format_record(lcc_buf *b, const char *ts, lc_level level,
                      const char *msg, size_t msg_len,
                      const char *const *kv, size_t nkv, char *err,
                      size_t errlen);

/* The current time as lcp_format_time writes it (CLOCK_REALTIME).  Not
 * pure, but tiny: kept here so that every record is stamped one way. */
void lcc_format_now(char out[LCP_TIME_LEN + 1]);

#endif
