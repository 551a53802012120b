/*
 * forward.c - see forward.h.
 *
 * The window: a ring of the lines published and not yet acknowledged, in
 * file order.  An ack (matched by its Msg-Id) marks its line; the position
 * advances over the acknowledged prefix and that is what the state file
 * records.  Anything else -- a negative ack, no ack within ACK_TIMEOUT_MS,
 * a reconnection -- takes every unacknowledged message back from nats.c
 * (js_PublishAsyncGetPendingList) and sends again from the position: the
 * Msg-Id makes JetStream drop what it already has.
 */
#include "forward.h"

#ifndef LCD_HAVE_NATS

#include <stdio.h>

int lcd_forward_global_init(const lcd_options *opt, char *err, size_t errlen)
{
    if (!opt->forward_nats && opt->ack_after != LCD_ACK_AFTER_FORWARD)
        return 0;
    snprintf(err, errlen, "%s: this logcollectord was built without NATS support "
             "(libnats-dev); install libnats-dev and rebuild to forward to NATS JetStream",
             opt->forward_nats ? "--forward-nats" : "--ack-after forward");
    return -1;
}

lcd_forward *lcd_forward_new(struct event_base *base, const lcd_options *opt,
                             lcd_output *out, char *err, size_t errlen)
{
    (void)base;
    (void)out;
    lcd_forward_global_init(opt, err, errlen);
    return NULL;
}

void lcd_forward_opened(lcd_forward *f, int fd, uint64_t dev, uint64_t ino)
{
    (void)f, (void)fd, (void)dev, (void)ino;
}
void lcd_forward_kick(lcd_forward *f) { (void)f; }
void lcd_forward_set_hooks(lcd_forward *f, const lcd_forward_hooks *h) { (void)f, (void)h; }
void lcd_forward_stop(lcd_forward *f) { (void)f; }
int lcd_forward_done(const lcd_forward *f) { (void)f; return 1; }
const lcd_fwd_counters *lcd_forward_counters(lcd_forward *f) { (void)f; return NULL; }
void lcd_forward_free(lcd_forward *f) { (void)f; }

#else /* LCD_HAVE_NATS */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <nats/adapters/libevent.h>
#include <nats/nats.h>

#include "fwdstate.h"
#include "log.h"
#include "spool.h"

#define TICK_MS 100
#define ACK_TIMEOUT_MS 5000
#define STATE_SAVE_MS 200
#define STREAM_RETRY_MS 2000
#define STOP_WAIT_MS 2000
#define PUMP_BATCH 512 /* lines per loop turn, so clients' I/O interleaves */

typedef struct {
    uint64_t gen, end;
    char id[LCD_MSGID_MAX];
    int acked;
    long long sent_ms;
} inflight;

/* What nats.c's threads tell the loop. */
typedef struct {
    char id[LCD_MSGID_MAX];
    int ok, duplicate;
    natsStatus err;
    int code;
    char text[128];
} ack_event;

enum { STREAM_UNKNOWN, STREAM_CHECKING, STREAM_OK, STREAM_BAD };

