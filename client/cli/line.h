/*
 * line.h - a line of the collector's output file, read as a record:
 * parsing (jansson, with integers beyond int64 read as doubles), its level
 * and its time.  Shared by tail, web (and tail --nats); pure functions.
 */
#ifndef LCLI_LINE_H
#define LCLI_LINE_H

#include <stddef.h>

#include <jansson.h>

/* A line (without its newline) as jansson reads it, integers outside int64
 * as the nearest double; NULL when it is not JSON.  Check json_is_object. */
json_t *lcli_record_load(const char *line, size_t len);

/* The record's severity 0 (emergency) .. 7 (debug): its "level" as a name
 * or 0..7; info when missing or unknown. */
int lcli_record_level(json_t *rec);

/* The record's time in microseconds since the epoch: its ts, else its
 * _rt.  0, or -1 when neither is a time. */
int lcli_record_time(json_t *rec, long long *us);

/* RFC 3339 ("2026-11-27T13:37:24.123456Z", "+01:00" offsets, or a space
 * instead of T; no zone means local time): 0 and microseconds, or -1. */
int lcli_parse_time(const char *s, long long *us);

/* An age ("30s", "10m", "2h", "1d": that long before now) or an absolute
 * time as lcli_parse_time reads it. */
int lcli_parse_when(const char *s, long long *us);

#endif
