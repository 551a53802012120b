/*
 * output.c - see output.h.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "syncer.h"
#include "options.h"

/* Write without waiting for the end of the turn past this many bytes, so a
 * flood from many peers cannot grow the buffer without bound. */
#define FLUSH_NOW_BYTES (1u << 20)
#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 2000

typedef struct {
    void *owner;
    uint64_t seq;
    uint64_t end; /* byte offset (in appended bytes) this mark waits for */
} mark;

struct lcd_output {
    struct event_base *base;
    char *path;
    int fd;
    /* The batch: one flat buffer, reused (an evbuffer freed its chains
     * after every write and the heap paid for it in page faults). */
    uint8_t *data;
    size_t len, off, cap;     /* bytes data[off..len) are not written yet */
    uint64_t appended, written; /* byte counters since start */
    uint64_t write_errors;
    mark *marks;
    size_t mhead, mtail, mcap;
    struct event *flush_ev, *retry_ev;
    int failing;
    int retry_ms;
    uint64_t file_size;       /* of the file at path, as we know it */
    long rotate_size, rotate_keep;
    uint64_t rotate_next;     /* after a failed rotation: retry at this size */
    int fsync_mode;
    long fsync_ms;
    int dirty;                /* written since the last fdatasync */
    uint64_t syncs;
    struct event *sync_ev;
    lcd_syncer *syncer;       /* --fsync interval: fdatasync off the loop */
    lcd_output_hooks hooks;
};

static void flush_cb(evutil_socket_t fd, short what, void *arg);
static void sync_cb(evutil_socket_t fd, short what, void *arg);
static int rotate(lcd_output *o);
static void retry_cb(evutil_socket_t fd, short what, void *arg);

static int open_path(const char *path, uint64_t *size, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open output file %s: %s (check that the directory "
                 "exists and is writable)", path, strerror(errno));
        return -1;
    }
    struct stat st;
    *size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return fd;
}

/* A daemon killed in the middle of a write (SIGKILL stops a large write to
 * a regular file between pages) leaves a last line without its newline.
 * That record was never acknowledged -- acks wait for the whole write --
 * so its client still holds it and will send it again.  Cut the piece off,
 * so the next line does not glue onto it. */
static void trim_incomplete_line(int fd, const char *path, uint64_t *size)
{
    if (*size == 0)
        return;
    char buf[4096];
    uint64_t end = *size;
    while (end > 0) {
        size_t n = end < sizeof buf ? (size_t)end : sizeof buf;
        ssize_t r = pread(fd, buf, n, (off_t)(end - n));
        if (r != (ssize_t)n)
            return; /* cannot read it (write-only?): leave the file alone */
        const char *nl = memrchr(buf, '\n', n);
        if (nl) {
            end = end - n + (uint64_t)(nl - buf) + 1;
            break;
        }
        end -= n;
    }
    if (end == *size)
        return;
    if (ftruncate(fd, (off_t)end) != 0) {
        lcd_log(LCD_ERR, "output file %s ends with an incomplete line and cannot be trimmed: %s",
                path, strerror(errno));
        return;
    }
    lcd_log(LCD_WARN, "output file %s ended with %llu bytes of an incomplete line (a crash in "
            "the middle of a write); removed them: that record was never acknowledged and "
            "its client sends it again", path, (unsigned long long)(*size - end));
    *size = end;
}

lcd_output *lcd_output_open(struct event_base *base, const char *path,
                            const lcd_output_hooks *hooks, char *err, size_t errlen)
{
    lcd_output *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    o->base = base;
    o->hooks = *hooks;
    o->fd = -1;
    o->retry_ms = RETRY_MIN_MS;
    o->path = strdup(path);
    o->cap = 1u << 20;
    o->data = malloc(o->cap);
    o->flush_ev = event_new(base, -1, 0, flush_cb, o);
    o->retry_ev = evtimer_new(base, retry_cb, o);
    o->sync_ev = evtimer_new(base, sync_cb, o);
    if (!o->path || !o->data || !o->flush_ev || !o->retry_ev || !o->sync_ev) {
        snprintf(err, errlen, "out of memory");
        lcd_output_free(o);
        return NULL;
    }
    o->fd = open_path(path, &o->file_size, err, errlen);
    if (o->fd < 0) {
        lcd_output_free(o);
        return NULL;
    }
    trim_incomplete_line(o->fd, path, &o->file_size);
    return o;
}

