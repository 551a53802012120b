/*
 * publish.h - publishing where the daemon listens.
 *
 * A lock file next to the port file (PORTFILE.lock), held with flock for the
 * daemon's whole life, makes a second daemon on the same port file refuse
 * to start, whatever pids say.  The port file itself is written to a
 * temporary file, fsync'd and renamed into place, so readers never see half
 * of it, and removed at exit only if it is still ours.
 */
#ifndef LCD_PUBLISH_H
#define LCD_PUBLISH_H

#include <stddef.h>


typedef struct {
    char *path;
    char *lock_path;
    int lock_fd;
    int written;
    int port;
} lcd_portfile;

/* Take the lock.  Returns 0, or -1 with err set ("already running (pid N)"). */
int lcd_portfile_lock(lcd_portfile *pf, const char *path, char *err, size_t errlen);

/* Publish host:port atomically. */
int lcd_portfile_publish(lcd_portfile *pf, const char *host, int port, int tls,
                         int http_port, char *err, size_t errlen);

/* Remove the port file if it still names this process, and drop the lock. */
void lcd_portfile_release(lcd_portfile *pf);

#endif
