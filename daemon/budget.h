/*
 * budget.h - one daemon-wide budget for partly received frames
 * (--max-partial-bytes).
 *
 * Why: each connection may hold one unfinished frame of up to --max-record
 * bytes; 400 peers each holding most of a 1 MiB frame took 420 MB.  Here a
 * frame larger than a small size is read only once room for all of it is
 * granted, first come first served; meanwhile its connection is not read
 * (TCP keeps the bytes in the sender).  With no grant out at all, a frame
 * is always granted, so that some frame always completes.
 *
 * A claim is one connection's share; its owner embeds it and is called
 * back when a waiting claim gets its grant.
 */
#ifndef LCD_BUDGET_H
#define LCD_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

typedef struct lcd_claim {
    size_t held;   /* bytes of an unfinished frame held now */
    size_t grant;  /* room granted for the whole frame (0: none) */
    size_t want;   /* while waiting: the room asked for */
    int waiting;
    TAILQ_ENTRY(lcd_claim) link;
    void (*granted)(struct lcd_claim *cl, void *arg); /* a waiting claim got room */
    void *arg;
} lcd_claim;

typedef struct {
    size_t max;       /* --max-partial-bytes */
    size_t small;     /* frames up to this size need no grant */
    size_t used;      /* charged: per claim, the larger of held and grant */
    size_t grants;    /* claims with a grant */
    size_t nwaiting;
    uint64_t waits;   /* times a claim had to wait (a counter) */
    TAILQ_HEAD(lcd_claim_list, lcd_claim) waiters;
} lcd_budget;

void lcd_budget_init(lcd_budget *b, size_t max, size_t small);
void lcd_claim_init(lcd_claim *cl, void (*granted)(lcd_claim *, void *), void *arg);

/* After a read: cl holds held bytes, the start of a frame of want bytes in
 * all (0: no frame under way).  Returns 1 if cl may go on reading, 0 if it
 * waits for room (its granted callback says when).  Other claims may be
 * granted (and called back) meanwhile. */
int lcd_budget_account(lcd_budget *b, lcd_claim *cl, size_t held, size_t want);

/* cl's connection is closing: it takes no more room and waits for none. */
void lcd_budget_forget(lcd_budget *b, lcd_claim *cl);

/* How much cl may read at once: anything while it has a grant or the
 * budget has read_max to spare; else only small bytes. */
size_t lcd_budget_read_cap(const lcd_budget *b, const lcd_claim *cl, size_t read_max);

#endif
