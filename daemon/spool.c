/*
 * spool.c - see spool.h.
 */
#include "spool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Read this much at a time: the whole of the forwarder's reading memory
 * unless a single line is longer. */
#define SPOOL_CHUNK (256u * 1024)

typedef struct {
    int fd;
    uint64_t dev, ino, gen;
} spool_file;

struct lcd_spool {
    spool_file *files;
    size_t n, max;
    uint64_t next_gen;
    uint64_t rgen;           /* the read position: file ... */
    uint8_t *buf;            /* bytes of file rgen from offset buf_off */
    size_t cap, len, pos;    /* buf[pos..len) not yet returned */
    uint64_t buf_off;
    size_t max_line;
};

lcd_spool *lcd_spool_new(size_t max_files, size_t max_line)
{
    lcd_spool *sp = calloc(1, sizeof *sp);
    if (!sp)
        return NULL;
    sp->max = max_files + 1; /* + the live file */
    sp->files = calloc(sp->max, sizeof *sp->files);
    sp->cap = SPOOL_CHUNK;
    sp->buf = malloc(sp->cap);
    sp->next_gen = 1;
    sp->max_line = max_line < SPOOL_CHUNK ? SPOOL_CHUNK : max_line;
    if (!sp->files || !sp->buf) {
        lcd_spool_free(sp);
        return NULL;
    }
    return sp;
}

static spool_file *find(const lcd_spool *sp, uint64_t gen)
{
    for (size_t i = 0; i < sp->n; i++)
        if (sp->files[i].gen == gen)
            return &sp->files[i];
    return NULL;
}

/* Count newlines in fd from off to its end (a file being given up). */
static uint64_t count_lines(int fd, uint64_t off)
{
    char buf[65536];
    uint64_t n = 0;
    ssize_t r;
    while ((r = pread(fd, buf, sizeof buf, (off_t)off)) > 0) {
        for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + r - p))) != NULL; p++)
            n++;
        off += (uint64_t)r;
    }
    return n;
}

static void reset_buffer(lcd_spool *sp, uint64_t off)
{
    sp->len = sp->pos = 0;
    sp->buf_off = off;
    if (sp->cap > SPOOL_CHUNK) { /* after a long line: give the memory back */
        uint8_t *b = realloc(sp->buf, SPOOL_CHUNK);
        if (b) {
            sp->buf = b;
            sp->cap = SPOOL_CHUNK;
        }
    }
}

static void drop_first(lcd_spool *sp)
{
    close(sp->files[0].fd);
    memmove(sp->files, sp->files + 1, (sp->n - 1) * sizeof *sp->files);
    sp->n--;
}

uint64_t lcd_spool_add(lcd_spool *sp, int fd, uint64_t dev, uint64_t ino, uint64_t commit_gen,
                       uint64_t commit_off, uint64_t *lost_lines)
{
    *lost_lines = 0;
    if (sp->n == sp->max) {
        spool_file *f = &sp->files[0];
        uint64_t from = commit_gen == f->gen ? commit_off : 0;
        if (commit_gen <= f->gen)
            *lost_lines = count_lines(f->fd, from);
        if (sp->rgen == f->gen) {
            sp->rgen = sp->files[1].gen;
            reset_buffer(sp, 0);
        }
        drop_first(sp);
    }
    spool_file *f = &sp->files[sp->n++];
    f->fd = fd;
    f->dev = dev;
    f->ino = ino;
    f->gen = sp->next_gen++;
    if (sp->n == 1) {
        sp->rgen = f->gen;
        reset_buffer(sp, 0);
    }
    return f->gen;
}

