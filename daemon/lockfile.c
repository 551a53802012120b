/*
 * lockfile.c - see lockfile.h.
 */
#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static long read_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

char *lcd_lockfile_path(const char *path)
{
    size_t n = strlen(path) + sizeof ".lock";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.lock", path);
    return p;
}

int lcd_lockfile_take(const char *path, long *holder, char *err, size_t errlen)
{
    *holder = 0;
    /* O_NONBLOCK: a FIFO planted there must not hang the start. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open lock file %s: %s (does its directory exist "
                 "and is it writable?)", path, strerror(e));
        errno = e; /* the caller may tell "not allowed" from other failures */
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "lock file %s is not a regular file; remove it", path);
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK)
            *holder = read_pid(fd);
        snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
        close(fd);
        if (e == EWOULDBLOCK && *holder == 0)
            *holder = -1; /* held, by a process that has not written its pid yet */
        return -1;
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        snprintf(err, errlen, "cannot write lock file %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
