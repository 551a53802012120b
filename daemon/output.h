/*
 * output.h - the output file: batching, ordering of acks after writes,
 * reopening, and surviving write errors.
 *
 * Records are appended to an in-memory buffer during an event-loop turn and
 * written with writev at the end of the turn (or sooner when the buffer is
 * large).  A "mark" says: once every byte appended so far is in the file,
 * tell owner that its records up to seq are written.  That is how acks are
 * sent only after the write(2) that covers them.
 *
 * A failing write (disk full, file too large, permission lost) keeps the
 * unwritten bytes, reports the state change once, and retries with backoff
 * until writing works again; nothing accepted is dropped.
 *
 * A line is written whole or not at all: a short write is completed in the
 * same file; before switching files (SIGHUP, rotation, a file found
 * deleted or renamed) whatever the old file holds past its last settled
 * byte (an incomplete line, lines not yet acknowledged) is cut off with
 * ftruncate and written whole to the new file; an incomplete line is cut
 * off at exit and at start-up.
 *
 * The open file is checked before every ack: if it was deleted (link count
 * 0), the path is opened again (created) and everything not yet
 * acknowledged is written there, so no acknowledged record is in a deleted
 * file.  Once a second the path is also checked for naming another file
 * (renamed without SIGHUP), and reopened.
 */
#ifndef LCD_OUTPUT_H
#define LCD_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

struct event_base;

typedef struct lcd_output lcd_output;

typedef struct {
    /* owner's records up to seq are now in the file */
    void (*written)(void *owner, uint64_t seq, void *arg);
    /* called after each flush that wrote or resolved marks */
    void (*flushed)(void *arg);
    /* writing started failing (1) or works again (0) */
    void (*state)(int failing, void *arg);
    void *arg;
} lcd_output_hooks;

lcd_output *lcd_output_open(struct event_base *base, const char *path,
                            const lcd_output_hooks *hooks, char *err, size_t errlen);

/* Contiguous room for n bytes at the end of the buffer; then commit what
 * was used.  reserve returns NULL when out of memory. */
uint8_t *lcd_output_reserve(lcd_output *o, size_t n);
void lcd_output_commit(lcd_output *o, size_t used);

/* Call hooks.written(owner, seq) once all bytes appended so far are written. */
int lcd_output_mark(lcd_output *o, void *owner, uint64_t seq);

/* Flush at the end of this event-loop turn (or now, when the buffer is big). */
void lcd_output_schedule(lcd_output *o);

/* Write everything now.  Returns 0 when nothing is left pending. */
int lcd_output_flush(lcd_output *o);

/* Reopen the path (after logrotate renamed the file).  Pending bytes go to
 * the old file first; if that fails (disk full), the old file is cut back
 * to its last settled byte and they go to the new one.  On failure the
 * old file stays in use. */
int lcd_output_reopen(lcd_output *o);

/* Built-in rotation: once the file reaches size bytes (0: never), shift
 * OUTPUT.1..OUTPUT.(keep-1) up by one, rename OUTPUT to OUTPUT.1, reopen. */
void lcd_output_set_rotation(lcd_output *o, long size, long keep);

/* Durability: LCD_FSYNC_NEVER (leave it to the kernel), LCD_FSYNC_BATCH
 * (fdatasync after each write, before the acks it covers), or
 * LCD_FSYNC_INTERVAL (fdatasync at most every ms, when something was
 * written). */
void lcd_output_set_fsync(lcd_output *o, int mode, long ms);
uint64_t lcd_output_syncs(const lcd_output *o);

size_t lcd_output_pending(const lcd_output *o);
int lcd_output_failing(const lcd_output *o);
uint64_t lcd_output_bytes_written(const lcd_output *o);
uint64_t lcd_output_write_errors(const lcd_output *o);
/* Times the open file was found deleted or renamed without SIGHUP, and the
 * path reopened. */
uint64_t lcd_output_reopened_missing(const lcd_output *o);

/* For /metrics and /healthz (metrics.c, http.c). */
uint64_t lcd_output_records_written(const lcd_output *o); /* lines now in files */
uint64_t lcd_output_rotations(const lcd_output *o);       /* --rotate-size rotations */
int lcd_output_last_error(const lcd_output *o);           /* errno while failing, else 0 */
const char *lcd_output_path(const lcd_output *o);
/* Time of each write(2) and each fdatasync of the output. */
const lcd_histogram *lcd_output_write_histogram(const lcd_output *o);
const lcd_histogram *lcd_output_sync_histogram(const lcd_output *o);

void lcd_output_free(lcd_output *o);

#endif
