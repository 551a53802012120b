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

typedef struct lcd_syncer lcd_syncer;

lcd_syncer *lcd_syncer_new(void);

/* Ask for fdatasync(fd) (the syncer syncs its own dup of fd, so the loop
 * may close or replace fd meanwhile).  Returns -1 while the previous sync
 * is still running (ask again later), 0 when queued; *last_err is the
 * errno of the previous sync (0 if it worked). */
int lcd_syncer_request(lcd_syncer *s, int fd, int *last_err);

/* Wait for a sync in progress, stop the thread, free. */
void lcd_syncer_free(lcd_syncer *s);

#endif
