"""A collector at --max-clients answers a new connection with ERROR 100
(too many clients).  The client backs off (starting at about a second, not
50 ms) instead of hammering it, lc_flush says the collector is full, and
the records go through once a slot frees."""
import subprocess
import time

from lctest import Daemon, authed, check, driver, hello, main, run, spawn


def scenario():
    d = Daemon("--max-clients", "1")
    hog = authed(d)
    hello(hog)
    cp = run([driver("lc_stream"), "--count", "1", "--flush", "--flush-ms", "500",
              "--close-ms", "0"], env=d.env(), check_rc=False)
    check(cp.returncode == 1 and "no room for more clients" in cp.stderr,
          "short flush message: %r" % cp.stderr)
    p = spawn([driver("lc_stream"), "--count", "50", "--flush", "--stats"], env=d.env(),
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    hog.close()
    out, err = p.communicate(timeout=30)
    check(p.returncode == 0 and "acked" in out, "driver: %r %r" % (out, err))
    st = dict(kv.split("=", 1) for kv in out.splitlines()[-1].split()[1:])
    # 2 s of refusals: with a backoff starting near 1 s, 1 to 4 attempts.
    check(1 <= int(st["failures"]) <= 5, "attempts while full: %s" % st["failures"])
    check([l["msg"] for l in d.lines()] == ["rec %d" % i for i in range(1, 51)], "records wrong")
    d.stop()


main(scenario)
