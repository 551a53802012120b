/*
 * errors.c - error texts, the per-thread last error, level names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "internal.h"
#include "logcollect.h"

#define LAST_ERROR_MAX 1024

static _Thread_local char last_error[LAST_ERROR_MAX];

int lcc_set_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return code;
}

LC_API const char *lc_last_error(void)
{
    return last_error;
}

LC_API const char *lc_strerror(int err)
{
    switch (err) {
    case LC_OK: return "success";
    case LC_EINVAL: return "invalid argument";
    case LC_ENOMEM: return "out of memory";
    case LC_EPORTFILE: return "cannot read the collector's port file (is logcollectord running?)";
    case LC_EKEYFILE: return "cannot read the key file";
    case LC_ECONNECT: return "cannot connect to the collector";
    case LC_EAUTH: return "authentication failed (different keys)";
    case LC_EPROTO: return "protocol error";
    case LC_EREJECTED: return "the collector rejected a record";
    case LC_ETIMEDOUT: return "timed out";
    case LC_ECLOSED: return "connection to the collector lost";
    case LC_ETOOBIG: return "record too large for the collector";
    case LC_EFULL: return "the collector has no room for more clients";
    case LC_EDROPPED: return "the queue is full: the record was dropped";
    case LC_ETLS: return "TLS failed (certificate not trusted, TLS settings missing, or a TLS mismatch)";
    }
    return "unknown error";
}

static const char *const level_names[] = {
    "emergency", "alert", "critical", "error", "warning", "notice", "info", "debug",
};

LC_API const char *lc_level_name(lc_level level)
{
    if ((int)level < 0 || (int)level > LC_DEBUG)
        return NULL;
    return level_names[level];
}

LC_API int lc_level_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i <= LC_DEBUG; i++)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    /* syslog's short and old spellings */
    static const struct {
        const char *name;
        int level;
    } aliases[] = {
        {"emerg", LC_EMERGENCY}, {"panic", LC_EMERGENCY}, {"crit", LC_CRITICAL},
        {"err", LC_ERROR},       {"warn", LC_WARNING},
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcasecmp(name, aliases[i].name) == 0)
            return aliases[i].level;
    return -1;
}
