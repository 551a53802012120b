/*
 * budget.c - see budget.h.
 */
#include "budget.h"

#include <stdint.h>

void lcd_budget_init(lcd_budget *b, size_t max, size_t small)
{
    b->max = max;
    b->small = small;
    b->used = b->grants = b->nwaiting = 0;
    b->waits = 0;
    TAILQ_INIT(&b->waiters);
}

void lcd_claim_init(lcd_claim *cl, void (*granted)(lcd_claim *, void *), void *arg)
{
    cl->held = cl->grant = cl->want = 0;
    cl->waiting = 0;
    cl->granted = granted;
    cl->arg = arg;
}

static size_t charge(const lcd_claim *cl)
{
    return cl->held > cl->grant ? cl->held : cl->grant;
}

static void set(lcd_budget *b, lcd_claim *cl, size_t held, size_t grant)
{
    b->used -= charge(cl);
    if (cl->grant && !grant)
        b->grants--;
    else if (!cl->grant && grant)
        b->grants++;
    cl->held = held;
    cl->grant = grant;
    b->used += charge(cl);
}

/* Room for cl's whole frame of want bytes?  With no grant out at all, yes
 * whatever the budget says: someone must be able to finish a frame. */
static int fits(const lcd_budget *b, const lcd_claim *cl, size_t want)
{
    return b->grants == 0 || b->used - charge(cl) + want <= b->max;
}

static void unwait(lcd_budget *b, lcd_claim *cl)
{
    if (!cl->waiting)
        return;
    TAILQ_REMOVE(&b->waiters, cl, link);
    cl->waiting = 0;
    b->nwaiting--;
}

/* Room was freed: grant it to the waiting claims, in order. */
static void wake(lcd_budget *b)
{
    lcd_claim *w;
    while ((w = TAILQ_FIRST(&b->waiters)) != NULL && fits(b, w, w->want)) {
        unwait(b, w);
        set(b, w, w->held, w->want);
        w->granted(w, w->arg);
    }
}

int lcd_budget_account(lcd_budget *b, lcd_claim *cl, size_t held, size_t want)
{
    if (want <= b->small)
        want = 0;
    if (want && want == cl->grant) {
        set(b, cl, held, want); /* the granted frame is still coming */
        return 1;
    }
    set(b, cl, held, 0);
    if (want && !cl->waiting && TAILQ_EMPTY(&b->waiters) && fits(b, cl, want)) {
        set(b, cl, held, want);
    } else if (want) {
        if (!cl->waiting) {
            TAILQ_INSERT_TAIL(&b->waiters, cl, link);
            cl->waiting = 1;
            b->nwaiting++;
            b->waits++;
        }
        cl->want = want;
    } else {
        unwait(b, cl);
    }
    wake(b);
    return !cl->waiting;
}

void lcd_budget_forget(lcd_budget *b, lcd_claim *cl)
{
    unwait(b, cl);
    set(b, cl, 0, 0);
    wake(b);
}

size_t lcd_budget_read_cap(const lcd_budget *b, const lcd_claim *cl, size_t read_max)
{
    if (cl->grant || b->used + read_max <= b->max)
        return SIZE_MAX;
    return b->small;
}
