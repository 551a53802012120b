/*
 * queue.c - the record queue (see queue.h).
 */
#include "queue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frame.h"

static uint32_t get_be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

void lcc_queue_init(lcc_queue *q, uint64_t first_seq, size_t limit)
{
    memset(q, 0, sizeof *q);
    q->head_seq = q->next_seq = first_seq;
    size_t keep = limit < LCC_SPARE_MAX_BYTES ? limit : LCC_SPARE_MAX_BYTES;
    q->spare_max = (int)(keep / LCC_SEG_SIZE);
    if (q->spare_max < LCC_SPARE_MIN)
        q->spare_max = LCC_SPARE_MIN;
}

/* Map every page of a new segment's data now, in one system call
 * (MADV_POPULATE_WRITE, Linux 5.14) rather than one page fault per 4 KiB
 * page as the records fill it: a fault costs a kernel entry and exit each
 * (expensive under a hypervisor), and 16 of them per segment were ~13% of
 * the client's CPU when its queue grew.  Older kernels: touch each page. */
static void populate(char *p, size_t n)
{
    static long page;
    if (!page) {
        long ps = sysconf(_SC_PAGESIZE);
        page = ps > 0 ? ps : 4096;
    }
    uintptr_t a = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t e = ((uintptr_t)p + n) & ~((uintptr_t)page - 1);
#ifdef MADV_POPULATE_WRITE
    if (e > a && madvise((void *)a, e - a, MADV_POPULATE_WRITE) == 0)
        return;
#endif
    volatile char *v = p;
    for (size_t i = 0; i < n; i += (size_t)page)
        v[i] = 0;
}

static lcc_seg *new_seg(lcc_queue *q, size_t need)
{
    lcc_seg *s;
    if (need <= LCC_SEG_SIZE && q->spare) {
        s = q->spare;
        q->spare = s->next;
        q->nspare--;
    } else {
        size_t cap = need <= LCC_SEG_SIZE ? LCC_SEG_SIZE : need;
        s = malloc(sizeof *s + cap);
        if (!s)
            return NULL;
        s->cap = cap;
        if (cap == LCC_SEG_SIZE)
            populate(s->data, cap);
    }
    s->next = NULL;
    s->used = s->head = 0;
    s->nrec = s->nfree = 0;
    return s;
}

lcc_seg *lcc_seg_new_warm(void)
{
    lcc_seg *s = malloc(sizeof *s + LCC_SEG_SIZE);
    if (!s)
        return NULL;
    s->cap = LCC_SEG_SIZE;
    populate(s->data, LCC_SEG_SIZE);
    return s;
}

int lcc_queue_add_spare(lcc_queue *q, lcc_seg *s)
{
    if (q->nspare >= q->spare_max)
        return -1;
    s->next = q->spare;
    q->spare = s;
    q->nspare++;
    return 0;
}

static void recycle(lcc_queue *q, lcc_seg *s)
{
    if (s->cap == LCC_SEG_SIZE && q->nspare < q->spare_max) {
        s->next = q->spare;
        q->spare = s;
        q->nspare++;
    } else {
        free(s);
    }
}

uint64_t lcc_queue_append(lcc_queue *q, const char *rec, size_t len)
{
    size_t need = LCP_FRAME_HDR + len;
    lcc_seg *s = q->last;
    if (!s || s->cap - s->used < need) {
        s = new_seg(q, need);
        if (!s)
            return 0;
        if (q->last)
            q->last->next = s;
        else
            q->first = s;
        q->last = s;
    }
    char *d = s->data + s->used;
    lcp_frame_put_header((uint8_t *)d, (uint32_t)len);
    memcpy(d + LCP_FRAME_HDR, rec, len);
    s->used += need;
    s->nrec++;
    q->bytes += need;
    q->nrec++;
    return q->next_seq++;
}

/* Unlink the head segment s (not the last one), moving the cursor off it,
 * and free or keep it. */
static void drop_first(lcc_queue *q, lcc_seg *s, lcc_cursor *cur)
{
    q->first = s->next;
    if (cur && cur->seg == s) {
        cur->seg = s->next;
        cur->off = cur->frame = 0;
        cur->fidx = 0;
    }
    recycle(q, s);
}

