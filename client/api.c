/*
 * api.c - the public API: open / close, the log calls, flush, counters,
 * the process-wide default client, and fork handling (options are in
 * options.c).
 *
 * A log call formats its record on its own stack (format.c), then takes
 * the client's mutex just long enough to copy the frame into the queue
 * (queue.c) and, only if the sender thread is asleep, to note that it must
 * be woken (one eventfd write after unlocking).  The sender thread
 * (sender.c) does all the network work.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "client_conn.h"
#include "format.h"
#include "internal.h"
#include "logcollect.h"
#include "record.h"
#include "client_tls.h"

/* Stack space for a record's message and for the record itself. */
#define MSG_STACK 512
#define REC_STACK 2048
#define KV_STACK 64

/* ---- the registry of clients, for fork -------------------------------- */

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static lc_client *reg_head;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

static void init_conds(lc_client *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&c->space_cv, &a);
    pthread_cond_init(&c->ack_cv, &a);
    pthread_condattr_destroy(&a);
}

/* In the child: the parent's thread, socket and queue are not ours.  Drop
 * them without a word to anyone; the session restarts on first use. */
static void child_reset(lc_client *c)
{
    /* The parent's TLS session (whole: set and cleared under lcc_fork_mu,
     * which the fork handlers hold) is freed, never used. */
    lcc_tls_forget(&c->conn);
    if (c->sock_fd >= 0)
        close(c->sock_fd);
    c->sock_fd = -1;
    if (c->wakefd >= 0)
        close(c->wakefd);
    c->wakefd = -1;
    lcc_queue_clear(&c->q, 1);
    c->acked = c->sent = c->pending_dropped = 0;
    c->records = c->dropped = c->notices = c->resent = c->rejected = 0;
    c->connects = c->connect_failures = 0;
    c->connected = 0;
    c->peer[0] = '\0';
    c->last_err = 0;
    c->last_err_msg[0] = '\0';
    c->rej_count = 0;
    c->sid[0] = '\0';
    OPENSSL_cleanse(c->secret, sizeof c->secret);
    c->pid = 0;
    c->running = c->stop = c->sender_idle = 0;
    c->flush_waiters = c->space_waiters = 0;
    c->have_conn = 0;
    c->conn.fd = -1;
    c->conn.rlen = 0;
    memset(&c->cur, 0, sizeof c->cur);
    c->backoff = 0;
    /* Threads of the parent may have been waiting on these. */
    init_conds(c);
}

static void atfork_prepare(void)
{
    pthread_mutex_lock(&lcc_fork_mu);
    pthread_mutex_lock(&reg_mu);
    for (lc_client *c = reg_head; c; c = c->reg_next)
        pthread_mutex_lock(&c->mu);
}

static void atfork_parent(void)
{
    for (lc_client *c = reg_head; c; c = c->reg_next)
        pthread_mutex_unlock(&c->mu);
    pthread_mutex_unlock(&reg_mu);
    pthread_mutex_unlock(&lcc_fork_mu);
}

static void atfork_child(void)
{
    for (lc_client *c = reg_head; c; c = c->reg_next) {
        child_reset(c);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&reg_mu);
    pthread_mutex_unlock(&lcc_fork_mu);
}

static int exiting; /* reg_mu: the atexit handler has stopped the threads */

/* exit(): flush every client (with its close timeout), then stop every
 * sender thread, so none of them is inside OpenSSL when OpenSSL's own
 * atexit handler (registered before this one, so run after it) frees its
 * state.  Records logged after this are not sent. */
static void at_exit(void)
{
    pthread_mutex_lock(&reg_mu);
    int64_t start = lcc_now_ms();
    for (lc_client *c = reg_head; c; c = c->reg_next) {
        int64_t left = (int64_t)c->close_ms - (lcc_now_ms() - start);
        (void)lc_flush(c, left > 0 ? (int)left : 0);
    }
    exiting = 1;
    for (lc_client *c = reg_head; c; c = c->reg_next) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        int running = c->running;
        pthread_mutex_unlock(&c->mu);
        if (running)
            lcc_wake(c);
    }
    for (lc_client *c = reg_head; c; c = c->reg_next) {
        if (c->running) {
            pthread_join(c->thread, NULL);
            pthread_mutex_lock(&c->mu);
            c->running = 0;
            pthread_mutex_unlock(&c->mu);
        }
    }
    pthread_mutex_unlock(&reg_mu);
}

