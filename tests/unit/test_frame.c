/*
 * test_frame.c - unit tests for proto/frame.c: the 4-byte big-endian signed
 * length prefix (CPython multiprocessing.connection framing) and the
 * big-endian helpers.
 *
 * Buffers handed to lcp_frame_next are allocated with their exact size so
 * that a sanitizer build catches any read past what the caller said it has.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "frame.h"

/* A frame with a payload of len bytes (payload byte i is (i * 7 + 3) & 0xff)
 * in a heap block of exactly LCP_FRAME_HDR + len bytes. */
static uint8_t *make_frame(uint32_t len)
{
    uint8_t *b = malloc(LCP_FRAME_HDR + (size_t)len);
    ck_assert_ptr_nonnull(b);
    lcp_frame_put_header(b, len);
    for (uint32_t i = 0; i < len; i++)
        b[LCP_FRAME_HDR + i] = (uint8_t)(i * 7 + 3);
    return b;
}

/* Copy of the first n bytes of src in a block of exactly n bytes (at least
 * one byte is allocated so that n == 0 still gives a valid pointer). */
static uint8_t *exact_copy(const uint8_t *src, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(b);
    if (n)
        memcpy(b, src, n);
    return b;
}

static void check_round_trip(uint32_t len)
{
    uint8_t *b = make_frame(len);
    lcp_frame f;
    lcp_frame_status st = lcp_frame_next(b, LCP_FRAME_HDR + (size_t)len, LCP_FRAME_MAX, &f);
    ck_assert_int_eq(st, LCP_FRAME_OK);
    ck_assert_uint_eq(f.len, len);
    ck_assert_ptr_eq(f.payload, b + LCP_FRAME_HDR);
    ck_assert_uint_eq(f.consumed, LCP_FRAME_HDR + (size_t)len);
    ck_assert_uint_eq(f.need, LCP_FRAME_HDR + (size_t)len);
    /* plain ifs in byte loops: every passing ck_assert writes a message */
    for (uint32_t i = 0; i < len; i++)
        if (f.payload[i] != (uint8_t)(i * 7 + 3))
            ck_abort_msg("len %u: payload byte %u is %u", len, i, f.payload[i]);

    /* The same frame with a max equal to its length is still OK. */
    st = lcp_frame_next(b, LCP_FRAME_HDR + (size_t)len, len, &f);
    ck_assert_int_eq(st, LCP_FRAME_OK);
    ck_assert_uint_eq(f.len, len);
    free(b);
}

