/*
 * web_history.c - older rows for `logcollect web`: GET /history reads the
 * followed file backwards from a position, as `tail -n` does, in blocks
 * of WEB_BLOCK bytes, keeping only the lines that pass the page's filter
 * and stopping after WEB_HISTORY_SCAN bytes even when fewer rows were
 * found (the page asks again from where it stopped).  So a request costs
 * the same on a 1 GiB file as on a small one, and memory holds a block,
 * the line being assembled (at most WEB_LINE_MAX) and the rows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "line.h"
#include "web.h"

#define WEB_BLOCK 65536
#define WEB_HISTORY_SCAN (4 << 20)
#define WEB_HISTORY_LINE_MAX (2 << 20) /* a longer line is left out of history */

/* The bytes of the file not looked at yet: buf[lo, hi), from offset
 * start; the byte after them is the newline that ends them.  Blocks read
 * before them go in below lo. */
typedef struct {
    char *buf;
    size_t cap, lo, hi;
    off_t start;
    int skipping; /* inside a line longer than WEB_HISTORY_LINE_MAX */
} window;

static size_t wlen(const window *w)
{
    return w->hi - w->lo;
}

/* Read up to WEB_BLOCK bytes before w->start: bytes read, 0 at the file's
 * start, -1 on error. */
static ssize_t prepend_block(web_app *a, window *w)
{
    size_t n = w->start > WEB_BLOCK ? WEB_BLOCK : (size_t)w->start;
    if (n == 0)
        return 0;
    if (w->lo < n) {
        size_t len = wlen(w), cap = w->cap ? w->cap * 2 : 2 * WEB_BLOCK;
        while (cap - len < n)
            cap *= 2;
        char *b = malloc(cap);
        if (!b)
            return -1;
        if (len)
            memcpy(b + cap - len, w->buf + w->lo, len);
        free(w->buf);
        w->buf = b;
        w->cap = cap;
        w->lo = cap - len;
        w->hi = cap;
    }
    if (pread(a->fd, w->buf + w->lo - n, n, w->start - (off_t)n) != (ssize_t)n)
        return -1;
    w->lo -= n;
    w->start -= (off_t)n;
    return (ssize_t)n;
}

/* Take the line ending the window (it starts at offset `at` of it). */
static int take_line(web_app *a, const lcli_filter *f, window *w, size_t at, json_t *rows)
{
    const char *line = w->buf + w->lo + at;
    size_t n = wlen(w) - at;
    int ok = 0;
    if (!w->skipping) {
        json_t *rec = lcli_record_load(line, n);
        if (!json_is_object(rec) || lcli_filter_match(f, rec)) {
            json_t *row = web_row(a, line, n, rec, a->gen, w->start + (off_t)at);
            ok = row ? json_array_append_new(rows, row) : -1;
        }
        json_decref(rec);
    }
    w->skipping = 0;
    w->hi = at ? w->lo + at - 1 : w->lo; /* drop the line and its newline */
    return ok;
}

json_t *web_history(web_app *a, const lcli_filter *f, unsigned gen, off_t before, int mid,
                    int n)
{
    json_t *rows = json_array();
    /* the window holds text without its last newline, the one at
     * before - 1 that ends the line before `before` */
    window w = {0};
    w.start = mid ? before : before - 1;
    w.skipping = mid;
    int done = 0;
    size_t scanned = 0;
    if (gen != a->gen || before <= 0 || before > a->pos)
        done = 1; /* that file is gone (rotated), its start, or not yet read */
    while (!done && (int)json_array_size(rows) < n) {
        char *nl = wlen(&w) ? memrchr(w.buf + w.lo, '\n', wlen(&w)) : NULL;
        if (nl) {
            if (take_line(a, f, &w, (size_t)(nl - (w.buf + w.lo)) + 1, rows) != 0)
                break;
            continue;
        }
        if (scanned >= WEB_HISTORY_SCAN)
            break; /* enough for one request; the page asks again */
        ssize_t r = prepend_block(a, &w);
        if (r < 0)
            break;
        scanned += (size_t)r;
        if (r == 0) { /* the file's first line */
            if (wlen(&w) && take_line(a, f, &w, 0, rows) != 0)
                break;
            done = 1;
        } else if (wlen(&w) > WEB_HISTORY_LINE_MAX && !memchr(w.buf + w.lo, '\n', (size_t)r)) {
            w.skipping = 1; /* too long to show: forget it, find its start */
            w.hi = w.lo;
        }
    }
    /* where the next request goes on: the end of the text not looked at
     * (a short partial line is read again), or, inside a line too long to
     * show, the middle of it (mid: the next request skips to its start) */
    mid = !done && w.skipping;
    off_t next = done ? 0 : mid ? w.start : w.start + (off_t)wlen(&w) + 1;
    free(w.buf);
    /* rows were found newest first */
    json_t *ordered = json_array();
    for (size_t i = json_array_size(rows); i > 0; i--)
        json_array_append(ordered, json_array_get(rows, i - 1));
    json_decref(rows);
    return json_pack("{s:o,s:I,s:I,s:b,s:b}", "rows", ordered, "g", (json_int_t)gen, "next",
                     (json_int_t)next, "mid", mid, "done", done);
}
