/*
 * tmpdir.h - a scratch folder for the Check suites that touch files.
 *
 * The suite's root (/tmp/TMPDIR_PREFIX-XXXXXX) is made and removed by an
 * unchecked fixture in the parent process, so a failing test leaves
 * nothing behind; each test makes and removes its own folder below it.
 * Define TMPDIR_PREFIX before including; one suite per binary.
 */
#ifndef LC_TEST_TMPDIR_H
#define LC_TEST_TMPDIR_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[64];
static char tmpdir[128];

static inline void make_root(void)
{
    snprintf(root, sizeof root, "/tmp/%s-XXXXXX", TMPDIR_PREFIX);
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        abort();
    }
}

static inline int rm_entry(const char *path, const struct stat *st, int type,
                           struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static inline void remove_root(void)
{
    if (root[0])
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void make_tmpdir(const char *name)
{
    ck_assert_uint_gt(strlen(root), 0);
    int n = snprintf(tmpdir, sizeof tmpdir, "%s/%s", root, name);
    ck_assert(n > 0 && (size_t)n < sizeof tmpdir);
    ck_assert_int_eq(mkdir(tmpdir, 0700), 0);
}

static inline void remove_tmpdir(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
