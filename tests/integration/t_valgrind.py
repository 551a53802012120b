"""The daemon under valgrind memcheck (--error-exitcode): sessions from the
library and the CLI, rejected records, an oversize record, a failed
handshake, a SIGHUP reopen and a SIGTERM drain, with no memory error and
no leak."""
# LCTEST: plain-only
# LCTEST: timeout=300
import shutil
import signal

from lctest import (CLI, Daemon, authed, check, connect, driver, hello, main, read_until_ack,
                    recv_frame, run, send_frame)


def scenario():
    if not shutil.which("valgrind"):
        print("skipped: valgrind not installed")
        return
    d = Daemon("--max-record", "4K",
               wrapper=["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
                        "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect"])
    import os
    exe = os.readlink("/proc/%d/exe" % d.proc.pid)
    check("memcheck" in exe, "the daemon is not running under memcheck: %s" % exe)
    run([driver("lc_stream"), "--count", "500", "--flush"], env=d.env(), timeout=120)
    run([CLI, "send", "under valgrind", "k=v"], env=d.env(), timeout=60)
    s = authed(d)
    hello(s)
    send_frame(s, b'{"_bad":1}')
    send_frame(s, b'{"m":"' + b"x" * 5000 + b'"}')
    send_frame(s, b'{"ok":true}')
    errs = read_until_ack(s, 3, timeout=60)
    check(len(errs) == 2, "errors: %r" % errs)
    bad = connect(d)
    recv_frame(bad, 256)
    send_frame(bad, b"{sha256}" + b"\0" * 32)
    bad.close()
    d.send_signal(signal.SIGHUP)
    d.stop(timeout=60)          # exit status 99 would mean a memcheck error
    check(len(d.lines()) == 502, "%d lines" % len(d.lines()))


main(scenario)
