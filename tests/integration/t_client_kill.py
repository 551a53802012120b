"""The collector is killed with SIGKILL in the middle of a stream of 100,000
records and restarted on the same port file (it gets a new port).  The
client notices, reconnects with backoff after re-reading the port file, and
re-sends what was not acknowledged.  Every record arrives: the first
collector wrote 1..L, the second continues without a gap from some S <= L+1;
the only repeats are S..L (written by the first collector but not yet
acknowledged), byte-for-byte the same records, and no more than the client
says it re-sent."""
# LCTEST: timeout=300
import os
import signal
import subprocess
import time

from lctest import Daemon, check, driver, main, spawn, wait_for

N = 100000


def stats_of(out):
    line = [l for l in out.splitlines() if l.startswith("stats ")][-1]
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def scenario():
    d = Daemon()
    old_port = d.port
    # A 1 MiB queue: the driver is still logging (blocked on the full queue)
    # when the collector dies.
    # paced: the kill must land mid-stream however fast the machine is
    p = spawn([driver("lc_stream"), "--count", str(N), "--rate", "40000", "--queue", str(1 << 20),
               "--block-ms", "60000", "--flush", "--flush-ms", "120000", "--stats"],
              env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(d.output) and os.path.getsize(d.output) > 2000000,
             60, "the stream to be under way")
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    # SIGKILL can stop a large write between pages: the file may end in a
    # torn line, which the next collector trims (it was never acknowledged).
    raw = open(d.output, "rb").read()
    torn = not raw.endswith(b"\n")
    L = raw.count(b"\n")
    check(0 < L < N, "the first collector wrote %d lines" % L)
    # Downtime, not synchronisation: the client may meet the stale port file
    # meanwhile; no check depends on it or on the length of the pause.
    time.sleep(0.3)
    d2 = Daemon(dir=d.dir)
    new_port = d2.port
    out, err = p.communicate(timeout=240)
    check(p.returncode == 0 and out.split()[:3] == ["sent", str(N), "acked"],
          "driver: %r %r" % (out, err))
    st = stats_of(out)

    lines = d2.lines()          # (fails unless the torn line was trimmed)
    check(not torn or "incomplete line" in d2.stderr(), "a torn last line was not reported")
    check(len({l["_sid"] for l in lines}) == 1, "more than one session")
    seq1 = [l["_seq"] for l in lines[:L]]
    check(seq1 == list(range(1, L + 1)), "first collector's lines are not 1..%d" % L)
    rest = [l["_seq"] for l in lines[L:]]
    check(rest and rest[0] <= L + 1, "gap: the second collector starts at %r after %d" %
          (rest[:1], L))
    S = rest[0]
    check(rest == list(range(S, N + 1)), "the second collector's lines are not %d..%d" % (S, N))
    for l in lines:
        check(l["msg"] == "rec %d" % l["_seq"], "record %r has the wrong number" % l)
    repeats = L - S + 1
    for s in range(S, L + 1):
        a, b = lines[s - 1], lines[L + s - S]
        check(a["msg"] == b["msg"] and a["ts"] == b["ts"], "repeat %d differs: %r %r" % (s, a, b))
    check(repeats <= int(st["resent"]), "%d repeats but the client re-sent only %s" %
          (repeats, st["resent"]))
    check(int(st["connects"]) >= 2 and int(st["dropped"]) == 0, "stats %r" % st)
    print("port %d -> %d; first collector wrote %d, repeats %d, client re-sent %s, "
          "connects %s, lost 0" % (old_port, new_port, L, repeats, st["resent"], st["connects"]))
    d2.stop()


main(scenario)
