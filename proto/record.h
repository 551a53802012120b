/*
 * record.h - what a record is, and how the daemon turns one into a line.
 *
 * A record is one JSON object, sent as the whole payload of one frame.  The
 * daemon never re-encodes it: it validates the bytes (lcp_record_check),
 * then copies them to the output with the trusted fields spliced in before
 * the closing brace (lcp_record_splice).  Top-level names beginning with '_'
 * belong to the collector (like journald's trusted fields); a record that
 * uses one is rejected, never silently rewritten.
 *
 * lcp_record_check is the single gate every record passes.  Its inside is
 * a scanner that builds no tree (jsonscan.c); lcp_record_check_jansson is
 * the jansson version it must agree with, input for input (tests/fuzz/).
 */
#ifndef LCP_RECORD_H
#define LCP_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* Reasons a record is refused.  The numbers travel in ERROR frames. */
typedef enum {
    LCP_REC_OK = 0,
    LCP_REC_NOT_OBJECT = 1,   /* valid JSON, or not, but not one object */
    LCP_REC_INVALID_JSON = 2, /* syntax error, trailing bytes, \u0000, ... */
    LCP_REC_INVALID_UTF8 = 3,
    LCP_REC_TOO_DEEP = 4,     /* nested deeper than max_depth (--max-depth) */
    LCP_REC_RESERVED = 5,     /* a top-level name starting with '_' */
    LCP_REC_TOO_LARGE = 6,    /* frame longer than the daemon's --max-record */
} lcp_rec_status;

/* Human text ("invalid UTF-8") and a short key ("invalid_utf8"). */
const char *lcp_rec_status_name(lcp_rec_status s);
const char *lcp_rec_status_key(lcp_rec_status s);

typedef struct {
    size_t close;  /* offset of the object's closing '}' */
    int empty;     /* the object has no members */
    int has_crlf;  /* raw CR or LF whitespace: must become spaces on output */
} lcp_rec_info;

/* Nesting: every value is one level (the record itself is level 1, a
 * scalar member level 2), and a value deeper than max_depth is refused.
 * The default keeps every line readable by the usual JSON readers (jq 1.6
 * stops at 257 nested containers, Python's json at about 1000 levels);
 * the ceiling is jansson's own limit. */
#define LCP_REC_DEPTH_DEFAULT 64
#define LCP_REC_DEPTH_MIN 2
#define LCP_REC_DEPTH_MAX 2048 /* LCP_JSCAN_MAX_DEPTH */

/* Validate buf[0..len), nested at most max_depth levels (1 ..
 * LCP_REC_DEPTH_MAX; out of that range: LCP_REC_DEPTH_MAX; --max-depth
 * takes LCP_REC_DEPTH_MIN .. LCP_REC_DEPTH_MAX).  On refusal, writes a short reason for the sender
 * (which name, which byte) into detail when detail_len > 0. */
lcp_rec_status lcp_record_check(const uint8_t *buf, size_t len, int max_depth,
                                lcp_rec_info *info, char *detail,
                                size_t detail_len);

/* The oracle: the same check done with jansson (json_loadb, then the
 * reserved-name check), which builds a tree.  Too slow for the daemon's hot
 * path; kept for tests and fuzzing, which require lcp_record_check to give
 * the same status and info for every input and max_depth.  The detail
 * texts differ. */
lcp_rec_status lcp_record_check_jansson(const uint8_t *buf, size_t len, int max_depth,
                                        lcp_rec_info *info, char *detail,
                                        size_t detail_len);

/* Bytes lcp_record_splice writes at most. */
static inline size_t lcp_record_splice_size(const lcp_rec_info *info,
                                            size_t trusted_len)
{
    return info->close + 1 + trusted_len + 2;
}

/* Copy a checked record into dst with the trusted fields (a run of
 * "name":value pairs joined by commas, no leading comma) added before the
 * closing brace, and a newline after it.  Returns the bytes written. */
size_t lcp_record_splice(uint8_t *dst, const uint8_t *rec,
                         const lcp_rec_info *info, const char *trusted,
                         size_t trusted_len);

/* JSON string escaping for text we write ourselves.  Writes the escaped
 * form of src (no quotes) to dst, which must hold LCP_JSON_ESC_MAX(len)
 * bytes; invalid UTF-8 becomes U+FFFD.  Returns bytes written. */
#define LCP_JSON_ESC_MAX(n) ((n) * 6)
size_t lcp_json_escape(char *dst, const char *src, size_t len);

/* Write v in decimal at p (at most 20 bytes, no NUL); returns the end. */
char *lcp_put_decimal(char *p, uint64_t v);

/* Length of the longest valid UTF-8 prefix (0 <= result <= len). */
size_t lcp_utf8_valid_prefix(const uint8_t *s, size_t len);

/* RFC 3339 UTC with microseconds, "2026-11-27T13:37:24.123456Z" (27 bytes
 * plus NUL). */
#define LCP_TIME_LEN 27
void lcp_format_time(char out[LCP_TIME_LEN + 1], long long sec, long usec);

#endif
