/*
 * privdrop.c - see privdrop.h.  The order is the classic one: groups
 * first (setgroups/initgroups needs root), then the gid, then the uid; and
 * then prove it by failing to get root back.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int lcd_drop_privileges(const char *user, char *err, size_t errlen)
{
    if (geteuid() != 0) {
        snprintf(err, errlen, "--user %s needs the daemon to be started as root", user);
        return -1;
    }
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "--user %s: no such user%s%s", user, errno ? ": " : "",
                 errno ? strerror(errno) : "");
        return -1;
    }
    if (pw->pw_uid == 0) {
        snprintf(err, errlen, "--user %s is root: name an unprivileged user", user);
        return -1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (initgroups(pw->pw_name, gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        snprintf(err, errlen, "cannot become user %s: %s", user, strerror(errno));
        return -1;
    }
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
        setuid(0) == 0 || seteuid(0) == 0) {
        snprintf(err, errlen, "dropping privileges to %s did not stick; refusing to run", user);
        return -1;
    }
    return 0;
}
