/*
 * version.c - the version of the library as built (the LC_VERSION_*
 * macros of logcollect.h when this file was compiled), for programs that
 * must know which library they run with rather than which header they
 * were compiled against.
 */
#include "logcollect.h"

LC_API int lc_version(void)
{
    return LC_VERSION_NUMBER;
}

LC_API const char *lc_version_string(void)
{
    return LC_VERSION;
}
