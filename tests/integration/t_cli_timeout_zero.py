"""`-t 0`, which logcollect(1) documents, is accepted: `status -t 0` uses
the default wait (5000 ms) and prints the counters; `send -t 0` and
`pipe -t 0` connect with 1 ms per step and do not wait for the
acknowledgement (so they report exit 1 unless the acknowledgement is
already there), never a usage error (exit 2).  A negative or non-numeric
timeout is still a usage error."""
import json

from lctest import CLI, Daemon, check, main, run


def scenario():
    d = Daemon()
    env = d.env()
    cp = run([CLI, "status", "-t", "0", "--json"], env=env, check_rc=False)
    check(cp.returncode == 0, "status -t 0: exit %d, %r" % (cp.returncode, cp.stderr))
    check(json.loads(cp.stdout)["pid"] == d.proc.pid, "status -t 0 printed %r" % cp.stdout[:200])

    for argv in ([CLI, "send", "-t", "0", "hello"], [CLI, "pipe", "-t", "0"]):
        cp = run(argv, env=env, check_rc=False, input="a line\n")
        check(cp.returncode in (0, 1) and "--timeout" not in cp.stderr,
              "%s: exit %d, %r" % (" ".join(argv[1:]), cp.returncode, cp.stderr))
        if cp.returncode == 1:
            check(cp.stderr.startswith("logcollect: ") and "1 ms" in cp.stderr or
                  "not acknowledged" in cp.stderr,
                  "%s: failure not explained: %r" % (" ".join(argv[1:]), cp.stderr))

    for bad in ("-1", "soon", ""):
        cp = run([CLI, "send", "-t", bad, "hello"], env=env, check_rc=False)
        check(cp.returncode == 2 and "--timeout wants milliseconds" in cp.stderr,
              "send -t %r: exit %d, %r" % (bad, cp.returncode, cp.stderr))
    d.stop()


main(scenario)
