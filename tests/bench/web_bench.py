#!/usr/bin/env python3
"""web_bench.py - `logcollect web` under load: a daemon, `logcollect web`
on its output, one page's event stream (/events) read here, and lc_stream
sending RATE records/s through lc_log for SECONDS.  Reports the delay from
lc_log (the record's ts) to the SSE event at p50/p99, the events received,
and the web process's CPU (user+system over the run) and peak RSS.

    python3 tests/bench/web_bench.py [--build build] [--rate 10000] [--seconds 10]
"""
import argparse
import re
import datetime
import json
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def parse_ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def peak_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--seconds", type=int, default=10)
    a = ap.parse_args()
    os.environ["LC_BUILD"] = a.build
    import lctest
    from webtest import Web
    d = lctest.Daemon()
    w = Web(d.output, dir=d.dir)
    ev = w.events(timeout=60)
    ev.until("hello")
    delays, skipped, n = [], [0], a.rate * a.seconds
    ts_re = re.compile(rb'"rec":\{"ts":"([^"]+)"')

    def reader():
        fp = ev.resp.fp
        try:
            while len(delays) + skipped[0] < n:
                line = fp.readline()
                if not line:
                    return
                if line.startswith(b"data: {\"g\""):
                    delays.append(time.time() - parse_ts(ts_re.search(line).group(1).decode()))
                elif line.startswith(b"data: {\"n\""):
                    skipped[0] += json.loads(line[6:])["n"]
        except (OSError, ValueError, AttributeError):
            return
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    cpu0, t0 = cpu_s(w.proc.pid), time.monotonic()
    lctest.run([lctest.driver("lc_stream"), "--count", str(n), "--rate", str(a.rate), "--flush"],
               env=d.env(), timeout=a.seconds * 3 + 60)
    t.join(10)
    wall = time.monotonic() - t0
    cpu = cpu_s(w.proc.pid) - cpu0
    peak = peak_kb(w.proc.pid)
    delays.sort()
    q = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))] * 1000 if delays else float("nan")
    print("logcollect web, %d records/s for %d s: %d/%d events (%d skipped: the reader was slow); lc_log -> SSE delay p50 %.1f ms, "
          "p99 %.1f ms, max %.1f ms; web CPU %.1f%% of a core (%.2f s over %.1f s), peak RSS %.1f MiB"
          % (a.rate, a.seconds, len(delays), n, skipped[0], q(0.5), q(0.99), delays[-1] * 1000 if delays else 0,
             100 * cpu / wall, cpu, wall, peak / 1024))
    ev.close()
    w.stop()
    d.stop()
    lctest.cleanup()


if __name__ == "__main__":
    main()