struct lcd_forward {
    struct event_base *base;
    const lcd_options *opt;
    lcd_output *out;
    char *state_path;
    char subject[256];
    natsOptions *nopts;
    natsConnection *nc;
    jsCtx *js;
    lcd_spool *sp;
    inflight *ring;
    size_t head, count, cap;
    uint64_t cgen, coff;          /* acknowledged up to here */
    int state_dirty;
    long long last_save_ms;
    int stream;                   /* STREAM_* */
    long long next_check_ms;
    pthread_t checker;
    int checker_running;
    /* shared with nats.c's threads, under mu */
    pthread_mutex_t mu;
    ack_event *q;
    size_t qn, qcap;
    int conn_event;               /* connected or reconnected since last looked */
    int check_done, check_ok;
    char check_text[1024];
    /* loop side */
    struct event *wake_ev, *tick_ev, *pump_ev;
    int stopping, done;
    long long stop_deadline;
    lcd_forward_hooks hooks;
    int blocked;
    lcd_fwd_counters cnt;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void save_state(lcd_forward *f);
static void set_error(lcd_forward *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(lcd_forward *f, const char *fmt, ...)
{
    va_list ap;
    char msg[sizeof f->cnt.last_error];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    f->cnt.errors++;
    if (strcmp(msg, f->cnt.last_error) != 0) /* each new error once in the log */
        lcd_log(LCD_ERR, "forwarding to NATS: %s", msg);
    snprintf(f->cnt.last_error, sizeof f->cnt.last_error, "%s", msg);
}

int lcd_forward_global_init(const lcd_options *opt, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!opt->forward_nats)
        return 0;
    natsLibevent_Init(); /* evthread_use_pthreads: nats.c's threads touch the loop */
    return 0;
}

/* ---- nats.c's threads: queue and wake ----------------------------------- */

static void wake(lcd_forward *f)
{
    event_active(f->wake_ev, 0, 0);
}

static void ack_cb(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    lcd_forward *f = closure;
    (void)js;
    const char *id = NULL;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK)
        id = NULL;
    ack_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.id, sizeof e.id, "%s", id ? id : "");
    e.ok = pa != NULL;
    e.duplicate = pa && pa->Duplicate;
    if (pae) {
        e.err = pae->Err;
        e.code = (int)pae->ErrCode;
        snprintf(e.text, sizeof e.text, "%s", pae->ErrText ? pae->ErrText : "");
    }
    natsMsg_Destroy(msg);
    pthread_mutex_lock(&f->mu);
    if (f->qn == f->qcap) {
        size_t cap = f->qcap ? f->qcap * 2 : 256;
        ack_event *q = realloc(f->q, cap * sizeof *q);
        if (!q) { /* the ack is lost: the timeout sends the line again */
            pthread_mutex_unlock(&f->mu);
            return;
        }
        f->q = q;
        f->qcap = cap;
    }
    f->q[f->qn++] = e;
    pthread_mutex_unlock(&f->mu);
    wake(f);
}

static void conn_cb(natsConnection *nc, void *closure)
{
    lcd_forward *f = closure;
    (void)nc;
    pthread_mutex_lock(&f->mu);
    f->conn_event = 1;
    pthread_mutex_unlock(&f->mu);
    wake(f);
}

static void disconn_cb(natsConnection *nc, void *closure)
{
    (void)nc;
    wake(closure);
}

/* ---- the stream check (its own thread: a blocking request) -------------- */

/* Does the subject filter (tokens, '*' one token, '>' the rest) cover subj? */
static int subject_covers(const char *filter, const char *subj)
{
    for (;;) {
        const char *fe = strchr(filter, '.'), *se = strchr(subj, '.');
        size_t fl = fe ? (size_t)(fe - filter) : strlen(filter);
        size_t sl = se ? (size_t)(se - subj) : strlen(subj);
        if (fl == 1 && filter[0] == '>' && !fe)
            return 1;
        if (!(fl == 1 && filter[0] == '*') && (fl != sl || memcmp(filter, subj, fl) != 0))
            return 0;
        if (!fe || !se)
            return !fe && !se;
        filter = fe + 1;
        subj = se + 1;
    }
}

static void check_result(lcd_forward *f, int ok, const char *text)
{
    pthread_mutex_lock(&f->mu);
    f->check_done = 1;
    f->check_ok = ok;
    snprintf(f->check_text, sizeof f->check_text, "%s", text);
    pthread_mutex_unlock(&f->mu);
    wake(f);
}

static int create_stream(lcd_forward *f, char *text, size_t len)
{
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[1] = {f->subject};
    cfg.Name = f->opt->forward_stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = f->opt->forward_replicas;
    cfg.MaxAge = (int64_t)f->opt->forward_max_age_ms * 1000000;
    if (f->opt->forward_max_bytes > 0)
        cfg.MaxBytes = f->opt->forward_max_bytes;
    jsErrCode jerr = 0;
    natsStatus s = js_AddStream(NULL, f->js, &cfg, NULL, &jerr);
    if (s != NATS_OK) {
        const char *d = nats_GetLastError(NULL);
        snprintf(text, len, "cannot create stream %s (subject %s, %ld replicas): %s%s%s",
                 cfg.Name, f->subject, f->opt->forward_replicas, natsStatus_GetText(s),
                 d ? ": " : "", d ? d : "");
        return 0;
    }
    snprintf(text, len, "created stream %s for subject %s (%ld replicas)", cfg.Name,
             f->subject, f->opt->forward_replicas);
    return 1;
}

