/*
 * test_output.c - unit tests for daemon/output.c: the output file with its
 * batching buffer, marks (acks only after the write that covers them),
 * flushing at the end of an event-loop turn, reopening, size rotation, and
 * holding the bytes while writing fails.
 *
 * Each test runs a real libevent event_base and writes into a fresh folder
 * below a mkdtemp() root that an unchecked fixture removes.  Write failures
 * come from RLIMIT_FSIZE (Check forks each test, so the limit stays in the
 * child; SIGXFSZ is ignored as the daemon does) and from /dev/full.  The
 * last group: a line is whole or absent across file switches (a deleted or
 * renamed file, a reopen while the disk is full, exit).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define TMPDIR_PREFIX "lcd-test-output"
#include "tmpdir.h"
#include "options.h" /* LCD_FSYNC_* */
#include "output.h"

/* ============================ fixture ============================ */

static char out_path[256]; /* tmpdir/out.jsonl */


static void enter_tmpdir(const char *name)
{
    make_tmpdir(name);
    snprintf(out_path, sizeof out_path, "%s/out.jsonl", tmpdir);
}


/* path with a suffix: out.jsonl.1, out.jsonl.old ... */
static const char *suffixed(const char *suffix)
{
    static char p[8][300];
    static int next;
    char *r = p[next++ % 8];
    snprintf(r, sizeof p[0], "%s%s", out_path, suffix);
    return r;
}

/* The whole file, NUL-terminated; *len is its size.  NULL if missing. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    ck_assert_ptr_nonnull(b);
    size_t r;
    while ((r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
            ck_assert_ptr_nonnull(b);
        }
    }
    ck_assert_int_eq(ferror(f), 0);
    fclose(f);
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

static void assert_file(const char *path, const char *want)
{
    size_t len;
    char *got = slurp(path, &len);
    ck_assert_msg(got != NULL, "%s is missing", path);
    ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0,
                  "%s holds \"%s\", not \"%s\"", path, got, want);
    free(got);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Open file descriptors of this process: reopening must not leak any. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    size_t n = strlen(text);
    ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
    ck_assert_int_eq(close(fd), 0);
}

/* ============================ hooks ============================ */

/* What the hooks saw, in order: 'W' written(owner, seq) with the size of
 * the file at out_path at that moment, 'F' flushed, 'S' state(failing). */
typedef struct {
    char kind;
    void *owner;
    uint64_t seq;
    int failing;
    long size;
    uint64_t syncs; /* lcd_output_syncs() then */
    struct timespec when;
} hook_event;

#define MAX_EVENTS 8192
static hook_event events[MAX_EVENTS];
static size_t nevents;
static int hook_arg; /* its address is hooks.arg */
static lcd_output *hook_out; /* the output the hooks belong to */
static int bad_arg;

