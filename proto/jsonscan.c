/*
 * jsonscan.c - validating JSON object scanner.  See jsonscan.h.
 *
 * Two parts:
 *
 *   the fast path (lcp_jscan_object) walks valid input once, byte by byte
 *   (8 bytes at a time inside strings), with a state machine and a bit
 *   stack of open containers.  Whenever it meets anything it does not
 *   like, it hands the start of the offending token to
 *
 *   the slow path (fail, jlex), which re-reads that one token exactly the
 *   way jansson's lexer (load.c, lex_scan) reads it, to report the error
 *   jansson reports first: jansson checks UTF-8 in its input stream as it
 *   reads, and lexes a whole token (a string to its closing quote, an
 *   identifier and the byte after it, a number and the byte after it)
 *   before the parser looks at it.
 *
 * Nothing is allocated; strtod runs only for a number whose magnitude could
 * reach 1e308, on a short normalized copy in a stack buffer.
 */
#include "jsonscan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define COLD __attribute__((cold, noinline))
#define INLINE inline __attribute__((always_inline))
#else
#define INLINE inline
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#define COLD
#endif

/* ---- character classes ---- */

/* whitespace: 1 for space and tab, 2 for LF and CR (they count for
 * has_crlf) */
static const uint8_t ws_tab[256] = {
    ['\t'] = 1, ['\n'] = 2, ['\r'] = 2, [' '] = 1,
};

/* bytes that need a look inside a string: controls, '"', '\\', non-ASCII */
#define S1(x) [x] = 1
#define S8(x) S1(x), S1(x + 1), S1(x + 2), S1(x + 3), S1(x + 4), S1(x + 5), S1(x + 6), S1(x + 7)
#define S32(x) S8(x), S8(x + 8), S8(x + 16), S8(x + 24)
static const uint8_t str_special[256] = {
    S32(0x00), ['"'] = 1, ['\\'] = 1, S32(0x80), S32(0xa0), S32(0xc0), S32(0xe0),
};
#undef S1
#undef S8
#undef S32

/* the one-letter escapes JSON has */
static const uint8_t esc_ok[256] = {
    ['"'] = 1, ['\\'] = 1, ['/'] = 1, ['b'] = 1, ['f'] = 1, ['n'] = 1, ['r'] = 1, ['t'] = 1,
};

static inline int is_digit(int c)
{
    return (unsigned)(c - '0') < 10u;
}

static inline int is_alpha(int c)
{
    return (unsigned)((c | 0x20) - 'a') < 26u;
}

static inline int hexval(int c)
{
    if (is_digit(c))
        return c - '0';
    c |= 0x20;
    if ((unsigned)(c - 'a') < 6u)
        return c - 'a' + 10;
    return -1;
}

/* Four hex digits at p (p[0..3] must be readable): the value, or -1. */
static inline long hex4(const uint8_t *p)
{
    int a = hexval(p[0]), b = hexval(p[1]), c = hexval(p[2]), d = hexval(p[3]);
    if ((a | b | c | d) < 0)
        return -1;
    return (long)(a << 12 | b << 8 | c << 4 | d);
}

/* ---- numbers ---- */

/* Does the JSON number p[0..n) (already checked against the grammar)
 * overflow a double in strtod, as jansson's jsonp_strtod sees it?
 *
 * With d1 the first significant digit and L its decimal exponent, the value
 * is in [10^L, 10^(L+1)).  DBL_MAX is 1.797...e308, so L > 308 always
 * overflows, L < 308 never does, and for L == 308 strtod decides, on a
 * copy of at most KEEP significant digits: the overflow threshold
 * (DBL_MAX + half an ulp, which rounds up to infinity) is an integer with
 * 309 digits, so cutting the digits after the 309th towards zero cannot
 * move a value across it. */
