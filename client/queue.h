/*
 * queue.h - the client's record queue (internal).
 *
 * Records are stored as ready-to-send frames (4-byte length + JSON) in a
 * list of segments of LCC_SEG_SIZE bytes (a larger record gets a segment
 * of its own).  Producers append at the tail; the sender thread reads
 * forward with a cursor and hands whole spans of segments to sendmsg; a
 * record is freed only once it is acknowledged, from the head.  Record
 * numbers are implicit: the record at the head has head_seq, the next
 * head_seq + 1, and so on.
 *
 * Locking: every function here is called with the client's mutex held,
 * except lcc_cursor_advance (sender thread only, no lock: it reads only
 * bytes that were complete when the iovecs were taken, and only the
 * sender frees segments).
 */
#ifndef LCC_QUEUE_H
#define LCC_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define LCC_SEG_SIZE (64 * 1024)
/* Empty segments are kept for reuse, up to the queue's limit but at most
 * LCC_SPARE_MAX_BYTES (their pages are already mapped: a fresh page costs
 * a page fault, which a log call should not pay).  The sender thread keeps
 * at least LCC_SPARE_MIN ready, touched in advance. */
#define LCC_SPARE_MAX_BYTES (8u << 20)
#define LCC_SPARE_MIN 4
#define LCC_IOV_MAX 64

typedef struct lcc_seg {
    struct lcc_seg *next;
    size_t cap;  /* bytes in data[] */
    size_t used; /* bytes appended */
    size_t head; /* bytes freed from the front */
    uint64_t nrec;  /* records appended */
    uint64_t nfree; /* records freed */
    char data[];
} lcc_seg;

typedef struct {
    lcc_seg *first, *last;
    lcc_seg *spare; /* empty standard segments kept for reuse */
    int nspare;
    int spare_max;
    size_t bytes;      /* frame bytes held */
    uint64_t nrec;     /* records held */
    uint64_t head_seq; /* number of the first record held */
    uint64_t next_seq; /* number the next record gets */
} lcc_queue;

/* The sender's position: the next byte to send is seg->data[off]; whole
 * frames up to seq are written; the next frame not yet written whole
 * starts at frame. */
typedef struct {
    lcc_seg *seg; /* NULL: at the start of the (then empty) queue */
    size_t off;
    size_t frame;
    uint64_t fidx; /* frames of seg before frame (seg->nrec counts alike) */
    uint64_t seq;
} lcc_cursor;

/* A batch for sendmsg, taken under the lock. */
typedef struct {
    struct iovec iov[LCC_IOV_MAX];
    lcc_seg *seg[LCC_IOV_MAX];
    uint64_t nrec[LCC_IOV_MAX]; /* seg[i]->nrec when taken: its frames up
                                 * to the end of iov[i] */
    int n;
    size_t bytes;
} lcc_batch;

/* limit: the client's queue limit (sets how many spares are kept). */
void lcc_queue_init(lcc_queue *q, uint64_t first_seq, size_t limit);

/* Append one frame holding rec[0..len).  Returns the record's number, or
 * 0 when out of memory.  The caller checks the byte limit. */
uint64_t lcc_queue_append(lcc_queue *q, const char *rec, size_t len);

/* Free every record numbered up to seq (at most what is held).  cur, if
 * not NULL, is the sender's cursor, kept valid.  Returns bytes freed. */
size_t lcc_queue_release(lcc_queue *q, uint64_t seq, lcc_cursor *cur);

/* A standard segment with every page already touched, made without any
 * lock (the sender thread calls it).  NULL when out of memory. */
lcc_seg *lcc_seg_new_warm(void);

/* Give the queue a spare segment (from lcc_seg_new_warm).  Returns 0, or
 * -1 when it has enough (the caller frees s). */
int lcc_queue_add_spare(lcc_queue *q, lcc_seg *s);

/* Free everything (segments and spares); the queue is then empty, its
 * numbering restarting at first_seq. */
void lcc_queue_clear(lcc_queue *q, uint64_t first_seq);

/* Put the cursor at the first record held (after a (re)connect). */
void lcc_cursor_reset(lcc_cursor *cur, const lcc_queue *q);

/* Collect what is after the cursor into b (up to LCC_IOV_MAX segments).
 * Returns b->n (0: nothing to send). */
int lcc_cursor_batch(lcc_cursor *cur, const lcc_queue *q, lcc_batch *b);

/* n bytes of b were sent: move the cursor and count whole frames.
 * Returns the new cur->seq. */
uint64_t lcc_cursor_advance(lcc_cursor *cur, const lcc_batch *b, size_t n);

#endif
