/*
 * test_queue.c - unit tests for client/queue.c: the client's record queue
 * (frames in segments, implicit numbering from head_seq, release from the
 * head, spare segments) and the sender's cursor over it (batches of iovecs,
 * partial sends, whole frames counted, reset after a reconnect, and the last
 * segment reused from its start once everything in it is acknowledged).
 *
 * Besides the cases written out, test_model drives the queue with random
 * operations against a plain model (the list of records held, the bytes
 * sent since the last reset) and checks every counter and every byte sent.
 *
 * The full/drop/block policies are not the queue's (it "leaves the byte
 * limit to the caller"): api.c compares q.bytes with the client's limit, so
 * what is tested here is that q.bytes is exactly the frame bytes held.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"

#define HDR 4 /* the frame header: a 32-bit big-endian length */

/* ============================ helpers ============================ */

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Record i's payload: len bytes derived from i, so any mix-up shows. */
static void fill(char *buf, size_t len, uint64_t i)
{
    for (size_t k = 0; k < len; k++)
        buf[k] = (char)('a' + (i * 7 + k) % 26);
}

static uint64_t append_n(lcc_queue *q, uint64_t i, size_t len)
{
    char *buf = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(buf);
    fill(buf, len, i);
    uint64_t seq = lcc_queue_append(q, buf, len);
    free(buf);
    return seq;
}

static int count_segs(const lcc_queue *q)
{
    int n = 0;
    for (lcc_seg *s = q->first; s; s = s->next)
        n++;
    return n;
}

/* The queue's own bookkeeping agrees with its segments. */
static void assert_consistent(const lcc_queue *q)
{
    size_t bytes = 0;
    uint64_t nrec = 0;
    for (lcc_seg *s = q->first; s; s = s->next) {
        ck_assert_uint_le(s->head, s->used);
        ck_assert_uint_le(s->used, s->cap);
        ck_assert_uint_le(s->nfree, s->nrec);
        bytes += s->used - s->head;
        nrec += s->nrec - s->nfree;
        if (!s->next)
            ck_assert_ptr_eq(s, q->last);
    }
    ck_assert_uint_eq(bytes, q->bytes);
    ck_assert_uint_eq(nrec, q->nrec);
    ck_assert_uint_eq(q->next_seq, q->head_seq + q->nrec);
    int spares = 0;
    for (lcc_seg *s = q->spare; s; s = s->next) {
        ck_assert_uint_eq(s->cap, LCC_SEG_SIZE);
        spares++;
    }
    ck_assert_int_eq(spares, q->nspare);
    ck_assert_int_le(q->nspare, q->spare_max);
}

/* Take a batch and "send" n bytes of it into out (NULL: discard). */
static uint64_t send_bytes(lcc_cursor *cur, const lcc_queue *q, size_t n, char *out)
{
    lcc_batch b;
    lcc_cursor_batch(cur, q, &b);
    ck_assert_uint_le(n, b.bytes);
    size_t left = n;
    for (int i = 0; i < b.n && left > 0 && out; i++) {
        size_t take = b.iov[i].iov_len < left ? b.iov[i].iov_len : left;
        memcpy(out, b.iov[i].iov_base, take);
        out += take;
        left -= take;
    }
    return lcc_cursor_advance(cur, &b, n);
}

/* Send everything after the cursor; returns the bytes sent. */
static size_t send_all(lcc_cursor *cur, const lcc_queue *q)
{
    size_t total = 0;
    for (;;) {
        lcc_batch b;
        if (lcc_cursor_batch(cur, q, &b) == 0)
            return total;
        lcc_cursor_advance(cur, &b, b.bytes);
        total += b.bytes;
    }
}

/* ============================ the queue ============================ */