size_t lcc_queue_release(lcc_queue *q, uint64_t seq, lcc_cursor *cur)
{
    size_t freed = 0;
    while (q->nrec > 0 && q->head_seq <= seq) {
        lcc_seg *s = q->first;
        uint64_t left = s->nrec - s->nfree;
        if (left == 0) {
            /* The last segment, emptied for reuse below, then passed over
             * by a record too big for it: it holds no frame (its bytes are
             * stale), and records are held, so it is not the last. */
            drop_first(q, s, cur);
            continue;
        }
        if (q->head_seq + left - 1 <= seq) {
            /* The whole rest of the segment: no need to walk its frames. */
            size_t n = s->used - s->head;
            s->head = s->used;
            s->nfree = s->nrec;
            q->bytes -= n;
            q->nrec -= left;
            q->head_seq += left;
            freed += n;
        } else {
            size_t fsz = LCP_FRAME_HDR + get_be32(s->data + s->head);
            s->head += fsz;
            s->nfree++;
            q->bytes -= fsz;
            q->nrec--;
            q->head_seq++;
            freed += fsz;
        }
        if (s->head < s->used)
            continue;
        /* Every frame of s is released, so the cursor, if in s, is at its
         * end. */
        if (s != q->last) {
            drop_first(q, s, cur);
        } else {
            s->head = s->used = 0; /* reuse it from the start */
            s->nrec = s->nfree = 0;
            if (cur && cur->seg == s) {
                cur->off = cur->frame = 0;
                cur->fidx = 0;
            }
        }
    }
    return freed;
}

void lcc_queue_clear(lcc_queue *q, uint64_t first_seq)
{
    lcc_seg *s = q->first;
    while (s) {
        lcc_seg *next = s->next;
        free(s);
        s = next;
    }
    s = q->spare;
    while (s) {
        lcc_seg *next = s->next;
        free(s);
        s = next;
    }
    int spare_max = q->spare_max;
    lcc_queue_init(q, first_seq, 0);
    q->spare_max = spare_max;
}

void lcc_cursor_reset(lcc_cursor *cur, const lcc_queue *q)
{
    cur->seg = q->first;
    cur->off = cur->frame = q->first ? q->first->head : 0;
    cur->fidx = q->first ? q->first->nfree : 0;
    cur->seq = q->head_seq - 1;
}

int lcc_cursor_batch(lcc_cursor *cur, const lcc_queue *q, lcc_batch *b)
{
    b->n = 0;
    b->bytes = 0;
    if (!cur->seg) {
        if (!q->first)
            return 0;
        cur->seg = q->first;
        cur->off = cur->frame = q->first->head;
        cur->fidx = q->first->nfree;
    }
    while (cur->off == cur->seg->used && cur->seg->next) {
        cur->seg = cur->seg->next;
        cur->off = cur->frame = 0;
        cur->fidx = 0;
    }
    lcc_seg *s = cur->seg;
    size_t off = cur->off;
    while (s && b->n < LCC_IOV_MAX) {
        if (s->used > off) {
            b->iov[b->n].iov_base = s->data + off;
            b->iov[b->n].iov_len = s->used - off;
            b->seg[b->n] = s;
            b->nrec[b->n] = s->nrec;
            b->bytes += s->used - off;
            b->n++;
        }
        s = s->next;
        off = 0; /* segments after the cursor's are untouched from 0 */
    }
    return b->n;
}

uint64_t lcc_cursor_advance(lcc_cursor *cur, const lcc_batch *b, size_t n)
{
    for (int i = 0; i < b->n && n > 0; i++) {
        lcc_seg *s = b->seg[i];
        size_t len = b->iov[i].iov_len;
        size_t end = (size_t)((char *)b->iov[i].iov_base - s->data) + len;
        if (cur->seg != s) {
            cur->seg = s;
            cur->off = cur->frame = 0;
            cur->fidx = 0;
        }
        size_t take = n < len ? n : len;
        cur->off += take;
        n -= take;
        if (cur->off == end) {
            /* All of it: every frame taken into the batch is whole, and
             * there were b->nrec[i] of them (no need to read each
             * header, which the calling thread may have just written from
             * another core). */
            cur->seq += b->nrec[i] - cur->fidx;
            cur->fidx = b->nrec[i];
            cur->frame = end;
            continue;
        }
        while (cur->frame + LCP_FRAME_HDR <= end) {
            size_t fend = cur->frame + LCP_FRAME_HDR + get_be32(s->data + cur->frame);
            if (fend > cur->off)
                break;
            cur->frame = fend;
            cur->fidx++;
            cur->seq++;
        }
    }
    return cur->seq;
}