static void *check_stream(void *arg)
{
    lcd_forward *f = arg;
    char text[1024];
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    const char *name = f->opt->forward_stream;
    natsStatus s = js_GetStreamInfo(&si, f->js, name, NULL, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        if (f->opt->forward_create_stream) {
            int ok = create_stream(f, text, sizeof text);
            check_result(f, ok, text);
            return NULL;
        }
        snprintf(text, sizeof text, "stream %s does not exist: create it with subject %s "
                 "(e.g. nats stream add %s --subjects '%s'), or start with "
                 "--forward-create-stream", name, f->subject, name, f->subject);
        check_result(f, 0, text);
        return NULL;
    }
    if (s != NATS_OK) {
        const char *d = nats_GetLastError(NULL);
        snprintf(text, sizeof text, "cannot look up stream %s: %s%s%s (is JetStream enabled "
                 "on the server, nats-server -js?)", name, natsStatus_GetText(s), d ? ": " : "",
                 d ? d : "");
        check_result(f, 0, text);
        return NULL;
    }
    int covered = 0;
    size_t used = 0;
    char list[256] = "";
    for (int i = 0; si->Config && i < si->Config->SubjectsLen; i++) {
        covered |= subject_covers(si->Config->Subjects[i], f->subject);
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         si->Config->Subjects[i]);
        used += n > 0 && (size_t)n < sizeof list - used ? (size_t)n : 0;
    }
    jsStreamInfo_Destroy(si);
    if (covered)
        snprintf(text, sizeof text, "stream %s covers subject %s", name, f->subject);
    else
        snprintf(text, sizeof text, "stream %s exists but its subjects (%s) do not cover "
                 "--forward-subject %s: add the subject to the stream, or choose a subject "
                 "it covers", name, list, f->subject);
    check_result(f, covered, text);
    return NULL;
}

static void start_check(lcd_forward *f)
{
    if (f->checker_running || f->stopping)
        return;
    f->stream = STREAM_CHECKING;
    if (pthread_create(&f->checker, NULL, check_stream, f) != 0) {
        set_error(f, "cannot start a thread to check stream %s", f->opt->forward_stream);
        f->stream = STREAM_UNKNOWN;
        f->next_check_ms = now_ms() + STREAM_RETRY_MS;
        return;
    }
    f->checker_running = 1;
}

/* ---- the window -------------------------------------------------------- */

static int connected(lcd_forward *f)
{
    return f->nc && natsConnection_Status(f->nc) == NATS_CONN_STATUS_CONNECTED;
}

static void live_position(lcd_forward *f, lcd_fwdpos *live)
{
    lcd_output_position(f->out, &live->dev, &live->ino, &live->off);
}

/* Take back everything unacknowledged and read again from the position. */
static void rewind_window(lcd_forward *f)
{
    natsMsgList pending;
    /* (nats.c 3.4 crashes here before the first asynchronous publish) */
    if (f->js && f->cnt.published && js_PublishAsyncGetPendingList(&pending, f->js) == NATS_OK)
        natsMsgList_Destroy(&pending);
    if (f->count)
        f->cnt.resends++;
    f->head = f->count = 0;
    f->cnt.inflight = 0;
    lcd_spool_seek(f->sp, f->cgen, f->coff);
}

static void pump(lcd_forward *f)
{
    if (f->stopping || f->stream != STREAM_OK || !connected(f))
        return;
    lcd_fwdpos live;
    live_position(f, &live);
    int budget = PUMP_BATCH;
    lcd_spool_line ln;
    while (f->count < f->cap && budget > 0 && lcd_spool_next(f->sp, &live, &ln)) {
        inflight *e = &f->ring[(f->head + f->count) % f->cap];
        lcd_fwd_msgid(ln.data, ln.len, ln.ino, ln.off, e->id);
        natsMsg *m = NULL;
        natsStatus s = natsMsg_Create(&m, f->subject, NULL, (const char *)ln.data, (int)ln.len);
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = e->id;
        if (s == NATS_OK)
            s = js_PublishMsgAsync(f->js, &m, &po);
        natsMsg_Destroy(m);
        if (s != NATS_OK) {
            set_error(f, "cannot publish to %s: %s", f->subject, natsStatus_GetText(s));
            lcd_spool_seek(f->sp, ln.gen, ln.off); /* this line again, later */
            return;
        }
        e->gen = ln.gen;
        e->end = ln.end;
        e->acked = 0;
        e->sent_ms = now_ms();
        f->count++;
        f->cnt.published++;
        budget--;
    }
    f->cnt.inflight = f->count;
    if (budget == 0)
        event_active(f->pump_ev, 0, 0); /* more after the clients' turn */
}

