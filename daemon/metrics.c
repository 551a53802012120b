/*
 * metrics.c - see metrics.h.  To export a new counter, add one line to
 * the table (metrics[]) below, and a row to docs/metrics.md.
 */
#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "http.h"
#include "server.h"

/* ---- the format --------------------------------------------------------- */

static void add_escaped_help(struct evbuffer *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            evbuffer_add(out, "\\\\", 2);
        else if (*s == '\n')
            evbuffer_add(out, "\\n", 2);
        else
            evbuffer_add(out, s, 1);
    }
}

void lcd_metrics_family(struct evbuffer *out, const char *name, const char *type,
                        const char *help)
{
    evbuffer_add_printf(out, "# HELP %s ", name);
    add_escaped_help(out, help);
    evbuffer_add_printf(out, "\n# TYPE %s %s\n", name, type);
}

char *lcd_metrics_label_escape(char *out, size_t cap, const char *value)
{
    size_t n = 0;
    for (; *value && n + 3 < cap; value++) {
        char c = *value;
        if (c == '\\' || c == '"' || c == '\n') {
            out[n++] = '\\';
            c = c == '\n' ? 'n' : c;
        }
        out[n++] = c;
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return out;
}

static void add_value(struct evbuffer *out, double v)
{
    if (isnan(v))
        evbuffer_add_printf(out, "NaN");
    else if (isinf(v))
        evbuffer_add_printf(out, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0) /* 2^53: exact */
        evbuffer_add_printf(out, "%.0f", v);
    else
        evbuffer_add_printf(out, "%.15g", v); /* shortest that round-trips what we measure */
}

void lcd_metrics_sample(struct evbuffer *out, const char *name, const char *labels,
                        double value)
{
    if (labels && *labels)
        evbuffer_add_printf(out, "%s{%s} ", name, labels);
    else
        evbuffer_add_printf(out, "%s ", name);
    add_value(out, value);
    evbuffer_add(out, "\n", 1);
}

void lcd_metrics_histogram(struct evbuffer *out, const char *name, const char *help,
                           const lcd_histogram *h)
{
    lcd_metrics_family(out, name, "histogram", help);
    uint64_t cum = 0;
    for (int i = 0; i <= LCD_HIST_BOUNDS; i++) {
        cum += h->bucket[i];
        evbuffer_add_printf(out, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name,
                            i < LCD_HIST_BOUNDS ? lcd_histogram_bound_label(i) : "+Inf", cum);
    }
    evbuffer_add_printf(out, "%s_sum %" PRIu64 ".%09" PRIu64 "\n", name,
                        h->sum_ns / 1000000000u, h->sum_ns % 1000000000u);
    evbuffer_add_printf(out, "%s_count %" PRIu64 "\n", name, h->count);
}

/* ---- process_* (/proc/self) --------------------------------------------- */

/* Fields of /proc/self/stat after the command name, numbered as in proc(5). */
typedef struct {
    unsigned long long utime, stime, starttime, vsize;
    long long rss;
} proc_stat;

static int read_proc_stat(proc_stat *ps)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the name may hold spaces and ')' */
    if (!p)
        return -1;
    /* field 3 (state) onwards; 14 utime, 15 stime, 22 starttime, 23 vsize, 24 rss */
    int r = sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d "
                          "%*d %*d %*d %*d %llu %llu %lld",
                   &ps->utime, &ps->stime, &ps->starttime, &ps->vsize, &ps->rss);
    return r == 5 ? 0 : -1;
}

