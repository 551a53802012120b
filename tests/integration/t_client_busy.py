"""A collector at --max-clients answers a new connection with ERROR 100
(too many clients).  The client backs off (starting at about a second, not
50 ms) instead of hammering it, lc_flush says the collector is full, and
the records go through once a slot frees."""
import subprocess
import time

from lctest import Daemon, authed, check, driver, hello, main, run, spawn, wait_for


def scenario():
    d = Daemon("--max-clients", "1")
    hog = authed(d)
    hello(hog)
    cp = run([driver("lc_stream"), "--count", "1", "--flush", "--flush-ms", "500",
              "--close-ms", "0"], env=d.env(), check_rc=False)
    check(cp.returncode == 1 and "no room for more clients" in cp.stderr,
          "short flush message: %r" % cp.stderr)
    refused = d.counters()["connections.refused_full"]
    t0 = time.monotonic()
    p = spawn([driver("lc_stream"), "--count", "50", "--flush", "--stats"], env=d.env(),
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The daemon refuses the driver twice; the second attempt comes after a
    # backoff of 400..800 ms (800 ms nominal, half of it drawn at random),
    # never after 50 ms.
    wait_for(lambda: d.counters()["connections.refused_full"] >= refused + 2, 20,
             "two refused attempts")
    took = time.monotonic() - t0
    check(took >= 0.4, "two attempts in %.2fs: no backoff after a refusal" % took)
    hog.close()
    out, err = p.communicate(timeout=30)
    check(p.returncode == 0 and "acked" in out, "driver: %r %r" % (out, err))
    st = dict(kv.split("=", 1) for kv in out.splitlines()[-1].split()[1:])
    # every failure the client counts is a refusal the daemon counts
    refusals = d.counters()["connections.refused_full"] - refused
    check(int(st["failures"]) == refusals, "client counts %s failed attempts, daemon refused %d" %
          (st["failures"], refusals))
    # the next attempt after the second is 800 ms or more away: the hog is
    # gone by then, so 2 (a third only on a very slow machine)
    check(2 <= refusals <= 3, "attempts while full: %d" % refusals)
    check(1 <= int(st["failures"]) <= 5, "attempts while full: %s" % st["failures"])
    check([l["msg"] for l in d.lines()] == ["rec %d" % i for i in range(1, 51)], "records wrong")
    d.stop()


main(scenario)