/* The acknowledged prefix of the window becomes the position. */
static void advance(lcd_forward *f)
{
    int any = 0;
    while (f->count && f->ring[f->head].acked) {
        inflight *e = &f->ring[f->head];
        if (f->hooks.committed)
            f->hooks.committed(e->id, f->hooks.arg);
        any = 1;
        f->cgen = e->gen;
        f->coff = e->end;
        f->head = (f->head + 1) % f->cap;
        f->count--;
        f->cnt.forwarded++;
        f->state_dirty = 1;
    }
    f->cnt.inflight = f->count;
    lcd_spool_release(f->sp, f->cgen);
    if (any && f->hooks.committed_done)
        f->hooks.committed_done(f->hooks.arg);
}

/* Tell the server when publishing becomes impossible or possible. */
static void update_blocked(lcd_forward *f)
{
    int b = !(f->stream == STREAM_OK && connected(f));
    if (b == f->blocked)
        return;
    f->blocked = b;
    if (f->hooks.blocked)
        f->hooks.blocked(b, f->hooks.arg);
}

static void on_ack(lcd_forward *f, const ack_event *a)
{
    for (size_t i = 0; i < f->count; i++) {
        inflight *e = &f->ring[(f->head + i) % f->cap];
        if (e->acked || strcmp(e->id, a->id) != 0)
            continue;
        if (!a->ok) {
            set_error(f, "JetStream refused message %s: %s%s%s", a->id,
                      natsStatus_GetText(a->err), a->text[0] ? ": " : "", a->text);
            if (a->err == NATS_NO_RESPONDERS || a->code == JSStreamNotFoundErr) {
                f->stream = STREAM_UNKNOWN; /* check it again, say what is wrong */
                f->next_check_ms = now_ms();
            }
            rewind_window(f);
            return;
        }
        e->acked = 1;
        if (a->duplicate)
            f->cnt.duplicates++;
        double rtt = (double)(now_ms() - e->sent_ms);
        f->cnt.rtt_ms = f->cnt.rtt_ms == 0 ? rtt : f->cnt.rtt_ms * 0.9 + rtt * 0.1;
        return;
    }
    /* not in the window: a late ack of something already sent again */
}

static void handle_check_result(lcd_forward *f, int ok, const char *text)
{
    if (f->checker_running) {
        pthread_join(f->checker, NULL);
        f->checker_running = 0;
    }
    if (ok) {
        lcd_log(LCD_INFO, "forwarding to NATS: %s", text);
        f->stream = STREAM_OK;
        f->cnt.last_error[0] = '\0';
        rewind_window(f);
        return;
    }
    set_error(f, "%s", text);
    f->stream = STREAM_BAD;
    f->next_check_ms = now_ms() + STREAM_RETRY_MS;
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_forward *f = arg;
    (void)fd;
    (void)what;
    pthread_mutex_lock(&f->mu);
    ack_event *q = f->q;
    size_t qn = f->qn;
    f->q = NULL;
    f->qn = f->qcap = 0;
    int conn_event = f->conn_event, check_done = f->check_done, check_ok = f->check_ok;
    char text[sizeof f->check_text];
    memcpy(text, f->check_text, sizeof text);
    f->conn_event = f->check_done = 0;
    pthread_mutex_unlock(&f->mu);

    for (size_t i = 0; i < qn; i++)
        on_ack(f, &q[i]);
    free(q);
    advance(f);
    if (check_done)
        handle_check_result(f, check_ok, text);
    update_blocked(f);
    if (conn_event) {
        lcd_log(LCD_INFO, "forwarding: connected to NATS at %s",
                f->opt->forward_nats);
        rewind_window(f); /* what was in flight may be lost: send it again */
        if (f->stream != STREAM_CHECKING)
            start_check(f);
    }
    pump(f);
}

static void save_state(lcd_forward *f)
{
    lcd_fwdpos p;
    int fd = lcd_spool_fd(f->sp, f->cgen);
    if (!f->state_dirty || fd < 0 || lcd_fwd_identify(fd, &p) != 0)
        return;
    p.off = f->coff;
    char err[512];
    if (lcd_fwdstate_save(f->state_path, &p, err, sizeof err) != 0) {
        set_error(f, "%s", err);
        return;
    }
    f->state_dirty = 0;
    f->last_save_ms = now_ms();
}

static void finish_stop(lcd_forward *f)
{
    if (f->count)
        lcd_log(LCD_WARN, "forwarding: stopping with %zu messages not acknowledged by "
                "JetStream; they are sent again at the next start", f->count);
    rewind_window(f);
    f->state_dirty = 1; /* (also when nothing moved: the file's head may have) */
    save_state(f);
    if (f->nc)
        natsConnection_Close(f->nc);
    f->done = 1;
    lcd_log(LCD_INFO, "forwarding stopped: %llu lines forwarded since start",
            (unsigned long long)f->cnt.forwarded);
}