static size_t pending(const lcd_output *o)
{
    return o->len - o->off;
}

uint8_t *lcd_output_reserve(lcd_output *o, size_t n)
{
    if (o->cap - o->len >= n)
        return o->data + o->len;
    if (o->off > 0) { /* written bytes at the front: reuse their room */
        memmove(o->data, o->data + o->off, pending(o));
        o->len -= o->off;
        o->off = 0;
        if (o->cap - o->len >= n)
            return o->data + o->len;
    }
    size_t cap = o->cap;
    while (cap - o->len < n)
        cap *= 2;
    uint8_t *d = realloc(o->data, cap);
    if (!d)
        return NULL;
    o->data = d;
    o->cap = cap;
    return o->data + o->len;
}

void lcd_output_commit(lcd_output *o, size_t used)
{
    o->len += used;
    o->appended += used;
}

int lcd_output_mark(lcd_output *o, void *owner, uint64_t seq)
{
    if (o->mtail == o->mcap) {
        if (o->mhead > 0) {
            memmove(o->marks, o->marks + o->mhead, (o->mtail - o->mhead) * sizeof *o->marks);
            o->mtail -= o->mhead;
            o->mhead = 0;
        }
        if (o->mtail == o->mcap) {
            size_t cap = o->mcap ? o->mcap * 2 : 256;
            mark *m = realloc(o->marks, cap * sizeof *m);
            if (!m)
                return -1;
            o->marks = m;
            o->mcap = cap;
        }
    }
    o->marks[o->mtail++] = (mark){owner, seq, o->appended};
    return 0;
}

void lcd_output_schedule(lcd_output *o)
{
    if (o->failing)
        return; /* the retry timer owns the next attempt */
    if (pending(o) >= FLUSH_NOW_BYTES) {
        lcd_output_flush(o);
        return;
    }
    /* Activated now, the event runs after the I/O callbacks already queued
     * in this loop turn: one write covers everything read in the turn.
     * Activating an active event again is a no-op. */
    event_active(o->flush_ev, 0, 0);
}

static void resolve_marks(lcd_output *o)
{
    while (o->mhead < o->mtail && o->marks[o->mhead].end <= o->written) {
        mark m = o->marks[o->mhead++];
        o->hooks.written(m.owner, m.seq, o->hooks.arg);
    }
    if (o->mhead == o->mtail)
        o->mhead = o->mtail = 0;
}

static void set_failing(lcd_output *o, int failing, int err)
{
    if (failing == o->failing)
        return;
    o->failing = failing;
    if (failing)
        lcd_log(LCD_ERR, "cannot write output file %s: %s; holding %zu bytes, "
                "not acknowledging, retrying until it works", o->path, strerror(err),
                pending(o));
    else
        lcd_log(LCD_NOTICE, "writing output file %s works again", o->path);
    if (o->hooks.state)
        o->hooks.state(failing, o->hooks.arg);
}

static int sync_now(lcd_output *o)
{
    if (!o->dirty || o->fsync_mode == LCD_FSYNC_NEVER)
        return 0;
    o->dirty = 0;
    o->syncs++;
    if (fdatasync(o->fd) == 0)
        return 0;
    o->write_errors++;
    lcd_log(LCD_ERR, "cannot sync output file %s to disk: %s; records written before this "
            "may be lost if the machine crashes", o->path, strerror(errno));
    return -1;
}

/* The interval timer: hand the sync to the background thread, so the
 * event loop never waits for the disk. */
