/*
 * log.h - the daemon's own diagnostics: one line each on stderr, with a
 * level.  Under systemd (JOURNAL_STREAM set) lines carry the <N> syslog
 * prefix so the journal records the right priority.  Debug lines (one per
 * connection and the like) appear only with LOGCOLLECTORD_DEBUG set.
 */
#ifndef LCD_LOG_H
#define LCD_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum { LCD_ERR = 3, LCD_WARN = 4, LCD_NOTICE = 5, LCD_INFO = 6, LCD_DEBUG = 7 };

void lcd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lcd_vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Bytes from a peer, made safe for a log line: printable ASCII as is;
 * backslash, '"' and every other byte escaped (\n, \xNN); a trailing "..."
 * when n bytes did not fit.  out always ends with NUL; returns its length. */
size_t lcd_log_escape(char *out, size_t cap, const void *bytes, size_t n);

#endif
