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
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "histogram.h"
#include "log.h"
#include "syncer.h"
#include "options.h"

/* Write without waiting for the end of the turn past this many bytes, so a
 * flood from many peers cannot grow the buffer without bound. */
#define FLUSH_NOW_BYTES (1u << 20)
#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 2000
/* How often the path is checked for still naming the open file (a rename
 * or a replacement without SIGHUP).  A deletion is checked on every write. */
#define PATH_CHECK_MS 1000
/* A file deleted again and again while we write: give up for this flush
 * after this many new files (the retry timer tries again). */
#define MAX_REPLACE_PER_FLUSH 3

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
    /* Bytes before settled (same count as written) are final.  The ones
     * from settled to written are in the open file but not final: not all
     * acknowledged, or the last line is cut short by a failed write.  They
     * stay in data[] so that they can be taken back from the file (cut off
     * with ftruncate) and written whole to another one. */
    uint64_t settled;
    uint64_t acked_end;       /* end of the last mark resolved */
    uint64_t write_errors;
    mark *marks;
    size_t mhead, mtail, mcap;
    struct event *flush_ev, *retry_ev;
    int failing;
    int retry_ms;
    uint64_t file_size;       /* of the file at path, as we know it */
    dev_t dev;                /* the open file: does the path still name it? */
    ino_t ino;
    long long next_path_check; /* CLOCK_MONOTONIC ms */
    uint64_t reopened_missing; /* files found deleted or renamed, and reopened */
    int orphaned;             /* the open file was deleted: write nothing to it */
    int reopen_logged;        /* a failed reopen after a deletion or rename */
    long rotate_size, rotate_keep;
    uint64_t rotate_next;     /* after a failed rotation: retry at this size */
    int fsync_mode;
    long fsync_ms;
    int dirty;                /* written since the last fdatasync */
    uint64_t syncs;
    struct event *sync_ev;
    lcd_syncer *syncer;       /* --fsync interval: fdatasync off the loop */
    lcd_output_hooks hooks;
    /* For /metrics (metrics.c): */
    uint64_t records;         /* lines appended (one commit is one line) */
    uint64_t rotations;
    int last_err;             /* errno of the failure in progress (failing) */
    lcd_histogram write_hist, sync_hist;
};

static void flush_cb(evutil_socket_t fd, short what, void *arg);
static void sync_cb(evutil_socket_t fd, short what, void *arg);
static int rotate(lcd_output *o);
static void retry_cb(evutil_socket_t fd, short what, void *arg);

static int open_path(const char *path, uint64_t *size, struct stat *st, char *err,
                     size_t errlen)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open output file %s: %s (check that the directory "
                 "exists and is writable)", path, strerror(e));
        errno = e;
        return -1;
    }
    if (fstat(fd, st) != 0)
        memset(st, 0, sizeof *st);
    *size = (uint64_t)st->st_size;
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
    struct stat st;
    o->fd = open_path(path, &o->file_size, &st, err, errlen);
    if (o->fd < 0) {
        lcd_output_free(o);
        return NULL;
    }
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    trim_incomplete_line(o->fd, path, &o->file_size);
    return o;
}

static size_t pending(const lcd_output *o)
{
    return o->len - o->off;
}

/* Where the first byte not settled is in data[]. */
static size_t settled_off(const lcd_output *o)
{
    return o->len - (size_t)(o->appended - o->settled);
}

uint8_t *lcd_output_reserve(lcd_output *o, size_t n)
{
    if (o->cap - o->len >= n)
        return o->data + o->len;
    size_t keep = settled_off(o);
    if (keep > 0) { /* settled bytes at the front: reuse their room */
        memmove(o->data, o->data + keep, o->len - keep);
        o->len -= keep;
        o->off -= keep;
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
    o->records++;
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
        o->acked_end = m.end;
        o->hooks.written(m.owner, m.seq, o->hooks.arg);
    }
    if (o->mhead == o->mtail)
        o->mhead = o->mtail = 0;
}

