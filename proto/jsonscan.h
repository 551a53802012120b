/*
 * jsonscan.h - a validating scanner for one JSON object, without a tree.
 *
 * lcp_jscan_object() checks that buf[0..len) is exactly one JSON object
 * (RFC 8259 grammar, UTF-8), optionally followed by whitespace.  It is
 * single-pass on valid input, allocates nothing, does not recurse (the
 * nesting is kept in a bit stack), and calls strtod only for a number that
 * could overflow a double.
 *
 * What it accepts is, by design, exactly what the record oracle accepts:
 * jansson 2.14 json_loadb(buf, len, JSON_DECODE_INT_AS_REAL) on input that
 * starts with '{', followed by a check for raw NUL bytes (see record.c,
 * lcp_record_check_jansson).  That includes jansson's quirks:
 *
 *   - no raw byte < 0x20 inside strings; "\u0000" is refused (in names too);
 *   - a lone or mis-paired UTF-16 surrogate escape is refused;
 *   - UTF-8 is checked everywhere, also after the object, strictly (no
 *     overlongs, no encoded surrogates, nothing above U+10FFFF);
 *   - every number goes through strtod: one that overflows a double
 *     ("1e400") is refused, underflow ("1e-400") is accepted;
 *   - depth: every value counts one level, containers and scalars alike,
 *     and the top-level object is level 1; a value at level max_depth + 1
 *     is refused (jansson's own limit is 2048, its JSON_PARSER_MAX_DEPTH;
 *     the oracle reaches a lower one by wrapping the input, see record.c).
 *     So with max_depth 64, 64 nested containers are fine when the
 *     innermost is empty, 63 when it holds a scalar;
 *   - duplicate names are accepted.
 *
 * When the input is refused, the reason class is jansson's too: jansson
 * keeps the *first* error it meets while it reads, so for example
 * {"a":1e400<0xff> is invalid UTF-8 (the byte after the number is read
 * before the number is converted), while {"a":"\ud800"<0xff> is invalid
 * JSON (the string is decoded before the next byte is read).  The scanner
 * finds such cases on its slow path by re-reading the offending token the
 * way jansson's lexer reads it.
 */
#ifndef LCP_JSONSCAN_H
#define LCP_JSONSCAN_H

#include <stddef.h>
#include <stdint.h>

/* The highest max_depth: jansson's JSON_PARSER_MAX_DEPTH, the oracle's
 * own limit (and the size of the scanner's bit stack). */
#define LCP_JSCAN_MAX_DEPTH 2048

#define LCP_JSCAN_NONE ((size_t)-1)

typedef enum {
    LCP_JSCAN_OK = 0,
    LCP_JSCAN_SYNTAX, /* not JSON, or trailing bytes, \u0000, overflow, ... */
    LCP_JSCAN_UTF8,   /* bytes that are not UTF-8 */
    LCP_JSCAN_DEPTH,  /* a value deeper than max_depth */
} lcp_jscan_status;

typedef struct {
    /* LCP_JSCAN_OK: */
    size_t close;      /* offset of the object's closing '}' */
    int empty;         /* the object has no members */
    int has_crlf;      /* CR or LF whitespace before the closing '}' */
    size_t underscore; /* offset of the opening quote of the first top-level
                          name whose first decoded character is '_', or
                          LCP_JSCAN_NONE */
    /* otherwise: */
    size_t err_pos;       /* byte offset of the problem */
    const char *err_what; /* static text: what was expected or found */
} lcp_jscan_result;

/* Scan buf[0..len), which must start with '{' (len >= 1), refusing a value
 * nested deeper than max_depth levels (1 .. LCP_JSCAN_MAX_DEPTH; a value
 * outside that range counts as LCP_JSCAN_MAX_DEPTH). */
lcp_jscan_status lcp_jscan_object(const uint8_t *buf, size_t len, size_t max_depth,
                                  lcp_jscan_result *r);

/* Decode the string whose opening quote is at buf[pos] (a string that
 * lcp_jscan_object accepted) into out, at most cap - 1 bytes, NUL-terminated
 * (cap > 0).  Returns the bytes written, without the NUL. */
size_t lcp_jscan_string(const uint8_t *buf, size_t len, size_t pos, char *out,
                        size_t cap);

/* Length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0.  The same
 * rules as jansson's utf8_check_first + utf8_check_full: no overlongs, no
 * surrogates, nothing above U+10FFFF; a sequence cut by the end of the
 * input is invalid. */
static inline size_t lcp_utf8_len(const uint8_t *s, size_t avail)
{
    uint8_t c = s[0];
    uint8_t lo = 0x80, hi = 0xbf;
    size_t n;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    if (n > 2 && (s[2] & 0xc0) != 0x80)
        return 0;
    if (n > 3 && (s[3] & 0xc0) != 0x80)
        return 0;
    return n;
}

#endif