START_TEST(test_header_bytes)
{
    static const struct {
        uint32_t len;
        uint8_t hdr[4];
    } v[] = {
        {0, {0, 0, 0, 0}},
        {1, {0, 0, 0, 1}},
        {255, {0, 0, 0, 0xff}},
        {256, {0, 0, 1, 0}},
        {65536, {0, 1, 0, 0}},
        {0x01020304u, {1, 2, 3, 4}},
        {LCP_FRAME_MAX - 1, {0x7f, 0xff, 0xff, 0xfe}},
        {LCP_FRAME_MAX, {0x7f, 0xff, 0xff, 0xff}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t hdr[LCP_FRAME_HDR + 2];
        memset(hdr, 0xaa, sizeof hdr);
        lcp_frame_put_header(hdr, v[i].len);
        ck_assert_mem_eq(hdr, v[i].hdr, 4);
        /* nothing written past the header */
        ck_assert_uint_eq(hdr[4], 0xaa);
        ck_assert_uint_eq(hdr[5], 0xaa);
    }
}
END_TEST

START_TEST(test_round_trip_small)
{
    check_round_trip(0);
    check_round_trip(1);
    check_round_trip(255);
    check_round_trip(65536);
}
END_TEST

/* max-1 and max.  The header alone is checked in an exact 4-byte block;
 * the whole frame is described by an untouched 2 GiB anonymous mapping, so
 * only the pages we write are ever backed by memory.  Where the system will
 * not map that much address space, only the header part runs. */
START_TEST(test_round_trip_max)
{
    static const uint32_t lens[] = {LCP_FRAME_MAX - 1, LCP_FRAME_MAX};
    for (size_t i = 0; i < 2; i++) {
        uint32_t len = lens[i];
        size_t total = LCP_FRAME_HDR + (size_t)len;
        uint8_t hdr[LCP_FRAME_HDR];
        lcp_frame_put_header(hdr, len);
        uint8_t *h = exact_copy(hdr, sizeof hdr);
        lcp_frame f;
        /* only the header: NEED_MORE with the whole size, no overflow */
        ck_assert_int_eq(lcp_frame_next(h, LCP_FRAME_HDR, LCP_FRAME_MAX, &f),
                         LCP_FRAME_NEED_MORE);
        ck_assert_uint_eq(f.need, total);
        ck_assert_uint_eq(f.len, len);
        /* against a max one smaller: OVERSIZE */
        ck_assert_int_eq(lcp_frame_next(h, LCP_FRAME_HDR, len - 1, &f), LCP_FRAME_OVERSIZE);
        ck_assert_uint_eq(f.len, len);
        ck_assert_uint_eq(f.consumed, LCP_FRAME_HDR);
        free(h);
    }

    size_t map_len = LCP_FRAME_HDR + (size_t)LCP_FRAME_MAX;
    uint8_t *b = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (b == MAP_FAILED) {
        fprintf(stderr, "test_round_trip_max: cannot map 2 GiB, whole frames not checked\n");
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        uint32_t len = lens[i];
        size_t total = LCP_FRAME_HDR + (size_t)len;
        lcp_frame_put_header(b, len);
        b[LCP_FRAME_HDR] = 0x5a;
        b[total - 1] = 0xa5;
        lcp_frame f;
        ck_assert_int_eq(lcp_frame_next(b, total, LCP_FRAME_MAX, &f), LCP_FRAME_OK);
        ck_assert_uint_eq(f.len, len);
        ck_assert_ptr_eq(f.payload, b + LCP_FRAME_HDR);
        ck_assert_uint_eq(f.consumed, total);
        ck_assert_uint_eq(f.payload[0], 0x5a);
        ck_assert_uint_eq(f.payload[len - 1], 0xa5);

        /* one byte short */
        ck_assert_int_eq(lcp_frame_next(b, total - 1, LCP_FRAME_MAX, &f),
                         LCP_FRAME_NEED_MORE);
        ck_assert_uint_eq(f.need, total);
        ck_assert_ptr_null(f.payload);
        ck_assert_uint_eq(f.consumed, 0);

        /* a whole frame with its length as the max is OK */
        ck_assert_int_eq(lcp_frame_next(b, total, len, &f), LCP_FRAME_OK);
    }
    munmap(b, map_len);
}
END_TEST

/* Every truncation 0..len-1 of a frame is NEED_MORE with the right need. */
START_TEST(test_need_more_every_truncation)
{
    static const uint32_t lens[] = {0, 1, 10, 300};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        uint32_t len = lens[k];
        size_t total = LCP_FRAME_HDR + (size_t)len;
        uint8_t *full = make_frame(len);
        for (size_t avail = 0; avail < total; avail++) {
            uint8_t *b = exact_copy(full, avail);
            lcp_frame f;
            memset(&f, 0x77, sizeof f);
            lcp_frame_status st = lcp_frame_next(b, avail, LCP_FRAME_MAX, &f);
            ck_assert_msg(st == LCP_FRAME_NEED_MORE,
                          "len %u avail %zu: status %d", len, avail, (int)st);
            size_t want = avail < LCP_FRAME_HDR ? LCP_FRAME_HDR : total;
            ck_assert_msg(f.need == want, "len %u avail %zu: need %zu, want %zu",
                          len, avail, f.need, want);
            ck_assert_ptr_null(f.payload);
            ck_assert_uint_eq(f.consumed, 0);
            free(b);
        }
        /* and the full length is OK */
        uint8_t *b = exact_copy(full, total);
        lcp_frame f;
        ck_assert_int_eq(lcp_frame_next(b, total, LCP_FRAME_MAX, &f), LCP_FRAME_OK);
        ck_assert_uint_eq(f.consumed, total);
        free(b);
        free(full);
    }
}
END_TEST