START_TEST(test_init)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 0);
    ck_assert_uint_eq(q.head_seq, 1);
    ck_assert_uint_eq(q.next_seq, 1);
    ck_assert_uint_eq(q.nrec, 0);
    ck_assert_uint_eq(q.bytes, 0);
    ck_assert_ptr_null(q.first);
    ck_assert_ptr_null(q.last);
    ck_assert_int_eq(q.spare_max, LCC_SPARE_MIN); /* never fewer */
    lcc_queue_init(&q, 77, 1 << 20);
    ck_assert_uint_eq(q.head_seq, 77);
    ck_assert_int_eq(q.spare_max, (1 << 20) / LCC_SEG_SIZE);
    lcc_queue_init(&q, 1, (size_t)1 << 30); /* capped at LCC_SPARE_MAX_BYTES */
    ck_assert_int_eq(q.spare_max, (int)(LCC_SPARE_MAX_BYTES / LCC_SEG_SIZE));
    lcc_queue_clear(&q, 1);
}
END_TEST

/* Numbers are consecutive from first_seq; each record is one frame:
 * length then the bytes; q.bytes counts headers too. */
START_TEST(test_append_frames)
{
    lcc_queue q;
    lcc_queue_init(&q, 5, 1 << 20);
    static const size_t LENS[] = {0, 1, 17, 300};
    size_t bytes = 0;
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(append_n(&q, i, LENS[i]), 5 + i);
        bytes += HDR + LENS[i];
        ck_assert_uint_eq(q.bytes, bytes);
        ck_assert_uint_eq(q.nrec, i + 1);
    }
    ck_assert_uint_eq(q.head_seq, 5);
    ck_assert_uint_eq(q.next_seq, 9);
    ck_assert_int_eq(count_segs(&q), 1);
    const char *p = q.first->data;
    for (size_t i = 0; i < 4; i++) {
        ck_assert_uint_eq(be32(p), LENS[i]);
        char want[300];
        fill(want, LENS[i], i);
        ck_assert_mem_eq(p + HDR, want, LENS[i]);
        p += HDR + LENS[i];
    }
    ck_assert_uint_eq((size_t)(p - q.first->data), q.first->used);
    assert_consistent(&q);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* A frame never straddles two segments: one that does not fit starts a new
 * segment; a record larger than a segment gets one of its own size. */
START_TEST(test_segments)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    /* exactly fills the first segment */
    append_n(&q, 1, LCC_SEG_SIZE - HDR);
    ck_assert_int_eq(count_segs(&q), 1);
    ck_assert_uint_eq(q.first->used, LCC_SEG_SIZE);
    append_n(&q, 2, 0);
    ck_assert_int_eq(count_segs(&q), 2);
    /* one byte more than the rest of the second: a third */
    append_n(&q, 3, LCC_SEG_SIZE - 2 * HDR + 1);
    ck_assert_int_eq(count_segs(&q), 3);
    ck_assert_uint_eq(q.last->used, LCC_SEG_SIZE - HDR + 1);
    /* larger than a segment: its own, exactly its size */
    size_t big = 3 * LCC_SEG_SIZE + 5;
    ck_assert_uint_eq(append_n(&q, 4, big), 4);
    ck_assert_int_eq(count_segs(&q), 4);
    ck_assert_uint_eq(q.last->cap, HDR + big);
    ck_assert_uint_eq(q.last->used, HDR + big);
    /* and the next small one goes to a fresh standard segment */
    append_n(&q, 5, 10);
    ck_assert_int_eq(count_segs(&q), 5);
    ck_assert_uint_eq(q.last->cap, LCC_SEG_SIZE);
    assert_consistent(&q);
    ck_assert_uint_eq(q.bytes, 5 * HDR + (LCC_SEG_SIZE - HDR) + (LCC_SEG_SIZE - 2 * HDR + 1) +
                                   big + 10);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* Release frees from the head, frame by frame or whole segments at once,
 * never more than held, and says how many bytes it freed. */
