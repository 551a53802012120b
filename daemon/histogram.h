/*
 * histogram.h - a latency histogram with fixed buckets, as Prometheus
 * exposes one: cumulative counts per upper bound ("le"), a sum and a count.
 *
 * Observations are integer nanoseconds (what clock_gettime gives), so
 * observing is a few compares and two additions, cheap enough for every
 * write of the output.  The bounds run from 10 us to 10 s, a 1-2.5-5
 * series: a page-cache write lands in the first buckets, a disk that
 * stalls in the last ones.  Single-threaded: the owner observes and reads
 * on one thread.
 */
#ifndef LCD_HISTOGRAM_H
#define LCD_HISTOGRAM_H

#include <stdint.h>

#define LCD_HIST_BOUNDS 19 /* finite upper bounds; +Inf is one more bucket */

typedef struct {
    uint64_t bucket[LCD_HIST_BOUNDS + 1]; /* NOT cumulative; [LCD_HIST_BOUNDS] is +Inf */
    uint64_t count;
    uint64_t sum_ns;
} lcd_histogram;

/* Upper bound i (0 <= i < LCD_HIST_BOUNDS) in nanoseconds, and as the
 * "le" label value in seconds ("1e-05", "0.25", ...). */
uint64_t lcd_histogram_bound_ns(int i);
const char *lcd_histogram_bound_label(int i);

void lcd_histogram_observe(lcd_histogram *h, uint64_t ns);

/* Observations <= bound i (i == LCD_HIST_BOUNDS: all of them). */
uint64_t lcd_histogram_cumulative(const lcd_histogram *h, int i);

/* Nanoseconds from a to b (CLOCK_MONOTONIC readings); 0 if b is earlier. */
struct timespec;
uint64_t lcd_elapsed_ns(const struct timespec *a, const struct timespec *b);

#endif
