/*
 * internal.h - helpers shared by the library's files (not installed).
 */
#ifndef LCC_INTERNAL_H
#define LCC_INTERNAL_H

#include "logcollect.h"

/* Set this thread's lc_last_error() text; returns code, for
 *   return lcc_set_error(LC_EINVAL, "...", ...); */
int lcc_set_error(int code, const char *fmt, ...) LC_PRINTF(2, 3);

#endif