START_TEST(test_release)
{
    lcc_queue q;
    lcc_queue_init(&q, 10, 1 << 20);
    for (uint64_t i = 0; i < 6; i++)
        append_n(&q, i, 100);
    ck_assert_uint_eq(lcc_queue_release(&q, 9, NULL), 0); /* below the head */
    ck_assert_uint_eq(q.head_seq, 10);
    ck_assert_uint_eq(lcc_queue_release(&q, 10, NULL), HDR + 100);
    ck_assert_uint_eq(q.head_seq, 11);
    ck_assert_uint_eq(q.nrec, 5);
    ck_assert_uint_eq(lcc_queue_release(&q, 10, NULL), 0); /* again: nothing */
    ck_assert_uint_eq(lcc_queue_release(&q, 12, NULL), 2 * (HDR + 100));
    ck_assert_uint_eq(q.head_seq, 13);
    assert_consistent(&q);
    /* what is left of the segment, and past the end: only what is held */
    ck_assert_uint_eq(lcc_queue_release(&q, 1000, NULL), 3 * (HDR + 100));
    ck_assert_uint_eq(q.nrec, 0);
    ck_assert_uint_eq(q.bytes, 0);
    ck_assert_uint_eq(q.head_seq, 16);
    ck_assert_uint_eq(q.next_seq, 16);
    assert_consistent(&q);
    /* numbering goes on where it was */
    ck_assert_uint_eq(append_n(&q, 99, 1), 16);
    ck_assert_uint_eq(q.head_seq, 16);
    assert_consistent(&q);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* Released standard segments become spares (up to spare_max) and are used
 * again; big ones are freed; the last segment is reused from its start. */
START_TEST(test_spares_and_reuse)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 0); /* spare_max = LCC_SPARE_MIN */
    uint64_t seq = 0;
    for (int i = 0; i < LCC_SPARE_MIN + 3; i++)
        seq = append_n(&q, (uint64_t)i, LCC_SEG_SIZE - HDR); /* one segment each */
    ck_assert_int_eq(count_segs(&q), LCC_SPARE_MIN + 3);
    lcc_seg *last = q.last;
    lcc_queue_release(&q, seq, NULL);
    ck_assert_int_eq(q.nspare, LCC_SPARE_MIN);
    ck_assert_int_eq(count_segs(&q), 1);
    ck_assert_ptr_eq(q.first, last); /* kept, emptied */
    ck_assert_uint_eq(last->used, 0);
    ck_assert_uint_eq(last->head, 0);
    assert_consistent(&q);
    /* the emptied last segment is filled again from its start */
    append_n(&q, 50, 8);
    ck_assert_ptr_eq(q.last, last);
    ck_assert_uint_eq(last->used, HDR + 8);
    /* a new segment comes from the spares */
    lcc_seg *spare = q.spare;
    append_n(&q, 51, LCC_SEG_SIZE - HDR);
    ck_assert_ptr_eq(q.last, spare);
    ck_assert_int_eq(q.nspare, LCC_SPARE_MIN - 1);
    /* a big segment, released when not last, is freed, not kept */
    append_n(&q, 52, 2 * LCC_SEG_SIZE);
    append_n(&q, 53, 1);
    int before = q.nspare;
    lcc_queue_release(&q, q.next_seq - 2, NULL);
    ck_assert_int_eq(q.nspare, before + 2); /* the two standard ones */
    assert_consistent(&q);
    /* add_spare: refused once there are enough */
    while (q.nspare < q.spare_max) {
        lcc_seg *w = lcc_seg_new_warm();
        ck_assert_ptr_nonnull(w);
        ck_assert_uint_eq(w->cap, LCC_SEG_SIZE);
        ck_assert_int_eq(lcc_queue_add_spare(&q, w), 0);
    }
    lcc_seg *w = lcc_seg_new_warm();
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(lcc_queue_add_spare(&q, w), -1);
    free(w);
    assert_consistent(&q);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* Found by test_model: everything acknowledged empties the last segment,
 * which is kept for reuse; a record too big for it then goes to a new
 * segment behind it, so the head segment holds no record.  Releasing that
 * record read a stale frame header from the empty segment: q.bytes went
 * wrong (or wrapped below zero, and the client's queue looked full for
 * ever) and the frames no longer matched their numbers. */