static uint64_t limit_of(const spool_file *f, const lcd_fwdpos *live)
{
    if (live && f->dev == live->dev && f->ino == live->ino)
        return live->off;
    struct stat st;
    return fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Read more of the current file into the buffer.  Returns bytes added. */
static size_t fill(lcd_spool *sp, const spool_file *f, uint64_t limit)
{
    if (sp->pos > 0) {
        memmove(sp->buf, sp->buf + sp->pos, sp->len - sp->pos);
        sp->buf_off += sp->pos;
        sp->len -= sp->pos;
        sp->pos = 0;
    }
    uint64_t at = sp->buf_off + sp->len;
    if (at >= limit)
        return 0;
    if (sp->len == sp->cap) { /* one line fills the buffer: grow, up to max_line */
        size_t cap = sp->cap * 2 > sp->max_line + 1 ? sp->max_line + 1 : sp->cap * 2;
        uint8_t *b = cap > sp->cap ? realloc(sp->buf, cap) : NULL;
        if (!b)
            return 0;
        sp->buf = b;
        sp->cap = cap;
    }
    size_t want = sp->cap - sp->len;
    if (want > limit - at)
        want = (size_t)(limit - at);
    ssize_t r = pread(f->fd, sp->buf + sp->len, want, (off_t)at);
    if (r <= 0)
        return 0;
    sp->len += (size_t)r;
    return (size_t)r;
}

int lcd_spool_next(lcd_spool *sp, const lcd_fwdpos *live, lcd_spool_line *out)
{
    for (;;) {
        spool_file *f = find(sp, sp->rgen);
        if (!f)
            return 0;
        uint8_t *start = sp->buf + sp->pos;
        uint8_t *nl = sp->len > sp->pos ? memchr(start, '\n', sp->len - sp->pos) : NULL;
        if (nl) {
            out->data = start;
            out->len = (size_t)(nl - start);
            out->gen = f->gen;
            out->off = sp->buf_off + sp->pos;
            out->end = out->off + out->len + 1;
            out->dev = f->dev;
            out->ino = f->ino;
            sp->pos += out->len + 1;
            return 1;
        }
        uint64_t limit = limit_of(f, live);
        if (fill(sp, f, limit) > 0)
            continue;
        if (sp->len - sp->pos >= sp->max_line) {
            lcd_log(LCD_ERR, "forwarding: a line of more than %zu bytes at offset %llu of the "
                    "output file (inode %llu); skipped, not forwarded", sp->max_line,
                    (unsigned long long)(sp->buf_off + sp->pos), (unsigned long long)f->ino);
            reset_buffer(sp, sp->buf_off + sp->len);
            continue;
        }
        int last = f == &sp->files[sp->n - 1];
        int is_live = live && f->dev == live->dev && f->ino == live->ino;
        if (last || is_live)
            return 0; /* more will come */
        if (sp->len > sp->pos)
            lcd_log(LCD_WARN, "forwarding: the output file (inode %llu) ends with %zu bytes "
                    "of an incomplete line; skipped", (unsigned long long)f->ino,
                    sp->len - sp->pos);
        sp->rgen = f[1].gen; /* finished: on to the next file */
        reset_buffer(sp, 0);
    }
}

void lcd_spool_seek(lcd_spool *sp, uint64_t gen, uint64_t off)
{
    if (!find(sp, gen)) {
        for (size_t i = 0; i < sp->n; i++)
            if (sp->files[i].gen > gen) {
                gen = sp->files[i].gen;
                break;
            }
        off = 0;
    }
    sp->rgen = gen;
    reset_buffer(sp, off);
}

void lcd_spool_release(lcd_spool *sp, uint64_t gen)
{
    while (sp->n > 1 && sp->files[0].gen < gen)
        drop_first(sp);
}

uint64_t lcd_spool_first_gen(const lcd_spool *sp)
{
    return sp->n ? sp->files[0].gen : 0;
}

int lcd_spool_identity(const lcd_spool *sp, uint64_t gen, uint64_t *dev, uint64_t *ino)
{
    const spool_file *f = find(sp, gen);
    if (!f)
        return -1;
    *dev = f->dev;
    *ino = f->ino;
    return 0;
}

int lcd_spool_fd(const lcd_spool *sp, uint64_t gen)
{
    const spool_file *f = find(sp, gen);
    return f ? f->fd : -1;
}

uint64_t lcd_spool_behind(const lcd_spool *sp, const lcd_fwdpos *live, uint64_t gen,
                          uint64_t off)
{
    uint64_t n = 0;
    for (size_t i = 0; i < sp->n; i++) {
        const spool_file *f = &sp->files[i];
        if (f->gen < gen)
            continue;
        uint64_t lim = limit_of(f, live), from = f->gen == gen ? off : 0;
        n += lim > from ? lim - from : 0;
    }
    return n;
}

size_t lcd_spool_files(const lcd_spool *sp)
{
    return sp->n;
}

void lcd_spool_free(lcd_spool *sp)
{
    if (!sp)
        return;
    for (size_t i = 0; i < sp->n; i++)
        close(sp->files[i].fd);
    free(sp->files);
    free(sp->buf);
    free(sp);
}