static void register_handlers(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    /* OpenSSL registers its cleanup with atexit when it initialises: make
     * that happen now, before ours (so ours runs first).  Options must be
     * non-zero, else OPENSSL_init_crypto returns at once.  Using HMAC-SHA256
     * once here also builds OpenSSL's lazily made state in this thread
     * rather than in a sender thread. */
    pthread_mutex_lock(&lcc_fork_mu);
    OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_DIGESTS, NULL);
    unsigned char warm[EVP_MAX_MD_SIZE] = {0};
    unsigned int wlen = 0;
    (void)HMAC(EVP_sha256(), warm, 16, warm, 16, warm, &wlen);
    pthread_mutex_unlock(&lcc_fork_mu);
    atexit(at_exit);
}

/* Returns -1 (not added) once exit() has begun. */
static int reg_add(lc_client *c)
{
    pthread_mutex_lock(&reg_mu);
    if (exiting) {
        pthread_mutex_unlock(&reg_mu);
        return -1;
    }
    c->reg_prev = NULL;
    c->reg_next = reg_head;
    if (reg_head)
        reg_head->reg_prev = c;
    reg_head = c;
    pthread_mutex_unlock(&reg_mu);
    return 0;
}

static void reg_remove(lc_client *c)
{
    pthread_mutex_lock(&reg_mu);
    if (c->reg_prev)
        c->reg_prev->reg_next = c->reg_next;
    else
        reg_head = c->reg_next;
    if (c->reg_next)
        c->reg_next->reg_prev = c->reg_prev;
    pthread_mutex_unlock(&reg_mu);
}

/* ---- open / close --------------------------------------------------------- */

/* The argument, else the environment variable, else the default. */
const char *lcc_pick_path(const char *given, const char *env, const char *def)
{
    if (given)
        return given;
    const char *v = secure_getenv(env);
    return v && *v ? v : def;
}

/* A new session: a random secret, and the public id derived from it. */
static int new_sid(lc_client *c)
{
    uint8_t raw[16];
    if (lcc_random(raw, sizeof raw) != 0)
        return -1;
    lcp_sid_format(c->secret, raw);
    OPENSSL_cleanse(raw, sizeof raw);
    return lcp_sid_derive(c->secret, c->sid);
}

/* Start the sender thread (and the session, in a fork child).  Called
 * with mu held. */