static void set_failing(lcd_output *o, int failing, int err)
{
    if (failing)
        o->last_err = err;
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

/* fdatasync on the loop, its time observed. */
static int timed_fdatasync(lcd_output *o)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = fdatasync(o->fd);
    int e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    lcd_histogram_observe(&o->sync_hist, lcd_elapsed_ns(&t0, &t1));
    errno = e;
    return rc;
}

static int sync_now(lcd_output *o)
{
    if (!o->dirty || o->fsync_mode == LCD_FSYNC_NEVER)
        return 0;
    o->dirty = 0;
    o->syncs++;
    if (timed_fdatasync(o) == 0)
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
    uint64_t took_ns = 0;
    int busy = lcd_syncer_poll(o->syncer, &err, &took_ns);
    if (took_ns)
        lcd_histogram_observe(&o->sync_hist, took_ns);
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
    if (timed_fdatasync(o) != 0)
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

/* The open file has no name left (it was deleted): whatever is written to
 * it is lost to every reader.  One fstat per flush (~3 us in our VM,
 * ~0.2 us on bare metal). */
static int file_deleted(const lcd_output *o)
{
    struct stat st;
    return fstat(o->fd, &st) == 0 && st.st_nlink == 0;
}

/* The path names no file, or another one (renamed, or replaced). */
static int path_moved(const lcd_output *o)
{
    struct stat st;
    if (stat(o->path, &st) != 0)
        return errno == ENOENT; /* other errors say nothing about a rename */
    return st.st_dev != o->dev || st.st_ino != o->ino;
}

/* The end of the last whole line written, as a count like o->written. */
static uint64_t last_line_end(const lcd_output *o)
{
    size_t from = settled_off(o);
    const uint8_t *nl = o->off > from ? memrchr(o->data + from, '\n', o->off - from) : NULL;
    return nl ? o->written - (o->off - (size_t)(nl - o->data) - 1) : o->settled;
}

/* After a flush: what is final now.  While some mark waits for more bytes,
 * nothing past the last acknowledged byte is (a deleted file must not take
 * bytes an ack will cover); otherwise every whole line written is. */
static void settle(lcd_output *o)
{
    uint64_t to = o->mhead < o->mtail ? o->acked_end : last_line_end(o);
    if (to > o->settled)
        o->settled = to;
}

/* Cut the bytes that are not settled off the end of the open file, and
 * take them back to be written again (to the next file).  Returns -1 when
 * they cannot be cut: the file stays as it is and in use. */
static int take_back_unsettled(lcd_output *o)
{
    uint64_t n = o->written - o->settled;
    if (n == 0)
        return 0;
    struct stat st;
    if (fstat(o->fd, &st) != 0 || (uint64_t)st.st_size != o->file_size) {
        /* Someone else changed the file (copytruncate?): its end is not ours to cut. */
        lcd_log(LCD_WARN, "output file %s changed size behind the daemon's back; leaving its "
                "last %llu bytes (not acknowledged) there and writing them again to the new "
                "file", o->path, (unsigned long long)n);
    } else if (ftruncate(o->fd, (off_t)(o->file_size - n)) != 0 && !o->orphaned) {
        lcd_log(LCD_ERR, "cannot cut the last %llu bytes (not acknowledged, or an incomplete "
                "line) from output file %s: %s; not switching files", (unsigned long long)n,
                o->path, strerror(errno));
        return -1;
    } else { /* (a deleted file that cannot be cut: nobody can read it anyway) */
        lcd_log(LCD_NOTICE, "cut the last %llu bytes (not acknowledged, or an incomplete line) "
                "from the file previously open as %s; they are written whole to the new one",
                (unsigned long long)n, o->path);
    }
    o->written -= n;
    o->off -= (size_t)n;
    o->file_size -= n;
    return 0;
}

/* Open the path anew and swap it in.  A line is written whole or not at
 * all: what the old file holds beyond the settled bytes (an incomplete
 * line after a failed write, lines not yet acknowledged) is cut off first
 * and goes to the new file.  On failure the old file stays in use (what
 * was cut off goes to it again); returns errno then, with err filled. */
static int swap_file(lcd_output *o, char *err, size_t errlen)
{
    if (take_back_unsettled(o) != 0) {
        snprintf(err, errlen, "cannot cut the incomplete end of output file %s", o->path);
        return EIO;
    }
    uint64_t size;
    struct stat st;
    int fd = open_path(o->path, &size, &st, err, errlen);
    if (fd < 0)
        return errno ? errno : EIO;
    sync_now(o); /* what went to the old file is synced before we let go of it */
    close(o->fd);
    o->fd = fd;
    o->file_size = size;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    o->orphaned = 0;
    return 0;
}

/* The open file was deleted: write to a new one at the path instead, and
 * with it what the deleted one holds that no ack has covered yet.  Until
 * that works, nothing is written (or acknowledged).  Returns 0 or errno. */
static int replace_deleted(lcd_output *o)
{
    char err[512];
    o->orphaned = 1;
    int e = swap_file(o, err, sizeof err);
    if (e) {
        if (!o->reopen_logged)
            lcd_log(LCD_ERR, "output file %s was deleted while in use, and %s; holding the "
                    "records, not acknowledging them, trying again", o->path, err);
        o->reopen_logged = 1;
        return e;
    }
    o->reopen_logged = 0;
    o->reopened_missing++;
    lcd_log(LCD_WARN, "output file %s was deleted while in use (without SIGHUP); created it "
            "again and writing there, starting with every record not yet acknowledged",
            o->path);
    return 0;
}

/* At most once a second: does the path still name the open file?  After a
 * rename (logrotate without SIGHUP) or a replacement, reopen it; what was
 * written until now stays in the renamed file. */
static void check_path(lcd_output *o)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (now < o->next_path_check)
        return;
    o->next_path_check = now + PATH_CHECK_MS;
    if (o->orphaned || !path_moved(o))
        return;
    if (file_deleted(o)) {
        o->orphaned = 1; /* the flush replaces it, and says so */
        return;
    }
    char err[512];
    if (swap_file(o, err, sizeof err) != 0) {
        if (!o->reopen_logged)
            lcd_log(LCD_ERR, "output file %s was renamed or deleted (without SIGHUP), and %s; "
                    "still writing to the previously open file, trying again every second",
                    o->path, err);
        o->reopen_logged = 1;
        return;
    }
    o->reopen_logged = 0;
    o->reopened_missing++;
    lcd_log(LCD_WARN, "output file %s was renamed or replaced without SIGHUP; reopened it "
            "(what was written before is in the renamed file)", o->path);
}