static hook_event *record(char kind, void *arg)
{
    if (arg != &hook_arg)
        bad_arg = 1;
    if (nevents == MAX_EVENTS)
        abort();
    hook_event *e = &events[nevents++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    clock_gettime(CLOCK_MONOTONIC, &e->when);
    return e;
}

static void written_hook(void *owner, uint64_t seq, void *arg)
{
    hook_event *e = record('W', arg);
    e->owner = owner;
    e->seq = seq;
    e->size = file_size(out_path);
    e->syncs = hook_out ? lcd_output_syncs(hook_out) : 0;
}

static void flushed_hook(void *arg)
{
    record('F', arg);
}

static void state_hook(int failing, void *arg)
{
    record('S', arg)->failing = failing;
}

static const lcd_output_hooks hooks = {written_hook, flushed_hook, state_hook, &hook_arg, NULL};

/* Two owners for marks; only their addresses matter. */
static int owner_a, owner_b;
#define A ((void *)&owner_a)
#define B ((void *)&owner_b)

static void assert_written(size_t i, void *owner, uint64_t seq, long min_size)
{
    ck_assert_msg(i < nevents, "event %zu missing (%zu events)", i, nevents);
    ck_assert_msg(events[i].kind == 'W', "event %zu is '%c', not 'W'", i, events[i].kind);
    ck_assert_ptr_eq(events[i].owner, owner);
    ck_assert_uint_eq(events[i].seq, seq);
    /* the bytes before the mark were in the file when it fired */
    ck_assert_msg(events[i].size >= min_size, "event %zu: file had %ld bytes, not %ld", i,
                  events[i].size, min_size);
}

static void assert_event(size_t i, char kind)
{
    ck_assert_msg(i < nevents, "event %zu missing (%zu events)", i, nevents);
    ck_assert_msg(events[i].kind == kind, "event %zu is '%c', not '%c'", i, events[i].kind, kind);
}

static void assert_state(size_t i, int failing)
{
    assert_event(i, 'S');
    ck_assert_int_eq(events[i].failing, failing);
}

/* ============================ helpers ============================ */

static struct event_base *base;

static lcd_output *open_output(void)
{
    base = event_base_new();
    ck_assert_ptr_nonnull(base);
    char err[512] = "";
    lcd_output *o = lcd_output_open(base, out_path, &hooks, err, sizeof err);
    ck_assert_msg(o != NULL, "%s", err);
    nevents = 0;
    bad_arg = 0;
    hook_out = o;
    return o;
}

static void close_output(lcd_output *o)
{
    hook_out = NULL;
    lcd_output_free(o);
    event_base_free(base);
    base = NULL;
    ck_assert_int_eq(bad_arg, 0);
}

/* Append text through reserve/commit, reserving more than is used. */
static void append(lcd_output *o, const char *text)
{
    size_t n = strlen(text);
    uint8_t *p = lcd_output_reserve(o, n + 17);
    ck_assert_ptr_nonnull(p);
    memcpy(p, text, n);
    lcd_output_commit(o, n);
}

/* Line number n, exactly len bytes with its newline. */
static void make_line(char *buf, unsigned n, size_t len)
{
    int k = snprintf(buf, len + 1, "{\"n\":%u,\"pad\":\"", n);
    ck_assert(k > 0 && (size_t)k + 3 <= len);
    memset(buf + k, 'a' + (char)(n % 26), len - 3 - (size_t)k);
    memcpy(buf + len - 3, "\"}\n", 4);
}

/* ============================ open ============================ */

START_TEST(test_open_errors)
{
    enter_tmpdir("open_errors");
    struct event_base *b = event_base_new();
    ck_assert_ptr_nonnull(b);
    char path[300], err[600], want[600];

    snprintf(path, sizeof path, "%s/no/such/out.jsonl", tmpdir);
    ck_assert_ptr_null(lcd_output_open(b, path, &hooks, err, sizeof err));
    snprintf(want, sizeof want, "cannot open output file %s: %s (check that the directory "
             "exists and is writable)", path, strerror(ENOENT));
    ck_assert_str_eq(err, want);

    ck_assert_ptr_null(lcd_output_open(b, tmpdir, &hooks, err, sizeof err));
    snprintf(want, sizeof want, "cannot open output file %s: %s (check that the directory "
             "exists and is writable)", tmpdir, strerror(EISDIR));
    ck_assert_str_eq(err, want);
    event_base_free(b);
    remove_tmpdir();
}
END_TEST

START_TEST(test_open_appends)
{
    enter_tmpdir("open_appends");
    /* a new file is created with mode 0640 (less the umask) */
    mode_t mask = umask(022);
    lcd_output *o = open_output();
    struct stat st;
    ck_assert_int_eq(stat(out_path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(st.st_size, 0);
    close_output(o);
    umask(mask);

    /* an existing file is appended to, never truncated */
    write_file(out_path, "old 1\nold 2\n");
    o = open_output();
    append(o, "new\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, "old 1\nold 2\nnew\n");
    ck_assert_uint_eq(lcd_output_bytes_written(o), 4);
    close_output(o);
    remove_tmpdir();
}
END_TEST

/* ============================ writing ============================ */

START_TEST(test_write_exact)
{
    enter_tmpdir("write_exact");
    lcd_output *o = open_output();
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    ck_assert_uint_eq(lcd_output_bytes_written(o), 0);
    ck_assert_int_eq(lcd_output_failing(o), 0);
    ck_assert_uint_eq(lcd_output_write_errors(o), 0);

    append(o, "{\"a\":1}\n");
    append(o, "{\"b\":22}\n");
    /* a reservation left unused adds nothing */
    ck_assert_ptr_nonnull(lcd_output_reserve(o, 500));
    lcd_output_commit(o, 0);
    ck_assert_uint_eq(lcd_output_pending(o), 17);
    ck_assert_uint_eq(lcd_output_bytes_written(o), 0);
    ck_assert_int_eq(file_size(out_path), 0); /* nothing written before the flush */
    ck_assert_uint_eq(nevents, 0);

    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, "{\"a\":1}\n{\"b\":22}\n");
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    ck_assert_uint_eq(lcd_output_bytes_written(o), 17);
    ck_assert_uint_eq(lcd_output_write_errors(o), 0);
    /* flushed, and no state change: it never failed */
    ck_assert_uint_eq(nevents, 1);
    assert_event(0, 'F');

    /* a flush with nothing to do writes nothing */
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_int_eq(file_size(out_path), 17);
    ck_assert_uint_eq(lcd_output_bytes_written(o), 17);

    /* 1.5 MB in pieces of many sizes, some reservations larger than used */
    size_t total = 3u << 19, done = 0;
    char *want = malloc(total + 17 + 1);
    ck_assert_ptr_nonnull(want);
    memcpy(want, "{\"a\":1}\n{\"b\":22}\n", 17);
    uint32_t x = 1;
    while (done < total) {
        x = x * 1664525u + 1013904223u;
        size_t n = 1 + (x >> 8) % 70000, extra = (x >> 4) % 3 ? 0 : (x >> 12) % 5000;
        if (n > total - done)
            n = total - done;
        uint8_t *p = lcd_output_reserve(o, n + extra);
        ck_assert_ptr_nonnull(p);
        for (size_t i = 0; i < n; i++)
            p[i] = (uint8_t)((done + i) * 31 + (done + i) / 251);
        memcpy(want + 17 + done, p, n);
        lcd_output_commit(o, n);
        done += n;
    }
    ck_assert_uint_eq(lcd_output_pending(o), total);
    ck_assert_int_eq(lcd_output_mark(o, A, 77), 0);
    nevents = 0;
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 2);
    assert_written(0, A, 77, (long)(total + 17));
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    ck_assert_uint_eq(lcd_output_bytes_written(o), total + 17);
    size_t len;
    char *got = slurp(out_path, &len);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, total + 17);
    ck_assert_msg(memcmp(got, want, len) == 0, "file content differs");
    free(got);
    free(want);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_marks)
{
    enter_tmpdir("marks");
    lcd_output *o = open_output();

    /* a mark before any byte fires at the first flush */
    ck_assert_int_eq(lcd_output_mark(o, B, 99), 0);
    append(o, "line one.\n"); /* 10 */
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    append(o, "line number two\n"); /* 16 */
    ck_assert_int_eq(lcd_output_mark(o, B, 7), 0);
    ck_assert_int_eq(lcd_output_mark(o, A, 2), 0); /* same place */
    append(o, "three\n");                           /* no mark after it */
    ck_assert_uint_eq(nevents, 0);

    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 5);
    assert_written(0, B, 99, 0);
    assert_written(1, A, 1, 10);
    assert_written(2, B, 7, 26);
    assert_written(3, A, 2, 26);
    assert_event(4, 'F'); /* after the marks */
    assert_file(out_path, "line one.\nline number two\nthree\n");

    /* a mark with nothing pending fires at the next flush, even an empty one */
    nevents = 0;
    ck_assert_int_eq(lcd_output_mark(o, A, 3), 0);
    ck_assert_uint_eq(nevents, 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 2);
    assert_written(0, A, 3, 32);
    assert_event(1, 'F');

    /* marks resolved once only */
    nevents = 0;
    ck_assert_int_eq(lcd_output_flush(o), 0);
    for (size_t i = 0; i < nevents; i++)
        ck_assert_msg(events[i].kind != 'W', "a mark fired twice");

    /* many marks (the queue grows), all in order, after their bytes */
    nevents = 0;
    char line[64];
    long size = 32;
    for (unsigned i = 0; i < 1000; i++) {
        make_line(line, i, 40);
        append(o, line);
        size += 40;
        if (lcd_output_mark(o, i % 2 ? A : B, 1000 + i) != 0)
            ck_abort_msg("mark %u failed", i);
    }
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 1001);
    for (unsigned i = 0; i < 1000; i++)
        if (events[i].kind != 'W' || events[i].seq != 1000 + i ||
            events[i].owner != (i % 2 ? A : B) || events[i].size < 32 + 40 * (long)(i + 1))
            ck_abort_msg("mark %u: '%c' seq %llu size %ld", i, events[i].kind,
                         (unsigned long long)events[i].seq, events[i].size);
    assert_event(1000, 'F');
    ck_assert_int_eq(file_size(out_path), size);
    close_output(o);
    remove_tmpdir();
}
END_TEST