static int start_sender(lc_client *c, const char *fn)
{
    if (!c->sid[0] && new_sid(c) != 0)
        return lcc_set_error(LC_ENOMEM, "%s: cannot get random bytes for a session id",
                             fn);
    if (c->wakefd < 0) {
        c->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (c->wakefd < 0)
            return lcc_set_error(LC_ENOMEM, "%s: cannot create an eventfd: %s", fn,
                                 strerror(errno));
    }
    c->pid = (int64_t)getpid();
    c->stop = 0;
    /* The thread takes no signals: they are the application's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&c->thread, NULL, lcc_sender_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return lcc_set_error(LC_ENOMEM, "%s: cannot start the sender thread: %s", fn,
                             strerror(rc));
    c->running = 1;
    return LC_OK;
}

static void free_client(lc_client *c)
{
    lcc_queue_clear(&c->q, 1);
    if (c->wakefd >= 0)
        close(c->wakefd);
    if (c->key) {
        OPENSSL_cleanse(c->key, c->keylen);
        free(c->key);
    }
    lcc_tls_free(c->tls);
    free(c->conn.rbuf);
    free(c->port_file);
    free(c->key_file);
    pthread_cond_destroy(&c->space_cv);
    pthread_cond_destroy(&c->ack_cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

LC_API lc_client *lc_open_opts(const lc_options *o, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    lc_options defaults;
    if (!o) {
        lcc_options_defaults(&defaults);
        o = &defaults;
    }
    const char *pf = lcc_pick_path(o->port_file, "LOGCOLLECT_PORT_FILE", LCC_DEFAULT_PORT_FILE);
    const char *kf = lcc_pick_path(o->key_file, "LOGCOLLECT_KEY_FILE", LCC_DEFAULT_KEY_FILE);

    lc_client *c = calloc(1, sizeof *c);
    if (!c) {
        *err = lcc_set_error(LC_ENOMEM, "lc_open: out of memory");
        return NULL;
    }
    /* Critical sections are a few hundred instructions: spin a little
     * before sleeping (glibc's adaptive mutex). */
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    int mrc = pthread_mutex_init(&c->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    if (mrc != 0) {
        free(c);
        *err = lcc_set_error(LC_ENOMEM, "lc_open: cannot create a mutex");
        return NULL;
    }
    init_conds(c);
    c->wakefd = c->sock_fd = c->conn.fd = -1;
    c->queue_limit = o->queue_bytes;
    lcc_queue_init(&c->q, 1, c->queue_limit);
    c->policy = o->policy;
    c->block_ms = o->block_ms;
    c->close_ms = o->close_ms;
    c->connect_ms = o->connect_ms;

    int rc;
    if (o->app) {
        snprintf(c->app, sizeof c->app, "%s", o->app);
    } else {
        const char *prog = program_invocation_short_name;
        snprintf(c->app, sizeof c->app, "%s", prog && *prog ? prog : "unknown");
        c->app[lcp_utf8_valid_prefix((const uint8_t *)c->app, strlen(c->app))] = '\0';
    }
    if (gethostname(c->host, sizeof c->host - 1) != 0)
        c->host[0] = '\0';
    c->host[sizeof c->host - 1] = '\0';
    c->host[lcp_utf8_valid_prefix((const uint8_t *)c->host, strlen(c->host))] = '\0';

    c->port_file = strdup(pf);
    c->key_file = strdup(kf);
    c->conn.rbuf = malloc(LCC_RBUF_SIZE);
    if (!c->port_file || !c->key_file || !c->conn.rbuf) {
        rc = lcc_set_error(LC_ENOMEM, "lc_open: out of memory");
        goto fail;
    }
    char msg[LCC_ERR_MAX];
    rc = lcc_read_key(kf, &c->key, &c->keylen, msg, sizeof msg);
    if (rc != LC_OK) {
        rc = lcc_set_error(rc, "%s", msg);
        goto fail;
    }
    rc = lcc_options_tls(o, &c->tls, msg, sizeof msg);
    if (rc != LC_OK) {
        rc = lcc_set_error(rc, "%s", msg);
        goto fail;
    }
    if (new_sid(c) != 0) {
        rc = lcc_set_error(LC_ENOMEM, "lc_open: cannot get random bytes");
        goto fail;
    }
    c->pid = (int64_t)getpid();

    if (o->fail_fast) {
        lcc_target t;
        lcc_target_init(c, &t, -1);
        rc = lcc_connect(&c->conn, &t);
        if (rc != LC_OK) {
            rc = lcc_set_error(rc, "%s", c->conn.err);
            goto fail;
        }
        c->have_conn = 1;
    }

    pthread_once(&handlers_once, register_handlers);
    if (reg_add(c) != 0) {
        rc = lcc_set_error(LC_ECLOSED, "lc_open: the process is exiting");
        goto fail;
    }
    pthread_mutex_lock(&c->mu);
    rc = start_sender(c, "lc_open");
    pthread_mutex_unlock(&c->mu);
    if (rc != LC_OK) {
        reg_remove(c);
        goto fail;
    }
    *err = LC_OK;
    return c;

fail:
    lcc_conn_close(&c->conn);
    free_client(c);
    *err = rc;
    return NULL;
}

LC_API lc_client *lc_open(const char *port_file, const char *key_file,
                          const char *app, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    lc_options o;
    lcc_options_defaults(&o);
    if (port_file && !*port_file) {
        *err = lcc_set_error(LC_EINVAL, "lc_open: the port file path is empty");
        return NULL;
    }
    if (key_file && !*key_file) {
        *err = lcc_set_error(LC_EINVAL, "lc_open: the key file path is empty");
        return NULL;
    }
    if (app && (*err = lcc_check_app(app, "lc_open")) != LC_OK)
        return NULL;
    o.port_file = (char *)(uintptr_t)port_file;
    o.key_file = (char *)(uintptr_t)key_file;
    o.app = (char *)(uintptr_t)app;
    return lc_open_opts(&o, err);
}

/* Describe where the records are, for timeout messages.  Called with mu
 * held. */
static void state_text(lc_client *c, char *out, size_t cap)
{
    if (c->connected)
        snprintf(out, cap, "connected to logcollectord at %s, which has not "
                 "acknowledged them yet (is its output slow, or its disk full? "
                 "`logcollect status` says)", c->peer);
    else if (c->last_err)
        snprintf(out, cap, "not connected: %s; retrying in the background",
                 c->last_err_msg);
    else
        snprintf(out, cap, "not connected yet (connecting to the collector named "
                 "in %s)", c->port_file);
}

/* Queue the drop notice if there is room.  Called with mu held. */
static void queue_notice(lc_client *c)
{
    char ts[LCP_TIME_LEN];
    char rec[LCC_NOTICE_MAX];
    lcc_timestamp(ts);
    size_t n = lcc_format_notice(rec, ts, c->pending_dropped);
    if (n == 0 || c->q.bytes + 4 + n > c->queue_limit)
        return;
    if (lcc_queue_append(&c->q, rec, n) == 0)
        return;
    c->notices++;
    c->pending_dropped = 0;
}

static int wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, const struct timespec *dl)
{
    if (!dl)
        return pthread_cond_wait(cv, mu);
    return pthread_cond_timedwait(cv, mu, dl);
}