START_TEST(test_release_after_big_record)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    append_n(&q, 1, 100);
    append_n(&q, 2, 200);
    send_all(&cur, &q);
    ck_assert_uint_eq(lcc_queue_release(&q, 2, &cur), 2 * HDR + 300);
    ck_assert_uint_eq(q.bytes, 0);
    size_t big = LCC_SEG_SIZE + 1000;
    ck_assert_uint_eq(append_n(&q, 3, big), 3);
    ck_assert_uint_eq(append_n(&q, 4, 10), 4);
    ck_assert_uint_eq(q.bytes, 2 * HDR + big + 10);
    assert_consistent(&q);
    /* the big record goes out whole, as number 3 */
    char *out = malloc(HDR + big);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(send_bytes(&cur, &q, HDR + big, out), 3);
    ck_assert_uint_eq(be32(out), big);
    free(out);
    ck_assert_uint_eq(lcc_queue_release(&q, 3, &cur), HDR + big);
    ck_assert_uint_eq(q.bytes, HDR + 10);
    ck_assert_uint_eq(q.nrec, 1);
    ck_assert_uint_eq(q.head_seq, 4);
    assert_consistent(&q);
    /* after a reconnect, the frame at the head is record 4's */
    lcc_cursor_reset(&cur, &q);
    char buf[HDR + 10];
    ck_assert_uint_eq(send_bytes(&cur, &q, sizeof buf, buf), 4);
    ck_assert_uint_eq(be32(buf), 10);
    char want[10];
    fill(want, 10, 4);
    ck_assert_mem_eq(buf + HDR, want, 10);
    ck_assert_uint_eq(lcc_queue_release(&q, 4, &cur), HDR + 10);
    ck_assert_uint_eq(q.bytes, 0);
    assert_consistent(&q);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* clear frees everything, restarts the numbering, keeps spare_max. */
START_TEST(test_clear)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    for (uint64_t i = 0; i < 40; i++)
        append_n(&q, i, 5000);
    lcc_queue_release(&q, 20, NULL);
    ck_assert_int_gt(q.nspare, 0);
    int spare_max = q.spare_max;
    lcc_queue_clear(&q, 7);
    ck_assert_ptr_null(q.first);
    ck_assert_ptr_null(q.spare);
    ck_assert_int_eq(q.nspare, 0);
    ck_assert_int_eq(q.spare_max, spare_max);
    ck_assert_uint_eq(q.bytes, 0);
    ck_assert_uint_eq(q.head_seq, 7);
    ck_assert_uint_eq(append_n(&q, 0, 1), 7);
    lcc_queue_clear(&q, 1); /* LeakSanitizer checks the frees */
}
END_TEST

/* ============================ the cursor ============================ */

