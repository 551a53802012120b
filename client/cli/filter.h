/*
 * filter.h - which records to show: the one filter implementation behind
 * `logcollect tail` options and `logcollect web` query parameters.
 *
 * A filter is a conjunction of conditions, each set by name with a string
 * value (an option's argument or a query parameter), so every front end
 * reads and reports them the same way:
 *
 *   level  LEVEL     severity LEVEL or more severe (name or 0..7)
 *   app    NAME      _app is NAME
 *   pid    N         _pid is N
 *   since  TIME      time (ts, else _rt) at or after TIME (lcli_parse_when)
 *   until  TIME      time before TIME
 *   grep   REGEX     msg matches REGEX (POSIX extended)
 *   field  K=V       top-level field K is V (a string, or the compact JSON
 *                    of another value); up to LCLI_FILTER_MAX_FIELDS
 *
 * The filter owns copies of its strings.
 */
#ifndef LCLI_FILTER_H
#define LCLI_FILTER_H

#include <regex.h>
#include <stddef.h>

#include <jansson.h>

#define LCLI_FILTER_MAX_FIELDS 16

typedef struct {
    int max_level;      /* show severities <= this; -1: any */
    char *app;          /* NULL: any */
    int has_pid;
    long long pid;
    int has_since, has_until;
    long long since_us, until_us;
    int has_re;
    regex_t re;
    int nfields;
    char *fkey[LCLI_FILTER_MAX_FIELDS], *fval[LCLI_FILTER_MAX_FIELDS];
    size_t fkeylen[LCLI_FILTER_MAX_FIELDS];
} lcli_filter;

/* An empty filter (matches everything). */
void lcli_filter_init(lcli_filter *f);
void lcli_filter_free(lcli_filter *f);

/* Add the condition name=value (names above).  0, or -1 with a sentence
 * in why saying what is wrong with the value (f unchanged). */
int lcli_filter_set(lcli_filter *f, const char *name, const char *value, char *why,
                    size_t whylen);

/* 1 when there is a time condition (since or until). */
int lcli_filter_has_time(const lcli_filter *f);

/* 1 if the record (a JSON object) passes every condition. */
int lcli_filter_match(const lcli_filter *f, json_t *rec);

/* A line of the output file (without its newline): 1 if shown, i.e. it is
 * not a JSON object (shown as is, so nothing is hidden) or it matches. */
int lcli_filter_line(const lcli_filter *f, const char *line, size_t len);

#endif
