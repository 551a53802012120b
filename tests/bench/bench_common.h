/*
 * bench_common.h - shared by the benchmark programs in tests/bench/.
 *
 * bench_record() makes the benchmark's record: one JSON object of exactly
 * SIZE bytes (default 205), the same bytes for every load generator, so
 * that logcollectord and the peers (rsyslog, syslog-ng) are fed the same:
 *
 *   {"ts":"2026-11-27T13:37:24.123456Z","level":"info","msg":"request served",
 *    "app":"bench","c":3,"i":12345,"path":"/api/v1/items/12345","status":200,
 *    "ms":12.5,"pad":"xxxx"}
 *
 * (on one line; "pad" grows or shrinks to reach SIZE).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_DEFAULT_SIZE 205
#define BENCH_MAX_SIZE 4000

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline long long bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Parse a decimal option in [min, max] or exit 2 naming it. */
static inline long bench_number(const char *prog, const char *s, const char *opt, long min,
                                long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "%s: bad %s '%s' (%ld..%ld)\n", prog, opt, s, min, max);
        exit(2);
    }
    return v;
}

/* Write record i of connection/process c into buf (cap >= size + 1),
 * exactly size bytes plus a NUL.  Returns size, or -1 when size is too
 * small for the fixed part (about 160 bytes). */
static inline int bench_record(char *buf, size_t cap, int size, long c, long i)
{
    int n = snprintf(buf, cap,
                     "{\"ts\":\"2026-11-27T13:37:24.123456Z\",\"level\":\"info\","
                     "\"msg\":\"request served\",\"app\":\"bench\",\"c\":%ld,\"i\":%ld,"
                     "\"path\":\"/api/v1/items/%ld\",\"status\":200,\"ms\":12.5,\"pad\":\"",
                     c, i, i % 100000);
    if (n < 0 || n + 2 > size || (size_t)size + 1 > cap)
        return -1;
    memset(buf + n, 'x', (size_t)(size - n - 2));
    buf[size - 2] = '"';
    buf[size - 1] = '}';
    buf[size] = '\0';
    return size;
}

#endif
