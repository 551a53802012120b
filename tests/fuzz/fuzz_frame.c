/*
 * fuzz_frame.c - the frame decoder, fed like a stream.
 *
 * Input: byte 0 picks the largest payload accepted (max), bytes 1-2 seed
 * the split points, the rest is the byte stream.  The stream is delivered
 * in chunks of pseudo-random sizes to a reader that works like the
 * daemon's: after each chunk it calls lcp_frame_next on what it holds (an
 * exact-size copy, so that ASan sees any read past it) until NEED_MORE,
 * discarding the payload of an OVERSIZE frame as it arrives.
 *
 * Checked: every result's invariants (consumed, need, len, payload), and
 * that the sequence of frames is the one a one-shot decode of the whole
 * stream gives, whatever the split points.
 */
#include <string.h>

#include "frame.h"
#include "fuzz.h"

enum { EV_OK, EV_OVERSIZE, EV_BAD, EV_EXT64 };

typedef struct {
    int kind;
    size_t off; /* EV_OK: payload offset in the stream */
    uint32_t len;
} event;

/* The whole stream at once, written independently of frame.c. */
static size_t reference(const uint8_t *s, size_t n, uint32_t max, event *ev)
{
    size_t k = 0, pos = 0;
    while (n - pos >= 4) {
        uint32_t raw = (uint32_t)s[pos] << 24 | (uint32_t)s[pos + 1] << 16 |
                       (uint32_t)s[pos + 2] << 8 | s[pos + 3];
        if (raw == 0xffffffffu) {
            ev[k++] = (event){EV_EXT64, 0, 0};
            break;
        }
        if (raw >= 0x80000000u) {
            ev[k++] = (event){EV_BAD, 0, 0};
            break;
        }
        if (raw > max) {
            ev[k++] = (event){EV_OVERSIZE, 0, raw};
            if (n - pos - 4 < raw)
                break;
            pos += 4 + (size_t)raw;
            continue;
        }
        if (n - pos - 4 < raw)
            break;
        ev[k++] = (event){EV_OK, pos + 4, raw};
        pos += 4 + (size_t)raw;
    }
    return k;
}

