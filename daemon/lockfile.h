/*
 * lockfile.h - single-writer locks: a small file next to the thing it
 * guards (PORTFILE.lock, OUTPUT.lock), held with flock for the daemon's
 * whole life, holding the pid of its holder for the message of whoever
 * finds it taken.  The kernel drops the lock when the process ends,
 * however it ends, so a stale file never blocks a new start; the file
 * itself is left in place (removing it would race a daemon starting).
 *
 * A lock file rather than a lock on the guarded file itself: the output
 * file is renamed by rotation, and a lock on it would move with it.
 */
#ifndef LCD_LOCKFILE_H
#define LCD_LOCKFILE_H

#include <stddef.h>

/* Take the lock at path (created if missing, never through a symlink) and
 * write our pid into it.  Returns the open descriptor that holds the lock
 * (close it to release), or -1 with err set; *holder is then the pid of the
 * process holding it, or 0 if the failure is something else (errno tells
 * why the file could not be opened). */
int lcd_lockfile_take(const char *path, long *holder, char *err, size_t errlen);

/* "PATH.lock", malloc'd; NULL when out of memory. */
char *lcd_lockfile_path(const char *path);

#endif
