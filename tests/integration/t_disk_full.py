"""The output disk fills up (a 512 KiB tmpfs) while clients stream, then
frees again.  The daemon keeps running, stops acknowledging and stops
reading (clients keep their records), logs the failure once, retries, and
resumes by itself; in the end every record is in the file exactly once.
Where mounting is not allowed, RLIMIT_FSIZE on the daemon stands in for
the full disk."""
import os
import subprocess
import time

from lctest import FullDisk, Daemon, check, driver, main, spawn, tmpdir, wait_for

N = 20000


def scenario():
    t = tmpdir()
    disk = FullDisk(t)
    d = disk.start(t)
    clients = [spawn([driver("lc_stream"), "--count", str(N), "--flush", "--app", "c%d" % i],
                     env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(2)]
    wait_for(lambda: "cannot write output file" in d.stderr(), 30, "the write failure")
    wait_for(lambda: d.counters()["output_failing"] == "yes", 10, "the daemon to hold its output")
    size_full = os.path.getsize(d.output)
    # A "nothing happens" check, after the conditions above: for a second
    # with the disk full, the file does not grow, nothing is acknowledged
    # (no client finishes), and the daemon keeps running.
    time.sleep(1.0)
    check(all(c.poll() is None for c in clients), "a client finished while the disk was full")
    check(d.proc.poll() is None, "daemon died on a full disk")
    check(os.path.getsize(d.output) == size_full, "file grew while the disk was full")
    disk.free()
    for c in clients:
        out, err = c.communicate(timeout=120)
        check(c.returncode == 0 and out.split() == ["sent", str(N), "acked"],
              "client: %r %r" % (out, err))
    err = d.stderr()
    check(err.count("cannot write output file") == 1, "failure not logged exactly once:\n" + err)
    check("works again" in err, "recovery not logged")
    lines = d.lines()
    for app in ("c0", "c1"):
        seqs = [l["_seq"] for l in lines if l["_app"] == app]
        check(seqs == list(range(1, N + 1)), "%s: %d lines, not 1..%d once each" % (app, len(seqs), N))
    d.stop()


main(scenario)
