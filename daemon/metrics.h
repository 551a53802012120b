/*
 * metrics.h - the Prometheus text exposition (format 0.0.4) of the
 * daemon's counters, for GET /metrics (http.c).
 *
 * Every metric is one line of a table in metrics.c: its name, type, help
 * text and where its value comes from.  The writers below are the
 * format's rules in one place (HELP/TYPE lines, label escaping, histogram
 * buckets) and are tested on their own (tests/unit/test_metrics.c).
 * docs/metrics.md lists every metric.
 */
#ifndef LCD_METRICS_H
#define LCD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "http.h"

struct evbuffer;
struct lcd_server;

/* "# HELP name help" and "# TYPE name type"; help is escaped (\\ and \n). */
void lcd_metrics_family(struct evbuffer *out, const char *name, const char *type,
                        const char *help);

/* One sample: name{labels} value.  labels is a preformatted, escaped
 * label list (a="x",b="y") or NULL.  Integral values are printed exactly. */
void lcd_metrics_sample(struct evbuffer *out, const char *name, const char *labels,
                        double value);

/* Escape a label value: \ " and newline.  Returns out (always terminated). */
char *lcd_metrics_label_escape(char *out, size_t cap, const char *value);

/* A histogram family: _bucket{le=...} (cumulative, +Inf last), _sum in
 * seconds, _count. */
void lcd_metrics_histogram(struct evbuffer *out, const char *name, const char *help,
                           const lcd_histogram *h);

/* The process_* metrics, read from /proc/self (as Prometheus' client
 * libraries export them). */
void lcd_metrics_process(struct evbuffer *out);

/* Every metric of the daemon (http: the HTTP server's own counters). */
void lcd_metrics_write(struct evbuffer *out, struct lcd_server *srv,
                       const lcd_http_stats *http);

/* The clients' drop notice ({"ts":"...","level":"warning","msg":"logcollect
 * client dropped N records","dropped":N}, docs/client.md): N, or 0 for
 * any other record.  A compare at a fixed offset: cheap on the record path. */
uint64_t lcd_drop_notice_count(const uint8_t *rec, size_t len);

#endif
