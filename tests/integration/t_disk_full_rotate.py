"""The disk fills up (a 512 KiB tmpfs) while two clients stream; logrotate
then renames the file and sends SIGHUP while the disk is still full.  The
failed write left the start of a line at the end of the old file: it is cut
off (ftruncate back to the last settled byte) and written whole to the new
file once there is room, so every line of both files is a whole JSON
object and together they hold each record exactly once.  Before: the old
file ended in the middle of a record and its rest began the new file.
Where mounting is not allowed, RLIMIT_FSIZE on the daemon stands in for the
full disk."""
import json
import os
import signal
import subprocess

from lctest import FullDisk, Daemon, Failure, check, driver, main, spawn, tmpdir, wait_for

N = 20000


def whole_lines(path):
    data = open(path, "rb").read()
    check(data == b"" or data.endswith(b"\n"), "%s ends with an incomplete line: %r" % (path, data[-80:]))
    out = []
    for n, raw in enumerate(data.splitlines(), 1):
        try:
            out.append(json.loads(raw))
        except ValueError as e:
            raise Failure("%s line %d is not JSON (%s): %r" % (path, n, e, raw[:120]))
    return out


def scenario():
    t = tmpdir()
    disk = FullDisk(t)
    d = disk.start(t)
    clients = [spawn([driver("lc_stream"), "--count", str(N), "--flush", "--app", "c%d" % i],
                     env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(2)]
    wait_for(lambda: "cannot write output file" in d.stderr(), 30, "the write failure")
    rotated = d.output + ".1"
    os.rename(d.output, rotated)
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: "reopened output file" in d.stderr(), 10, "the reopen")
    old_size = os.path.getsize(rotated)
    old = whole_lines(rotated)      # cut back to whole lines while the disk is full
    check(all(c.poll() is None for c in clients), "a client finished while the disk was full")
    disk.free()
    for c in clients:
        out, err = c.communicate(timeout=120)
        check(c.returncode == 0 and out.split() == ["sent", str(N), "acked"],
              "client: %r %r" % (out, err))
    check(os.path.getsize(rotated) == old_size, "the rotated file changed after the reopen")
    new = whole_lines(d.output)
    check(len(new) > 0, "nothing in the new file")
    for app in ("c0", "c1"):
        seqs = [l["_seq"] for l in old + new if l["_app"] == app]
        check(seqs == list(range(1, N + 1)),
              "%s: %d lines, not 1..%d once each, in order" % (app, len(seqs), N))
    d.stop()
    print("old file %d lines, new file %d lines; cut: %s" % (
        len(old), len(new), [l for l in d.stderr().splitlines() if "cut the last" in l]))


main(scenario)