static long long boot_time(void)
{
    char line[256];
    long long bt = -1;
    FILE *f = fopen("/proc/stat", "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "btime %lld", &bt) == 1)
            break;
    fclose(f);
    return bt;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static void process_metric(struct evbuffer *out, const char *name, const char *type,
                           const char *help, double v)
{
    lcd_metrics_family(out, name, type, help);
    lcd_metrics_sample(out, name, NULL, v);
}

void lcd_metrics_process(struct evbuffer *out)
{
    proc_stat ps;
    double tck = (double)sysconf(_SC_CLK_TCK);
    if (read_proc_stat(&ps) == 0 && tck > 0) {
        process_metric(out, "process_cpu_seconds_total", "counter",
                       "Total user and system CPU time spent in seconds.",
                       (double)(ps.utime + ps.stime) / tck);
        process_metric(out, "process_virtual_memory_bytes", "gauge",
                       "Virtual memory size in bytes.", (double)ps.vsize);
        process_metric(out, "process_resident_memory_bytes", "gauge",
                       "Resident memory size in bytes.",
                       (double)ps.rss * (double)sysconf(_SC_PAGESIZE));
        long long bt = boot_time();
        if (bt >= 0)
            process_metric(out, "process_start_time_seconds", "gauge",
                           "Start time of the process since unix epoch in seconds.",
                           (double)bt + (double)ps.starttime / tck);
    }
    long fds = open_fds();
    if (fds >= 0)
        process_metric(out, "process_open_fds", "gauge", "Number of open file descriptors.",
                       (double)fds);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        process_metric(out, "process_max_fds", "gauge",
                       "Maximum number of open file descriptors.",
                       rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur);
}

/* ---- the daemon's metrics ----------------------------------------------- */

typedef struct {
    lcd_server *srv;
    const lcd_http_stats *http;
} source;

/* A counter in lcd_counters: its offset.  Anything else: a function. */
typedef struct {
    const char *name, *type, *help;
    size_t cnt_off;                /* with CNT() */
    double (*get)(const source *); /* with FN() */
    void (*emit)(struct evbuffer *, const char *name, const source *); /* labelled families */
} metric;

#define CNT(name, help, field) {name, "counter", help, offsetof(lcd_counters, field) + 1, NULL, NULL}
#define COUNTER(name, help, fn) {name, "counter", help, 0, fn, NULL}
#define GAUGE(name, help, fn) {name, "gauge", help, 0, fn, NULL}
#define LABELLED(name, type, help, fn) {name, type, help, 0, NULL, fn}

static double open_conns(const source *s) { return (double)s->srv->nconns; }
static double handshaking(const source *s) { return (double)s->srv->nhandshakes; }
static double sessions(const source *s) { return (double)lcd_sessions_count(s->srv->sessions); }
static double records_written(const source *s) { return (double)lcd_output_records_written(s->srv->out); }
static double bytes_written(const source *s) { return (double)lcd_output_bytes_written(s->srv->out); }
static double write_errors(const source *s) { return (double)lcd_output_write_errors(s->srv->out); }
static double pending_bytes(const source *s) { return (double)lcd_output_pending(s->srv->out); }
static double rotations(const source *s) { return (double)lcd_output_rotations(s->srv->out); }
static double reopened(const source *s) { return (double)lcd_output_reopened_missing(s->srv->out); }
static double blocked(const source *s) { return lcd_output_failing(s->srv->out) ? 1 : 0; }
static double partial_bytes(const source *s) { return (double)s->srv->budget.used; }
static double http_conns(const source *s) { return (double)s->http->connections; }
static double http_evicted(const source *s) { return (double)s->http->evicted; }
static double http_requests(const source *s) { return (double)s->http->requests; }

static double disk_full(const source *s)
{
    int e = lcd_output_last_error(s->srv->out);
    return e == ENOSPC || e == EDQUOT ? 1 : 0;
}

static void rejected(struct evbuffer *out, const char *name, const source *s)
{
    for (int i = 1; i < LCD_REJECT_REASONS; i++) {
        const char *key = lcp_rec_status_key((lcp_rec_status)i);
        if (strcmp(key, "unknown") == 0)
            continue;
        char labels[96];
        snprintf(labels, sizeof labels, "reason=\"%s\"", key);
        lcd_metrics_sample(out, name, labels, (double)s->srv->cnt.records_rejected[i]);
    }
}

static void hs_failed(struct evbuffer *out, const char *name, const source *s)
{
    for (int i = 0; i < LCD_HSR_COUNT; i++) {
        char labels[96];
        snprintf(labels, sizeof labels, "reason=\"%s\"", lcd_hs_reason_key((lcd_hs_reason)i));
        lcd_metrics_sample(out, name, labels, (double)s->srv->cnt.handshakes_failed_by[i]);
    }
}

static void build_info(struct evbuffer *out, const char *name, const source *s)
{
    (void)s;
    lcd_metrics_sample(out, name, "version=\"" LC_VERSION_STRING "\",proto=\"1\"", 1);
}

static const metric metrics[] = {
    LABELLED("logcollectord_build_info", "gauge", "Always 1; the labels say the version and protocol.", build_info),
    /* records */
    COUNTER("logcollectord_records_written_total", "Records written to the output file (lines in the file, rotated ones included).", records_written),
    CNT("logcollectord_records_accepted_total", "Records accepted (checked, queued for the output file).", records_accepted),
    LABELLED("logcollectord_records_rejected_total", "counter", "Records refused, by reason (the client was told).", rejected),
    CNT("logcollectord_records_duplicate_total", "Resent records skipped because they were already written.", records_duplicate),
    CNT("logcollectord_client_dropped_records_total", "Records clients reported they dropped (their queue was full), from their drop notices.", client_dropped),
    CNT("logcollectord_received_bytes_total", "Bytes received from clients, after TLS.", bytes_in),
    COUNTER("logcollectord_written_bytes_total", "Bytes written to the output file.", bytes_written),
    /* connections */
    GAUGE("logcollectord_connections", "Connections open (authenticated or in the handshake).", open_conns),
    GAUGE("logcollectord_connections_handshaking", "Connections still in the handshake.", handshaking),
    CNT("logcollectord_connections_accepted_total", "Connections accepted.", conn_total),
    CNT("logcollectord_connections_refused_total", "Connections refused because --max-clients were open.", conn_refused_full),
    LABELLED("logcollectord_handshakes_failed_total", "counter", "Failed handshakes, by reason.", hs_failed),
    CNT("logcollectord_handshakes_delayed_total", "Failed handshakes answered late (their address kept failing).", handshakes_delayed),
    CNT("logcollectord_handshakes_dropped_total", "Failed handshakes closed unanswered (too many of their address waiting).", handshakes_dropped),
    CNT("logcollectord_handshakes_evicted_total", "Connections closed in the handshake to make room (--max-handshakes, out of descriptors).", handshakes_evicted),
    CNT("logcollectord_protocol_errors_total", "Connections closed for breaking the protocol.", protocol_errors),
    CNT("logcollectord_reads_capped_total", "Read batches cut at --max-unwritten.", reads_capped),
    GAUGE("logcollectord_sessions", "Sessions remembered for de-duplicating resends.", sessions),
    GAUGE("logcollectord_partial_frame_bytes", "Bytes of partly received frames held (--max-partial-bytes).", partial_bytes),
    /* the output */
    GAUGE("logcollectord_output_blocked", "1 while the output file cannot be written (records are held, not acknowledged), else 0.", blocked),
    GAUGE("logcollectord_output_disk_full", "1 while writing fails for want of space (ENOSPC, EDQUOT), else 0.", disk_full),
    GAUGE("logcollectord_output_pending_bytes", "Bytes accepted and not yet written.", pending_bytes),
    COUNTER("logcollectord_output_write_errors_total", "Failed writes and syncs of the output file.", write_errors),
    COUNTER("logcollectord_output_rotations_total", "Rotations at --rotate-size.", rotations),
    COUNTER("logcollectord_output_reopened_total", "Times the output file was found deleted or renamed (without SIGHUP) and reopened.", reopened),
    /* this HTTP server */
    GAUGE("logcollectord_http_connections", "Connections open to the --http server.", http_conns),
    COUNTER("logcollectord_http_requests_total", "Requests answered by the --http server.", http_requests),
    COUNTER("logcollectord_http_connections_evicted_total", "--http connections closed for want of a complete request in time, or to make room.", http_evicted),
};

static void write_metric(struct evbuffer *out, const metric *m, const source *s)
{
    lcd_metrics_family(out, m->name, m->type, m->help);
    if (m->emit) {
        m->emit(out, m->name, s);
        return;
    }
    double v = m->get ? m->get(s)
                      : (double)*(const uint64_t *)((const char *)&s->srv->cnt + m->cnt_off - 1);
    lcd_metrics_sample(out, m->name, NULL, v);
}

void lcd_metrics_write(struct evbuffer *out, lcd_server *srv, const lcd_http_stats *http)
{
    source s = {srv, http};
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        write_metric(out, &metrics[i], &s);
    lcd_metrics_histogram(out, "logcollectord_output_write_duration_seconds",
                          "Time of each write(2) to the output file.",
                          lcd_output_write_histogram(srv->out));
    lcd_metrics_histogram(out, "logcollectord_output_fsync_duration_seconds",
                          "Time of each fdatasync of the output file (--fsync).",
                          lcd_output_sync_histogram(srv->out));
    lcd_metrics_process(out);
}

/* ---- the clients' drop notices ------------------------------------------ */

#define NOTICE_HEAD "{\"ts\":\""
#define NOTICE_MID "\",\"level\":\"warning\",\"msg\":\"logcollect client dropped "
#define NOTICE_TAIL ",\"dropped\":"
#define TS_LEN 27
#define NOTICE_MAX 160

uint64_t lcd_drop_notice_count(const uint8_t *rec, size_t len)
{
    const size_t mid = sizeof NOTICE_HEAD - 1 + TS_LEN;
    if (len > NOTICE_MAX || len < mid + sizeof NOTICE_MID + sizeof NOTICE_TAIL ||
        memcmp(rec, NOTICE_HEAD, sizeof NOTICE_HEAD - 1) != 0 ||
        memcmp(rec + mid, NOTICE_MID, sizeof NOTICE_MID - 1) != 0 || rec[len - 1] != '}')
        return 0;
    /* ...,"dropped":N} */
    size_t end = len - 1, d = end;
    while (d > 0 && rec[d - 1] >= '0' && rec[d - 1] <= '9')
        d--;
    if (d == end || end - d > 20 || d < sizeof NOTICE_TAIL - 1 ||
        memcmp(rec + d - (sizeof NOTICE_TAIL - 1), NOTICE_TAIL, sizeof NOTICE_TAIL - 1) != 0)
        return 0;
    uint64_t n = 0;
    for (size_t i = d; i < end; i++) {
        unsigned digit = (unsigned)(rec[i] - '0');
        if (n > (UINT64_MAX - digit) / 10)
            return 0; /* not a count we could have sent */
        n = n * 10 + digit;
    }
    return n;
}