static const char *state_name(lcd_forward *f)
{
    if (f->done)
        return "stopped";
    if (!f->nc)
        return "connecting";
    switch (natsConnection_Status(f->nc)) {
    case NATS_CONN_STATUS_CONNECTED:
        return f->stream == STREAM_OK ? "connected" : f->stream == STREAM_BAD
                                                          ? "stream-missing"
                                                          : "checking-stream";
    case NATS_CONN_STATUS_RECONNECTING:
        return "reconnecting";
    case NATS_CONN_STATUS_CONNECTING:
        return "connecting";
    default:
        return "disconnected";
    }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    lcd_forward *f = arg;
    (void)fd;
    (void)what;
    long long now = now_ms();
    if (f->stopping) {
        if (!f->done && (f->count == 0 || now >= f->stop_deadline || !connected(f)))
            finish_stop(f);
        if (f->done)
            return;
    } else {
        update_blocked(f);
        if (f->count && now - f->ring[f->head].sent_ms > ACK_TIMEOUT_MS) {
            set_error(f, "no acknowledgement from JetStream within %d ms; sending the "
                      "%zu unacknowledged messages again", ACK_TIMEOUT_MS, f->count);
            rewind_window(f);
        }
        if (connected(f) && (f->stream == STREAM_UNKNOWN || f->stream == STREAM_BAD) &&
            now >= f->next_check_ms)
            start_check(f);
        if (f->state_dirty && now - f->last_save_ms >= STATE_SAVE_MS)
            save_state(f);
        pump(f);
    }
    struct timeval tv = {0, TICK_MS * 1000};
    evtimer_add(f->tick_ev, &tv);
}

static void pump_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pump(arg);
}

/* ---- start-up: where to begin ------------------------------------------ */

typedef struct {
    char *path;
    struct timespec mtime;
    uint64_t dev, ino;
} candidate;

static int by_mtime(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return 0;
}

/* Is name OUTPUT.<digits> or OUTPUT-<digits> (a rotated output)? */
static int rotated_name(const char *name, const char *base)
{
    size_t bl = strlen(base);
    if (strncmp(name, base, bl) != 0 || (name[bl] != '.' && name[bl] != '-') || !name[bl + 1])
        return 0;
    for (const char *p = name + bl + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* The rotated files next to the output, oldest first. */
static candidate *rotated_files(const char *output, size_t *n)
{
    *n = 0;
    char *d1 = strdup(output), *d2 = strdup(output);
    candidate *list = NULL;
    size_t cap = 0;
    DIR *dir = d1 && d2 ? opendir(dirname(d1)) : NULL;
    const char *base = d2 ? basename(d2) : "";
    struct dirent *de;
    while (dir && (de = readdir(dir)) != NULL) {
        if (!rotated_name(de->d_name, base))
            continue;
        size_t pl = strlen(d1) + strlen(de->d_name) + 2;
        char *path = malloc(pl);
        struct stat st;
        if (!path)
            break;
        snprintf(path, pl, "%s/%s", d1, de->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            candidate *l = realloc(list, nc * sizeof *l);
            if (!l) {
                free(path);
                break;
            }
            list = l;
            cap = nc;
        }
        list[(*n)++] = (candidate){path, st.st_mtim, (uint64_t)st.st_dev, (uint64_t)st.st_ino};
    }
    if (dir)
        closedir(dir);
    free(d1);
    free(d2);
    if (list)
        qsort(list, *n, sizeof *list, by_mtime);
    return list;
}

static void add_file(lcd_forward *f, int fd, uint64_t dev, uint64_t ino)
{
    uint64_t lost = 0;
    uint64_t gen = lcd_spool_add(f->sp, fd, dev, ino, f->cgen, f->coff, &lost);
    if (lost || (f->cgen && f->cgen < lcd_spool_first_gen(f->sp))) {
        f->cnt.lost += lost;
        lcd_log(LCD_ERR, "forwarding: more than --forward-max-files %ld rotated files are "
                "waiting to be forwarded; gave up the oldest: %llu lines in it were never "
                "acknowledged by JetStream (counted in forward.lost)",
                f->opt->forward_max_files, (unsigned long long)lost);
        f->cgen = lcd_spool_first_gen(f->sp);
        f->coff = 0;
        f->state_dirty = 1;
        rewind_window(f);
    }
    if (!f->cgen && gen) {
        f->cgen = gen;
        f->coff = 0;
    }
}

static int open_add(lcd_forward *f, const char *path, uint64_t dev, uint64_t ino)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || (uint64_t)st.st_dev != dev ||
        (uint64_t)st.st_ino != ino) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    add_file(f, fd, dev, ino);
    return 0;
}