/* Write what is pending to the open file, rotating at --rotate-size.
 * Returns 0 or the errno of a failed write; *wrote tells whether any byte
 * went out. */
static int write_pending(lcd_output *o, int *wrote)
{
    size_t len;
    while ((len = pending(o)) > 0) {
        size_t chunk = len;
        int rotate_after = 0;
        if (o->rotate_size > 0 && o->file_size + len >= (uint64_t)o->rotate_size &&
            o->file_size + len >= o->rotate_next) {
            chunk = bytes_before_rotation(o, len);
            rotate_after = 1;
        }
        while (chunk > 0) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            ssize_t n = write(o->fd, o->data + o->off, chunk);
            int e = errno;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            lcd_histogram_observe(&o->write_hist, lcd_elapsed_ns(&t0, &t1));
            errno = e;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return n < 0 ? errno : ENOSPC;
            o->off += (size_t)n;
            o->written += (uint64_t)n;
            o->file_size += (uint64_t)n;
            chunk -= (size_t)n;
            *wrote = 1;
            o->dirty = 1;
        }
        if (rotate_after) {
            if (file_deleted(o)) {
                o->orphaned = 1; /* the caller writes it all again to a new file */
                return 0;
            }
            /* The file ends on a line boundary here, and the records in
             * it are acknowledged at the end of this flush. */
            o->settled = o->written;
            rotate(o);
        }
    }
    return 0;
}

/* check: look at the path too, at most once a second (not when a reopen
 * is on its way anyway). */
