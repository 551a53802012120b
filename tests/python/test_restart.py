"""The collector restarted in the middle of a stream of 100,000 records from
one Python process (Client.log, paced so that the signal lands
mid-stream however fast the machine is):

* SIGTERM: the daemon acknowledges what it wrote and tells the client to
  go; the client re-sends the rest to the new daemon: every record
  exactly once, in order, in one session.
* SIGKILL: records the daemon wrote but had not acknowledged are sent
  again to the new daemon, which cannot know it has them: none lost; each
  repeat carries the same _sid/_seq (and the same record), and
  `logcollect tail --dedup` leaves every record exactly once."""
# LCTEST: plain-only
# LCTEST: timeout=300

import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

from lcpy import CLI, Daemon, client, run, wait_for

N = 100000
RATE = 25000          # records/s: the stream lasts about 4 s


def stream(c, n, rate, state):
    t0 = time.monotonic()
    for i in range(1, n + 1):
        if i % 100 == 0:
            wait = t0 + i / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        c.log("info", "rec %d" % i, n=i)
    state["done"] = time.monotonic()


# Run in a process of its own (no GIL shared with the client's threads): wake
# the stopped collector and SIGKILL it the moment its output grows, i.e.
# right after a write and, with --fsync batch, before that write is synced
# and acknowledged: the records in it are written and not acknowledged.
KILL_AFTER_WRITE = """
import os, signal, sys
pid, path = int(sys.argv[1]), sys.argv[2]
size = os.path.getsize(path)
os.kill(pid, signal.SIGCONT)
while os.path.getsize(path) == size:
    pass
os.kill(pid, signal.SIGKILL)
"""


class Restart(unittest.TestCase):
    def restart_mid_stream(self, sig, *daemon_args):
        d = Daemon(*daemon_args)
        c = client(d, app="pytest-restart", queue_bytes=64 << 20, full="block")
        state = {"t0": time.monotonic()}
        t = threading.Thread(target=stream, args=(c, N, RATE, state))
        t.start()
        try:
            wait_for(lambda: os.path.exists(d.output) and os.path.getsize(d.output) > 2000000,
                     60, "the stream to be under way")
            if sig == signal.SIGKILL:
                # stopped for a moment, the collector has a backlog to write
                # when it wakes up; it is killed right after its first write
                d.send_signal(signal.SIGSTOP)
                time.sleep(0.3)
                subprocess.check_call([sys.executable, "-c", KILL_AFTER_WRITE, str(d.proc.pid),
                                       d.output], timeout=60)
            d.stop(sig, expect_rc=0 if sig == signal.SIGTERM else -sig)
            self.assertNotIn("done", state, "the stream ended before the signal")
            # (SIGKILL can stop a write between pages: the file may end in a
            # torn line, which the next collector trims: it was never acknowledged)
            with open(d.output, "rb") as f:
                first = f.read().count(b"\n")
            time.sleep(0.2)
            d2 = Daemon(*daemon_args, dir=d.dir)
        finally:
            t.join()
        t_joined = time.monotonic()
        self.assertTrue(c.flush(180), "flush timed out: %r" % c.stats())
        t_flushed = time.monotonic()
        st = c.stats()
        c.close()
        d2.stop()
        lines = d2.lines()   # both collectors appended to the same file
        self.assertTrue(0 < first < N, "the first collector wrote %d of %d" % (first, N))
        self.assertEqual(len({l["_sid"] for l in lines}), 1, "more than one session")
        self.assertTrue(all(l["msg"] == "rec %d" % l["_seq"] == "rec %d" % l["n"] for l in lines),
                        "record contents changed")
        self.assertEqual((st["records"], st["acked"], st["dropped"]), (N, N, 0), st)
        self.assertGreaterEqual(st["connects"], 2, st)
        print("first collector wrote %d of %d; %d lines in all; stats %s; stream %.1f s, "
              "then flushed in %.1f s" %
              (first, N, len(lines), json.dumps({k: st[k] for k in ("connects", "resent")}),
               t_joined - state["t0"], t_flushed - t_joined))
        return d2, lines

    def test_sigterm(self):
        """None lost, none repeated, in order."""
        _, lines = self.restart_mid_stream(signal.SIGTERM)
        seqs = [l["_seq"] for l in lines]
        self.assertEqual(seqs, list(range(1, N + 1)),
                         "lost or repeated: %d lines, first problem near %s" %
                         (len(seqs), next((i for i, s in enumerate(seqs, 1) if s != i), None)))

    def test_sigkill(self):
        """None lost; the repeats are the same records (same _sid/_seq);
        logcollect tail --dedup removes them."""
        d2, lines = self.restart_mid_stream(signal.SIGKILL, "--fsync", "batch")
        groups = {}
        for l in lines:
            groups.setdefault(l["_seq"], []).append(l)
        self.assertEqual(sorted(groups), list(range(1, N + 1)), "records lost")
        repeats = len(lines) - N
        for seq, ls in groups.items():
            if len(ls) > 1:
                self.assertEqual(len({(l["_sid"], l["ts"], l["msg"]) for l in ls}), 1,
                                 "seq %d repeated with other contents" % seq)
        cp = run([CLI, "tail", "--dedup", "--json", "-n", str(2 * N), d2.output], timeout=120)
        kept = [json.loads(x) for x in cp.stdout.splitlines()]
        self.assertEqual([l["_seq"] for l in kept], list(range(1, N + 1)),
                         "tail --dedup kept %d lines" % len(kept))
        print("%d repeats after SIGKILL, removed by tail --dedup" % repeats)
        # (the collector was killed right after a write, before acknowledging it)
        self.assertGreater(repeats, 0, "no repeats: the kill did not land between write and ack")


if __name__ == "__main__":
    unittest.main()
