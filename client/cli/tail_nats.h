/*
 * tail_nats.h - `logcollect tail --nats`: read the records from a NATS
 * JetStream stream (where logcollectord --forward-nats puts them) instead
 * of the output file.  tail.c parses the options and keeps the one
 * implementation of filters and output: this part only fetches lines and
 * hands each to tail's callbacks.
 *
 * Built with libnats (pkg-config libnats: the Makefile defines LCD_HAVE_NATS); without it,
 * lcli_tail_nats says so and fails.
 */
#ifndef LCLI_TAIL_NATS_H
#define LCLI_TAIL_NATS_H

#include <stddef.h>

typedef struct {
    const char *url;      /* nats://host:port, or a comma-separated list */
    const char *subject;  /* subjects to read (default "logs.>") */
    const char *stream;   /* the stream (default "LOGS") */
    const char *durable;  /* a durable consumer's name; NULL: ephemeral ordered */
    const char *creds;    /* a .creds file (NATS user JWT and NKey seed), or NULL */
} lcli_nats_source;

typedef struct {
    long n;                /* the last n wanted records first; -1: all (from since) */
    int follow;            /* then keep reading new ones */
    int has_since;         /* start at this time (DeliverByStartTime) */
    long long since_us;
    /* 1 if a line (the message's data, no newline) would be shown */
    int (*wanted)(void *ctx, const char *line, size_t len);
    /* decide (the filters) and print one line */
    void (*show)(void *ctx, const char *line, size_t len);
    void *ctx;
} lcli_nats_reader;

/* Exit status: 0, or 1 with a line on stderr saying what failed. */
int lcli_tail_nats(const lcli_nats_source *src, const lcli_nats_reader *r);

#endif