static int flush(lcd_output *o, int check)
{
    int err = 0, wrote = 0;
    for (int round = 0;; round++) {
        if (o->orphaned && (err = replace_deleted(o)) != 0)
            break;
        err = write_pending(o, &wrote);
        /* Before any ack: did this go to a file that still has a name? */
        if (!o->orphaned && o->written != o->settled && file_deleted(o))
            o->orphaned = 1;
        if (!o->orphaned)
            break;
        if (round + 1 == MAX_REPLACE_PER_FLUSH) {
            take_back_unsettled(o); /* none of it may be acknowledged */
            err = ENOENT;
            break;
        }
    }
    if (wrote)
        after_write(o);
    if (!err)
        err = batch_sync(o);
    if (o->fsync_mode != LCD_FSYNC_BATCH || !o->dirty) {
        resolve_marks(o);
        settle(o);
    }
    /* After the writes: a short write is completed in the same file first,
     * if it can be, before a renamed file is let go of. */
    if (check)
        check_path(o);
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
    if (o->settled == o->appended) /* all written and final: start again at the front */
        o->off = o->len = 0;
    return pending(o) == 0 ? 0 : -1;
}

int lcd_output_flush(lcd_output *o)
{
    return flush(o, 1);
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

int lcd_output_reopen(lcd_output *o)
{
    flush(o, 0); /* a short write is completed in the same file, if it can be */
    char err[512];
    if (swap_file(o, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "%s; still writing to the previously open file", err);
        return -1;
    }
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
    char err[512];
    if (swap_file(o, err, sizeof err) != 0) {
        lcd_log(LCD_ERR, "%s; still writing to the previously open file", err);
        o->rotate_next = o->file_size + (uint64_t)o->rotate_size;
        return -1;
    }
    o->rotate_next = 0;
    o->rotations++;
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

/* At exit, a failed write may have left the start of a line at the end of
 * the file.  It was never acknowledged; cut it off, so that readers never
 * see half a record (whole lines not acknowledged stay: a client that
 * never reads acks would not send them again). */
static void cut_incomplete_tail(lcd_output *o)
{
    uint64_t n = o->written - last_line_end(o);
    if (n == 0)
        return;
    struct stat st;
    errno = 0;
    if (fstat(o->fd, &st) != 0 || (uint64_t)st.st_size != o->file_size ||
        ftruncate(o->fd, (off_t)(o->file_size - n)) != 0) {
        lcd_log(LCD_ERR, "exiting with an incomplete last line (%llu bytes) in output file %s "
                "that cannot be cut off: %s; the next start removes it",
                (unsigned long long)n, o->path, errno ? strerror(errno) : "its size changed");
        return;
    }
    o->written -= n;
    o->file_size -= n;
    lcd_log(LCD_WARN, "exiting with %llu bytes of an incomplete last line in output file %s "
            "(a failed write); cut them off: that record was never acknowledged",
            (unsigned long long)n, o->path);
}

uint64_t lcd_output_records_written(const lcd_output *o)
{
    /* Every line appended and not yet written has its newline in
     * data[off..len): the lines before are in the file.  (Counted here,
     * at a scrape, not on the record path.) */
    uint64_t unwritten = 0;
    const uint8_t *p = o->data + o->off, *end = o->data + o->len;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        unwritten++;
        p++;
    }
    return o->records - unwritten;
}

uint64_t lcd_output_rotations(const lcd_output *o)
{
    return o->rotations;
}

int lcd_output_last_error(const lcd_output *o)
{
    return o->failing ? o->last_err : 0;
}

const lcd_histogram *lcd_output_write_histogram(const lcd_output *o)
{
    return &o->write_hist;
}

const lcd_histogram *lcd_output_sync_histogram(const lcd_output *o)
{
    return &o->sync_hist;
}

const char *lcd_output_path(const lcd_output *o)
{
    return o->path;
}

uint64_t lcd_output_reopened_missing(const lcd_output *o)
{
    return o->reopened_missing;
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
    if (o->fd >= 0) {
        cut_incomplete_tail(o);
        sync_now(o);
    }
    free(o->data);
    if (o->fd >= 0)
        close(o->fd);
    free(o->marks);
    free(o->path);
    free(o);
}