static uint32_t pick_max(uint8_t b)
{
    static const uint32_t big[] = {0,    1,      3,       4,         255,        256,
                                   4096, 65535,  1 << 20, 0x7ffffffe, LCP_FRAME_MAX,
                                   0xffffffffu};
    if (b < 0x80)
        return b;
    return big[b % (sizeof big / sizeof big[0])];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint32_t max = pick_max(data[0]);
    uint32_t rng = (uint32_t)data[1] << 8 | data[2];
    rng = rng * 2654435761u + 1;
    const uint8_t *s = data + 3;
    size_t n = size - 3;

    /* at most one event per 4 bytes */
    event *ref = malloc((n / 4 + 1) * sizeof *ref);
    FUZZ_ASSERT(ref != NULL, "out of memory");
    size_t nref = reference(s, n, max, ref);
    size_t seen = 0;

    size_t have = 0;  /* stream bytes delivered */
    size_t start = 0; /* first byte not yet consumed */
    size_t skip = 0;  /* OVERSIZE payload bytes still to discard */
    int stopped = 0;
    while (have < n && !stopped) {
        /* chunk sizes: mostly small, sometimes everything */
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        size_t chunk = (rng & 7) == 0 ? n : 1 + (rng >> 8) % ((rng & 8) ? 64 : 6);
        have += chunk < n - have ? chunk : n - have;

        for (;;) {
            if (skip) {
                size_t d = have - start < skip ? have - start : skip;
                start += d;
                skip -= d;
                if (skip)
                    break;
            }
            size_t avail = have - start;
            uint8_t *copy = malloc(avail ? avail : 1);
            FUZZ_ASSERT(copy != NULL, "out of memory");
            memcpy(copy, s + start, avail);
            lcp_frame f;
            memset(&f, 0xa5, sizeof f);
            lcp_frame_status st = lcp_frame_next(copy, avail, max, &f);
            lcp_frame g;
            FUZZ_ASSERT(lcp_frame_next(copy, avail, max, &g) == st, "not deterministic");

            if (st == LCP_FRAME_NEED_MORE) {
                FUZZ_ASSERT(f.consumed == 0 && f.payload == NULL, "NEED_MORE consumed bytes");
                FUZZ_ASSERT(f.need > avail, "NEED_MORE but need %zu <= avail %zu", f.need, avail);
                FUZZ_ASSERT(f.need >= LCP_FRAME_HDR, "need %zu below a header", f.need);
                if (avail >= LCP_FRAME_HDR) {
                    FUZZ_ASSERT(f.len <= max, "NEED_MORE for a frame over max");
                    FUZZ_ASSERT(f.need == LCP_FRAME_HDR + (size_t)f.len, "need %zu, len %u", f.need,
                                f.len);
                } else {
                    FUZZ_ASSERT(f.need == LCP_FRAME_HDR && f.len == 0, "short header: need %zu",
                                f.need);
                }
                free(copy);
                break;
            }
            FUZZ_ASSERT(avail >= LCP_FRAME_HDR, "a verdict on %zu bytes", avail);
            FUZZ_ASSERT(seen < nref, "a frame the reference does not have");
            const event *e = &ref[seen++];
            switch (st) {
            case LCP_FRAME_OK: {
                FUZZ_ASSERT(e->kind == EV_OK, "OK, reference says %d", e->kind);
                FUZZ_ASSERT(f.len == e->len && f.len <= max, "len %u, reference %u", f.len, e->len);
                FUZZ_ASSERT(f.consumed == LCP_FRAME_HDR + (size_t)f.len && f.consumed <= avail,
                            "consumed %zu for len %u", f.consumed, f.len);
                FUZZ_ASSERT(f.payload == copy + LCP_FRAME_HDR, "payload not after the header");
                FUZZ_ASSERT(start + LCP_FRAME_HDR == e->off, "frame at %zu, reference %zu",
                            start + LCP_FRAME_HDR, e->off);
                FUZZ_ASSERT(memcmp(f.payload, s + e->off, f.len) == 0, "payload differs");
                uint8_t hdr[LCP_FRAME_HDR];
                lcp_frame_put_header(hdr, f.len);
                FUZZ_ASSERT(memcmp(hdr, copy, LCP_FRAME_HDR) == 0, "header does not round-trip");
                start += f.consumed;
                break;
            }
            case LCP_FRAME_OVERSIZE:
                FUZZ_ASSERT(e->kind == EV_OVERSIZE, "OVERSIZE, reference says %d", e->kind);
                FUZZ_ASSERT(f.len == e->len && f.len > max, "len %u, max %u", f.len, max);
                FUZZ_ASSERT(f.consumed == LCP_FRAME_HDR, "OVERSIZE consumed %zu", f.consumed);
                FUZZ_ASSERT(f.payload == NULL, "OVERSIZE with a payload");
                start += f.consumed;
                skip = f.len;
                break;
            case LCP_FRAME_BAD_LENGTH:
                FUZZ_ASSERT(e->kind == EV_BAD, "BAD_LENGTH, reference says %d", e->kind);
                FUZZ_ASSERT(copy[0] & 0x80, "BAD_LENGTH for a positive length");
                FUZZ_ASSERT(f.consumed == 0 && f.payload == NULL, "BAD_LENGTH consumed");
                stopped = 1;
                break;
            case LCP_FRAME_EXT64:
                FUZZ_ASSERT(e->kind == EV_EXT64, "EXT64, reference says %d", e->kind);
                FUZZ_ASSERT(memcmp(copy, "\xff\xff\xff\xff", 4) == 0, "EXT64 for another length");
                FUZZ_ASSERT(f.consumed == 0 && f.payload == NULL, "EXT64 consumed");
                stopped = 1;
                break;
            default:
                FUZZ_ASSERT(0, "unknown status %d", (int)st);
            }
            free(copy);
            if (stopped)
                break;
        }
    }
    FUZZ_ASSERT(seen == nref, "saw %zu frames, reference %zu", seen, nref);
    free(ref);

    /* the big-endian helpers round-trip */
    if (n >= 8) {
        uint8_t b[8];
        lcp_put_u64(b, lcp_get_u64(s));
        FUZZ_ASSERT(memcmp(b, s, 8) == 0, "u64 round trip");
        lcp_put_u16(b, lcp_get_u16(s));
        FUZZ_ASSERT(memcmp(b, s, 2) == 0, "u16 round trip");
    }
    return 0;
}
