/*
 * format.h - record formatting for liblogcollect (internal).
 *
 * Records are written straight into a caller-provided buffer (on the
 * caller's stack for the usual short record) with lcp_json_escape, never
 * through a JSON tree and never with a per-record malloc:
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

#include <stddef.h>
#include <stdint.h>

#include "logcollect.h"
#include "record.h"

/* Bytes lcc_format_record writes at most for a message of msg_len bytes
 * and fields whose names and values total kv_bytes bytes in nkv strings.
 * SIZE_MAX when that does not fit a size_t. */
size_t lcc_record_bound(size_t msg_len, size_t kv_bytes, size_t nkv);

/* Is name acceptable for a field added with lc_log_kv?  Refused: NULL, "",
 * a name starting with '_' (the collector's), "ts", "level", "msg".
 * Returns 0, or LC_EINVAL with the reason in err. */
int lcc_check_field_name(const char *name, char *err, size_t errlen);

/* Check kv (nkv strings: name, value, name, value...) as lc_log_kv needs
 * them: even count, good names, no NULL value, no name twice.  Adds the
 * lengths of all the strings to *kv_bytes.  LC_OK or LC_EINVAL (err). */
int lcc_check_kv(const char *const *kv, size_t nkv, size_t *kv_bytes, char *err,
                 size_t errlen);

/* Write a record into dst (lcc_record_bound bytes available), return its
 * length.  ts: LCP_TIME_LEN bytes; level valid; kv checked. */
size_t lcc_format_record(char *dst, const char *ts, lc_level level, const char *msg,
                         size_t msg_len, const char *const *kv, size_t nkv);

/* The drop notice: {"ts":..,"level":"warning","msg":"logcollect client
 * dropped N records","dropped":N}.  dst holds LCC_NOTICE_MAX bytes. */
#define LCC_NOTICE_MAX 160
size_t lcc_format_notice(char *dst, const char *ts, uint64_t dropped);

/* The current time (CLOCK_REALTIME) as lcp_format_time writes it, without
 * the NUL.  The date part is cached per thread for the current second. */
void lcc_timestamp(char out[LCP_TIME_LEN]);

#endif
