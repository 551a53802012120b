/*
 * keygen.c - lc_keygen: a new key file, for programs (the CLI's `keygen`)
 * that must not reach into the protocol layer themselves.
 */
#include <errno.h>

#include "internal.h"
#include "keyfile.h"

int lc_keygen(const char *path)
{
    if (!path || !*path)
        return lcc_set_error(LC_EINVAL, "lc_keygen: no path given");
    char err[LCC_ERR_MAX];
    if (lcp_keyfile_generate(path, err, sizeof err) != 0)
        return lcc_set_error(errno == ENOMEM ? LC_ENOMEM : LC_EKEYFILE, "%s", err);
    return LC_OK;
}
