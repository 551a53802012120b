/*
 * syncer.h - fdatasync on a thread of its own.
 *
 * With --fsync interval=MS the output is synced every interval.  fdatasync
 * can take tens of milliseconds; on the event loop that would stall every
 * connection (it showed as a 16 ms p99 latency at 50,000 records/s).  The
 * loop hands the descriptor to this thread instead and goes on.
 */
#ifndef LCD_SYNCER_H
#define LCD_SYNCER_H

#include <stdint.h>

typedef struct lcd_syncer lcd_syncer;

lcd_syncer *lcd_syncer_new(void);

/* Is a sync running?  Also hands over (once) the errno of the last sync
 * that finished with an error (0 if none), and how long the last sync
 * that finished took (0 if none finished since the last poll). */
int lcd_syncer_poll(lcd_syncer *s, int *last_err, uint64_t *took_ns);

/* Ask for fdatasync(fd) (the syncer syncs its own dup of fd, so the loop
 * may close or replace fd meanwhile).  Returns 0 when queued, -1 while a
 * sync is still running, or an errno when fd cannot be duplicated. */
int lcd_syncer_request(lcd_syncer *s, int fd);

/* Wait for a sync in progress, stop the thread, free. */
void lcd_syncer_free(lcd_syncer *s);

#endif
