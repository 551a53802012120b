"""While the output disk is full, `logcollect status` must still work (and
show the write errors, exactly when they matter), and new clients must
still authenticate and get their WELCOME: only the reading of records
pauses.  A new connection's record is left unread until the disk has room
again, then written once.

The disk is a 512 KiB tmpfs (RLIMIT_FSIZE on the daemon where mounting is
not allowed), filled by a streaming client."""
import json
import os
import socket
import subprocess
import time

from lctest import (FullDisk, CLI, Daemon, authed, check, driver, hello, main, read_until_ack,
                    run, send_frame, spawn, tmpdir, wait_for)

N = 20000


def scenario():
    t = tmpdir()
    disk = FullDisk(t)
    d = disk.start(t)
    stream = spawn([driver("lc_stream"), "--count", str(N), "--flush", "--app", "stream"],
                   env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: "cannot write output file" in d.stderr(), 30, "the write failure")

    # status: answers within its 2 s timeout, and says the output is failing
    t0 = time.monotonic()
    cp = run([CLI, "status", "--json", "--timeout", "2000"], env=d.env(), check_rc=False)
    ms = (time.monotonic() - t0) * 1000
    check(cp.returncode == 0, "logcollect status failed while the disk is full: %s" % cp.stderr)
    st = json.loads(cp.stdout)
    print("status while full (%.0f ms): write_errors %d, output_failing %s, output_pending %d" %
          (ms, st["write_errors"], st["output_failing"], st["output_pending"]))
    check(st["output_failing"] is True and st["write_errors"] >= 1, "status %r" % st)
    human = run([CLI, "status", "--timeout", "2000"], env=d.env()).stdout
    check("OUTPUT FAILING" in human, "human status: %r" % human)

    # `logcollect send` connects, but its record is not acknowledged: it
    # says so (not that the keys differ)
    cp = run([CLI, "send", "--timeout", "1000", "--app", "cli", "sent by the CLI while full"],
             env=d.env(), check_rc=False)
    print("logcollect send while full: exit %d: %s" % (cp.returncode, cp.stderr.strip()))
    check(cp.returncode == 1 and "not acknowledged" in cp.stderr and "key" not in cp.stderr,
          "logcollect send while full: %r" % cp.stderr)

    # a new client authenticates and says HELLO; its record waits
    c = authed(d)
    w = hello(c, app="late")
    check(w["written"] == 0, "WELCOME %r" % w)
    send_frame(c, b'{"msg":"sent while full"}')
    c.settimeout(0.5)
    try:
        got = c.recv(64)
    except socket.timeout:
        got = None
    check(got is None, "an answer to a record while the disk is full: %r" % got)
    size_full = os.path.getsize(d.output)
    check(d.proc.poll() is None and stream.poll() is None, "a process ended while full")

    disk.free()
    read_until_ack(c, 1, timeout=30)
    out, err = stream.communicate(timeout=120)
    check(stream.returncode == 0 and out.split() == ["sent", str(N), "acked"],
          "stream: %r %r" % (out, err))
    c.close()
    d.stop()
    lines = d.lines()
    check(os.path.getsize(d.output) > size_full, "nothing written after the disk had room")
    seqs = [l["_seq"] for l in lines if l["_app"] == "stream"]
    check(seqs == list(range(1, N + 1)), "stream: %d lines, not 1..%d once each" % (len(seqs), N))
    late = [l["msg"] for l in lines if l["_app"] == "late"]
    check(late == ["sent while full"], "late client's lines: %r" % late)
    # the CLI gave up waiting, but its record had reached the daemon: it is
    # written once the disk has room (at least once, never lost)
    cli = [l["msg"] for l in lines if l["_app"] == "cli"]
    check(cli == ["sent by the CLI while full"], "the CLI's lines: %r" % cli)


main(scenario)
