"""Load: 1,000 concurrent authenticated clients (wire-level load generator,
each its own session), each sending 1,000 records: all 1,000,000 arrive,
none duplicated, every client's records in order.  Prints the time and the
daemon's peak RSS."""
# LCTEST: timeout=600
# LCTEST: plain-only
import collections
import time

from lctest import Daemon, check, driver, main, run


def scenario():
    d = Daemon()
    t0 = time.monotonic()
    cp = run([driver("lc_flood"), "--conns", "1000", "--records", "1000", "--size", "200"],
             env=d.env(), timeout=500)
    took = time.monotonic() - t0
    hwm = next(int(l.split()[1]) for l in open("/proc/%d/status" % d.proc.pid) if l.startswith("VmHWM:"))
    print("1,000 clients x 1,000 records: %.1f s end to end (%s); daemon peak RSS %d KiB" %
          (took, cp.stdout.strip(), hwm))
    d.stop()
    per = collections.defaultdict(list)
    n = 0
    with open(d.output, "rb") as f:
        for raw in f:
            n += 1
            # cheap parse: the trusted fields are at the end, c and r at the start
            s = raw.decode()
            c = int(s.split('"c":', 1)[1].split(",", 1)[0])
            r = int(s.split('"r":', 1)[1].split(",", 1)[0])
            per[c].append(r)
    check(n == 1000000, "%d lines" % n)
    check(len(per) == 1000, "%d clients in the output" % len(per))
    bad = [c for c, rs in per.items() if rs != list(range(1, 1001))]
    check(not bad, "clients with missing, repeated or reordered records: %r" % bad[:5])


main(scenario)
