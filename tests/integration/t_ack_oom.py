"""An ACK the daemon cannot queue (out of memory) is not dropped in
silence: a dropped ACK would leave the client waiting for it for ever.
The daemon logs what failed and for which peer and closes the
connection; the client reconnects with its session and resends, the
daemon skips the record it already wrote.  The fault is injected with an
LD_PRELOAD shim: while a trigger file exists, the daemon's non-blocking
send() reports EAGAIN and the evbuffer_add() that follows (the daemon
buffering the unsent bytes) fails as it does when malloc fails."""
import os
import socket
import subprocess

from lctest import (Daemon, Skip, authed, check, hello, main, read_until_ack, send_frame,
                    tmpdir, wait_for)

SHIM = r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/* Declared here, not from libevent's header: this file is built without
 * its include path, and the ABI is all that matters. */
int evbuffer_add(void *buf, const void *data, size_t len);

static __thread int faked;

static int triggered(void)
{
    const char *t = getenv("LCFAULT_TRIGGER");
    return t && access(t, F_OK) == 0;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
    static ssize_t (*real)(int, const void *, size_t, int);
    if (!real)
        real = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
    if ((flags & MSG_DONTWAIT) && triggered()) {
        faked = 1;
        errno = EAGAIN;
        return -1;
    }
    return real(fd, buf, len, flags);
}

int evbuffer_add(void *b, const void *data, size_t len)
{
    static int (*real)(void *, const void *, size_t);
    if (!real)
        real = (int (*)(void *, const void *, size_t))dlsym(RTLD_NEXT, "evbuffer_add");
    if (faked) {
        faked = 0;
        return -1;
    }
    return real(b, data, len);
}
'''


def build_shim(t):
    src, so = os.path.join(t, "shim.c"), os.path.join(t, "shim.so")
    with open(src, "w") as f:
        f.write(SHIM)
    try:
        subprocess.check_output(["cc", "-shared", "-fPIC", "-O1", "-o", so, src, "-ldl"],
                                stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError) as e:
        raise Skip("cannot build the fault-injection shim: %s" % e)
    return so


def scenario():
    t = tmpdir()
    trigger = os.path.join(t, "fail-now")
    os.environ["LCFAULT_TRIGGER"] = trigger
    d = Daemon(wrapper=["env", "LD_PRELOAD=" + build_shim(t)])
    secret = os.urandom(16).hex()
    a = authed(d)
    hello(a, secret=secret, seq=1)
    open(trigger, "w").close()
    send_frame(a, b'{"msg":"one"}')
    d.wait_lines(1)
    a.settimeout(10)
    try:
        closed = a.recv(64) == b""
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    check(closed, "the ACK was lost and the connection left open: the client would wait for ever")
    wait_for(lambda: "cannot queue a 9-byte message" in d.stderr(), 5, "the log line")
    os.unlink(trigger)

    b = authed(d)
    w = hello(b, secret=secret, seq=1)
    check(w["written"] == 1, "WELCOME written=%r, expected 1" % w["written"])
    send_frame(b, b'{"msg":"one"}')        # the resend of the unacknowledged record
    send_frame(b, b'{"msg":"two"}')
    check(read_until_ack(b, 2) == [], "errors on the resend")
    b.close()
    d.stop()
    msgs = [l["msg"] for l in d.lines()]
    check(msgs == ["one", "two"], "records written: %r" % msgs)
    err = d.stderr()
    check(err.count("out of memory: cannot queue") == 1 and "closing the connection" in err,
          "log:\n" + err[-2000:])


main(scenario)
