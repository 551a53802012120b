"""Faults: a client's connection cut in the middle of a frame loses only
that frame (everything before it is written, the daemon keeps serving);
a port-file directory that is read-only at start gives a clear error and
exit status 1, with nothing left running."""
import os
import subprocess

from lctest import (DAEMON, Daemon, authed, check, hello, main, mount_tmpfs, read_until_ack, run,
                    send_frame, tmpdir)


def scenario():
    d = Daemon()
    s = authed(d)
    hello(s)
    for i in range(1, 101):
        send_frame(s, b'{"n":%d}' % i)
    read_until_ack(s, 100)
    rec = b'{"n":101,"pad":"' + b"p" * 1000 + b'"}'
    s.sendall(len(rec).to_bytes(4, "big") + rec[:500])      # half a frame, then cut
    s.close()
    s2 = authed(d)
    hello(s2)
    send_frame(s2, b'{"n":"after"}')
    read_until_ack(s2, 1)
    s2.close()
    d.stop()
    ns = [l["n"] for l in d.lines()]
    check(ns == list(range(1, 101)) + ["after"], "after a cut frame: %r" % ns[-5:])
    check("middle of a frame" in d.stderr(), "the cut was not logged")

    t = tmpdir()
    key = os.path.join(t, "key")
    run([DAEMON, "--gen-key", key])
    ro = os.path.join(t, "ro")
    root = os.geteuid() == 0
    if root:
        if not mount_tmpfs(ro, 1 << 20):
            print("skipped the read-only part: cannot mount as root here")
            return
        subprocess.check_call(["mount", "-o", "remount,ro", ro])
    else:
        os.makedirs(ro)
        os.chmod(ro, 0o555)
    argv = [DAEMON, "--key-file", key, "--port-file", os.path.join(ro, "port"),
            "--output", os.path.join(t, "out")] + (["--allow-root"] if root else [])
    cp = run(argv, check_rc=False, timeout=10)
    check(cp.returncode == 1, "exit %d with a read-only port file directory" % cp.returncode)
    check(len(cp.stderr.strip().splitlines()) == 1 and ro in cp.stderr and
          ("Read-only file system" in cp.stderr or "Permission denied" in cp.stderr),
          "unclear error: %r" % cp.stderr)


main(scenario)
