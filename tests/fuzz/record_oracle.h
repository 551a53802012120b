/*
 * record_oracle.h - what the daemon must accept as a record, decided
 * without the daemon's code: jansson for the JSON, and the extra rules of
 * docs/protocol.md section 5 written here from the document.
 *
 * The scanner (proto/jsonscan.c behind lcp_record_check) is checked against
 * this by tests/fuzz/fuzz_record.c and tests/unit/test_record.c, so nothing
 * here may call or copy the scanner's helpers (proto/record.c,
 * proto/jsonscan.c): a rule shared by both sides is a rule nobody checks.
 * Only the status numbers (lcp_rec_status, the protocol's codes) come from
 * proto/record.h.
 *
 * The rules, from docs/protocol.md section 5:
 *   1  not an object: empty, does not start with '{', or not an object;
 *   2  invalid JSON: whatever jansson refuses for syntax (trailing bytes,
 *      "\u0000", a number overflowing a double: jansson's strtod check,
 *      with integers read as doubles so a big uint64 is fine), and also a
 *      raw NUL byte anywhere (jansson 2.14 loses a NUL that follows a
 *      number or a literal, and so accepts {"a":1<NUL>});
 *   3  invalid UTF-8: jansson's invalid_utf8;
 *   4  too deep: a value deeper than max_depth levels, every value one
 *      level, the record itself level 1 (max_depth 1 .. 2048; outside
 *      that, 2048, as lcp_record_check takes it).  jansson's own limit is
 *      2048; a lower one is reached with jansson alone by parsing the input
 *      again inside 2048 - max_depth arrays ("[[[" input "]]]"), where
 *      jansson's limit falls exactly max_depth levels into the record;
 *   5  reserved: a top-level name whose first character, after unescaping,
 *      is '_' (jansson unescapes it), only in an otherwise valid record.
 * When a record breaks several rules the code is that of the first problem
 * met reading it from the start, as jansson reports it (one pass, first
 * error kept), a too deep value included; a raw NUL in a record jansson
 * accepts is 2; reserved names count only in an otherwise valid record.
 *
 * On acceptance the oracle also gives what the splice needs: close, the
 * offset of the last byte that is not JSON whitespace (RFC 8259: space,
 * tab, LF, CR); empty, no members; has_crlf, CR or LF before close.
 */
#ifndef LC_RECORD_ORACLE_H
#define LC_RECORD_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "record.h" /* lcp_rec_status: the protocol's codes */

/* jansson's JSON_PARSER_MAX_DEPTH (jansson's own limit, not settable). */
#define ORACLE_JANSSON_MAX_DEPTH 2048

typedef struct {
    lcp_rec_status st;
    size_t close;
    int empty;
    int has_crlf;
    char why[JSON_ERROR_TEXT_LENGTH + 48]; /* on refusal, for messages */
} oracle_verdict;

/* Does a parser limited to max_depth (< 2048) meet a too deep value no
 * later than jansson's plain parse meets its own error (at plain_pos, or
 * never when plain_ok)?  The wrapped parse reads the same tokens as the
 * plain one up to the end of the object, so its depth error, if it comes
 * first, is the answer.  Where the input ends inside the object, the plain
 * parse meets the end (a token of no length) where the wrapped one meets
 * one of the wrapper's ']': one byte further on. */
