"""--fsync: never (no fdatasync at all), batch (one per written batch,
before its acks), interval=MS (at most one per interval, only after
writes); the counter "syncs" in the daemon's counters shows which; a bad
value is a one-line error."""
import re
import signal
import time

from lctest import DAEMON, Daemon, check, driver, main, run, wait_for


def syncs(d):
    before = d.stderr().count("counters:")
    d.send_signal(signal.SIGUSR1)
    wait_for(lambda: d.stderr().count("counters:") > before, 5, "counters")
    line = [l for l in d.stderr().splitlines() if "counters:" in l][-1]
    return int(re.search(r"\bsyncs=(\d+)", line).group(1))


def scenario():
    d = Daemon("--fsync", "never")
    for _ in range(3):
        run([driver("lc_stream"), "--count", "200", "--flush"], env=d.env())
    check(syncs(d) == 0, "never: synced anyway")
    d.stop()

    d = Daemon("--fsync", "batch")
    for _ in range(3):
        run([driver("lc_stream"), "--count", "200", "--flush"], env=d.env())
    n = syncs(d)
    check(n >= 3, "batch: only %d syncs for 3 acknowledged streams" % n)
    d.stop()

    d = Daemon("--fsync", "interval=300")
    check(syncs(d) == 0, "interval: synced before anything was written")
    t0 = time.monotonic()
    for _ in range(5):
        run([driver("lc_stream"), "--count", "200", "--flush"], env=d.env())
    elapsed = time.monotonic() - t0
    time.sleep(0.5)
    n = syncs(d)
    check(1 <= n <= elapsed / 0.3 + 2, "interval=300: %d syncs in %.2fs" % (n, elapsed))
    time.sleep(0.7)
    check(syncs(d) == n, "interval: synced although nothing was written")
    d.stop()

    cp = run([DAEMON, "--fsync", "sometimes"], check_rc=False)
    check(cp.returncode == 1 and "--fsync must be never, batch or interval=MS" in cp.stderr,
          "bad --fsync: %r" % cp.stderr)


main(scenario)