START_TEST(test_oversize)
{
    uint8_t hdr[LCP_FRAME_HDR];
    lcp_frame f;

    /* header alone is enough to say OVERSIZE */
    lcp_frame_put_header(hdr, 1000);
    uint8_t *b = exact_copy(hdr, sizeof hdr);
    ck_assert_int_eq(lcp_frame_next(b, LCP_FRAME_HDR, 999, &f), LCP_FRAME_OVERSIZE);
    ck_assert_uint_eq(f.len, 1000);
    ck_assert_uint_eq(f.consumed, LCP_FRAME_HDR);
    ck_assert_ptr_null(f.payload);
    /* max == len: not oversize, just wants the payload */
    ck_assert_int_eq(lcp_frame_next(b, LCP_FRAME_HDR, 1000, &f), LCP_FRAME_NEED_MORE);
    ck_assert_uint_eq(f.need, LCP_FRAME_HDR + 1000);
    free(b);

    /* max 0 refuses a 1-byte payload even when it is all there */
    uint8_t *one = make_frame(1);
    ck_assert_int_eq(lcp_frame_next(one, LCP_FRAME_HDR + 1, 0, &f), LCP_FRAME_OVERSIZE);
    ck_assert_uint_eq(f.len, 1);
    ck_assert_uint_eq(f.consumed, LCP_FRAME_HDR);
    free(one);

    /* the largest legal length against a small max */
    lcp_frame_put_header(hdr, LCP_FRAME_MAX);
    b = exact_copy(hdr, sizeof hdr);
    ck_assert_int_eq(lcp_frame_next(b, LCP_FRAME_HDR, 1u << 20, &f), LCP_FRAME_OVERSIZE);
    ck_assert_uint_eq(f.len, LCP_FRAME_MAX);
    ck_assert_uint_eq(f.consumed, LCP_FRAME_HDR);
    free(b);

    /* max 0 still accepts an empty payload */
    uint8_t *zero = make_frame(0);
    ck_assert_int_eq(lcp_frame_next(zero, LCP_FRAME_HDR, 0, &f), LCP_FRAME_OK);
    ck_assert_uint_eq(f.consumed, LCP_FRAME_HDR);
    free(zero);
}
END_TEST

START_TEST(test_ext64)
{
    /* ff ff ff ff then CPython's 8-byte length: refused at the header */
    static const uint8_t msg[] = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0};
    lcp_frame f;
    for (size_t avail = LCP_FRAME_HDR; avail <= sizeof msg; avail++) {
        uint8_t *b = exact_copy(msg, avail);
        ck_assert_int_eq(lcp_frame_next(b, avail, LCP_FRAME_MAX, &f), LCP_FRAME_EXT64);
        ck_assert_ptr_null(f.payload);
        free(b);
    }
    /* fewer than 4 bytes of it: still NEED_MORE */
    uint8_t *b = exact_copy(msg, 3);
    ck_assert_int_eq(lcp_frame_next(b, 3, LCP_FRAME_MAX, &f), LCP_FRAME_NEED_MORE);
    ck_assert_uint_eq(f.need, LCP_FRAME_HDR);
    free(b);
}
END_TEST

START_TEST(test_bad_length)
{
    static const uint8_t hdrs[][4] = {
        {0x80, 0x00, 0x00, 0x00}, /* INT32_MIN */
        {0xff, 0xff, 0xff, 0xfe}, /* -2 */
        {0x80, 0x00, 0x00, 0x01},
        {0x90, 0x00, 0x00, 0x10},
        {0xfe, 0xff, 0xff, 0xff},
    };
    for (size_t i = 0; i < sizeof hdrs / sizeof hdrs[0]; i++) {
        uint8_t *b = exact_copy(hdrs[i], 4);
        lcp_frame f;
        ck_assert_int_eq(lcp_frame_next(b, 4, LCP_FRAME_MAX, &f), LCP_FRAME_BAD_LENGTH);
        ck_assert_ptr_null(f.payload);
        ck_assert_uint_eq(f.consumed, 0);
        free(b);
    }
}
END_TEST