static inline int oracle_too_deep_first(const uint8_t *buf, size_t len, int max_depth,
                                        int plain_ok, long plain_pos)
{
    /* no value is deeper than the '[' and '{' bytes, plus one scalar */
    size_t opens = 0;
    for (size_t i = 0; i < len; i++)
        opens += buf[i] == '[' || buf[i] == '{';
    if (opens + 1 <= (size_t)max_depth)
        return 0;
    size_t k = (size_t)(ORACLE_JANSSON_MAX_DEPTH - max_depth);
    char *w = malloc(len + 2 * k);
    if (!w) {
        fprintf(stderr, "record oracle: out of memory\n");
        abort();
    }
    memset(w, '[', k);
    memcpy(w + k, buf, len);
    memset(w + k + len, ']', k);
    json_error_t e;
    json_t *root = json_loadb(w, len + 2 * k, JSON_DECODE_INT_AS_REAL, &e);
    free(w);
    if (root) {
        json_decref(root);
        return 0;
    }
    if (json_error_code(&e) != json_error_stack_overflow)
        return 0;
    long at = (long)e.position - (long)k;
    return plain_ok || at <= plain_pos || (plain_pos >= (long)len && at == (long)len + 1);
}

static inline int oracle_is_json_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Decide buf[0..len) with records allowed max_depth levels. */
static inline oracle_verdict oracle_record_check(const uint8_t *buf, size_t len, int max_depth)
{
    oracle_verdict v;
    memset(&v, 0, sizeof v);
    if (max_depth < 1 || max_depth > ORACLE_JANSSON_MAX_DEPTH)
        max_depth = ORACLE_JANSSON_MAX_DEPTH;
    if (len == 0 || buf[0] != '{') {
        v.st = LCP_REC_NOT_OBJECT;
        snprintf(v.why, sizeof v.why, "does not start with '{'");
        return v;
    }
    json_error_t e;
    json_t *root = json_loadb((const char *)buf, len, JSON_DECODE_INT_AS_REAL, &e);
    if (max_depth < ORACLE_JANSSON_MAX_DEPTH &&
        oracle_too_deep_first(buf, len, max_depth, root != NULL, root ? 0 : e.position)) {
        json_decref(root);
        v.st = LCP_REC_TOO_DEEP;
        snprintf(v.why, sizeof v.why, "deeper than %d levels", max_depth);
        return v;
    }
    if (!root) {
        switch (json_error_code(&e)) {
        case json_error_out_of_memory:
            fprintf(stderr, "record oracle: jansson is out of memory\n");
            abort();
        case json_error_invalid_utf8: v.st = LCP_REC_INVALID_UTF8; break;
        case json_error_stack_overflow: v.st = LCP_REC_TOO_DEEP; break;
        default: v.st = LCP_REC_INVALID_JSON; break;
        }
        snprintf(v.why, sizeof v.why, "jansson: %.*s at byte %d", JSON_ERROR_TEXT_LENGTH, e.text, e.position);
        return v;
    }
    const char *key;
    json_t *member;
    if (!json_is_object(root)) {
        v.st = LCP_REC_NOT_OBJECT;
        snprintf(v.why, sizeof v.why, "not an object");
    } else if (memchr(buf, '\0', len)) {
        v.st = LCP_REC_INVALID_JSON;
        snprintf(v.why, sizeof v.why, "raw NUL byte");
    } else {
        json_object_foreach(root, key, member) {
            if (key[0] == '_') {
                v.st = LCP_REC_RESERVED;
                snprintf(v.why, sizeof v.why, "reserved name \"%.64s\"", key);
                break;
            }
        }
    }
    if (v.st == LCP_REC_OK) {
        size_t end = len;
        while (oracle_is_json_ws(buf[end - 1]))
            end--; /* stops at the '}' jansson accepted */
        v.close = end - 1;
        v.empty = json_object_size(root) == 0;
        v.has_crlf = memchr(buf, '\n', v.close) != NULL || memchr(buf, '\r', v.close) != NULL;
    }
    json_decref(root);
    return v;
}

/* The runtime jansson, for the test output: the scanner mirrors jansson's
 * behaviour (proto/jsonscan.h names the version), so a report of a
 * disagreement must say which jansson it was. */
static inline void oracle_print_jansson(FILE *f, const char *who)
{
    fprintf(f, "%s: oracle is jansson %s (built against %s)\n", who, jansson_version_str(),
            JANSSON_VERSION);
}

#endif
