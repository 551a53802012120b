/*
 * spool.h - the output file read as the forwarder's spool.
 *
 * The spool is a queue of open files, oldest first: the files the output
 * wrote to since the forwarder's position, each held by its own descriptor
 * (so a file renamed or even deleted by logrotate can still be finished),
 * and last the file the output writes now.  Each file has a generation
 * number, increasing; a position is (generation, offset).
 *
 * Lines are read in bounded chunks (SPOOL_CHUNK, more only for a single
 * longer line), never beyond the limit the caller gives for the live file
 * (the bytes the output has settled: whole lines that will not be cut back)
 * nor beyond the end of an older file.  Memory stays bounded however far
 * behind the reader is: the file is the buffer.
 *
 * At most max_files files are held; adding one more gives up the oldest,
 * and the lines in it past the caller's committed position are counted as
 * lost.
 */
#ifndef LCD_SPOOL_H
#define LCD_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "fwdstate.h"

typedef struct lcd_spool lcd_spool;

typedef struct {
    const uint8_t *data; /* the line without its newline; valid until the next call */
    size_t len;
    uint64_t gen, off, end; /* where it starts and ends (after the newline) */
    uint64_t dev, ino;      /* the file */
} lcd_spool_line;

/* max_line: the longest line kept whole (longer ones are skipped, logged). */
lcd_spool *lcd_spool_new(size_t max_files, size_t max_line);

/* Append a file (the spool owns fd).  If max_files are held, the oldest is
 * closed first and *lost_lines counts its lines at or after commit_off when
 * commit_gen is its generation (all of them when commit_gen is older).
 * Returns the new file's generation, or 0 when out of memory (fd closed). */
uint64_t lcd_spool_add(lcd_spool *sp, int fd, uint64_t dev, uint64_t ino, uint64_t commit_gen,
                       uint64_t commit_off, uint64_t *lost_lines);

/* The next whole line at the read position, the live file read up to
 * live->off (the file with live's dev and ino; other files to their end).
 * Returns 1 with *out, 0 when there is nothing more now. */
int lcd_spool_next(lcd_spool *sp, const lcd_fwdpos *live, lcd_spool_line *out);

/* Move the read position (to resend from there).  A generation no longer
 * held means the start of the oldest file held after it. */
void lcd_spool_seek(lcd_spool *sp, uint64_t gen, uint64_t off);

/* Close the files older than gen (finished and acknowledged). */
void lcd_spool_release(lcd_spool *sp, uint64_t gen);

/* The oldest generation held (0: none), and a file's identity. */
uint64_t lcd_spool_first_gen(const lcd_spool *sp);
int lcd_spool_identity(const lcd_spool *sp, uint64_t gen, uint64_t *dev, uint64_t *ino);
int lcd_spool_fd(const lcd_spool *sp, uint64_t gen); /* -1: not held */

/* Bytes from (gen, off) to the end of the data readable now. */
uint64_t lcd_spool_behind(const lcd_spool *sp, const lcd_fwdpos *live, uint64_t gen,
                          uint64_t off);

size_t lcd_spool_files(const lcd_spool *sp);

void lcd_spool_free(lcd_spool *sp);

#endif