/* ============================ end of turn ============================ */

static lcd_output *turn_out;
static long size_in_cb[2];

static void appender_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    int i = *(int *)arg;
    char line[32];
    snprintf(line, sizeof line, "from callback %d\n", i);
    append(turn_out, line);
    lcd_output_mark(turn_out, i ? B : A, 50 + (uint64_t)i);
    lcd_output_schedule(turn_out);
    size_in_cb[i] = file_size(out_path);
}

START_TEST(test_schedule)
{
    enter_tmpdir("schedule");
    lcd_output *o = open_output();

    append(o, "x\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    lcd_output_schedule(o);
    lcd_output_schedule(o); /* twice in a turn: still one flush */
    ck_assert_uint_eq(lcd_output_pending(o), 2);
    ck_assert_int_eq(file_size(out_path), 0);
    ck_assert_uint_eq(nevents, 0);

    ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    assert_file(out_path, "x\n");
    ck_assert_uint_eq(nevents, 2);
    assert_written(0, A, 1, 2);
    assert_event(1, 'F');

    /* nothing scheduled: another turn flushes nothing */
    ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
    ck_assert_uint_eq(nevents, 2);

    /* two callbacks of one turn append and schedule: one write after both */
    nevents = 0;
    turn_out = o;
    static int ids[2] = {0, 1};
    struct event *e0 = event_new(base, -1, 0, appender_cb, &ids[0]);
    struct event *e1 = event_new(base, -1, 0, appender_cb, &ids[1]);
    ck_assert_ptr_nonnull(e0);
    ck_assert_ptr_nonnull(e1);
    event_active(e0, 0, 0);
    event_active(e1, 0, 0);
    ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
    ck_assert_int_eq(size_in_cb[0], 2);
    ck_assert_int_eq(size_in_cb[1], 2); /* the first callback's bytes still held */
    assert_file(out_path, "x\nfrom callback 0\nfrom callback 1\n");
    ck_assert_uint_eq(nevents, 3);
    assert_written(0, A, 50, 34);
    assert_written(1, B, 51, 34);
    assert_event(2, 'F');
    event_free(e0);
    event_free(e1);

    /* a megabyte or more is written at once, without waiting for the turn */
    nevents = 0;
    uint8_t *p = lcd_output_reserve(o, (1u << 20) - 1);
    ck_assert_ptr_nonnull(p);
    memset(p, 'm', (1u << 20) - 1);
    lcd_output_commit(o, (1u << 20) - 1);
    lcd_output_schedule(o);
    ck_assert_uint_eq(lcd_output_pending(o), (1u << 20) - 1); /* just under: waits */
    append(o, "\n");
    lcd_output_schedule(o);
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    ck_assert_int_eq(file_size(out_path), 34 + (1L << 20));
    ck_assert_uint_eq(nevents, 1);
    assert_event(0, 'F');
    /* the turn still runs the flush scheduled before: nothing left to write */
    ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
    ck_assert_int_eq(file_size(out_path), 34 + (1L << 20));
    ck_assert_uint_eq(lcd_output_bytes_written(o), 34 + (1u << 20));
    close_output(o);
    remove_tmpdir();
}
END_TEST

/* ============================ reopen ============================ */

START_TEST(test_reopen)
{
    enter_tmpdir("reopen");
    lcd_output *o = open_output();
    int fds = count_fds();
    append(o, "a\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);

    /* logrotate renames the file; what is pending goes to the old file */
    ck_assert_int_eq(rename(out_path, suffixed(".old")), 0);
    append(o, "b\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 2), 0);
    ck_assert_int_eq(lcd_output_reopen(o), 0);
    assert_file(suffixed(".old"), "a\nb\n");
    assert_file(out_path, ""); /* created anew */
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    append(o, "c\n");
    ck_assert_int_eq(lcd_output_mark(o, B, 3), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, "c\n");
    assert_file(suffixed(".old"), "a\nb\n");
    ck_assert_uint_eq(lcd_output_bytes_written(o), 6);
    /* flushes of a, b (in reopen), c; marks in order */
    size_t w = 0;
    for (size_t i = 0; i < nevents; i++)
        if (events[i].kind == 'W')
            w++;
    ck_assert_uint_eq(w, 2);
    ck_assert_ptr_eq(events[1].owner, A);
    ck_assert_uint_eq(events[1].seq, 2);

    /* reopening the same file appends to it */
    ck_assert_int_eq(lcd_output_reopen(o), 0);
    append(o, "d\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, "c\nd\n");

    /* the path cannot be opened: the old file stays in use */
    ck_assert_int_eq(rename(out_path, suffixed(".2")), 0);
    ck_assert_int_eq(mkdir(out_path, 0700), 0);
    append(o, "e\n");
    ck_assert_int_eq(lcd_output_reopen(o), -1);
    append(o, "f\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(suffixed(".2"), "c\nd\ne\nf\n");
    ck_assert_int_eq(lcd_output_failing(o), 0);

    /* and once it can be, the new file is used */
    ck_assert_int_eq(rmdir(out_path), 0);
    ck_assert_int_eq(lcd_output_reopen(o), 0);
    append(o, "g\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, "g\n");
    assert_file(suffixed(".2"), "c\nd\ne\nf\n");
    assert_file(suffixed(".old"), "a\nb\n");
    ck_assert_uint_eq(lcd_output_bytes_written(o), 14);
    ck_assert_int_eq(count_fds(), fds); /* each old file closed */
    close_output(o);
    remove_tmpdir();
}
END_TEST

/* ============================ rotation ============================ */

/* The file holds exactly lines first..last (30 bytes each), or is empty
 * when first > last. */
static void assert_lines(const char *path, unsigned first, unsigned last)
{
    char want[64 * 30 + 1] = "", line[32];
    for (unsigned i = first; i <= last; i++) {
        make_line(line, i, 30);
        strcat(want, line);
    }
    assert_file(path, want);
}

START_TEST(test_rotation)
{
    enter_tmpdir("rotation");
    lcd_output *o = open_output();
    lcd_output_set_rotation(o, 100, 3);
    int fds = count_fds();
    char line[32];
    /* one 30-byte line per flush: rotated after every 4th (120 >= 100) */
    for (unsigned i = 1; i <= 18; i++) {
        make_line(line, i, 30);
        append(o, line);
        ck_assert_int_eq(lcd_output_mark(o, A, i), 0);
        ck_assert_int_eq(lcd_output_flush(o), 0);
        if (i == 4) {
            assert_lines(suffixed(".1"), 1, 4);
            assert_file(out_path, "");
        }
    }
    assert_lines(out_path, 17, 18);
    assert_lines(suffixed(".1"), 13, 16);
    assert_lines(suffixed(".2"), 9, 12);
    assert_lines(suffixed(".3"), 5, 8);
    ck_assert_int_eq(access(suffixed(".4"), F_OK), -1); /* 1..4 dropped */
    ck_assert_uint_eq(lcd_output_bytes_written(o), 18 * 30);
    /* every mark fired, in order (after the write that holds its line) */
    unsigned seq = 0;
    for (size_t i = 0; i < nevents; i++) {
        if (events[i].kind != 'W')
            continue;
        seq++;
        if (events[i].seq != seq)
            ck_abort_msg("mark %u: seq %llu", seq, (unsigned long long)events[i].seq);
    }
    ck_assert_uint_eq(seq, 18);
    ck_assert_int_eq(count_fds(), fds);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_rotation_batches)
{
    enter_tmpdir("rotation_batches");
    lcd_output *o = open_output();
    lcd_output_set_rotation(o, 100, 2);
    char line[32];
    /* three 30-byte lines per flush; a batch is cut at the end of the line
     * that reaches 100 bytes, so every rotated file holds 4 lines (120) */
    for (unsigned b = 0; b < 5; b++) {
        for (unsigned i = 1; i <= 3; i++) {
            make_line(line, 3 * b + i, 30);
            append(o, line);
        }
        ck_assert_int_eq(lcd_output_flush(o), 0);
    }
    assert_lines(out_path, 13, 15);
    assert_lines(suffixed(".1"), 9, 12);
    assert_lines(suffixed(".2"), 5, 8);
    ck_assert_int_eq(access(suffixed(".3"), F_OK), -1);

    /* one big batch is cut into several files, each ending on a line */
    for (unsigned i = 16; i <= 25; i++) {
        make_line(line, i, 30);
        append(o, line);
    }
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_lines(out_path, 25, 25);
    assert_lines(suffixed(".1"), 21, 24);
    assert_lines(suffixed(".2"), 17, 20);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_rotation_keep_one_and_existing)
{
    enter_tmpdir("rotation_keep_one");
    /* the size of an existing file counts */
    char line[32], old[128] = "";
    for (unsigned i = 1; i <= 3; i++) {
        make_line(line, i, 30);
        strcat(old, line);
    }
    write_file(out_path, old);
    lcd_output *o = open_output();
    lcd_output_set_rotation(o, 100, 1);
    make_line(line, 4, 30);
    append(o, line);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_lines(suffixed(".1"), 1, 4);
    assert_file(out_path, "");
    /* keep 1: OUTPUT.1 replaced, never an OUTPUT.2 */
    for (unsigned i = 5; i <= 12; i++) {
        make_line(line, i, 30);
        append(o, line);
        ck_assert_int_eq(lcd_output_flush(o), 0);
    }
    assert_lines(suffixed(".1"), 9, 12);
    assert_file(out_path, "");
    ck_assert_int_eq(access(suffixed(".2"), F_OK), -1);

    /* size 0: no more rotation */
    lcd_output_set_rotation(o, 0, 1);
    for (unsigned i = 13; i <= 40; i++) {
        make_line(line, i, 30);
        append(o, line);
        ck_assert_int_eq(lcd_output_flush(o), 0);
    }
    assert_lines(out_path, 13, 40);
    assert_lines(suffixed(".1"), 9, 12);
    close_output(o);
    remove_tmpdir();
}
END_TEST

/* ============================ fsync ============================ */

START_TEST(test_fsync_never)
{
    enter_tmpdir("fsync_never");
    lcd_output *o = open_output(); /* never is the default */
    ck_assert_uint_eq(lcd_output_syncs(o), 0);
    for (int i = 0; i < 5; i++) {
        append(o, "{\"n\":1}\n");
        ck_assert_int_eq(lcd_output_flush(o), 0);
    }
    lcd_output_set_fsync(o, LCD_FSYNC_NEVER, 1);
    append(o, "{\"n\":1}\n");
    lcd_output_schedule(o);
    ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
    ck_assert_int_eq(file_size(out_path), 48);
    ck_assert_uint_eq(lcd_output_syncs(o), 0);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_fsync_batch)
{
    enter_tmpdir("fsync_batch");
    lcd_output *o = open_output();
    lcd_output_set_fsync(o, LCD_FSYNC_BATCH, 0);
    /* nothing written, nothing synced */
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(lcd_output_syncs(o), 0);
    /* one sync per flush that wrote, before the marks it covers fire */
    for (unsigned i = 1; i <= 3; i++) {
        append(o, "{\"r\":1}\n");
        ck_assert_int_eq(lcd_output_mark(o, A, i), 0);
        append(o, "{\"r\":2}\n");
        ck_assert_int_eq(lcd_output_mark(o, B, i), 0);
        ck_assert_int_eq(lcd_output_flush(o), 0);
        ck_assert_uint_eq(lcd_output_syncs(o), i);
    }
    ck_assert_int_eq(lcd_output_flush(o), 0); /* nothing new */
    ck_assert_uint_eq(lcd_output_syncs(o), 3);
    size_t w = 0;
    for (size_t i = 0; i < nevents; i++)
        if (events[i].kind == 'W') {
            w++;
            ck_assert_msg(events[i].syncs == (w + 1) / 2, "mark %zu fired before its sync", w);
        }
    ck_assert_uint_eq(w, 6);
    /* a mark alone, with nothing to write, needs no sync */
    ck_assert_int_eq(lcd_output_mark(o, A, 9), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(lcd_output_syncs(o), 3);
    ck_assert_uint_eq(lcd_output_write_errors(o), 0);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_fsync_interval)
{
    enter_tmpdir("fsync_interval");
    lcd_output *o = open_output();
    lcd_output_set_fsync(o, LCD_FSYNC_INTERVAL, 30);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* two writes in one interval: marks fire at once, one sync later */
    append(o, "{\"i\":1}\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    append(o, "{\"i\":2}\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_written(0, A, 1, 8);
    ck_assert_uint_eq(events[0].syncs, 0);
    ck_assert_uint_eq(lcd_output_syncs(o), 0);
    ck_assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_uint_eq(lcd_output_syncs(o), 1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    ck_assert_msg(ms >= 27, "synced after %.1f ms, not 30", ms);
    /* one more tick collects the sync thread's result (more while a loaded
     * disk keeps the thread busy); no write since: then no timer, no sync */
    ck_assert_int_eq(lcd_output_flush(o), 0);
    int idle = 0;
    for (int i = 0; i < 300 && !idle; i++) {
        ck_assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
        idle = event_base_loop(base, EVLOOP_NONBLOCK) == 1; /* nothing pending */
    }
    ck_assert(idle);
    ck_assert_uint_eq(lcd_output_syncs(o), 1);

    /* a reopen syncs the old file first, without waiting for the timer */
    append(o, "{\"i\":3}\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_int_eq(rename(out_path, suffixed(".old")), 0);
    ck_assert_int_eq(lcd_output_reopen(o), 0);
    ck_assert_uint_eq(lcd_output_syncs(o), 2);
    /* the timer armed by that write finds the new file clean */
    ck_assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
    ck_assert_uint_eq(lcd_output_syncs(o), 2);
    /* a reopen with nothing written since the last sync does not sync */
    ck_assert_int_eq(lcd_output_reopen(o), 0);
    ck_assert_uint_eq(lcd_output_syncs(o), 2);
    close_output(o);
    remove_tmpdir();
}
END_TEST

/* ============================ write failures ============================ */

/* The file size limit is set only around the call that is to fail: Check
 * itself writes a file in the test process at every assertion. */
static struct rlimit fsize_orig;

static void init_fsize(void)
{
    signal(SIGXFSZ, SIG_IGN); /* as the daemon does: EFBIG instead of a signal */
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &fsize_orig), 0);
}

static void set_fsize(rlim_t n)
{
    struct rlimit r = fsize_orig;
    r.rlim_cur = n;
    if (setrlimit(RLIMIT_FSIZE, &r) != 0)
        abort();
}

static void restore_fsize(void)
{
    if (setrlimit(RLIMIT_FSIZE, &fsize_orig) != 0)
        abort();
}

/* Flush while files may be at most limit bytes. */
static int flush_limited(lcd_output *o, rlim_t limit)
{
    set_fsize(limit);
    int rc = lcd_output_flush(o);
    restore_fsize();
    return rc;
}

/* One event-loop run while files may be at most limit bytes. */
static int loop_limited(int flags, rlim_t limit)
{
    set_fsize(limit);
    int rc = event_base_loop(base, flags);
    restore_fsize();
    return rc;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void count_events(size_t from, size_t *w, size_t *f, size_t *s)
{
    *w = *f = *s = 0;
    for (size_t i = from; i < nevents; i++) {
        if (events[i].kind == 'W')
            (*w)++;
        else if (events[i].kind == 'F')
            (*f)++;
        else
            (*s)++;
    }
}

START_TEST(test_write_failure)
{
    enter_tmpdir("write_failure");
    init_fsize();
    lcd_output *o = open_output();
    static const char l1[] = "{\"line\":1,\"pad\":\"x\"}\n", l2[] = "{\"line\":2,\"pad\":\"yy\"}\n",
                      l3[] = "{\"line\":3}\n";
    append(o, l1);
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 2);
    assert_written(0, A, 1, (long)strlen(l1));

    /* the file may grow by 5 bytes only */
    rlim_t limit = strlen(l1) + 5;
    nevents = 0;
    append(o, l2);
    ck_assert_int_eq(lcd_output_mark(o, A, 2), 0);
    append(o, l3);
    ck_assert_int_eq(lcd_output_mark(o, B, 3), 0);
    ck_assert_int_eq(flush_limited(o, limit), -1);
    /* 5 bytes went, the rest is held; no mark fired; failing reported */
    size_t held = strlen(l2) + strlen(l3) - 5;
    ck_assert_uint_eq(lcd_output_pending(o), held);
    ck_assert_uint_eq(lcd_output_bytes_written(o), strlen(l1) + 5);
    ck_assert_int_eq(file_size(out_path), (long)strlen(l1) + 5);
    ck_assert_int_eq(lcd_output_failing(o), 1);
    ck_assert_uint_eq(lcd_output_write_errors(o), 1);
    ck_assert_uint_eq(nevents, 2);
    assert_state(0, 1);
    assert_event(1, 'F');

    /* still failing: counted, but the state is reported once */
    ck_assert_int_eq(flush_limited(o, limit), -1);
    ck_assert_uint_eq(lcd_output_write_errors(o), 2);
    ck_assert_uint_eq(lcd_output_pending(o), held);
    size_t w, f, s;
    count_events(2, &w, &f, &s);
    ck_assert_uint_eq(w, 0);
    ck_assert_uint_eq(s, 0);

    /* more records while failing: held too; schedule leaves it to the
     * retry timer, and any retry still fails */
    append(o, "{\"line\":4}\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 4), 0);
    lcd_output_schedule(o);
    ck_assert_int_ne(loop_limited(EVLOOP_NONBLOCK, limit), -1);
    ck_assert_uint_eq(lcd_output_pending(o), held + 11);
    ck_assert_int_eq(file_size(out_path), (long)strlen(l1) + 5);
    count_events(2, &w, &f, &s);
    ck_assert_uint_eq(w, 0);
    ck_assert_uint_eq(s, 0);
    ck_assert_int_eq(lcd_output_failing(o), 1);

    /* the cause goes away: the retry timer writes everything, in order */
    size_t before = nevents;
    ck_assert_int_ne(event_base_loop(base, EVLOOP_ONCE), -1);
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    ck_assert_int_eq(lcd_output_failing(o), 0);
    char want[256];
    snprintf(want, sizeof want, "%s%s%s{\"line\":4}\n", l1, l2, l3);
    assert_file(out_path, want);
    ck_assert_uint_eq(lcd_output_bytes_written(o), strlen(want));
    ck_assert_uint_eq(nevents, before + 5);
    long end2 = (long)(strlen(l1) + strlen(l2)), end3 = end2 + (long)strlen(l3);
    assert_written(before, A, 2, end2);
    assert_written(before + 1, B, 3, end3);
    assert_written(before + 2, A, 4, end3 + 11);
    assert_state(before + 3, 0);
    assert_event(before + 4, 'F');

    /* and writing goes on normally, without another state change */
    nevents = 0;
    append(o, "{\"line\":5}\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 1);
    assert_event(0, 'F');
    ck_assert_uint_eq(lcd_output_write_errors(o), 2);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_write_failure_backoff)
{
    enter_tmpdir("write_failure_backoff");
    init_fsize();
    lcd_output *o = open_output();
    append(o, "{\"held\":1}\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    ck_assert_int_eq(flush_limited(o, 0), -1); /* not a byte */
    ck_assert_uint_eq(nevents, 2);
    assert_state(0, 1);
    ck_assert_int_eq(file_size(out_path), 0);

    /* retries come after 50, then 100 ms, each failing quietly */
    for (int i = 0; i < 2; i++)
        ck_assert_int_ne(loop_limited(EVLOOP_ONCE, 0), -1);
    ck_assert_uint_eq(nevents, 4);
    for (size_t i = 1; i < 4; i++)
        assert_event(i, 'F');
    ck_assert_uint_eq(lcd_output_write_errors(o), 3);
    static const double want_ms[2] = {50, 100};
    for (int i = 0; i < 2; i++) {
        double ms = ms_between(&events[1 + i].when, &events[2 + i].when);
        ck_assert_msg(ms >= want_ms[i] * 0.9, "retry %d came after %.1f ms, not %.0f", i + 1,
                      ms, want_ms[i]);
    }
    ck_assert_uint_eq(lcd_output_pending(o), 11);

    /* a direct flush once it works */
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 7);
    assert_written(4, A, 1, 11);
    assert_state(5, 0);
    assert_event(6, 'F');
    assert_file(out_path, "{\"held\":1}\n");
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_disk_full_then_reopen)
{
    enter_tmpdir("disk_full");
    if (access("/dev/full", W_OK) != 0) {
        fprintf(stderr, "note: no writable /dev/full, test_disk_full_then_reopen skipped\n");
        remove_tmpdir();
        return;
    }
    ck_assert_int_eq(symlink("/dev/full", out_path), 0);
    lcd_output *o = open_output();
    append(o, "{\"a\":1}\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    ck_assert_int_eq(lcd_output_flush(o), -1);
    ck_assert_int_eq(lcd_output_failing(o), 1);
    ck_assert_uint_eq(nevents, 2);
    assert_state(0, 1);
    assert_event(1, 'F');
    append(o, "{\"b\":2}\n");
    ck_assert_int_eq(lcd_output_mark(o, B, 2), 0);
    ck_assert_int_eq(lcd_output_flush(o), -1);
    ck_assert_uint_eq(lcd_output_pending(o), 16);

    /* the full file is moved away (logrotate): reopen writes what is held
     * to the new file */
    ck_assert_int_eq(unlink(out_path), 0);
    ck_assert_int_eq(lcd_output_reopen(o), 0);
    ck_assert_uint_eq(lcd_output_pending(o), 0);
    ck_assert_int_eq(lcd_output_failing(o), 0);
    assert_file(out_path, "{\"a\":1}\n{\"b\":2}\n");
    size_t w, f, s;
    count_events(0, &w, &f, &s);
    ck_assert_uint_eq(w, 2);
    ck_assert_uint_eq(s, 2);
    size_t k = 0;
    for (size_t i = 0; i < nevents; i++)
        if (events[i].kind == 'W') {
            assert_written(i, k ? B : A, k + 1, k ? 16 : 8);
            k++;
        }
    ck_assert_int_eq(events[nevents - 2].kind, 'S');
    ck_assert_int_eq(events[nevents - 2].failing, 0);
    close_output(o);
    remove_tmpdir();
}
END_TEST

static int plain_marks;
static void plain_written(void *owner, uint64_t seq, void *arg)
{
    (void)owner;
    (void)arg;
    plain_marks += (int)seq;
}

START_TEST(test_optional_hooks)
{
    /* flushed and state may be NULL */
    enter_tmpdir("optional_hooks");
    init_fsize();
    struct event_base *b = event_base_new();
    ck_assert_ptr_nonnull(b);
    lcd_output_hooks h = {plain_written, NULL, NULL, NULL, NULL};
    char err[512];
    lcd_output *o = lcd_output_open(b, out_path, &h, err, sizeof err);
    ck_assert_msg(o != NULL, "%s", err);
    append(o, "x\n");
    ck_assert_int_eq(lcd_output_mark(o, NULL, 5), 0);
    ck_assert_int_eq(flush_limited(o, 0), -1);
    ck_assert_int_eq(lcd_output_failing(o), 1);
    ck_assert_int_eq(plain_marks, 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_int_eq(lcd_output_failing(o), 0);
    ck_assert_int_eq(plain_marks, 5);
    assert_file(out_path, "x\n");
    lcd_output_free(o);
    event_base_free(b);
    lcd_output_free(NULL);
    remove_tmpdir();
}
END_TEST

START_TEST(test_free_while_failing)
{
    /* held bytes, pending marks and an armed retry timer are all freed */
    enter_tmpdir("free_while_failing");
    init_fsize();
    lcd_output *o = open_output();
    for (unsigned i = 0; i < 300; i++) {
        append(o, "{\"held\":true}\n");
        ck_assert_int_eq(lcd_output_mark(o, A, i), 0);
    }
    ck_assert_int_eq(flush_limited(o, 0), -1);
    lcd_output_schedule(o);
    size_t w, f, s;
    count_events(0, &w, &f, &s);
    ck_assert_uint_eq(w, 0);
    ck_assert_uint_eq(s, 1);
    close_output(o);
    ck_assert_int_eq(file_size(out_path), 0);
    remove_tmpdir();
}
END_TEST

START_TEST(test_marks_across_partial_writes)
{
    /* marks resolve as far as the bytes written, and the queue of marks
     * keeps its order while it is compacted and grown */
    enter_tmpdir("marks_partial");
    init_fsize();
    lcd_output *o = open_output();
    char line[16];
    unsigned seq = 0;
    /* 256 marks, one per 10-byte line; only 1000 bytes can be written */
    for (unsigned i = 0; i < 256; i++) {
        snprintf(line, sizeof line, "line %04u\n", i);
        append(o, line);
        ck_assert_int_eq(lcd_output_mark(o, A, ++seq), 0);
    }
    ck_assert_int_eq(flush_limited(o, 1000), -1);
    size_t w, f, s;
    count_events(0, &w, &f, &s);
    ck_assert_uint_eq(w, 100);
    ck_assert_uint_eq(s, 1);
    for (size_t i = 0; i < 100; i++)
        if (events[i].kind != 'W' || events[i].seq != i + 1 || events[i].size < 10 * (long)(i + 1))
            ck_abort_msg("event %zu: '%c' seq %llu", i, events[i].kind,
                         (unsigned long long)events[i].seq);
    /* 300 more marks while 156 are still waiting */
    for (unsigned i = 256; i < 556; i++) {
        snprintf(line, sizeof line, "line %04u\n", i);
        append(o, line);
        ck_assert_int_eq(lcd_output_mark(o, B, ++seq), 0);
    }
    nevents = 0;
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_uint_eq(nevents, 456 + 2);
    for (size_t i = 0; i < 456; i++) {
        void *owner = i < 156 ? A : B;
        if (events[i].kind != 'W' || events[i].seq != 101 + i || events[i].owner != owner ||
            events[i].size < 10 * (long)(101 + i))
            ck_abort_msg("event %zu: '%c' seq %llu", i, events[i].kind,
                         (unsigned long long)events[i].seq);
    }
    assert_state(456, 0);
    assert_event(457, 'F');
    ck_assert_int_eq(file_size(out_path), 5560);
    close_output(o);
    remove_tmpdir();
}
END_TEST

/* ======================= whole lines, file switches ======================= */

/* What the open descriptor fd reads, from the start, NUL-terminated. */
static char *slurp_fd(int fd)
{
    static char buf[8192];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    return buf;
}

START_TEST(test_deleted_file_replaced_before_ack)
{
    /* the file is deleted between two flushes: the second flush finds the
     * link count 0 after writing, before resolving its marks, and writes
     * the bytes again to a new file at the path; the deleted file is cut
     * back to what was acknowledged */
    enter_tmpdir("deleted");
    lcd_output *o = open_output();
    append(o, "{\"a\":1}\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    int held = open(out_path, O_RDONLY);
    ck_assert_int_ge(held, 0);
    ck_assert_int_eq(unlink(out_path), 0);
    nevents = 0;
    append(o, "{\"b\":2}\n");
    ck_assert_int_eq(lcd_output_mark(o, B, 2), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_str_eq(slurp_fd(held), "{\"a\":1}\n");
    assert_file(out_path, "{\"b\":2}\n");
    assert_written(0, B, 2, 8); /* fired once the new file held the line */
    ck_assert_uint_eq(lcd_output_reopened_missing(o), 1);
    ck_assert_uint_eq(lcd_output_write_errors(o), 0);
    ck_assert_int_eq(lcd_output_failing(o), 0);
    /* and the new file is used from then on, without another reopen */
    append(o, "{\"c\":3}\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, "{\"b\":2}\n{\"c\":3}\n");
    ck_assert_uint_eq(lcd_output_reopened_missing(o), 1);
    close(held);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_deleted_file_partial_mark)
{
    /* a failed write leaves whole lines of a mark and the start of the
     * next line in the file; then the file is deleted (to free the disk).
     * Nothing of that mark may stay in the deleted file: it is cut back to
     * the last acknowledged byte, and the whole mark goes to the new file */
    enter_tmpdir("deleted_partial");
    init_fsize();
    lcd_output *o = open_output();
    append(o, "{\"a\":1}\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    append(o, "{\"b\":2}\n{\"b\":3}\n");
    ck_assert_int_eq(lcd_output_mark(o, B, 3), 0);
    ck_assert_int_eq(flush_limited(o, 8 + 8 + 3), -1); /* b2 and 3 bytes of b3 */
    int held = open(out_path, O_RDONLY);
    ck_assert_int_ge(held, 0);
    ck_assert_str_eq(slurp_fd(held), "{\"a\":1}\n{\"b\":2}\n{\"b");
    ck_assert_int_eq(unlink(out_path), 0);
    nevents = 0;
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_str_eq(slurp_fd(held), "{\"a\":1}\n");
    assert_file(out_path, "{\"b\":2}\n{\"b\":3}\n");
    assert_written(0, B, 3, 16);
    ck_assert_uint_eq(lcd_output_reopened_missing(o), 1);
    close(held);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_deleted_dir_gone)
{
    /* the file is deleted and the path cannot be created again: nothing is
     * acknowledged, the bytes are held, and it is retried */
    enter_tmpdir("deleted_dir_gone");
    lcd_output *o = open_output();
    append(o, "{\"a\":1}\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_int_eq(unlink(out_path), 0);
    ck_assert_int_eq(mkdir(out_path, 0700), 0); /* open(path) now fails */
    nevents = 0;
    append(o, "{\"b\":2}\n");
    ck_assert_int_eq(lcd_output_mark(o, B, 2), 0);
    ck_assert_int_eq(lcd_output_flush(o), -1);
    size_t w, f, s;
    count_events(0, &w, &f, &s);
    ck_assert_uint_eq(w, 0);
    ck_assert_int_eq(lcd_output_failing(o), 1);
    ck_assert_uint_eq(lcd_output_pending(o), 8);
    ck_assert_int_eq(lcd_output_flush(o), -1); /* still: held, not written to the deleted file */
    ck_assert_int_eq(rmdir(out_path), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, "{\"b\":2}\n");
    count_events(0, &w, &f, &s);
    ck_assert_uint_eq(w, 1);
    ck_assert_uint_eq(lcd_output_reopened_missing(o), 1);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_renamed_file_reopened)
{
    /* renamed without reopen: within about a second the path is opened
     * again; what was written before is in the renamed file, whole */
    enter_tmpdir("renamed");
    lcd_output *o = open_output();
    append(o, "{\"a\":1}\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    ck_assert_int_eq(rename(out_path, suffixed(".1")), 0);
    for (int i = 0; i < 300 && file_size(out_path) < 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        ck_assert_int_eq(lcd_output_flush(o), 0); /* flushes that write nothing check too */
    }
    append(o, "{\"b\":2}\n");
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(suffixed(".1"), "{\"a\":1}\n");
    assert_file(out_path, "{\"b\":2}\n");
    ck_assert_uint_eq(lcd_output_reopened_missing(o), 1);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_renamed_while_failing)
{
    /* renamed (no reopen) while a line is cut short and writing still
     * fails: at the path check the renamed file is cut back to its whole
     * lines, and the line goes whole to the new file once writing works */
    enter_tmpdir("renamed_failing");
    init_fsize();
    lcd_output *o = open_output();
    static const char l1[] = "{\"line\":1}\n", l2[] = "{\"line\":2,\"more\":true}\n";
    append(o, l1);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    append(o, l2);
    ck_assert_int_eq(lcd_output_mark(o, A, 2), 0);
    ck_assert_int_eq(flush_limited(o, strlen(l1) + 7), -1);
    ck_assert_int_eq(rename(out_path, suffixed(".1")), 0);
    for (int i = 0; i < 300 && file_size(out_path) < 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        ck_assert_int_eq(flush_limited(o, strlen(l1) + 7), -1);
    }
    assert_file(suffixed(".1"), l1);
    assert_file(out_path, "");
    size_t w, f, s;
    count_events(0, &w, &f, &s);
    ck_assert_uint_eq(w, 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, l2);
    assert_file(suffixed(".1"), l1);
    count_events(0, &w, &f, &s);
    ck_assert_uint_eq(w, 1);
    ck_assert_uint_eq(lcd_output_reopened_missing(o), 1);
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_reopen_cuts_incomplete_line)
{
    /* disk full in the middle of a line, then logrotate renames the file
     * and reopens while writing still fails: the old file is cut back to
     * its last whole line, and the line goes whole to the new file */
    enter_tmpdir("reopen_incomplete");
    init_fsize();
    lcd_output *o = open_output();
    static const char l1[] = "{\"line\":1}\n", l2[] = "{\"line\":2,\"more\":true}\n";
    append(o, l1);
    ck_assert_int_eq(lcd_output_mark(o, A, 1), 0);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    append(o, l2);
    ck_assert_int_eq(lcd_output_mark(o, A, 2), 0);
    ck_assert_int_eq(flush_limited(o, strlen(l1) + 7), -1);
    ck_assert_int_eq(file_size(out_path), (long)strlen(l1) + 7);
    ck_assert_int_eq(rename(out_path, suffixed(".1")), 0);
    set_fsize(strlen(l1) + 7);
    int rc = lcd_output_reopen(o);
    restore_fsize();
    ck_assert_int_eq(rc, 0);
    assert_file(suffixed(".1"), l1);
    ck_assert_int_eq(lcd_output_flush(o), 0);
    assert_file(out_path, l2);
    assert_file(suffixed(".1"), l1);
    ck_assert_uint_eq(lcd_output_bytes_written(o), strlen(l1) + strlen(l2));
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_reopen_completes_line_first)
{
    /* the same, but writing works again by the time of the reopen: the
     * short write is completed in the old file first */
    enter_tmpdir("reopen_complete");
    init_fsize();
    lcd_output *o = open_output();
    static const char l1[] = "{\"line\":1}\n", l2[] = "{\"line\":2,\"more\":true}\n";
    append(o, l1);
    append(o, l2);
    ck_assert_int_eq(flush_limited(o, strlen(l1) + 7), -1);
    ck_assert_int_eq(rename(out_path, suffixed(".1")), 0);
    ck_assert_int_eq(lcd_output_reopen(o), 0);
    char want[64];
    snprintf(want, sizeof want, "%s%s", l1, l2);
    assert_file(suffixed(".1"), want);
    assert_file(out_path, "");
    close_output(o);
    remove_tmpdir();
}
END_TEST

START_TEST(test_exit_cuts_incomplete_line)
{
    /* exiting while a line is cut short: it is removed, whole lines stay */
    enter_tmpdir("exit_incomplete");
    init_fsize();
    lcd_output *o = open_output();
    append(o, "{\"line\":1}\n{\"line\":2}\n{\"line\":3}\n");
    ck_assert_int_eq(lcd_output_mark(o, A, 3), 0);
    ck_assert_int_eq(flush_limited(o, 11 + 11 + 4), -1);
    ck_assert_int_eq(file_size(out_path), 26);
    close_output(o);
    assert_file(out_path, "{\"line\":1}\n{\"line\":2}\n");
    remove_tmpdir();
}
END_TEST

static Suite *output_suite(void)
{
    Suite *s = suite_create("output");
    TCase *tc = tcase_create("write");
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_open_appends);
    tcase_add_test(tc, test_write_exact);
    tcase_add_test(tc, test_marks);
    tcase_add_test(tc, test_schedule);
    tcase_add_test(tc, test_reopen);
    suite_add_tcase(s, tc);

    tc = tcase_create("rotation");
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_rotation_batches);
    tcase_add_test(tc, test_rotation_keep_one_and_existing);
    suite_add_tcase(s, tc);

    tc = tcase_create("fsync");
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_test(tc, test_fsync_never);
    tcase_add_test(tc, test_fsync_batch);
    tcase_add_test(tc, test_fsync_interval);
    suite_add_tcase(s, tc);

    tc = tcase_create("failure");
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_test(tc, test_write_failure);
    tcase_add_test(tc, test_write_failure_backoff);
    tcase_add_test(tc, test_disk_full_then_reopen);
    tcase_add_test(tc, test_optional_hooks);
    tcase_add_test(tc, test_free_while_failing);
    tcase_add_test(tc, test_marks_across_partial_writes);
    suite_add_tcase(s, tc);

    tc = tcase_create("whole_lines");
    tcase_set_timeout(tc, 20);
    tcase_add_unchecked_fixture(tc, make_root, remove_root);
    tcase_add_test(tc, test_deleted_file_replaced_before_ack);
    tcase_add_test(tc, test_deleted_file_partial_mark);
    tcase_add_test(tc, test_deleted_dir_gone);
    tcase_add_test(tc, test_renamed_file_reopened);
    tcase_add_test(tc, test_renamed_while_failing);
    tcase_add_test(tc, test_reopen_cuts_incomplete_line);
    tcase_add_test(tc, test_reopen_completes_line_first);
    tcase_add_test(tc, test_exit_cuts_incomplete_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(output_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failures ? 1 : 0;
}