/* Queue the files from the saved position to the live one. */
static int restore_position(lcd_forward *f, char *err, size_t errlen)
{
    lcd_fwdpos saved, live;
    live_position(f, &live);
    int have = lcd_fwdstate_load(f->state_path, &saved, err, errlen);
    if (have < 0)
        return -1;
    size_t n = 0;
    candidate *c = NULL;
    int live_fd = lcd_output_fd(f->out);
    int in_live = have && lcd_fwd_same_file(live_fd, &saved);
    if (have && !in_live) {
        c = rotated_files(f->opt->output, &n);
        size_t from = n;
        for (size_t i = 0; i < n; i++) {
            int fd = c[i].dev == saved.dev && c[i].ino == saved.ino
                         ? open(c[i].path, O_RDONLY | O_CLOEXEC | O_NOCTTY) : -1;
            if (fd >= 0 && lcd_fwd_same_file(fd, &saved))
                from = i;
            if (fd >= 0)
                close(fd);
        }
        if (from == n) {
            /* The file was deleted before it was finished: what was in it
             * past the position is lost; forward the files written since
             * the position was saved. */
            struct stat st;
            struct timespec since = {0, 0};
            if (stat(f->state_path, &st) == 0)
                since = st.st_mtim;
            f->cnt.lost_files++;
            lcd_log(LCD_ERR, "forwarding: the file the forwarder was reading (inode %llu, at "
                    "offset %llu) is gone (deleted by log rotation before it was forwarded); "
                    "its remaining lines are lost (counted in forward.lost_files); going on "
                    "with the rotated files written since", (unsigned long long)saved.ino,
                    (unsigned long long)saved.off);
            for (size_t i = 0; i < n; i++)
                if (by_mtime(&c[i], &(candidate){NULL, since, 0, 0}) >= 0)
                    open_add(f, c[i].path, c[i].dev, c[i].ino);
        } else {
            for (size_t i = from; i < n; i++)
                if (open_add(f, c[i].path, c[i].dev, c[i].ino) == 0 && i == from)
                    f->coff = saved.off;
        }
    }
    int fd = dup(live_fd);
    if (fd < 0) {
        snprintf(err, errlen, "cannot hold the output file open for forwarding: %s",
                 strerror(errno));
        for (size_t i = 0; i < n; i++)
            free(c[i].path);
        free(c);
        return -1;
    }
    int fresh = !f->cgen;
    add_file(f, fd, live.dev, live.ino);
    if (fresh && in_live)
        f->coff = saved.off <= live.off ? saved.off : live.off;
    for (size_t i = 0; i < n; i++)
        free(c[i].path);
    free(c);
    lcd_spool_seek(f->sp, f->cgen, f->coff);
    /* Saved at once, so that a rotation before the first ack (NATS down
     * from the start) is followed across a restart too. */
    f->state_dirty = 1;
    save_state(f);
    if (f->state_dirty) {
        snprintf(err, errlen, "%s", f->cnt.last_error);
        return -1;
    }
    uint64_t dev, ino;
    lcd_spool_identity(f->sp, f->cgen, &dev, &ino);
    lcd_log(LCD_INFO, "forwarding from %s (inode %llu) offset %llu, %zu file(s) to go",
            have ? "the saved position in" : "the start of", (unsigned long long)ino,
            (unsigned long long)f->coff, lcd_spool_files(f->sp));
    return 0;
}

/* ---- set-up --------------------------------------------------------------- */

static int split_urls(const char *list, char ***urls, int *n)
{
    char *copy = strdup(list);
    *urls = NULL;
    *n = 0;
    if (!copy)
        return -1;
    char *save = NULL;
    for (char *u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
        char **l = realloc(*urls, (size_t)(*n + 1) * sizeof *l);
        if (!l || !(l[*n] = strdup(u))) {
            *urls = l ? l : *urls;
            free(copy);
            return -1;
        }
        *urls = l;
        (*n)++;
    }
    free(copy);
    return *n ? 0 : -1;
}