#define KEEP 400
COLD static int num_overflows(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (p[i] == '-')
        i++;
    char digs[KEEP + 16];
    size_t nd = 0;
    long long k = 0;        /* digits in the integer part */
    long long first = -1;   /* index of the first significant digit */
    long long m = 0;        /* index of the current mantissa digit */
    int in_frac = 0;
    for (; i < n; i++) {
        uint8_t c = p[i];
        if (c == '.') {
            in_frac = 1;
            continue;
        }
        if (!is_digit(c))
            break;
        if (!in_frac)
            k++;
        if (first < 0 && c != '0')
            first = m;
        if (first >= 0 && nd < KEEP)
            digs[nd++] = (char)c;
        m++;
    }
    if (first < 0)
        return 0; /* zero, whatever the exponent */
    long long ex = 0;
    if (i < n) { /* 'e' or 'E' */
        i++;
        int neg = 0;
        if (p[i] == '+' || p[i] == '-')
            neg = p[i++] == '-';
        for (; i < n; i++)
            if (ex < 100000000000000000LL)
                ex = ex * 10 + (p[i] - '0');
        if (neg)
            ex = -ex;
    }
    long long lead = k - 1 - first + ex;
    if (lead > 308)
        return 1;
    if (lead < 308)
        return 0;
    /* "0.<digits>e309" has the value d1.d2d3... * 10^308 */
    char txt[KEEP + 32];
    size_t t = 0;
    txt[t++] = '0';
    txt[t++] = '.';
    memcpy(txt + t, digs, nd);
    t += nd;
    memcpy(txt + t, "e309", 5);
    errno = 0;
    double v = strtod(txt, NULL);
    return v == HUGE_VAL && errno == ERANGE;
}

/* ---- slow path: one token, read the way jansson reads it ---- */

enum { JL_EOF = -1, JL_BADUTF8 = -2, JL_NONASCII = 0x100 };

typedef struct {
    const uint8_t *b;
    size_t len, i;
} jl_stream;

/* One character, like jansson's stream_get: a whole UTF-8 sequence is
 * checked when its first byte is read. */
static int jl_get(jl_stream *s)
{
    if (s->i >= s->len)
        return JL_EOF;
    uint8_t c = s->b[s->i];
    if (c < 0x80) {
        s->i++;
        return c;
    }
    size_t n = lcp_utf8_len(s->b + s->i, s->len - s->i);
    if (n == 0)
        return JL_BADUTF8; /* s->i stays on the bad byte */
    s->i += n;
    return JL_NONASCII; /* neither digit, letter, quote nor control */
}

typedef struct {
    lcp_jscan_status st; /* LCP_JSCAN_OK: the lexer set no error */
    size_t pos;
    const char *what;
} jl_result;

static jl_result jl_err(lcp_jscan_status st, size_t pos, const char *what)
{
    jl_result r = {st, pos, what};
    return r;
}

static const jl_result JL_FINE = {LCP_JSCAN_OK, 0, NULL};

#define JL_UTF8_ERR(s) jl_err(LCP_JSCAN_UTF8, (s)->i, "not UTF-8")

/* The string at p (the opening quote), like lex_scan_string: first read it
 * to its closing quote, then decode the \u escapes. */
static jl_result jl_string(jl_stream *s, size_t p)
{
    for (;;) {
        size_t at = s->i;
        int c = jl_get(s);
        if (c == JL_BADUTF8)
            return JL_UTF8_ERR(s);
        if (c == JL_EOF)
            return jl_err(LCP_JSCAN_SYNTAX, at, "unterminated string");
        if (c == '"')
            break;
        if (c < 0x20)
            return jl_err(LCP_JSCAN_SYNTAX, at, "control character in a string (must be escaped)");
        if (c != '\\')
            continue;
        at = s->i;
        c = jl_get(s);
        if (c == JL_BADUTF8)
            return JL_UTF8_ERR(s);
        if (c == 'u') {
            for (int k = 0; k < 4; k++) {
                size_t hat = s->i;
                c = jl_get(s);
                if (c == JL_BADUTF8)
                    return JL_UTF8_ERR(s);
                if (c < 0 || c >= 0x100 || hexval(c) < 0)
                    return jl_err(LCP_JSCAN_SYNTAX, hat, "invalid \\u escape (4 hex digits expected)");
            }
        } else if (c < 0 || c >= 0x100 || !esc_ok[c]) {
            return jl_err(LCP_JSCAN_SYNTAX, at, "invalid escape");
        }
    }
    size_t end = s->i - 1; /* the closing quote */
    for (size_t i = p + 1; i < end;) {
        if (s->b[i] != '\\') {
            i++;
            continue;
        }
        if (s->b[i + 1] != 'u') {
            i += 2;
            continue;
        }
        long v = hex4(s->b + i + 2);
        if (v >= 0xdc00 && v <= 0xdfff)
            return jl_err(LCP_JSCAN_SYNTAX, i, "lone UTF-16 low surrogate escape");
        if (v >= 0xd800 && v <= 0xdbff) {
            if (s->b[i + 6] != '\\' || s->b[i + 7] != 'u')
                return jl_err(LCP_JSCAN_SYNTAX, i, "lone UTF-16 high surrogate escape");
            long v2 = hex4(s->b + i + 8);
            if (v2 < 0xdc00 || v2 > 0xdfff)
                return jl_err(LCP_JSCAN_SYNTAX, i, "UTF-16 high surrogate escape not followed by a low one");
            i += 12;
        } else {
            i += 6;
        }
    }
    return JL_FINE;
}

