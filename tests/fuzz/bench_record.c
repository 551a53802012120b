/*
 * bench_record.c - ns per lcp_record_check call, scanner vs jansson oracle,
 * for a few record shapes.  Not run by make check:
 *
 *   make bench-record        (builds with -O2 and runs)
 *
 * Each figure is the median of RUNS runs of enough calls to take ~50 ms of
 * this thread's CPU time (so that other load on the machine counts less).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "record.h"

typedef lcp_rec_status (*check_fn)(const uint8_t *, size_t, int, lcp_rec_info *, char *,
                                   size_t);

enum { RUNS = 9 };

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* not counting preemption */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static volatile size_t sink;

static double bench(check_fn fn, const uint8_t *rec, size_t len)
{
    char detail[256];
    lcp_rec_info info;
    /* jansson's own depth limit: the oracle needs no wrapping (record.c) */
    if (fn(rec, len, LCP_REC_DEPTH_MAX, &info, detail, sizeof detail) != LCP_REC_OK) {
        fprintf(stderr, "record refused: %s\n", detail);
        exit(1);
    }
    /* calibrate to ~50 ms per run */
    long iters = 1000;
    for (;;) {
        double t0 = now_ns();
        for (long k = 0; k < iters; k++) {
            fn(rec, len, LCP_REC_DEPTH_MAX, &info, detail, sizeof detail);
            sink += info.close;
        }
        if (now_ns() - t0 > 20e6)
            break;
        iters *= 2;
    }
    iters = iters * 5 / 2;
    double per[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double t0 = now_ns();
        for (long k = 0; k < iters; k++) {
            fn(rec, len, LCP_REC_DEPTH_MAX, &info, detail, sizeof detail);
            sink += info.close;
        }
        per[r] = (now_ns() - t0) / (double)iters;
    }
    qsort(per, RUNS, sizeof per[0], cmp_double);
    return per[RUNS / 2];
}

static char *repeat(const char *head, const char *unit, int n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * (size_t)n + tl + 1);
    if (!s)
        exit(1);
    memcpy(s, head, hl);
    for (int i = 0; i < n; i++)
        memcpy(s + hl + ul * (size_t)i, unit, ul);
    memcpy(s + hl + ul * (size_t)n, tail, tl + 1);
    return s;
}

int main(void)
{
    static const char typical[] =
        "{\"ts\":\"2026-11-27T13:37:24.123456Z\",\"level\":\"info\","
        "\"msg\":\"GET /api/v1/users/1234 200 in 3.2 ms\",\"path\":\"/api/v1/users/1234\","
        "\"status\":200,\"ms\":3.2,\"user\":\"alice\",\"req\":\"7f3a9c\",\"tags\":[\"web\",\"prod\"]}";
    static const char pretty[] =
        "{\n  \"ts\": \"2026-11-27T13:37:24.123456Z\",\n  \"level\": \"info\",\n"
        "  \"msg\": \"GET /api/v1/users/1234 200 in 3.2 ms\",\n  \"status\": 200,\n"
        "  \"ms\": 3.2,\n  \"tags\": [ \"web\", \"prod\" ]\n}\n";
    static const char unicode[] =
        "{\"ts\":\"2026-11-27T13:37:24.123456Z\",\"msg\":\"Gr\xc3\xbc\xc3\x9f"
        "e aus K\xc3\xb6ln \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
        "\xf0\x9f\x98\x80\xf0\x9f\x8e\x89\",\"esc\":\"caf\\u00e9 \\u20ac \\ud83d\\ude00 "
        "tab\\there \\\"quoted\\\" back\\\\slash\",\"user\":\"j\xc3\xbcrgen\"}";
    char *longstr = repeat("{\"level\":\"info\",\"msg\":\"",
                           "The quick brown fox jumps over the lazy dog. ", 90, "\"}");
    char *numbers = repeat("{\"v\":[", "123456,-0.25,3.14159e-3,18446744073709551615,", 40,
                           "0],\"n\":1}");
    char *nested = repeat("{\"a\":", "{\"b\":[1,{\"c\":", 40, "null");
    {
        size_t n = strlen(nested);
        char *t = realloc(nested, n + 40 * 3 + 2);
        if (!t)
            return 1;
        nested = t;
        for (int i = 0; i < 40; i++, n += 3)
            memcpy(nested + n, "}]}", 3);
        memcpy(nested + n, "}", 2);
    }
    const struct {
        const char *name;
        const char *rec;
    } shapes[] = {
        {"typical log record", typical},
        {"pretty-printed record", pretty},
        {"unicode and escapes", unicode},
        {"long string (4 KB)", longstr},
        {"many numbers", numbers},
        {"nested 80 levels", nested},
    };
    printf("%-24s %7s %12s %12s %8s\n", "shape", "bytes", "jansson ns", "scanner ns", "speedup");
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t len = strlen(shapes[i].rec);
        uint8_t *rec = malloc(len);
        if (!rec)
            return 1;
        memcpy(rec, shapes[i].rec, len);
        double old_ns = bench(lcp_record_check_jansson, rec, len);
        double new_ns = bench(lcp_record_check, rec, len);
        printf("%-24s %7zu %12.1f %12.1f %7.1fx   (%.2f / %.3f ns per byte)\n", shapes[i].name,
               len, old_ns, new_ns, old_ns / new_ns, old_ns / (double)len,
               new_ns / (double)len);
        free(rec);
    }
    free(longstr);
    free(numbers);
    free(nested);
    return 0;
}
