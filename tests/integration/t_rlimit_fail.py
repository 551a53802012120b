"""The daemon raises its open-file limit to fit --max-clients; when
setrlimit fails it says so (what failed, from which limit to which, what
--max-clients and --max-handshakes need and what to do) instead of going on in silence to fail
later at accept.  setrlimit is made to fail with an LD_PRELOAD shim; the
soft limit is lowered first so that the daemon has to raise it."""
import os
import resource
import subprocess

from lctest import Daemon, Skip, check, main, tmpdir

SHIM = r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
/* int rather than the libc's enum: the same ABI, no prototype clash.  Only
 * RLIMIT_NOFILE (7 on Linux) fails: the sanitizer runtime sets RLIMIT_CORE. */
int setrlimit(int resource, const void *limits);
int setrlimit(int resource, const void *limits)
{
    if (resource == 7) {
        errno = EPERM;
        return -1;
    }
    int (*real)(int, const void *) = (int (*)(int, const void *))dlsym(RTLD_NEXT, "setrlimit");
    return real(resource, limits);
}
'''


def scenario():
    t = tmpdir()
    src, so = os.path.join(t, "shim.c"), os.path.join(t, "shim.so")
    with open(src, "w") as f:
        f.write(SHIM)
    try:
        subprocess.check_output(["cc", "-shared", "-fPIC", "-o", so, src, "-ldl"], stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError) as e:
        raise Skip("cannot build the setrlimit shim: %s" % e)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2088:
        raise Skip("the hard open-file limit (%d) is below what the test asks for" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    d = Daemon("--max-clients", "1000", wrapper=["env", "LD_PRELOAD=" + so])
    d.stop()
    err = d.stderr()
    check("cannot raise the open-file limit from 256 to 2088" in err and
          "Operation not permitted" in err and "--max-clients 1000 and --max-handshakes 1024 need 2088" in err and
          "ulimit -n" in err, "setrlimit's failure is not reported:\n" + err[-2000:])


main(scenario)