START_TEST(test_back_to_back)
{
    static const uint32_t lens[] = {0, 5, 1, 300, 0, 65536, 2};
    size_t n = sizeof lens / sizeof lens[0];
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += LCP_FRAME_HDR + lens[i];
    uint8_t *buf = malloc(total);
    ck_assert_ptr_nonnull(buf);
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        lcp_frame_put_header(buf + off, lens[i]);
        memset(buf + off + LCP_FRAME_HDR, (int)(0x10 + i), lens[i]);
        off += LCP_FRAME_HDR + lens[i];
    }
    ck_assert_uint_eq(off, total);

    off = 0;
    for (size_t i = 0; i < n; i++) {
        lcp_frame f;
        ck_assert_int_eq(lcp_frame_next(buf + off, total - off, LCP_FRAME_MAX, &f),
                         LCP_FRAME_OK);
        ck_assert_uint_eq(f.len, lens[i]);
        ck_assert_ptr_eq(f.payload, buf + off + LCP_FRAME_HDR);
        ck_assert_uint_eq(f.consumed, LCP_FRAME_HDR + lens[i]);
        for (uint32_t j = 0; j < f.len; j++)
            if (f.payload[j] != 0x10 + i)
                ck_abort_msg("frame %zu: payload byte %u is %u", i, j, f.payload[j]);
        off += f.consumed;
    }
    ck_assert_uint_eq(off, total);
    lcp_frame f;
    ck_assert_int_eq(lcp_frame_next(buf + off, 0, LCP_FRAME_MAX, &f), LCP_FRAME_NEED_MORE);
    ck_assert_uint_eq(f.need, LCP_FRAME_HDR);

    /* the same stream cut short in the middle of the 4th frame's payload:
     * three frames come out, then NEED_MORE for the 4th */
    size_t cut = 3 * LCP_FRAME_HDR + 0 + 5 + 1 + LCP_FRAME_HDR + 100;
    uint8_t *part = exact_copy(buf, cut);
    off = 0;
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(lcp_frame_next(part + off, cut - off, LCP_FRAME_MAX, &f),
                         LCP_FRAME_OK);
        off += f.consumed;
    }
    ck_assert_int_eq(lcp_frame_next(part + off, cut - off, LCP_FRAME_MAX, &f),
                     LCP_FRAME_NEED_MORE);
    ck_assert_uint_eq(f.need, LCP_FRAME_HDR + 300);
    ck_assert_uint_eq(f.len, 300);
    free(part);

    /* a good frame followed by a bad header: the good one first */
    uint8_t mixed[LCP_FRAME_HDR + 2 + 4];
    lcp_frame_put_header(mixed, 2);
    mixed[4] = 'o';
    mixed[5] = 'k';
    memcpy(mixed + 6, "\xff\xff\xff\xff", 4);
    ck_assert_int_eq(lcp_frame_next(mixed, sizeof mixed, LCP_FRAME_MAX, &f), LCP_FRAME_OK);
    ck_assert_mem_eq(f.payload, "ok", 2);
    ck_assert_int_eq(lcp_frame_next(mixed + f.consumed, sizeof mixed - f.consumed,
                                    LCP_FRAME_MAX, &f),
                     LCP_FRAME_EXT64);
    free(buf);
}
END_TEST

START_TEST(test_u64)
{
    static const struct {
        uint64_t v;
        uint8_t b[8];
    } v[] = {
        {0, {0, 0, 0, 0, 0, 0, 0, 0}},
        {1, {0, 0, 0, 0, 0, 0, 0, 1}},
        {0x0102030405060708ull, {1, 2, 3, 4, 5, 6, 7, 8}},
        {0xfedcba9876543210ull, {0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}},
        {UINT64_MAX, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
        {0x8000000000000000ull, {0x80, 0, 0, 0, 0, 0, 0, 0}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t buf[10];
        memset(buf, 0xcc, sizeof buf);
        lcp_put_u64(buf + 1, v[i].v);
        ck_assert_uint_eq(buf[0], 0xcc);
        ck_assert_mem_eq(buf + 1, v[i].b, 8);
        ck_assert_uint_eq(buf[9], 0xcc);
        ck_assert_uint_eq(lcp_get_u64(v[i].b), v[i].v);
        ck_assert_uint_eq(lcp_get_u64(buf + 1), v[i].v);
    }
}
END_TEST

START_TEST(test_u16)
{
    static const struct {
        uint16_t v;
        uint8_t b[2];
    } v[] = {
        {0, {0, 0}}, {1, {0, 1}}, {0x0100, {1, 0}},
        {0xabcd, {0xab, 0xcd}}, {0xffff, {0xff, 0xff}}, {0x8001, {0x80, 0x01}},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t buf[4];
        memset(buf, 0xcc, sizeof buf);
        lcp_put_u16(buf + 1, v[i].v);
        ck_assert_uint_eq(buf[0], 0xcc);
        ck_assert_mem_eq(buf + 1, v[i].b, 2);
        ck_assert_uint_eq(buf[3], 0xcc);
        ck_assert_uint_eq(lcp_get_u16(v[i].b), v[i].v);
    }
    /* every value survives a round trip */
    for (uint32_t x = 0; x <= 0xffff; x++) {
        uint8_t b[2];
        lcp_put_u16(b, (uint16_t)x);
        if (lcp_get_u16(b) != x || b[0] != x >> 8 || b[1] != (x & 0xff))
            ck_abort_msg("u16 %u does not survive a round trip", x);
    }
}
END_TEST

static Suite *frame_suite(void)
{
    Suite *s = suite_create("frame");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_header_bytes);
    tcase_add_test(tc, test_round_trip_small);
    tcase_add_test(tc, test_round_trip_max);
    tcase_add_test(tc, test_need_more_every_truncation);
    tcase_add_test(tc, test_oversize);
    tcase_add_test(tc, test_ext64);
    tcase_add_test(tc, test_bad_length);
    tcase_add_test(tc, test_back_to_back);
    tcase_add_test(tc, test_u64);
    tcase_add_test(tc, test_u16);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(frame_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
