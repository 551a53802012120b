/*
 * web_follow.c - `logcollect web` follows its file like `tail -F`: a timer
 * reads what was appended (a bounded amount per check, so a burst never
 * stalls the pages), hands each complete line to the live streams and to
 * the chart, and reopens the file by name when it was replaced (rotated)
 * or reads it again from the start when it was truncated; each is
 * announced to the pages as an event "rotated".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "line.h"
#include "web.h"

static int open_path(const char *path, int quiet)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && !quiet)
        fprintf(stderr, "logcollect: cannot open %s: %s%s\n", path, strerror(errno),
                errno == EACCES ? " (readers of the collector's output need its group, "
                                  "e.g. logcollect)"
                                : "");
    return fd;
}

/* Offset after the file's last newline: a line still being written is
 * shown once it is complete. */
static off_t complete_end(int fd, off_t size)
{
    char buf[4096];
    off_t end = size;
    while (end > 0) {
        size_t n = end > (off_t)sizeof buf ? sizeof buf : (size_t)end;
        if (pread(fd, buf, n, end - (off_t)n) != (ssize_t)n)
            return 0;
        char *nl = memrchr(buf, '\n', n);
        if (nl)
            return end - (off_t)n + (nl - buf) + 1;
        end -= (off_t)n;
    }
    return 0;
}

int web_follow_open(web_app *a)
{
    a->fd = open_path(a->path, 0);
    if (a->fd < 0)
        return -1;
    struct stat st;
    if (fstat(a->fd, &st) != 0) {
        fprintf(stderr, "logcollect: cannot stat %s: %s\n", a->path, strerror(errno));
        return -1;
    }
    a->pos = complete_end(a->fd, st.st_size);
    a->pend_len = 0;
    return 0;
}

static long long now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec;
}

void web_chart_count(web_app *a, json_t *rec, long long now)
{
    long long us, sec = now;
    if (json_is_object(rec) && lcli_record_time(rec, &us) == 0)
        sec = us / 1000000;
    if (sec <= now - WEB_CHART_SECONDS || sec > now + 60)
        return; /* outside the chart (an old record, a clock far ahead) */
    size_t slot = (size_t)(sec % WEB_CHART_SECONDS);
    if (a->chart_sec[slot] != sec) {
        a->chart_sec[slot] = sec;
        memset(a->chart_n[slot], 0, sizeof a->chart_n[slot]);
    }
    int lv = json_is_object(rec) ? lcli_record_level(rec) : 6;
    a->chart_n[slot][lv]++;
}

json_t *web_chart_json(const web_app *a)
{
    long long now = now_s();
    json_t *s = json_array();
    for (size_t i = 0; i < WEB_CHART_SECONDS; i++) {
        long long sec = a->chart_sec[i];
        if (sec <= now - WEB_CHART_SECONDS || sec > now + 60)
            continue;
        json_t *row = json_array();
        json_array_append_new(row, json_integer(sec));
        for (int l = 0; l < 8; l++)
            json_array_append_new(row, json_integer(a->chart_n[i][l]));
        json_array_append_new(s, row);
    }
    return json_pack("{s:I,s:o}", "now", (json_int_t)now, "s", s);
}

/* Each complete line of the pending bytes to the streams and the chart. */
static void take_lines(web_app *a)
{
    long long now = now_s();
    size_t start = 0;
    for (;;) {
        char *nl = memchr(a->pend + start, '\n', a->pend_len - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - a->pend);
        json_t *rec = lcli_record_load(a->pend + start, end - start);
        web_chart_count(a, rec, now);
        web_sse_line(a, a->pend + start, end - start, rec, a->pos + (off_t)start);
        json_decref(rec);
        start = end + 1;
    }
    if (start == 0 && a->pend_len >= WEB_LINE_MAX) {
        /* a line without end: show its start, drop the rest as it comes */
        web_sse_line(a, a->pend, a->pend_len, NULL, a->pos);
        start = a->pend_len;
    }
    memmove(a->pend, a->pend + start, a->pend_len - start);
    a->pend_len -= start;
    a->pos += (off_t)start;
}

/* Read what was appended, at most WEB_READ_BUDGET bytes: 1 if there may
 * be more, 0 at the end, -1 on a read error. */
static int read_new(web_app *a)
{
    size_t budget = WEB_READ_BUDGET;
    while (budget > 0) {
        if (a->pend_cap - a->pend_len < 65536) {
            size_t cap = a->pend_cap ? a->pend_cap * 2 : 262144;
            char *p = realloc(a->pend, cap);
            if (!p)
                return -1;
            a->pend = p;
            a->pend_cap = cap;
        }
        size_t want = a->pend_cap - a->pend_len;
        if (want > budget)
            want = budget;
        ssize_t r = pread(a->fd, a->pend + a->pend_len, want, a->pos + (off_t)a->pend_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        a->pend_len += (size_t)r;
        budget -= (size_t)r;
        take_lines(a);
    }
    return 1;
}

static void announce(web_app *a, const char *why)
{
    char data[128];
    snprintf(data, sizeof data, "{\"g\":%u,\"why\":\"%s\"}", a->gen, why);
    web_sse_broadcast(a, "rotated", data);
    fprintf(stderr, "logcollect: %s was %s; following the new file\n", a->path, why);
}

/* tail -F: the name now points to another file, or the file shrank. */
static void check_rotation(web_app *a)
{
    struct stat cur, by_name;
    if (fstat(a->fd, &cur) != 0 || stat(a->path, &by_name) != 0)
        return; /* renamed away, the new one not there yet */
    if (by_name.st_ino != cur.st_ino || by_name.st_dev != cur.st_dev) {
        while (read_new(a) > 0) /* the rest of the old file */
            ;
        int fd = open_path(a->path, 1);
        if (fd < 0)
            return;
        close(a->fd);
        a->fd = fd;
        a->pos = 0;
        a->pend_len = 0; /* a partial line of the old file stays unfinished */
        a->gen++;
        announce(a, "replaced (rotated)");
    } else if (cur.st_size < a->pos + (off_t)a->pend_len) {
        a->pos = 0;
        a->pend_len = 0;
        a->gen++;
        announce(a, "truncated");
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    web_app *a = arg;
    int more = read_new(a);
    if (more < 0)
        fprintf(stderr, "logcollect: cannot read %s: %s\n", a->path, strerror(errno));
    if (more == 0)
        check_rotation(a);
    struct timeval tv = {0, more > 0 ? 0 : WEB_POLL_MS * 1000};
    evtimer_add(a->tick, &tv);
}

int web_follow_start(web_app *a)
{
    a->tick = evtimer_new(a->base, on_tick, a);
    struct timeval tv = {0, 0};
    return a->tick && evtimer_add(a->tick, &tv) == 0 ? 0 : -1;
}

void web_follow_close(web_app *a)
{
    if (a->tick)
        event_free(a->tick);
    a->tick = NULL;
    if (a->fd >= 0)
        close(a->fd);
    a->fd = -1;
    free(a->pend);
    a->pend = NULL;
}