START_TEST(test_cursor_empty)
{
    lcc_queue q;
    lcc_queue_init(&q, 3, 0);
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    ck_assert_ptr_null(cur.seg);
    ck_assert_uint_eq(cur.seq, 2); /* nothing of this queue sent yet */
    lcc_batch b;
    ck_assert_int_eq(lcc_cursor_batch(&cur, &q, &b), 0);
    ck_assert_uint_eq(b.bytes, 0);
    /* records appended after the reset are found */
    append_n(&q, 0, 10);
    ck_assert_int_eq(lcc_cursor_batch(&cur, &q, &b), 1);
    ck_assert_uint_eq(b.bytes, HDR + 10);
    ck_assert_uint_eq(lcc_cursor_advance(&cur, &b, b.bytes), 3);
    ck_assert_int_eq(lcc_cursor_batch(&cur, &q, &b), 0);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* A frame counts as sent only once its last byte is: partial sends inside
 * the header and inside the payload, across segments. */
START_TEST(test_cursor_partial)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    append_n(&q, 1, 10);                     /* 14 bytes, seg 1 */
    append_n(&q, 2, LCC_SEG_SIZE - HDR - 20); /* fills seg 1 but 6 bytes */
    append_n(&q, 3, 10);                     /* seg 2 */
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    size_t total = q.bytes;
    char *sent = malloc(total);
    ck_assert_ptr_nonnull(sent);
    size_t at = 0;
    ck_assert_uint_eq(send_bytes(&cur, &q, 2, sent + at), 0); /* in the header */
    at += 2;
    ck_assert_uint_eq(send_bytes(&cur, &q, 11, sent + at), 0); /* one byte short */
    at += 11;
    ck_assert_uint_eq(send_bytes(&cur, &q, 1, sent + at), 1);
    at += 1;
    ck_assert_uint_eq(send_bytes(&cur, &q, LCC_SEG_SIZE - 20, sent + at), 2);
    at += LCC_SEG_SIZE - 20;
    /* the batch now starts in the second segment */
    lcc_batch b;
    ck_assert_int_eq(lcc_cursor_batch(&cur, &q, &b), 1);
    ck_assert_uint_eq(b.bytes, HDR + 10);
    ck_assert_uint_eq(send_bytes(&cur, &q, HDR + 10, sent + at), 3);
    at += HDR + 10;
    ck_assert_uint_eq(at, total);
    /* what went out is the three frames, in order */
    const char *p = sent;
    for (uint64_t i = 1; i <= 3; i++) {
        size_t len = be32(p);
        char *want = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(want);
        fill(want, len, i);
        ck_assert_mem_eq(p + HDR, want, len);
        free(want);
        p += HDR + len;
    }
    free(sent);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* One batch covers at most LCC_IOV_MAX segments; the rest comes next. */
START_TEST(test_cursor_iov_max)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 0);
    int nseg = LCC_IOV_MAX + 3;
    for (int i = 0; i < nseg; i++)
        append_n(&q, (uint64_t)i, LCC_SEG_SIZE - HDR);
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    lcc_batch b;
    ck_assert_int_eq(lcc_cursor_batch(&cur, &q, &b), LCC_IOV_MAX);
    ck_assert_uint_eq(b.bytes, (size_t)LCC_IOV_MAX * LCC_SEG_SIZE);
    ck_assert_uint_eq(lcc_cursor_advance(&cur, &b, b.bytes), LCC_IOV_MAX);
    ck_assert_int_eq(lcc_cursor_batch(&cur, &q, &b), 3);
    ck_assert_uint_eq(lcc_cursor_advance(&cur, &b, b.bytes), (uint64_t)nseg);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* After a reconnect the cursor goes back to the head: everything not yet
 * released is sent again, and the count starts below the head. */
START_TEST(test_cursor_reset_resends)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    for (uint64_t i = 1; i <= 5; i++)
        append_n(&q, i, 20);
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    ck_assert_uint_eq(send_all(&cur, &q), 5 * (HDR + 20));
    ck_assert_uint_eq(cur.seq, 5);
    lcc_queue_release(&q, 2, &cur); /* acks for 1..2 */
    lcc_cursor_reset(&cur, &q);     /* connection lost */
    ck_assert_uint_eq(cur.seq, 2);
    ck_assert_uint_eq(send_all(&cur, &q), 3 * (HDR + 20));
    ck_assert_uint_eq(cur.seq, 5);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* The wrap-around: the sender sends everything, every record is
 * acknowledged, the last segment is emptied and reused from offset 0, and
 * the cursor, which was at its end, follows to 0; new records are then
 * sent from there, whole, and counted. */