static int nats_options(lcd_forward *f, char *err, size_t errlen)
{
    const lcd_options *o = f->opt;
    char **urls = NULL;
    int nurls = 0;
    natsStatus s = natsOptions_Create(&f->nopts);
    if (s == NATS_OK && split_urls(o->forward_nats, &urls, &nurls) != 0)
        s = NATS_INVALID_ARG;
    if (s == NATS_OK)
        s = natsOptions_SetServers(f->nopts, (const char **)urls, nurls);
    for (int i = 0; i < nurls; i++)
        free(urls[i]);
    free(urls);
    if (s != NATS_OK) {
        snprintf(err, errlen, "--forward-nats '%s': not a list of NATS URLs (%s)",
                 o->forward_nats, natsStatus_GetText(s));
        return -1;
    }
    natsOptions_SetName(f->nopts, "logcollectord");
    natsOptions_SetMaxReconnect(f->nopts, -1);
    natsOptions_SetReconnectWait(f->nopts, 500);
    natsOptions_SetTimeout(f->nopts, 2000);
    natsOptions_SetRetryOnFailedConnect(f->nopts, true, conn_cb, f);
    natsOptions_SetReconnectedCB(f->nopts, conn_cb, f);
    natsOptions_SetDisconnectedCB(f->nopts, disconn_cb, f);
    natsOptions_SetEventLoop(f->nopts, f->base, natsLibevent_Attach, natsLibevent_Read,
                             natsLibevent_Write, natsLibevent_Detach);
    const char *what = NULL;
    if (o->forward_creds && (s = natsOptions_SetUserCredentialsFromFiles(f->nopts, o->forward_creds, NULL)) != NATS_OK)
        what = "--forward-creds";
    else if (o->forward_token && (s = natsOptions_SetToken(f->nopts, o->forward_token)) != NATS_OK)
        what = "--forward-token";
    else if (o->forward_ca && ((s = natsOptions_SetSecure(f->nopts, true)) != NATS_OK ||
                               (s = natsOptions_LoadCATrustedCertificates(f->nopts, o->forward_ca)) != NATS_OK))
        what = "--forward-ca";
    else if ((o->forward_cert || o->forward_key) &&
             (!o->forward_cert || !o->forward_key ||
              (s = natsOptions_LoadCertificatesChain(f->nopts, o->forward_cert, o->forward_key)) != NATS_OK))
        what = "--forward-cert/--forward-key";
    if (what) {
        const char *d = nats_GetLastError(NULL);
        snprintf(err, errlen, "%s: %s%s%s", what,
                 s == NATS_OK ? "give both --forward-cert and --forward-key" : natsStatus_GetText(s),
                 s != NATS_OK && d ? ": " : "", s != NATS_OK && d ? d : "");
        return -1;
    }
    return 0;
}

static int make_subject(lcd_forward *f, char *err, size_t errlen)
{
    if (f->opt->forward_subject) {
        snprintf(f->subject, sizeof f->subject, "%s", f->opt->forward_subject);
    } else {
        char host[200];
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "unknown");
        host[sizeof host - 1] = '\0';
        for (char *p = host; *p; p++) /* a subject token has no dots, blanks, wildcards */
            if (*p == '.' || *p == ' ' || *p == '*' || *p == '>' || *p == '\t')
                *p = '_';
        snprintf(f->subject, sizeof f->subject, "logs.%s", host);
    }
    const char *s = f->subject;
    int bad = !*s || strlen(s) >= sizeof f->subject - 1 || s[0] == '.' || s[strlen(s) - 1] == '.' ||
              strstr(s, "..") || strpbrk(s, " \t\r\n*>");
    if (bad) {
        snprintf(err, errlen, "--forward-subject '%s' is not a NATS subject to publish to "
                 "(tokens separated by dots, no blanks, no wildcards * or >)", s);
        return -1;
    }
    return 0;
}