/* The number at p, like lex_scan_number with JSON_DECODE_INT_AS_REAL: the
 * character after the number is read (and so checked for UTF-8) before
 * strtod runs.  A malformed number sets no error in jansson (the parser
 * then says "invalid token"). */
static jl_result jl_number(jl_stream *s, int c, size_t p)
{
    size_t end = p;
#define NEXT()                                                                   \
    do {                                                                         \
        end = s->i;                                                              \
        c = jl_get(s);                                                           \
        if (c == JL_BADUTF8)                                                     \
            return JL_UTF8_ERR(s);                                               \
    } while (0)
    if (c == '-')
        NEXT();
    if (c == '0') {
        NEXT();
        if (is_digit(c))
            return JL_FINE;
    } else if (c >= 0 && is_digit(c)) {
        do
            NEXT();
        while (c >= 0 && is_digit(c));
    } else {
        return JL_FINE;
    }
    if (c == '.') {
        NEXT();
        if (c < 0 || !is_digit(c))
            return JL_FINE;
        do
            NEXT();
        while (c >= 0 && is_digit(c));
    }
    if (c == 'e' || c == 'E') {
        NEXT();
        if (c == '+' || c == '-')
            NEXT();
        if (c < 0 || !is_digit(c))
            return JL_FINE;
        do
            NEXT();
        while (c >= 0 && is_digit(c));
    }
#undef NEXT
    if (num_overflows(s->b + p, end - p))
        return jl_err(LCP_JSCAN_SYNTAX, p, "number overflows a double");
    return JL_FINE;
}

/* What jansson's lexer reports while it reads the token at p (p after any
 * whitespace; p == len is the end of input).  LCP_JSCAN_OK when it sets no
 * error: the token is fine, or it is invalid in a way only the parser
 * reports. */
static jl_result jlex(const uint8_t *b, size_t len, size_t p)
{
    jl_stream s = {b, len, p};
    int c = jl_get(&s);
    if (c == JL_BADUTF8)
        return JL_UTF8_ERR(&s);
    if (c == '"')
        return jl_string(&s, p);
    if (c == '-' || (c >= 0 && is_digit(c)))
        return jl_number(&s, c, p);
    if (c >= 0 && c < 0x100 && is_alpha(c)) {
        /* an identifier is read up to and including the first non-letter */
        do
            c = jl_get(&s);
        while (c >= 0 && c < 0x100 && is_alpha(c));
        if (c == JL_BADUTF8)
            return JL_UTF8_ERR(&s);
    }
    return JL_FINE;
}

/* The token at p is not what the grammar wants here.  expected says what
 * would have been, or for a string, what is wrong with it when jansson's
 * lexer finds nothing wrong (that is, \u0000). */
COLD static lcp_jscan_status fail(const uint8_t *b, size_t len, size_t p,
                                  const char *expected, lcp_jscan_result *r)
{
    jl_result e = jlex(b, len, p);
    if (e.st != LCP_JSCAN_OK) {
        r->err_pos = e.pos;
        r->err_what = e.what;
        return e.st;
    }
    r->err_pos = p;
    r->err_what = expected;
    return LCP_JSCAN_SYNTAX;
}