START_TEST(test_cursor_wraparound)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    uint64_t seq = 0;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < 3; i++)
            seq = append_n(&q, seq + 1, 1000);
        send_all(&cur, &q);
        ck_assert_uint_eq(cur.seq, seq);
        lcc_seg *s = q.last;
        lcc_queue_release(&q, seq, &cur);
        ck_assert_ptr_eq(q.first, s);
        ck_assert_uint_eq(s->used, 0);
        ck_assert_ptr_eq(cur.seg, s);
        ck_assert_uint_eq(cur.off, 0);
        ck_assert_uint_eq(cur.frame, 0);
        assert_consistent(&q);
    }
    /* records appended now go out from the segment's start */
    append_n(&q, 100, 7);
    char buf[HDR + 7];
    ck_assert_uint_eq(send_bytes(&cur, &q, sizeof buf, buf), seq + 1);
    ck_assert_uint_eq(be32(buf), 7);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* Release of a segment the cursor is in (all of it sent) moves the cursor
 * to the next segment, which it then sends from 0. */
START_TEST(test_release_moves_cursor)
{
    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    append_n(&q, 1, LCC_SEG_SIZE - HDR); /* seg 1 */
    append_n(&q, 2, 30);                 /* seg 2 */
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    lcc_batch b;
    ck_assert_int_eq(lcc_cursor_batch(&cur, &q, &b), 2);
    ck_assert_uint_eq(lcc_cursor_advance(&cur, &b, LCC_SEG_SIZE), 1); /* seg 1 only */
    lcc_seg *second = q.first->next;
    lcc_queue_release(&q, 1, &cur);
    ck_assert_ptr_eq(q.first, second);
    ck_assert_ptr_eq(cur.seg, second);
    ck_assert_uint_eq(cur.off, 0);
    char buf[HDR + 30];
    ck_assert_uint_eq(send_bytes(&cur, &q, sizeof buf, buf), 2);
    ck_assert_uint_eq(be32(buf), 30);
    lcc_queue_clear(&q, 1);
}
END_TEST

/* ====================== random ops against a model ====================== */

typedef struct {
    uint64_t seq;
    size_t len;
} model_rec;

static uint64_t rnd_state;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* The frame of record r, as bytes, into out; returns its size. */
static size_t model_frame(const model_rec *r, char *out)
{
    out[0] = (char)(r->len >> 24);
    out[1] = (char)(r->len >> 16);
    out[2] = (char)(r->len >> 8);
    out[3] = (char)r->len;
    fill(out + HDR, r->len, r->seq);
    return HDR + r->len;
}

