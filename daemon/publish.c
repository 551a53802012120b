/*
 * publish.c - lock, write and remove the port file (see publish.h).
 */
#include "publish.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "keyfile.h"
#include "lockfile.h"
#include "portfile.h"

static char *dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *d = strdup(dirname(copy));
    free(copy);
    return d;
}

int lcd_portfile_lock(lcd_portfile *pf, const char *path, char *err, size_t errlen)
{
    memset(pf, 0, sizeof *pf);
    pf->lock_fd = -1;
    pf->path = strdup(path);
    pf->lock_path = lcd_lockfile_path(path);
    if (!pf->path || !pf->lock_path) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    long pid;
    pf->lock_fd = lcd_lockfile_take(pf->lock_path, &pid, err, errlen);
    if (pf->lock_fd < 0 && pid > 0)
        snprintf(err, errlen, "already running (pid %ld) with port file %s", pid, path);
    else if (pf->lock_fd < 0 && pid < 0)
        snprintf(err, errlen, "already running (starting up) with port file %s", path);
    return pf->lock_fd < 0 ? -1 : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int lcd_portfile_publish(lcd_portfile *pf, const char *host, int port, int tls,
                         int http_port, char *err, size_t errlen)
{
    lcp_portinfo info = {.port = port, .pid = (long)getpid(), .proto = 1, .tls = tls,
                         .http_port = http_port};
    snprintf(info.host, sizeof info.host, "%s", host);
    char line[160];
    int len = lcp_portinfo_format(&info, line, sizeof line);
    char *dir = dir_of(pf->path);
    size_t tn = strlen(pf->path) + 16;
    char *tmp = malloc(tn);
    if (len < 0 || !dir || !tmp) {
        snprintf(err, errlen, "cannot format port file %s", pf->path);
        free(dir);
        free(tmp);
        return -1;
    }
    snprintf(tmp, tn, "%s.tmpXXXXXX", pf->path);
    int rc = -1;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a temporary file next to %s: %s",
                 pf->path, strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0644) != 0 || write_all(fd, line, (size_t)len) != 0 ||
        fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, pf->path) != 0) {
        snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, pf->path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    /* Make the rename itself durable. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    pf->written = 1;
    pf->port = port;
    rc = 0;
out:
    free(dir);
    free(tmp);
    return rc;
}

void lcd_portfile_release(lcd_portfile *pf)
{
    if (pf->written) {
        char err[256];
        size_t len;
        char *text = lcp_read_small_file(pf->path, 4096, &len, err, sizeof err);
        lcp_portinfo info;
        if (!text) {
            lcd_log(LCD_WARN, "%s, so it cannot be checked and is left in place (with --user, "
                    "that user needs access to the port file's directory)", err);
        } else if (lcp_portinfo_parse(text, len, &info, err, sizeof err) == 0 &&
                   info.pid == (long)getpid() && info.port == pf->port) {
            if (unlink(pf->path) != 0)
                lcd_log(LCD_WARN, "cannot remove port file %s: %s (with --user, that user needs "
                        "write access to its directory)", pf->path, strerror(errno));
        } else {
            lcd_log(LCD_WARN, "port file %s no longer names this daemon; left in place",
                    pf->path);
        }
        free(text);
    }
    if (pf->lock_fd >= 0)
        close(pf->lock_fd); /* the lock file stays: removing it would race a new daemon */
    free(pf->path);
    free(pf->lock_path);
    memset(pf, 0, sizeof *pf);
    pf->lock_fd = -1;
}
