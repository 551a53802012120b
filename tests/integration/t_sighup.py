"""logrotate's way: while a client streams, the output file is renamed and
the daemon gets SIGHUP; later records go to a new file at the original path,
and across the two files every record is there exactly once."""
import os
import signal
import subprocess

from lctest import Daemon, check, driver, main, spawn, wait_for

N = 100000


def scenario():
    d = Daemon()
    # paced: the rotation must land mid-stream however fast the machine is
    p = spawn([driver("lc_stream"), "--count", str(N), "--rate", "50000", "--flush"], env=d.env(),
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(d.output) and os.path.getsize(d.output) > 100000,
             20, "the stream to be under way")
    rotated = d.output + ".1"
    os.rename(d.output, rotated)
    d.send_signal(signal.SIGHUP)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0 and out.split() == ["sent", str(N), "acked"], "driver: %r %r" % (out, err))
    old, new = d.lines(rotated), d.lines()
    check(len(new) > 0, "nothing went to the new file (rotation happened after the stream?)")
    seqs = [l["_seq"] for l in old + new]
    check(seqs == list(range(1, N + 1)), "records lost or repeated across the rotation: "
          "%d + %d lines" % (len(old), len(new)))
    check("reopened output file" in d.stderr(), "no reopen logged")
    check("without SIGHUP" not in d.stderr(), "a rename followed by SIGHUP was taken for one without")
    d.stop()


main(scenario)