START_TEST(test_model)
{
    enum { MAXREC = 4096 };
    model_rec *recs = calloc(MAXREC, sizeof *recs); /* held: recs[0..n) */
    size_t n = 0;
    /* the stream the sender should produce since the last reset */
    size_t stream_cap = 64u << 20;
    char *expect = malloc(stream_cap), *got = malloc(stream_cap);
    ck_assert_ptr_nonnull(recs);
    ck_assert_ptr_nonnull(expect);
    ck_assert_ptr_nonnull(got);
    size_t expect_len = 0, sent = 0; /* bytes of expect sent */
    uint64_t whole = 0;              /* frames of expect sent whole */
    uint64_t head_at_reset = 1;

    lcc_queue q;
    lcc_queue_init(&q, 1, 1 << 20);
    lcc_cursor cur;
    lcc_cursor_reset(&cur, &q);
    rnd_state = 0x9e3779b97f4a7c15ull + (uint64_t)_i;

    for (int step = 0; step < 20000; step++) {
        uint64_t op = rnd() % 100;
        if (op < 50 && n < MAXREC) {
            /* append: mostly small, sometimes near or above a segment */
            size_t len = rnd() % 100 < 95 ? rnd() % 600
                                          : LCC_SEG_SIZE - HDR - 8 + rnd() % (2 * LCC_SEG_SIZE);
            if (expect_len + HDR + len > stream_cap)
                continue;
            uint64_t want = q.next_seq;
            model_rec r = {want, len};
            ck_assert_uint_eq(append_n(&q, want, len), want);
            recs[n++] = r;
            expect_len += model_frame(&r, expect + expect_len);
        } else if (op < 80) {
            /* send part or all of one batch */
            lcc_batch b;
            if (lcc_cursor_batch(&cur, &q, &b) == 0) {
                ck_assert_uint_eq(sent, expect_len);
                continue;
            }
            ck_assert_uint_eq(b.bytes, expect_len - sent > b.bytes ? b.bytes : expect_len - sent);
            size_t k = rnd() % 3 == 0 ? b.bytes : rnd() % (b.bytes + 1);
            size_t at = sent;
            for (int i = 0; i < b.n && at < sent + k; i++) {
                size_t take = b.iov[i].iov_len;
                if (take > sent + k - at)
                    take = sent + k - at;
                memcpy(got + at, b.iov[i].iov_base, take);
                at += take;
            }
            lcc_cursor_advance(&cur, &b, k);
            ck_assert_mem_eq(got + sent, expect + sent, k);
            sent += k;
            /* whole frames in expect[0..sent) */
            size_t off = 0;
            whole = 0;
            while (off + HDR <= sent && off + HDR + be32(expect + off) <= sent) {
                off += HDR + be32(expect + off);
                whole++;
            }
            ck_assert_uint_eq(cur.seq, head_at_reset - 1 + whole);
        } else if (op < 95) {
            /* an ack: as the sender does on a live connection, at most
             * what was sent whole on it */
            if (cur.seq < q.head_seq)
                continue;
            uint64_t upto = q.head_seq + rnd() % (cur.seq - q.head_seq + 1);
            size_t freed = 0, m = 0;
            while (m < n && recs[m].seq <= upto)
                freed += HDR + recs[m++].len;
            ck_assert_uint_eq(lcc_queue_release(&q, upto, &cur), freed);
            memmove(recs, recs + m, (n - m) * sizeof *recs);
            n -= m;
        } else {
            /* the connection is lost: an ack may come with WELCOME (any
             * number, even past what was sent), then the cursor resets */
            if (rnd() % 2 && q.nrec) {
                uint64_t upto = q.head_seq + rnd() % (q.nrec + 2);
                size_t m = 0;
                while (m < n && recs[m].seq <= upto)
                    m++;
                lcc_queue_release(&q, upto, NULL);
                memmove(recs, recs + m, (n - m) * sizeof *recs);
                n -= m;
            }
            lcc_cursor_reset(&cur, &q);
            head_at_reset = q.head_seq;
            ck_assert_uint_eq(cur.seq, q.head_seq - 1);
            expect_len = sent = 0;
            for (size_t i = 0; i < n; i++)
                expect_len += model_frame(&recs[i], expect + expect_len);
        }
        /* the counters against the model */
        size_t bytes = 0;
        for (size_t i = 0; i < n; i++)
            bytes += HDR + recs[i].len;
        ck_assert_uint_eq(q.nrec, n);
        ck_assert_uint_eq(q.bytes, bytes);
        if (n)
            ck_assert_uint_eq(q.head_seq, recs[0].seq);
        ck_assert_uint_eq(q.head_seq + q.nrec, q.next_seq);
        if (step % 16 == 0)
            assert_consistent(&q);
    }
    lcc_queue_clear(&q, 1);
    free(recs);
    free(expect);
    free(got);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_add_test(tc, test_init);
    tcase_add_test(tc, test_append_frames);
    tcase_add_test(tc, test_segments);
    tcase_add_test(tc, test_release);
    tcase_add_test(tc, test_spares_and_reuse);
    tcase_add_test(tc, test_release_after_big_record);
    tcase_add_test(tc, test_clear);
    suite_add_tcase(s, tc);

    tc = tcase_create("cursor");
    tcase_add_test(tc, test_cursor_empty);
    tcase_add_test(tc, test_cursor_partial);
    tcase_add_test(tc, test_cursor_iov_max);
    tcase_add_test(tc, test_cursor_reset_resends);
    tcase_add_test(tc, test_cursor_wraparound);
    tcase_add_test(tc, test_release_moves_cursor);
    suite_add_tcase(s, tc);

    tc = tcase_create("model");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_model, 0, 4);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(queue_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
