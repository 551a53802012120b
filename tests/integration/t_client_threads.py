"""16 threads log 10,000 records each through one client at the same time
(half with lc_log, half with lc_log_kv), with a queue small enough (1 MiB)
that they keep waiting for room (LC_FULL_BLOCK).  All 160,000 records
arrive exactly once in one session, and each thread's records are in the
order it logged them."""
# LCTEST: timeout=300
import collections

from lctest import Daemon, check, driver, main, run

T, N = 16, 10000


def scenario():
    d = Daemon()
    cp = run([driver("lc_threads"), "--threads", str(T), "--count", str(N),
              "--queue", str(1 << 20)], env=d.env(), timeout=240)
    check(cp.stdout.split()[:3] == ["sent", str(T * N), "acked"], "driver: %r" % cp.stdout)
    check("dropped=0" in cp.stdout, "records dropped: %r" % cp.stdout)
    lines = d.lines()
    check([l["_seq"] for l in lines] == list(range(1, T * N + 1)),
          "%d lines; records lost or repeated" % len(lines))
    check(len({l["_sid"] for l in lines}) == 1, "more than one session")
    per = collections.defaultdict(list)
    for l in lines:
        t, i = l["msg"][1:].split()
        per[int(t)].append(int(i))
        if int(t) % 2:
            check(l.get("t") == t and l.get("i") == i, "kv fields wrong in %r" % l)
    for t in range(T):
        check(per[t] == list(range(1, N + 1)), "thread %d: order broken or records missing" % t)
    d.stop()


main(scenario)
