"""SIGTERM while the disk is full (a 512 KiB tmpfs) and a client streams.
The daemon cannot write what it holds and exits 1 after the drain deadline,
but a failed write had left the start of a line at the end of the file: it
is cut off at exit (it was never acknowledged), so the file ends on a whole
line.  After the disk is freed and the daemon started again, the client
(which kept everything not acknowledged) sends the rest: every record is in
the file, every line is whole JSON.  Whole lines written but not yet
acknowledged when the daemon stopped are sent again by the client: they
are the only repeats (each exactly twice, first before the restart), as
docs/protocol.md 5.2 says.  Before: the file ended in a partial line.
Where mounting is not allowed, RLIMIT_FSIZE stands in for the full disk."""
# LCTEST: timeout=240
import collections
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
    p = spawn([driver("lc_stream"), "--count", str(N), "--flush", "--block-ms", "120000",
               "--flush-ms", "120000"],
              env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: "cannot write output file" in d.stderr(), 30, "the write failure")
    d.stop(signal.SIGTERM, expect_rc=1)
    before = whole_lines(d.output)      # no partial line left at exit
    cut = [l for l in d.stderr().splitlines() if "incomplete last line" in l]
    check(p.poll() is None, "the client gave up")

    disk.free()
    d2 = Daemon(dir=t, output=disk.OUTPUT)
    out, err = p.communicate(timeout=120)
    check(p.returncode == 0 and out.split() == ["sent", str(N), "acked"], "driver: %r %r" % (out, err))
    d2.stop()
    lines = whole_lines(d.output)
    seqs = [l["_seq"] for l in lines]
    count = collections.Counter(seqs)
    check(set(seqs) == set(range(1, N + 1)), "records lost: %d of %d there" % (len(set(seqs)), N))
    dups = sorted(s for s, k in count.items() if k > 1)
    check(all(count[s] == 2 for s in dups), "a record written more than twice")
    first = {s for s in seqs[:len(before)]}
    check(all(s in first for s in dups), "a repeat whose first copy is not from before the stop")
    check(len(lines) == N + len(dups), "%d lines for %d records and %d repeats" % (len(lines), N, len(dups)))
    print("before the stop: %d whole lines; cut at exit: %s; repeats after the restart: %d"
          % (len(before), cut, len(dups)))


main(scenario)
