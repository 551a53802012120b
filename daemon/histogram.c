/*
 * histogram.c - see histogram.h.
 */
#include "histogram.h"

#include <time.h>

static const uint64_t bounds_ns[LCD_HIST_BOUNDS] = {
    10000ull,      25000ull,      50000ull,      100000ull,     250000ull,
    500000ull,     1000000ull,    2500000ull,    5000000ull,    10000000ull,
    25000000ull,   50000000ull,   100000000ull,  250000000ull,  500000000ull,
    1000000000ull, 2500000000ull, 5000000000ull, 10000000000ull,
};

/* Written out once, so the exposition never depends on printf's idea of %g. */
static const char *const labels[LCD_HIST_BOUNDS] = {
    "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001",
    "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
    "1", "2.5", "5", "10",
};

uint64_t lcd_histogram_bound_ns(int i)
{
    return bounds_ns[i];
}

const char *lcd_histogram_bound_label(int i)
{
    return labels[i];
}

void lcd_histogram_observe(lcd_histogram *h, uint64_t ns)
{
    int i = 0;
    while (i < LCD_HIST_BOUNDS && ns > bounds_ns[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum_ns += ns;
}

uint64_t lcd_histogram_cumulative(const lcd_histogram *h, int i)
{
    uint64_t n = 0;
    for (int k = 0; k <= i && k <= LCD_HIST_BOUNDS; k++)
        n += h->bucket[k];
    return n;
}

uint64_t lcd_elapsed_ns(const struct timespec *a, const struct timespec *b)
{
    int64_t ns = (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 + (b->tv_nsec - a->tv_nsec);
    return ns > 0 ? (uint64_t)ns : 0;
}
