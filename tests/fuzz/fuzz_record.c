/*
 * fuzz_record.c - differential fuzzing of record validation, and of the
 * splice of trusted fields.
 *
 * For every input:
 *   - lcp_record_check (the scanner) and lcp_record_check_jansson (the
 *     oracle) return the same status and, on acceptance, the same
 *     lcp_rec_info, at jansson's own depth limit and at a lower one taken
 *     from the input (2 .. 129, the default 64 among them); on refusal the
 *     info is left zeroed and there is a detail text; a short detail
 *     buffer is cut and terminated.
 *   - when accepted, lcp_record_splice with a trusted-fields run writes
 *     at most lcp_record_splice_size() bytes, one line ending in "\n", no
 *     CR, no NUL; the line is the input byte for byte up to the closing
 *     brace (CR and LF turned into spaces), then [","] trusted "}\n"; and
 *     jansson reads it as an object holding exactly the original members
 *     plus the trusted ones.
 */
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "record.h"

static const struct {
    const char *text;
    int members;
    const char *sid; /* the value of "_sid", if any */
} TRUSTED[] = {
    {"", 0, NULL},
    {"\"_sid\":\"0123456789abcdef0123456789abcdef\",\"_seq\":18446744073709551615", 2,
     "0123456789abcdef0123456789abcdef"},
    {"\"_rt\":\"2026-11-27T13:37:24.123456Z\",\"_sid\":\"s\\n\\u00e9\",\"_seq\":1,"
     "\"_app\":\"web\",\"_pid\":4242,\"_host\":\"box\",\"_peer\":\"[::1]:51234\","
     "\"_key\":\"default\"",
     8, "s\n\xc3\xa9"},
};

static void check_splice(const uint8_t *data, size_t size, const lcp_rec_info *info,
                         size_t which)
{
    const char *trusted = TRUSTED[which].text;
    size_t tl = strlen(trusted);
    size_t cap = lcp_record_splice_size(info, tl);
    uint8_t *dst = malloc(cap);
    FUZZ_ASSERT(dst != NULL, "out of memory");
    size_t w = lcp_record_splice(dst, data, info, trusted, tl);
    FUZZ_ASSERT(w <= cap, "splice wrote %zu bytes, bound %zu", w, cap);
    FUZZ_ASSERT(w >= 3 && dst[w - 1] == '\n' && dst[w - 2] == '}', "line does not end in }\\n");
    FUZZ_ASSERT(memchr(dst, '\n', w - 1) == NULL, "LF inside the line");
    FUZZ_ASSERT(memchr(dst, '\r', w) == NULL, "CR in the line");
    FUZZ_ASSERT(memchr(dst, '\0', w) == NULL, "NUL in the line");

    /* byte for byte: the record up to its closing brace, CR/LF -> space */
    size_t c = info->close;
    FUZZ_ASSERT(c < size && data[c] == '}', "close %zu is not a '}'", c);
    for (size_t k = 0; k < c; k++) {
        uint8_t want = data[k] == '\r' || data[k] == '\n' ? ' ' : data[k];
        FUZZ_ASSERT(dst[k] == want, "byte %zu changed", k);
    }
    size_t n = c;
    if (tl) {
        if (!info->empty) {
            FUZZ_ASSERT(dst[n] == ',', "no comma before the trusted fields");
            n++;
        }
        FUZZ_ASSERT(memcmp(dst + n, trusted, tl) == 0, "trusted fields not copied");
        n += tl;
    }
    FUZZ_ASSERT(n + 2 == w, "%zu bytes after the trusted fields, want 2", w - n);

    /* and as JSON: the original members, unchanged, plus the trusted ones */
    json_error_t e;
    json_t *orig = json_loadb((const char *)data, size, JSON_DECODE_INT_AS_REAL, &e);
    FUZZ_ASSERT(orig != NULL && json_is_object(orig), "accepted input does not load: %s",
                e.text);
    json_t *out = json_loadb((const char *)dst, w, JSON_DECODE_INT_AS_REAL, &e);
    FUZZ_ASSERT(out != NULL, "spliced line does not load: %s at %d", e.text, e.position);
    FUZZ_ASSERT(json_is_object(out), "spliced line is not an object");
    FUZZ_ASSERT(json_object_size(out) == json_object_size(orig) + (size_t)TRUSTED[which].members,
                "%zu members, want %zu + %d", json_object_size(out), json_object_size(orig),
                TRUSTED[which].members);
    FUZZ_ASSERT((json_object_size(orig) == 0) == (info->empty != 0), "empty flag wrong");
    const char *k;
    json_t *v;
    json_object_foreach(orig, k, v) {
        FUZZ_ASSERT(k[0] != '_', "accepted a reserved name");
        FUZZ_ASSERT(json_equal(v, json_object_get(out, k)), "member \"%s\" changed", k);
    }
    if (TRUSTED[which].sid) {
        const char *sid = json_string_value(json_object_get(out, "_sid"));
        FUZZ_ASSERT(sid && strcmp(sid, TRUSTED[which].sid) == 0, "_sid lost");
    }
    json_decref(out);
    json_decref(orig);
    free(dst);
}