static void sync_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_output *o = arg;
    (void)fd;
    (void)what;
    struct timeval tv = {o->fsync_ms / 1000, (o->fsync_ms % 1000) * 1000};
    if (!o->syncer) {
        sync_now(o);
        return;
    }
    int err = 0;
    int busy = lcd_syncer_poll(o->syncer, &err);
    if (err) {
        o->write_errors++;
        lcd_log(LCD_ERR, "cannot sync output file %s to disk: %s; records written before "
                "this may be lost if the machine crashes", o->path, strerror(err));
    }
    if (busy) {
        evtimer_add(o->sync_ev, &tv); /* still syncing: look again next tick */
        return;
    }
    if (!o->dirty)
        return;
    err = lcd_syncer_request(o->syncer, o->fd);
    if (err > 0) {
        o->write_errors++;
        lcd_log(LCD_ERR, "cannot hand output file %s to the sync thread: %s", o->path,
                strerror(err));
        return;
    }
    o->dirty = 0;
    o->syncs++;
    evtimer_add(o->sync_ev, &tv); /* to collect the result */
}

static void after_write(lcd_output *o)
{
    if (o->fsync_mode == LCD_FSYNC_INTERVAL && !evtimer_pending(o->sync_ev, NULL)) {
        struct timeval tv = {o->fsync_ms / 1000, (o->fsync_ms % 1000) * 1000};
        evtimer_add(o->sync_ev, &tv);
    }
}

/* --fsync batch: the acks mean "on disk", so a failed sync is a write
 * error (no ack, reading paused, retried) like a full disk. */
static int batch_sync(lcd_output *o)
{
    if (o->fsync_mode != LCD_FSYNC_BATCH || !o->dirty)
        return 0;
    o->syncs++;
    if (fdatasync(o->fd) != 0)
        return errno;
    o->dirty = 0;
    return 0;
}

/* With rotation on: how many of the buffered bytes still belong in the
 * current file -- up to the end of the line that crosses --rotate-size. */
static size_t bytes_before_rotation(lcd_output *o, size_t len)
{
    uint64_t room = o->file_size < (uint64_t)o->rotate_size
                        ? (uint64_t)o->rotate_size - o->file_size : 0;
    size_t from = room ? (size_t)room - 1 : 0;
    if (from >= len)
        return len;
    const uint8_t *nl = memchr(o->data + o->off + from, '\n', len - from);
    return nl ? (size_t)(nl - (o->data + o->off)) + 1 : len;
}

int lcd_output_flush(lcd_output *o)
{
    int err = 0;
    uint64_t before = o->written;
    size_t len;
    while (!err && (len = pending(o)) > 0) {
        size_t chunk = len;
        int rotate_after = 0;
        if (o->rotate_size > 0 && o->file_size + len >= (uint64_t)o->rotate_size &&
            o->file_size + len >= o->rotate_next) {
            chunk = bytes_before_rotation(o, len);
            rotate_after = 1;
        }
        while (chunk > 0) {
            ssize_t n = write(o->fd, o->data + o->off, chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                err = n < 0 ? errno : ENOSPC;
                break;
            }
            o->off += (size_t)n;
            o->written += (uint64_t)n;
            o->file_size += (uint64_t)n;
            chunk -= (size_t)n;
        }
        if (!err && rotate_after) {
            if (o->written != before)
                o->dirty = 1;
            rotate(o); /* the file ends on a line boundary here */
        }
    }
    if (o->written != before) {
        o->dirty = 1;
        after_write(o);
    }
    if (!err)
        err = batch_sync(o);
    if (o->fsync_mode != LCD_FSYNC_BATCH || !o->dirty)
        resolve_marks(o);
    if (err) {
        o->write_errors++;
        set_failing(o, 1, err);
        if (!evtimer_pending(o->retry_ev, NULL)) {
            struct timeval tv = {o->retry_ms / 1000, (o->retry_ms % 1000) * 1000};
            evtimer_add(o->retry_ev, &tv);
            o->retry_ms = o->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : o->retry_ms * 2;
        }
    } else {
        o->retry_ms = RETRY_MIN_MS;
        set_failing(o, 0, 0);
    }
    if (o->hooks.flushed)
        o->hooks.flushed(o->hooks.arg);
    if (o->off == o->len)
        o->off = o->len = 0; /* all written: start again at the front */
    return pending(o) == 0 ? 0 : -1;
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lcd_output_flush(arg);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    lcd_output_flush(arg);
}