static struct timespec deadline_ts(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Copy one record into the queue.  The calling thread never waits here
 * except for LC_FULL_BLOCK. */
static int enqueue(lc_client *c, const char *rec, size_t len, const char *fn)
{
    size_t need = 4 + len;
    if (need + 4 + LCC_NOTICE_MAX > c->queue_limit)
        return lcc_set_error(LC_ETOOBIG,
                             "%s: the record is %zu bytes, more than the queue holds "
                             "(%zu bytes; see lc_options_set_queue_bytes)",
                             fn, len, c->queue_limit);
    pthread_mutex_lock(&c->mu);
    if (c->max_record && len > c->max_record) {
        unsigned long max = c->max_record;
        pthread_mutex_unlock(&c->mu);
        return lcc_set_error(LC_ETOOBIG,
                             "%s: the record is %zu bytes, logcollectord accepts at "
                             "most %lu (its --max-record)",
                             fn, len, max);
    }
    if (!c->running) { /* first use in a fork child, or exit() has begun */
        int rc = c->stop ? lcc_set_error(LC_ECLOSED, "%s: the process is exiting: the "
                                                     "client has stopped", fn)
                         : start_sender(c, fn);
        if (rc != LC_OK) {
            pthread_mutex_unlock(&c->mu);
            return rc;
        }
    }
    size_t room = need + (c->pending_dropped ? 4 + LCC_NOTICE_MAX : 0);
    if (c->q.bytes + room > c->queue_limit && c->policy == LC_FULL_BLOCK &&
        c->block_ms != 0) {
        struct timespec dl = deadline_ts(c->block_ms > 0 ? c->block_ms : 0);
        while (c->q.bytes + room > c->queue_limit) {
            c->space_waiters++;
            int w = wait_until(&c->space_cv, &c->mu, c->block_ms > 0 ? &dl : NULL);
            c->space_waiters--;
            if (w == ETIMEDOUT)
                break;
            room = need + (c->pending_dropped ? 4 + LCC_NOTICE_MAX : 0);
        }
    }
    if (c->q.bytes + room > c->queue_limit) {
        c->dropped++;
        c->pending_dropped++;
        unsigned long long held = c->q.bytes, total = c->dropped;
        pthread_mutex_unlock(&c->mu);
        return lcc_set_error(LC_EDROPPED,
                             "%s: the queue is full (%llu of %zu bytes waiting for the "
                             "collector): record dropped (%llu so far; the collector "
                             "is told with the next record)",
                             fn, held, c->queue_limit, total);
    }
    if (c->pending_dropped)
        queue_notice(c);
    if (lcc_queue_append(&c->q, rec, len) == 0) {
        pthread_mutex_unlock(&c->mu);
        return lcc_set_error(LC_ENOMEM, "%s: out of memory queueing a record", fn);
    }
    c->records++;
    int wake = c->sender_idle;
    c->sender_idle = 0;
    pthread_mutex_unlock(&c->mu);
    if (wake)
        lcc_wake(c);
    return LC_OK;
}

/* If records were dropped and there is room, queue the notice (and wake
 * the sender).  Returns the number of the last record queued.  Called
 * with mu held; may unlock for the wake-up. */
static uint64_t announce_drops(lc_client *c)
{
    if (c->pending_dropped && c->running) {
        queue_notice(c);
        if (!c->pending_dropped && c->sender_idle) {
            c->sender_idle = 0;
            pthread_mutex_unlock(&c->mu);
            lcc_wake(c);
            pthread_mutex_lock(&c->mu);
        }
    }
    return c->q.next_seq - 1;
}

/* The collector's ERROR text for a record reads "record N NAME: DETAIL"
 * (docs/protocol.md); lc_flush names the record and the reason itself, so
 * only DETAIL is kept from a text of that form (any other is kept whole). */
static const char *rejection_detail(const char *text, uint64_t seq, const char *name)
{
    char prefix[96];
    int n = snprintf(prefix, sizeof prefix, "record %llu %s: ", (unsigned long long)seq, name);
    if (n > 0 && (size_t)n < sizeof prefix && strncmp(text, prefix, (size_t)n) == 0 && text[n])
        return text + n;
    return text;
}

LC_API int lc_flush(lc_client *c, int timeout_ms)
{
    if (!c)
        return lcc_set_error(LC_EINVAL, "lc_flush: the client is NULL");
    struct timespec dl = deadline_ts(timeout_ms > 0 ? timeout_ms : 0);
    pthread_mutex_lock(&c->mu);
    uint64_t target = announce_drops(c);
    while (c->acked < target && timeout_ms != 0) {
        c->flush_waiters++;
        int w = wait_until(&c->ack_cv, &c->mu, timeout_ms > 0 ? &dl : NULL);
        c->flush_waiters--;
        if (w == ETIMEDOUT)
            break;
        /* Acknowledgements made room: announce drops now rather than
         * with a record that may never come. */
        target = announce_drops(c);
    }
    int rc = LC_OK;
    if (c->acked < target) {
        char state[LCC_ERR_MAX + 64];
        state_text(c, state, sizeof state);
        rc = lcc_set_error(LC_ETIMEDOUT,
                           "%llu record(s) not acknowledged within %d ms: %s",
                           (unsigned long long)(target - c->acked), timeout_ms, state);
    } else if (c->rej_count) {
        char more[64] = "";
        if (c->rej_count > 1)
            snprintf(more, sizeof more, " (and %llu more since the last flush)",
                     (unsigned long long)(c->rej_count - 1));
        const char *name = c->rej_code <= LCP_REC_TOO_LARGE
                               ? lcp_rec_status_name((lcp_rec_status)c->rej_code)
                               : "unknown reason";
        rc = lcc_set_error(LC_EREJECTED,
                           "logcollectord at %s rejected record %llu (code %u, %s): %s%s",
                           c->peer, (unsigned long long)c->rej_seq, (unsigned)c->rej_code,
                           name, rejection_detail(c->rej_text, c->rej_seq, name), more);
        c->rej_count = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

LC_API int lc_close(lc_client *c)
{
    if (!c)
        return LC_OK;
    int rc = lc_flush(c, c->close_ms);
    if (rc == LC_ETIMEDOUT) {
        char why[1024];
        snprintf(why, sizeof why, "%s", lc_last_error());
        lcc_set_error(rc, "lc_close: %s; they are discarded", why);
    }
    reg_remove(c);
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    int running = c->running;
    pthread_mutex_unlock(&c->mu);
    if (running) {
        lcc_wake(c);
        pthread_join(c->thread, NULL);
    }
    free_client(c);
    return rc;
}

/* ---- logging ------------------------------------------------------------ */

static int bad_level(const char *fn, lc_level level)
{
    return lcc_set_error(LC_EINVAL,
                         "%s: level %d is not one of LC_EMERGENCY (0) .. LC_DEBUG (7)",
                         fn, (int)level);
}

/* Format a record (stamped now) and queue it. */
static int log_record(lc_client *c, lc_level level, const char *msg, size_t msg_len,
                      const char *const *kv, size_t nkv, size_t kv_bytes,
                      const char *fn)
{
    char stack[REC_STACK];
    char *buf = stack;
    size_t bound = lcc_record_bound(msg_len, kv_bytes, nkv);
    if (bound > sizeof stack) {
        if (bound == SIZE_MAX || !(buf = malloc(bound)))
            return lcc_set_error(LC_ENOMEM, "%s: out of memory formatting a record "
                                 "(message of %zu bytes)", fn, msg_len);
    }
    char ts[LCP_TIME_LEN];
    lcc_timestamp(ts);
    size_t len = lcc_format_record(buf, ts, level, msg, msg_len, kv, nkv);
    int rc = enqueue(c, buf, len, fn);
    if (buf != stack)
        free(buf);
    return rc;
}

LC_API int lc_log(lc_client *c, lc_level level, const char *fmt, ...)
{
    if (!c || !fmt)
        return lcc_set_error(LC_EINVAL, "lc_log: %s is NULL",
                             c ? "fmt" : "the client (lc_init not called?)");
    if ((unsigned)level > LC_DEBUG)
        return bad_level("lc_log", level);
    char stack[MSG_STACK];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(stack, sizeof stack, fmt, ap);
    va_end(ap);
    if (n < 0)
        return lcc_set_error(LC_EINVAL, "lc_log: cannot format the message: %s",
                             strerror(errno));
    char *msg = stack;
    if ((size_t)n >= sizeof stack) {
        msg = malloc((size_t)n + 1);
        if (!msg)
            return lcc_set_error(LC_ENOMEM, "lc_log: out of memory");
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    int rc = log_record(c, level, msg, (size_t)n, NULL, 0, 0, "lc_log");
    if (msg != stack)
        free(msg);
    return rc;
}

static int log_kv_array(lc_client *c, lc_level level, const char *msg,
                        const char *const *kv, size_t nkv, const char *fn)
{
    char why[300];
    size_t kv_bytes = 0;
    int rc = lcc_check_kv(kv, nkv, &kv_bytes, why, sizeof why);
    if (rc != LC_OK)
        return lcc_set_error(rc, "%s: %s", fn, why);
    return log_record(c, level, msg, strlen(msg), kv, nkv, kv_bytes, fn);
}

LC_API int lc_log_kv(lc_client *c, lc_level level, const char *msg, ...)
{
    if (!c || !msg)
        return lcc_set_error(LC_EINVAL, "lc_log_kv: %s is NULL",
                             c ? "msg" : "the client (lc_init not called?)");
    if ((unsigned)level > LC_DEBUG)
        return bad_level("lc_log_kv", level);
    const char *stack[KV_STACK];
    const char **kv = stack;
    size_t n = 0, cap = KV_STACK;
    int rc = LC_OK;
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *s = va_arg(ap, const char *);
        if (!s)
            break;
        if (n == cap) {
            const char **bigger = NULL;
            if (cap < SIZE_MAX / 2 / sizeof *kv)
                bigger = malloc(2 * cap * sizeof *kv);
            if (!bigger) {
                rc = lcc_set_error(LC_ENOMEM, "lc_log_kv: out of memory");
                break;
            }
            memcpy(bigger, kv, n * sizeof *kv);
            if (kv != stack)
                free(kv);
            kv = bigger;
            cap *= 2;
        }
        kv[n++] = s;
    }
    va_end(ap);
    if (rc == LC_OK)
        rc = log_kv_array(c, level, msg, kv, n, "lc_log_kv");
    if (kv != stack)
        free(kv);
    return rc;
}

LC_API int lc_log_fields(lc_client *c, lc_level level, const char *msg,
                         const char *const *names, const char *const *values,
                         size_t n)
{
    if (!c || !msg || (n && (!names || !values)))
        return lcc_set_error(LC_EINVAL, "lc_log_fields: %s is NULL",
                             !c ? "the client" : !msg ? "msg" : "an array");
    if ((unsigned)level > LC_DEBUG)
        return bad_level("lc_log_fields", level);
    const char *stack[KV_STACK] = {NULL};
    const char **kv = stack;
    if (n > KV_STACK / 2) {
        if (n > SIZE_MAX / 2 / sizeof *kv || !(kv = malloc(2 * n * sizeof *kv)))
            return lcc_set_error(LC_ENOMEM, "lc_log_fields: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        kv[2 * i] = names[i];
        kv[2 * i + 1] = values[i];
    }
    int rc = log_kv_array(c, level, msg, kv, 2 * n, "lc_log_fields");
    if (kv != stack)
        free(kv);
    return rc;
}

LC_API int lc_send_json(lc_client *c, const char *json_object)
{
    if (!c || !json_object)
        return lcc_set_error(LC_EINVAL, "lc_send_json: %s is NULL",
                             c ? "the record" : "the client");
    size_t len = strlen(json_object);
    lcp_rec_info info;
    char detail[200];
    /* The collector's --max-depth is not known here: check against the
     * ceiling any collector allows; a collector with a lower limit refuses
     * the record itself (ERROR 4, counted as rejected). */
    lcp_rec_status st = lcp_record_check((const uint8_t *)json_object, len,
                                         LCP_REC_DEPTH_MAX, &info, detail, sizeof detail);
    if (st != LCP_REC_OK)
        return lcc_set_error(LC_EINVAL, "lc_send_json: record refused (%s): %s",
                             lcp_rec_status_name(st), detail);
    return enqueue(c, json_object, len, "lc_send_json");
}

/* ---- counters ------------------------------------------------------------ */

LC_API int lc_get_stats(lc_client *c, lc_stats *st, size_t size)
{
    if (!c || !st)
        return lcc_set_error(LC_EINVAL, "lc_get_stats: %s is NULL",
                             c ? "the stats pointer" : "the client");
    lc_stats s;
    memset(&s, 0, sizeof s);
    pthread_mutex_lock(&c->mu);
    s.records = c->records;
    s.dropped = c->dropped;
    s.notices = c->notices;
    s.last_seq = c->q.next_seq - 1;
    s.sent = c->sent;
    s.acked = c->acked;
    s.resent = c->resent;
    s.rejected = c->rejected;
    s.connects = c->connects;
    s.connect_failures = c->connect_failures;
    s.queue_bytes = c->q.bytes;
    s.queue_records = c->q.nrec;
    s.connected = c->connected;
    s.last_error = c->last_err;
    memcpy(s.sid, c->sid, sizeof s.sid);
    pthread_mutex_unlock(&c->mu);
    memcpy(st, &s, size < sizeof s ? size : sizeof s);
    return LC_OK;
}

/* ---- the default client ---------------------------------------------------- */

static pthread_mutex_t default_mu = PTHREAD_MUTEX_INITIALIZER;
static lc_client *default_client;

LC_API int lc_init(const lc_options *o)
{
    pthread_mutex_lock(&default_mu);
    if (default_client) {
        pthread_mutex_unlock(&default_mu);
        return lcc_set_error(LC_EINVAL, "lc_init: the default client is already open "
                                        "(call lc_shutdown first)");
    }
    int err;
    lc_client *c = lc_open_opts(o, &err);
    if (!c) {
        pthread_mutex_unlock(&default_mu);
        return err;
    }
    __atomic_store_n(&default_client, c, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&default_mu);
    return LC_OK;
}

LC_API lc_client *lc_default(void)
{
    return __atomic_load_n(&default_client, __ATOMIC_ACQUIRE);
}

LC_API int lc_shutdown(void)
{
    pthread_mutex_lock(&default_mu);
    lc_client *c = default_client;
    __atomic_store_n(&default_client, NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&default_mu);
    return lc_close(c);
}
