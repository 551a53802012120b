/*
 * fork.c - every open client in one registry, for the two moments when the
 * process must act on all of them: fork() (the child drops the parent's
 * thread, socket and queue and starts its own session on first use; no
 * lock is held across fork by anyone else, since the prepare handler takes
 * them all) and exit() (flush with the close timeout, then stop the sender
 * threads before OpenSSL's own atexit handler frees its state).
 *
 * The registry is the library's one piece of process-wide state: fork and
 * atexit handlers are process-wide.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "client_tls.h"
#include "internal.h"
#include "logcollect.h"

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static lc_client *reg_head;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

void lcc_init_conds(lc_client *c)
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
    lcc_init_conds(c);
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

int lcc_registry_add(lc_client *c)
{
    pthread_once(&handlers_once, register_handlers);
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

void lcc_registry_remove(lc_client *c)
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