/* A value at p would be one level too deep.  jansson reads its token first
 * (so an error in the token wins), then gives up on depth; at the end of
 * the input inside an array it never looks at depth. */
COLD static lcp_jscan_status too_deep(const uint8_t *b, size_t len, size_t p,
                                      int in_array, lcp_jscan_result *r)
{
    if (p >= len && in_array) {
        r->err_pos = p;
        r->err_what = "unexpected end of input: a value or ']' expected";
        return LCP_JSCAN_SYNTAX;
    }
    jl_result e = jlex(b, len, p);
    if (e.st != LCP_JSCAN_OK) {
        r->err_pos = e.pos;
        r->err_what = e.what;
        return e.st;
    }
    r->err_pos = p;
    r->err_what = "nested too deeply";
    return LCP_JSCAN_DEPTH;
}

/* ---- fast path ---- */

/* Offset of the first byte at or after i that is special in a string. */
static inline size_t skip_plain(const uint8_t *b, size_t i, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (len - i >= 8) {
        uint64_t v;
        memcpy(&v, b + i, 8);
        uint64_t q = v ^ (ones * '"');
        uint64_t bs = v ^ (ones * '\\');
        /* high bit of each byte that is >= 0x80, < 0x20, '"' or '\\'; the
         * lowest flagged byte is exact (borrows only run upwards) */
        uint64_t m = (v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
        if (m)
            return i + ((size_t)__builtin_ctzll(m) >> 3);
        i += 8;
    }
#endif
    while (i < len && !str_special[b[i]])
        i++;
    return i;
}

/* The string whose opening quote is at i.  Returns the offset just past
 * the closing quote, or 0 when anything is wrong, \u0000 included (the
 * caller asks the slow path why). */
static INLINE size_t scan_string(const uint8_t *b, size_t len, size_t i)
{
    i++;
    for (;;) {
        i = skip_plain(b, i, len);
        if (UNLIKELY(i >= len))
            return 0;
        uint8_t c = b[i];
        if (LIKELY(c == '"'))
            return i + 1;
        if (c == '\\') {
            if (len - i < 2)
                return 0;
            uint8_t e = b[i + 1];
            if (e != 'u') {
                if (!esc_ok[e])
                    return 0;
                i += 2;
                continue;
            }
            if (len - i < 6)
                return 0;
            long u = hex4(b + i + 2);
            if (u < 0)
                return 0;
            i += 6;
            if (UNLIKELY(u >= 0xd800 && u <= 0xdfff)) {
                if (u >= 0xdc00 || len - i < 6 || b[i] != '\\' || b[i + 1] != 'u')
                    return 0;
                long lo = hex4(b + i + 2);
                if (lo < 0xdc00 || lo > 0xdfff)
                    return 0;
                i += 6;
            } else if (UNLIKELY(u == 0)) {
                return 0; /* jansson: no JSON_ALLOW_NUL */
            }
            continue;
        }
        if (c < 0x80)
            return 0; /* a control character */
        size_t n = lcp_utf8_len(b + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
}

#define STACK_WORDS ((LCP_JSCAN_MAX_DEPTH + 64) / 64)

lcp_jscan_status lcp_jscan_object(const uint8_t *b, size_t len, size_t max_depth,
                                  lcp_jscan_result *r)
{
    if (max_depth < 1 || max_depth > LCP_JSCAN_MAX_DEPTH)
        max_depth = LCP_JSCAN_MAX_DEPTH;
    /* bit d of the stack: the container at depth d is an array */
    uint64_t stack[STACK_WORDS];
    size_t d = 1;   /* open containers; the top-level object is depth 1 */
    int in_arr = 0; /* the innermost open container is an array */
    size_t i = 1;   /* b[0] is '{' */
    unsigned crlf = 0;
    size_t nul_skipped = LCP_JSCAN_NONE;
    size_t s;       /* start of the current token */

    stack[0] = 0;
    r->close = 0;
    r->empty = 0;
    r->has_crlf = 0;
    r->underscore = LCP_JSCAN_NONE;
    r->err_pos = 0;
    r->err_what = NULL;

#define SKIP_WS()                                                                \
    do {                                                                         \
        while (i < len && ws_tab[b[i]])                                          \
            crlf |= ws_tab[b[i++]];                                              \
    } while (0)
#define FAIL(at, what) return fail(b, len, (at), (what), r)

object_first:
    SKIP_WS();
    if (i < len && b[i] == '}') {
        if (d == 1)
            r->empty = 1;
        goto close;
    }
    goto object_key;

object_next:
    SKIP_WS();
object_key:
    if (UNLIKELY(i >= len || b[i] != '"'))
        FAIL(i, "a field name (a string) expected");
    s = i;
    i = scan_string(b, len, i);
    if (UNLIKELY(i == 0))
        FAIL(s, "\\u0000 is not allowed in a field name");
    if (d == 1 && r->underscore == LCP_JSCAN_NONE &&
        (b[s + 1] == '_' ||
         (b[s + 1] == '\\' && b[s + 2] == 'u' && b[s + 3] == '0' && b[s + 4] == '0' &&
          b[s + 5] == '5' && (b[s + 6] | 0x20) == 'f')))
        r->underscore = s;
    SKIP_WS();
    if (UNLIKELY(i >= len || b[i] != ':'))
        FAIL(i, "':' expected after a field name");
    i++;
    SKIP_WS();
    if (UNLIKELY(d >= max_depth))
        return too_deep(b, len, i, 0, r);
    goto value;

array_first:
    SKIP_WS();
    if (i < len && b[i] == ']')
        goto close;
    goto array_elem;

array_next:
    SKIP_WS();
array_elem:
    if (UNLIKELY(d >= max_depth))
        return too_deep(b, len, i, 1, r);

value:
    if (UNLIKELY(i >= len))
        FAIL(i, "unexpected end of input: a value expected");
    s = i;
    switch (b[i]) {
    case '"':
        i = scan_string(b, len, i);
        if (UNLIKELY(i == 0))
            FAIL(s, "\\u0000 is not allowed in a string");
        goto after_value;
    case '{':
    case '[':
        d++;
        in_arr = b[i] == '[';
        if ((d & 63) == 0) /* a fresh word: no live bits below d in it */
            stack[d >> 6] = (uint64_t)in_arr;
        else if (in_arr)
            stack[d >> 6] |= (uint64_t)1 << (d & 63);
        else
            stack[d >> 6] &= ~((uint64_t)1 << (d & 63));
        i++;
        if (in_arr)
            goto array_first;
        goto object_first;
    case 't':
        if (len - i < 4 || memcmp(b + i, "true", 4) != 0)
            FAIL(s, "invalid literal (true, false or null expected)");
        i += 4;
        goto after_literal;
    case 'f':
        if (len - i < 5 || memcmp(b + i, "false", 5) != 0)
            FAIL(s, "invalid literal (true, false or null expected)");
        i += 5;
        goto after_literal;
    case 'n':
        if (len - i < 4 || memcmp(b + i, "null", 4) != 0)
            FAIL(s, "invalid literal (true, false or null expected)");
        i += 4;
        goto after_literal;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9': {
        if (b[i] == '-')
            i++;
        size_t int_digits;
        if (i < len && b[i] == '0') {
            i++;
            int_digits = 1;
            if (i < len && is_digit(b[i]))
                FAIL(s, "invalid number (leading zero)");
        } else if (i < len && is_digit(b[i])) {
            size_t d0 = i;
            do
                i++;
            while (i < len && is_digit(b[i]));
            int_digits = i - d0;
        } else {
            FAIL(s, "invalid number");
        }
        long long ex = 0;
        if (i < len && b[i] == '.') {
            i++;
            if (i >= len || !is_digit(b[i]))
                FAIL(s, "invalid number (digit expected after '.')");
            do
                i++;
            while (i < len && is_digit(b[i]));
        }
        if (i < len && (b[i] | 0x20) == 'e') {
            i++;
            int neg = 0;
            if (i < len && (b[i] == '+' || b[i] == '-'))
                neg = b[i++] == '-';
            if (i >= len || !is_digit(b[i]))
                FAIL(s, "invalid number (digit expected in the exponent)");
            do {
                if (ex < 1000000)
                    ex = ex * 10 + (b[i] - '0');
                i++;
            } while (i < len && is_digit(b[i]));
            if (neg)
                ex = -ex;
        }
        /* below 10^308 nothing can overflow: skip strtod */
        if (UNLIKELY((long long)int_digits + ex > 308) && num_overflows(b + s, i - s))
            FAIL(s, "number overflows a double");
        goto after_scalar;
    }
    default:
        FAIL(s, "a value expected");
    }

after_literal:
    /* jansson reads a whole identifier: "truex" is one bad token */
    if (UNLIKELY(i < len && is_alpha(b[i])))
        FAIL(s, "invalid literal (true, false or null expected)");
after_scalar:
    /* jansson quirk: the byte after a number or a literal is read and put
     * back, and a NUL byte put back is lost (its stream takes NUL for "no
     * byte buffered").  jansson would accept {"a":1<NUL>}; the oracle
     * refuses any raw NUL, so note it and refuse at the end unless jansson
     * fails later for a reason of its own. */
    if (UNLIKELY(i < len && b[i] == 0)) {
        if (nul_skipped == LCP_JSCAN_NONE)
            nul_skipped = i;
        i++;
    }
after_value:
    SKIP_WS();
    if (LIKELY(i < len)) {
        if (b[i] == ',') {
            i++;
            if (in_arr)
                goto array_next;
            goto object_next;
        }
        if (b[i] == (in_arr ? ']' : '}'))
            goto close;
    }
    FAIL(i, in_arr ? "',' or ']' expected" : "',' or '}' expected");

close:
    /* b[i] closes the container at depth d */
    d--;
    if (d == 0)
        goto done;
    i++;
    in_arr = (int)(stack[d >> 6] >> (d & 63)) & 1;
    goto after_value;

done:
    r->close = i;
    r->has_crlf = (crlf & 2) != 0;
    i++;
    while (i < len && ws_tab[b[i]])
        i++;
    if (UNLIKELY(i < len))
        FAIL(i, "end of input expected after the object");
    if (UNLIKELY(nul_skipped != LCP_JSCAN_NONE)) {
        r->err_pos = nul_skipped;
        r->err_what = "raw NUL byte";
        return LCP_JSCAN_SYNTAX;
    }
    return LCP_JSCAN_OK;
#undef SKIP_WS
#undef FAIL
}

size_t lcp_jscan_string(const uint8_t *b, size_t len, size_t pos, char *out, size_t cap)
{
    size_t o = 0;
    size_t i = pos + 1;
    while (i < len && b[i] != '"' && o + 1 < cap) {
        if (b[i] != '\\') {
            out[o++] = (char)b[i++];
            continue;
        }
        uint8_t e = b[i + 1];
        if (e != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *f = memchr(from, e, sizeof from - 1);
            out[o++] = f ? to[f - from] : (char)e;
            i += 2;
            continue;
        }
        long u = hex4(b + i + 2);
        i += 6;
        if (u >= 0xd800 && u <= 0xdbff && i + 6 <= len) {
            long lo = hex4(b + i + 2);
            u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            i += 6;
        }
        uint8_t enc[4];
        size_t n;
        if (u < 0x80) {
            enc[0] = (uint8_t)u;
            n = 1;
        } else if (u < 0x800) {
            enc[0] = (uint8_t)(0xc0 | u >> 6);
            enc[1] = (uint8_t)(0x80 | (u & 0x3f));
            n = 2;
        } else if (u < 0x10000) {
            enc[0] = (uint8_t)(0xe0 | u >> 12);
            enc[1] = (uint8_t)(0x80 | (u >> 6 & 0x3f));
            enc[2] = (uint8_t)(0x80 | (u & 0x3f));
            n = 3;
        } else {
            enc[0] = (uint8_t)(0xf0 | u >> 18);
            enc[1] = (uint8_t)(0x80 | (u >> 12 & 0x3f));
            enc[2] = (uint8_t)(0x80 | (u >> 6 & 0x3f));
            enc[3] = (uint8_t)(0x80 | (u & 0x3f));
            n = 4;
        }
        if (o + n >= cap)
            break; /* do not cut a character */
        memcpy(out + o, enc, n);
        o += n;
    }
    out[o] = '\0';
    return o;
}
