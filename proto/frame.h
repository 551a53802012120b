/*
 * frame.h - message framing shared by the daemon and the client.
 *
 * The framing is CPython's multiprocessing.connection framing: a 4-byte
 * big-endian *signed* length, then that many bytes.  CPython uses a length
 * of -1 to announce an 8-byte length for messages over 2 GiB; we refuse it
 * (no record is that large, and accepting it would let a peer announce an
 * exabyte).  Any other negative length is malformed.
 *
 * Nothing here does I/O: the caller owns the bytes and the buffering, so the
 * decoder can be unit-tested and fuzzed on plain memory.
 */
#ifndef LCP_FRAME_H
#define LCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define LCP_FRAME_HDR 4
/* Largest payload the protocol can describe without the 8-byte extension. */
#define LCP_FRAME_MAX 0x7fffffffu

typedef enum {
    LCP_FRAME_NEED_MORE = 0, /* not enough bytes yet; *need says how many in all */
    LCP_FRAME_OK,            /* a whole frame: payload/len set, consumed bytes */
    LCP_FRAME_OVERSIZE,      /* header says len > max: skip len bytes after the header */
    LCP_FRAME_BAD_LENGTH,    /* negative length (not -1): stream is not ours */
    LCP_FRAME_EXT64,         /* length -1: CPython's 8-byte extension, refused */
} lcp_frame_status;

typedef struct {
    const uint8_t *payload; /* points into the caller's buffer */
    uint32_t len;           /* payload length (also set for OVERSIZE) */
    size_t consumed;        /* bytes of the buffer this result covers */
    size_t need;            /* NEED_MORE: bytes the buffer must hold in all */
} lcp_frame;

/* Look at the start of buf and say what is there.  max is the largest
 * payload the caller accepts.  For OVERSIZE, consumed covers the header
 * only; the caller then discards f->len bytes as they arrive. */
lcp_frame_status lcp_frame_next(const uint8_t *buf, size_t avail, uint32_t max,
                                lcp_frame *f);

/* Write the 4-byte header for a payload of len bytes (len <= LCP_FRAME_MAX). */
void lcp_frame_put_header(uint8_t hdr[LCP_FRAME_HDR], uint32_t len);

/* Big-endian helpers used by the control messages. */
void lcp_put_u64(uint8_t *p, uint64_t v);
uint64_t lcp_get_u64(const uint8_t *p);
void lcp_put_u16(uint8_t *p, uint16_t v);
uint16_t lcp_get_u16(const uint8_t *p);

#endif
