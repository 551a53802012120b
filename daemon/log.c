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

size_t lcd_log_escape(char *out, size_t cap, const void *bytes, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = bytes;
    size_t o = 0, i;
    if (cap == 0)
        return 0;
    for (i = 0; i < n; i++) {
        char e[5];
        size_t el;
        unsigned char b = p[i];
        if (b >= 0x20 && b < 0x7f && b != '\\' && b != '"') {
            e[0] = (char)b;
            el = 1;
        } else if (b == '\\' || b == '"' || b == '\n' || b == '\t' || b == '\r') {
            e[0] = '\\';
            e[1] = b == '\n' ? 'n' : b == '\t' ? 't' : b == '\r' ? 'r' : (char)b;
            el = 2;
        } else {
            e[0] = '\\';
            e[1] = 'x';
            e[2] = hex[b >> 4];
            e[3] = hex[b & 15];
            el = 4;
        }
        if (o + el + 4 > cap) /* room for "..." and NUL */
            break;
        memcpy(out + o, e, el);
        o += el;
    }
    if (i < n && o + 4 <= cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return o;
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
