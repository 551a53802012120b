"""The collector is stopped with SIGTERM in the middle of a stream of
100,000 records and started again on the same port file (a new port).  It
tells the client to stop (ERROR 102), writes and acknowledges everything it
read; the client keeps the rest, reconnects with backoff once the new
collector has published its port, and sends it.  Every record arrives
exactly once, in order, in one session."""
# LCTEST: timeout=300
import os
import signal
import subprocess
import time

from lctest import Daemon, check, driver, main, spawn, wait_for

N = 100000


def scenario():
    d = Daemon()
    # paced: the stop must land mid-stream however fast the machine is
    p = spawn([driver("lc_stream"), "--count", str(N), "--rate", "40000", "--queue", str(1 << 20),
               "--block-ms", "60000", "--flush", "--flush-ms", "120000", "--stats"],
              env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(d.output) and os.path.getsize(d.output) > 2000000,
             60, "the stream to be under way")
    d.stop(signal.SIGTERM)
    L = len(d.lines())
    check(0 < L < N, "the first collector wrote %d lines" % L)
    check(not os.path.exists(d.port_file), "port file left behind")
    # Downtime, not synchronisation: the client may retry against the missing
    # port file meanwhile; no check depends on it or on the length of the pause.
    time.sleep(0.3)
    d2 = Daemon(dir=d.dir)
    out, err = p.communicate(timeout=240)
    check(p.returncode == 0 and out.split()[:3] == ["sent", str(N), "acked"],
          "driver: %r %r" % (out, err))
    lines = d2.lines()
    seqs = [l["_seq"] for l in lines]
    check(seqs == list(range(1, N + 1)),
          "records lost or repeated: %d lines, first problem near %s" %
          (len(seqs), next((i for i, s in enumerate(seqs, 1) if s != i), None)))
    check(len({l["_sid"] for l in lines}) == 1, "more than one session")
    check(all(l["msg"] == "rec %d" % l["_seq"] for l in lines), "record contents wrong")
    stats = [l for l in out.splitlines() if l.startswith("stats ")][-1]
    check("connects=1 " not in stats and " dropped=0 " in stats, "stats %r" % stats)
    print("first collector wrote %d of %d" % (L, N))
    d2.stop()


main(scenario)
