/*
 * syncer.c - see syncer.h.  One mutex, one condition variable, one
 * request slot: the loop never waits on the thread except at exit.
 */
#include "syncer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct lcd_syncer {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fd;      /* a dup of the output, owned by the thread while busy */
    int busy;    /* a request is queued or running */
    int stop;
    int last_err;
    uint64_t last_ns; /* how long the last sync took, handed over once */
};

static void *run(void *arg)
{
    lcd_syncer *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->busy && !s->stop)
            pthread_cond_wait(&s->cv, &s->mu);
        if (!s->busy && s->stop)
            break;
        int fd = s->fd;
        pthread_mutex_unlock(&s->mu);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int err = fdatasync(fd) == 0 ? 0 : errno;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        close(fd);
        pthread_mutex_lock(&s->mu);
        int64_t ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
        s->last_ns = ns > 0 ? (uint64_t)ns : 1;
        s->fd = -1;
        s->last_err = err;
        s->busy = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

lcd_syncer *lcd_syncer_new(void)
{
    lcd_syncer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    /* The thread takes no signals: the event loop handles them all. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&s->th, NULL, run, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    return s;
}

int lcd_syncer_poll(lcd_syncer *s, int *last_err, uint64_t *took_ns)
{
    pthread_mutex_lock(&s->mu);
    int busy = s->busy;
    *last_err = s->last_err;
    s->last_err = 0;
    *took_ns = s->last_ns;
    s->last_ns = 0;
    pthread_mutex_unlock(&s->mu);
    return busy;
}

int lcd_syncer_request(lcd_syncer *s, int fd)
{
    pthread_mutex_lock(&s->mu);
    if (s->busy) {
        pthread_mutex_unlock(&s->mu);
        return -1;
    }
    s->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (s->fd < 0) {
        int e = errno;
        pthread_mutex_unlock(&s->mu);
        return e;
    }
    s->busy = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void lcd_syncer_free(lcd_syncer *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->th, NULL);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
