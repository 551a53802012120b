/*
 * columns.h - a record as people read it: the columns of `logcollect tail`
 * (time, level, app[pid], msg, other fields as key=value), also each
 * column on its own for `logcollect web`, and the escaping that keeps a
 * record's control characters away from a terminal (or a page).
 *
 * Everything is appended to a libevent evbuffer.
 */
#ifndef LCLI_COLUMNS_H
#define LCLI_COLUMNS_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

struct evbuffer;

typedef struct {
    int utc;     /* times in UTC, else local time */
    int color;   /* ANSI colour for the level */
    int verbose; /* also the collector's _ fields (but _app, _pid) */
} lcli_format_opts;

/* Text from the file, made harmless: control characters (C0, DEL, and the
 * C1 range U+0080..U+009F, which some terminals obey as CSI/OSC) become
 * escapes (\n, \t, \r, \xNN, \u009b); everything else is copied. */
void lcli_format_escape(struct evbuffer *out, const char *s, size_t n);

/* The record's time, "2026-11-27 13:37:24.123" (23 characters), or "-"
 * padded to that width. */
void lcli_format_time(struct evbuffer *out, json_t *rec, int utc);

/* A level's name ("error"), "?" if out of range; and its ANSI colour
 * ("" for none). */
const char *lcli_format_level_name(int level);
const char *lcli_format_level_color(int level);

/* "app[pid]" (_app, else "-"; [pid] only with an integer _pid), escaped. */
void lcli_format_source(struct evbuffer *out, json_t *rec);

/* msg (a string) escaped; nothing otherwise. */
void lcli_format_msg(struct evbuffer *out, json_t *rec);

/* 1 if the field goes into the key=value column (not msg, level, ts, nor
 * a _ field unless verbose, and never _app or _pid). */
int lcli_format_is_extra(const char *key, int verbose);

/* The other fields, "k=v k=v" escaped, a value bare when it is a plain
 * word and compact JSON otherwise; lead: a space before each one. */
void lcli_format_fields(struct evbuffer *out, json_t *rec, int verbose, int lead);

/* The whole line as tail prints it, with its newline. */
void lcli_format_columns(struct evbuffer *out, json_t *rec, const lcli_format_opts *o);

/* A line that is not a JSON object, as is but escaped, with a newline. */
void lcli_format_line_as_is(struct evbuffer *out, const char *line, size_t len);

/* Write out all of b to f and empty b: 0, or -1 if f failed. */
int lcli_format_write(struct evbuffer *b, FILE *f);

#endif
