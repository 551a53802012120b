/*
 * frame.c - decode and encode the 4-byte length prefix.  See frame.h.
 */
#include "frame.h"

lcp_frame_status lcp_frame_next(const uint8_t *buf, size_t avail, uint32_t max,
                                lcp_frame *f)
{
    f->payload = NULL;
    f->len = 0;
    f->consumed = 0;
    f->need = LCP_FRAME_HDR;
    if (avail < LCP_FRAME_HDR)
        return LCP_FRAME_NEED_MORE;

    uint32_t raw = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                   (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
    if (raw == 0xffffffffu)
        return LCP_FRAME_EXT64;
    if (raw & 0x80000000u)
        return LCP_FRAME_BAD_LENGTH;

    f->len = raw;
    if (raw > max) {
        f->consumed = LCP_FRAME_HDR;
        return LCP_FRAME_OVERSIZE;
    }
    f->need = LCP_FRAME_HDR + (size_t)raw;
    if (avail < f->need)
        return LCP_FRAME_NEED_MORE;
    f->payload = buf + LCP_FRAME_HDR;
    f->consumed = f->need;
    return LCP_FRAME_OK;
}

void lcp_frame_put_header(uint8_t hdr[LCP_FRAME_HDR], uint32_t len)
{
    hdr[0] = (uint8_t)(len >> 24);
    hdr[1] = (uint8_t)(len >> 16);
    hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
}

void lcp_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t lcp_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void lcp_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

uint16_t lcp_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
