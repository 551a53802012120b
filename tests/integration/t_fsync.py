"""--fsync: never (no fdatasync at all), batch (one per written batch,
before its acks), interval=MS (at most one per interval, only after
writes); the counter "syncs" in the daemon's counters shows which; a bad
value is a one-line error."""
import time

from lctest import DAEMON, Daemon, check, driver, main, run, wait_for


def syncs(d):
    return d.counters()["syncs"]


def settled_syncs(d, interval):
    """The syncs counter once the interval timer has synced everything
    written: at least one sync, and none in the next interval and a half
    (the timer runs every interval while there is something to sync)."""
    def settled():
        n = syncs(d)
        if n < 1:
            return None
        time.sleep(interval * 1.5)  # part of the condition: no sync meanwhile
        return n if syncs(d) == n else None
    return wait_for(settled, 10, "the interval syncs to settle")


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
    n = settled_syncs(d, 0.3)
    check(1 <= n <= elapsed / 0.3 + 2, "interval=300: %d syncs in %.2fs" % (n, elapsed))
    # A "nothing happens" check, after the condition above: with nothing
    # written, two more intervals pass without a sync.
    time.sleep(0.7)
    check(syncs(d) == n, "interval: synced although nothing was written")
    d.stop()

    cp = run([DAEMON, "--fsync", "sometimes"], check_rc=False)
    check(cp.returncode == 1 and "--fsync must be never, batch or interval=MS" in cp.stderr,
          "bad --fsync: %r" % cp.stderr)


main(scenario)