/* Scanner and oracle agree at max_depth; the scanner's status. */
static lcp_rec_status differential(const uint8_t *data, size_t size, int max_depth,
                                   lcp_rec_info *fast, char *dfast, size_t dlen)
{
    lcp_rec_info slow;
    char dslow[256];
    memset(fast, 0x5a, sizeof *fast);
    memset(&slow, 0x5a, sizeof slow);
    lcp_rec_status sf = lcp_record_check(data, size, max_depth, fast, dfast, dlen);
    lcp_rec_status ss = lcp_record_check_jansson(data, size, max_depth, &slow, dslow,
                                                 sizeof dslow);
    FUZZ_ASSERT(sf == ss, "depth %d: scanner says %s (%s), jansson says %s (%s)", max_depth,
                lcp_rec_status_key(sf), dfast, lcp_rec_status_key(ss), dslow);
    if (sf == LCP_REC_OK)
        FUZZ_ASSERT(fast->close == slow.close && fast->empty == slow.empty &&
                        fast->has_crlf == slow.has_crlf,
                    "depth %d: info differs", max_depth);
    return sf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lcp_rec_info fast, low;
    char dfast[256], dlow[256];
    int depth = LCP_REC_DEPTH_MAX;
    lcp_rec_status sf = differential(data, size, depth, &fast, dfast, sizeof dfast);
    /* a lower limit: accepted there means accepted at the ceiling too */
    int low_depth = 2 + (int)(size > 1 ? data[size - 1] % 128 : 62);
    if (differential(data, size, low_depth, &low, dlow, sizeof dlow) == LCP_REC_OK)
        FUZZ_ASSERT(sf == LCP_REC_OK, "accepted at depth %d, not at %d", low_depth, depth);

    /* no detail buffer, and a short one */
    lcp_rec_info tmp;
    FUZZ_ASSERT(lcp_record_check(data, size, depth, &tmp, NULL, 0) == sf,
                "status depends on detail");
    char small[9];
    memset(small, 'x', sizeof small);
    size_t sl = 1 + size % (sizeof small - 1);
    FUZZ_ASSERT(lcp_record_check(data, size, depth, &tmp, small, sl) == sf,
                "status depends on detail");
    FUZZ_ASSERT(memchr(small, '\0', sl) != NULL, "short detail not terminated");
    FUZZ_ASSERT(small[sl] == 'x', "short detail overflowed");

    if (sf != LCP_REC_OK) {
        FUZZ_ASSERT(fast.close == 0 && fast.empty == 0 && fast.has_crlf == 0,
                    "info filled in on refusal");
        FUZZ_ASSERT(dfast[0] != '\0', "no detail for %s", lcp_rec_status_key(sf));
        return 0;
    }
    FUZZ_ASSERT(dfast[0] == '\0', "detail on acceptance: %s", dfast);
    check_splice(data, size, &fast, size % 3);
    return 0;
}
