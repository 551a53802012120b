"""The collector is down when the client opens.  lc_open still succeeds
(it is not fail-fast by default) and the log calls queue; lc_flush with a
short timeout says why nothing is acknowledged (the port file is missing)
and keeps the records.  Once the collector starts on the port file the
client was given, every record logged meanwhile arrives, once, in order.
A missing key file is still an immediate error, and with fail-fast a
missing collector is one too."""
import os
import subprocess
import time

from lctest import Daemon, check, driver, main, run, spawn


def stats_of(out):
    line = [l for l in out.splitlines() if l.startswith("stats ")][-1]
    return dict(kv.split("=", 1) for kv in line.split()[1:])


def scenario():
    d = Daemon(start=False)
    env = d.env()

    # No key file: refused at once, whatever the collector does.
    cp = run([driver("lc_stream"), "--count", "1"],
             env=d.env(LOGCOLLECT_KEY_FILE=os.path.join(d.dir, "nokey")), check_rc=False)
    check(cp.returncode == 1 and "cannot read key file" in cp.stderr and "nokey" in cp.stderr,
          "missing key file: %r" % cp.stderr)

    # Fail-fast: the missing collector is an error from lc_open.
    t0 = time.monotonic()
    cp = run([driver("lc_stream"), "--count", "1", "--fail-fast"], env=env, check_rc=False)
    check(cp.returncode == 1 and "lc_open" in cp.stderr and "cannot read port file" in cp.stderr
          and d.port_file in cp.stderr, "fail-fast: %r" % cp.stderr)
    check(time.monotonic() - t0 < 10, "fail-fast took too long")

    # Not fail-fast: queued; a short flush times out and says why.
    cp = run([driver("lc_stream"), "--count", "3", "--flush", "--flush-ms", "300",
              "--close-ms", "0"], env=env, check_rc=False)
    check(cp.returncode == 1 and cp.stdout.split() == ["sent", "3"], "short flush: %r" % cp.stdout)
    check("3 record(s) not acknowledged within 300 ms" in cp.stderr and
          "cannot read port file" in cp.stderr and "retrying in the background" in cp.stderr,
          "short flush message: %r" % cp.stderr)

    # The real thing: open and log with the collector down, start it later.
    p = spawn([driver("lc_stream"), "--count", "5000", "--kv", "--flush", "--stats",
               "--wait-failures", "2"], env=env,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    check(first.split() == ["sent", "5000"], "driver said %r" % first)
    # the driver says when two connection attempts have failed (no sleep)
    second = p.stdout.readline()
    check(second.split()[:1] == ["failures"] and int(second.split()[1]) >= 2,
          "driver said %r" % second)
    check(p.poll() is None, "driver gave up while the collector was down")
    d.start()
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0 and "acked" in out.split(), "driver: %r %r" % (out, err))
    st = stats_of(out)
    check(int(st["failures"]) >= 2 and int(st["connects"]) >= 1,
          "expected failed attempts then a connection: %r" % st)
    lines = d.lines()
    check(len(lines) == 5000, "%d lines, expected 5000" % len(lines))
    check(len({l["_sid"] for l in lines}) == 1, "more than one session")
    for i, l in enumerate(lines, 1):
        check(l["_seq"] == i and l["msg"] == "rec %d" % i and l["i"] == str(i),
              "line %d is %r" % (i, l))
    d.stop()


main(scenario)