/* Open path anew and swap it in; the old file stays in use on failure. */
static int swap_file(lcd_output *o)
{
    sync_now(o); /* what went to the old file is synced before we let go of it */
    char err[512];
    uint64_t size;
    int fd = open_path(o->path, &size, err, sizeof err);
    if (fd < 0) {
        lcd_log(LCD_ERR, "%s; still writing to the previously open file", err);
        return -1;
    }
    close(o->fd);
    o->fd = fd;
    o->file_size = size;
    return 0;
}

int lcd_output_reopen(lcd_output *o)
{
    lcd_output_flush(o);
    if (swap_file(o) != 0)
        return -1;
    lcd_log(LCD_INFO, "reopened output file %s", o->path);
    if (pending(o) > 0)
        lcd_output_flush(o);
    return 0;
}

static char *numbered(const char *path, long n)
{
    size_t len = strlen(path) + 24;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s.%ld", path, n);
    return p;
}

/* OUTPUT.(keep-1) -> OUTPUT.keep, ..., OUTPUT -> OUTPUT.1, then a new OUTPUT. */
/* Returns 0 when rotated.  A failure is logged once; the next attempt
 * waits until the file has grown by another --rotate-size. */
static int rotate(lcd_output *o)
{
    for (long i = o->rotate_keep; i >= 1; i--) {
        char *to = numbered(o->path, i);
        char *from = i == 1 ? strdup(o->path) : numbered(o->path, i - 1);
        if (!to || !from) {
            free(to);
            free(from);
            lcd_log(LCD_ERR, "cannot rotate %s: out of memory", o->path);
            o->rotate_next = o->file_size + (uint64_t)o->rotate_size;
            return -1;
        }
        if (rename(from, to) != 0 && errno != ENOENT) {
            lcd_log(LCD_ERR, "cannot rotate %s to %s: %s; still writing to %s, trying again "
                    "when it has grown by another %ld bytes", from, to, strerror(errno),
                    o->path, o->rotate_size);
            free(to);
            free(from);
            o->rotate_next = o->file_size + (uint64_t)o->rotate_size;
            return -1;
        }
        free(to);
        free(from);
    }
    if (swap_file(o) != 0) {
        o->rotate_next = o->file_size + (uint64_t)o->rotate_size;
        return -1;
    }
    o->rotate_next = 0;
    lcd_log(LCD_INFO, "rotated output file %s (--rotate-size %ld)", o->path, o->rotate_size);
    return 0;
}

void lcd_output_set_fsync(lcd_output *o, int mode, long ms)
{
    o->fsync_mode = mode;
    o->fsync_ms = ms;
    if (mode == LCD_FSYNC_INTERVAL && !o->syncer) {
        o->syncer = lcd_syncer_new();
        if (!o->syncer)
            lcd_log(LCD_WARN, "cannot start the sync thread; syncing %s on the event loop",
                    o->path);
    }
}

uint64_t lcd_output_syncs(const lcd_output *o)
{
    return o->syncs;
}

void lcd_output_set_rotation(lcd_output *o, long size, long keep)
{
    o->rotate_size = size;
    o->rotate_keep = keep;
}

size_t lcd_output_pending(const lcd_output *o)
{
    return pending(o);
}

int lcd_output_failing(const lcd_output *o)
{
    return o->failing;
}

uint64_t lcd_output_bytes_written(const lcd_output *o)
{
    return o->written;
}

uint64_t lcd_output_write_errors(const lcd_output *o)
{
    return o->write_errors;
}

void lcd_output_free(lcd_output *o)
{
    if (!o)
        return;
    if (o->flush_ev)
        event_free(o->flush_ev);
    if (o->retry_ev)
        event_free(o->retry_ev);
    if (o->sync_ev)
        event_free(o->sync_ev);
    lcd_syncer_free(o->syncer); /* waits for a sync in progress */
    if (o->fd >= 0)
        sync_now(o);
    free(o->data);
    if (o->fd >= 0)
        close(o->fd);
    free(o->marks);
    free(o->path);
    free(o);
}