lcd_forward *lcd_forward_new(struct event_base *base, const lcd_options *opt,
                             lcd_output *out, char *err, size_t errlen)
{
    lcd_forward *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->base = base;
    f->opt = opt;
    f->out = out;
    f->cap = (size_t)opt->forward_window;
    f->cnt.state = "connecting";
    pthread_mutex_init(&f->mu, NULL);
    f->state_path = lcd_fwdstate_path(opt->output);
    f->ring = calloc(f->cap, sizeof *f->ring);
    f->sp = lcd_spool_new((size_t)opt->forward_max_files, (size_t)opt->max_record + 65536);
    f->wake_ev = event_new(base, -1, 0, wake_cb, f);
    f->tick_ev = evtimer_new(base, tick_cb, f);
    f->pump_ev = event_new(base, -1, 0, pump_cb, f);
    if (!f->state_path || !f->ring || !f->sp || !f->wake_ev || !f->tick_ev || !f->pump_ev) {
        snprintf(err, errlen, "out of memory");
        lcd_forward_free(f);
        return NULL;
    }
    if (make_subject(f, err, errlen) != 0 || restore_position(f, err, errlen) != 0 ||
        nats_options(f, err, errlen) != 0) {
        lcd_forward_free(f);
        return NULL;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    jo.PublishAsync.MaxPending = (int64_t)f->cap * 4 + 1024; /* ours is the bound: never stall */
    jo.PublishAsync.AckHandler = ack_cb;
    jo.PublishAsync.AckHandlerClosure = f;
    natsStatus s = natsConnection_Connect(&f->nc, f->nopts);
    if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
        const char *d = nats_GetLastError(NULL);
        snprintf(err, errlen, "cannot set up the NATS connection to %s: %s%s%s",
                 opt->forward_nats, natsStatus_GetText(s), d ? ": " : "", d ? d : "");
        lcd_forward_free(f);
        return NULL;
    }
    if (s == NATS_NOT_YET_CONNECTED)
        lcd_log(LCD_WARN, "forwarding: NATS at %s is not reachable yet; records are kept in "
                "%s and sent once it is", opt->forward_nats, opt->output);
    s = natsConnection_JetStream(&f->js, f->nc, &jo);
    if (s != NATS_OK) {
        snprintf(err, errlen, "cannot set up JetStream on the NATS connection: %s",
                 natsStatus_GetText(s));
        lcd_forward_free(f);
        return NULL;
    }
    if (connected(f))
        conn_cb(f->nc, f); /* the stream check, once the loop runs */
    struct timeval tv = {0, TICK_MS * 1000};
    evtimer_add(f->tick_ev, &tv);
    return f;
}

void lcd_forward_opened(lcd_forward *f, int fd, uint64_t dev, uint64_t ino)
{
    int d = dup(fd);
    if (d < 0) {
        set_error(f, "cannot hold the new output file open for forwarding (%s); the lines "
                  "written to it are forwarded after the next restart", strerror(errno));
        return;
    }
    add_file(f, d, dev, ino);
}

void lcd_forward_set_hooks(lcd_forward *f, const lcd_forward_hooks *hooks)
{
    f->hooks = *hooks;
    f->blocked = -1;
    update_blocked(f);
}

void lcd_forward_kick(lcd_forward *f)
{
    if (f->count < f->cap)
        pump(f);
}

void lcd_forward_stop(lcd_forward *f)
{
    if (f->stopping)
        return;
    f->stopping = 1;
    f->stop_deadline = now_ms() + STOP_WAIT_MS;
    lcd_log(LCD_INFO, "forwarding: stopping; waiting up to %d ms for %zu acknowledgements",
            STOP_WAIT_MS, f->count);
    if (!f->count || !connected(f))
        finish_stop(f);
}

int lcd_forward_done(const lcd_forward *f)
{
    return !f || f->done;
}

const lcd_fwd_counters *lcd_forward_counters(lcd_forward *f)
{
    lcd_fwdpos live;
    live_position(f, &live);
    f->cnt.behind_bytes = lcd_spool_behind(f->sp, &live, f->cgen, f->coff);
    f->cnt.files = lcd_spool_files(f->sp);
    f->cnt.state = state_name(f);
    return &f->cnt;
}

void lcd_forward_free(lcd_forward *f)
{
    if (!f)
        return;
    if (f->checker_running)
        pthread_join(f->checker, NULL);
    if (f->nc && !f->done) {
        save_state(f);
        natsConnection_Close(f->nc);
    }
    if (f->js)
        jsCtx_Destroy(f->js);
    if (f->nc)
        natsConnection_Destroy(f->nc);
    natsOptions_Destroy(f->nopts);
    /* nats.c's threads may still be delivering callbacks (closed,
     * disconnected) that point at f: let them end first. */
    nats_CloseAndWait(2000);
    if (f->wake_ev)
        event_free(f->wake_ev);
    if (f->tick_ev)
        event_free(f->tick_ev);
    if (f->pump_ev)
        event_free(f->pump_ev);
    lcd_spool_free(f->sp);
    free(f->ring);
    free(f->q);
    free(f->state_path);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

#endif /* LCD_HAVE_NATS */
