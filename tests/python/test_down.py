"""The collector down for 5 s while a program logs: log() never waits on
the network (the longest call is reported and must stay far below a
blocking connect), the records queue, and once the collector is back they
all arrive, exactly once, in order."""
# LCTEST: plain-only

import signal
import time
import unittest

from lcpy import Daemon, client

DOWN_S = 5.0
PER_S = 4000          # records/s logged while the collector is down
MAX_CALL_S = 0.25     # a wait on the network: connect_timeout, 5 s (margin: a loaded machine)


class DaemonDown(unittest.TestCase):
    def test_down_5s(self):
        d = Daemon()
        c = client(d, app="pytest-down", queue_bytes=32 << 20)
        c.log("info", "before")
        self.assertTrue(c.flush(30))
        d.stop(signal.SIGTERM)
        t_stop = time.monotonic()
        longest, n, calls = 0.0, 0, []
        # down: log at a steady pace for DOWN_S seconds
        while time.monotonic() - t_stop < DOWN_S:
            for _ in range(40):
                n += 1
                t0 = time.perf_counter()
                ok = c.log("info", "down %d" % n, n=n)
                calls.append(time.perf_counter() - t0)
                self.assertTrue(ok, "dropped while down: %r" % c.stats())
            time.sleep(40.0 / PER_S)
        longest = max(calls)
        calls.sort()
        p99, median = calls[len(calls) * 99 // 100], calls[len(calls) // 2]
        st = c.stats()
        self.assertFalse(st["connected"])
        self.assertEqual(st["queue_records"], n, st)
        self.assertGreater(st["connect_failures"], 0, st)
        d2 = Daemon(dir=d.dir)
        t0 = time.monotonic()
        self.assertTrue(c.flush(60), c.stats())
        back = time.monotonic() - t0
        c.close()
        d2.stop()
        lines = d2.lines()
        self.assertEqual([l["msg"] for l in lines], ["before"] + ["down %d" % i for i in range(1, n + 1)])
        self.assertEqual([l["_seq"] for l in lines], list(range(1, n + 2)))
        print("%d records logged during %.0f s down; log() median %.1f us, p99 %.1f us, "
              "longest %.3f ms; all acknowledged %.2f s after the restart" %
              (n, DOWN_S, median * 1e6, p99 * 1e6, longest * 1000, back))
        self.assertLess(longest, MAX_CALL_S, "a log() call took %.3f s" % longest)


if __name__ == "__main__":
    unittest.main()
