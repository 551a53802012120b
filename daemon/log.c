/*
 * log.c - see log.h.  Stateless on purpose: diagnostics are rare, so the
 * environment is looked at each time instead of cached in a global.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *level_name(int level)
{
    switch (level) {
    case LCD_ERR: return "error";
    case LCD_WARN: return "warning";
    case LCD_NOTICE: return "notice";
    case LCD_INFO: return "info";
    default: return "debug";
    }
}

void lcd_log(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lcd_vlog(level, fmt, ap);
    va_end(ap);
}

void lcd_vlog(int level, const char *fmt, va_list ap)
{
    if (level >= LCD_DEBUG && !getenv("LOGCOLLECTORD_DEBUG"))
        return;
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* One line, whatever the message holds. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (getenv("JOURNAL_STREAM"))
        fprintf(stderr, "<%d>%s: %s\n", level, level_name(level), msg);
    else
        fprintf(stderr, "logcollectord: %s: %s\n", level_name(level), msg);
}
