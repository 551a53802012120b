"""logcollect status: authenticates, asks the daemon for its counters
(STATUS request) and prints them; --json gives the object; the exit status
says whether the collector is up: 1 with a clear reason when it is down or
the key is wrong."""
import json
import os

from lctest import CLI, Daemon, authed, check, hello, main, read_until_ack, run, send_frame


def scenario():
    d = Daemon()
    for i in range(5):
        run([CLI, "send", "n%d" % i], env=d.env())
    s = authed(d)
    hello(s)
    send_frame(s, b'{"_x":1}')
    read_until_ack(s, 1)
    s.close()
    cp = run([CLI, "status"], env=d.env())
    check("records      5 written" in cp.stdout and "reserved 1" in cp.stdout,
          "human output: %r" % cp.stdout)
    check("up 0d" in cp.stdout and "OUTPUT FAILING" not in cp.stdout, "status: %r" % cp.stdout)
    st = json.loads(run([CLI, "status", "--json"], env=d.env()).stdout)
    check(st["records"]["accepted"] == 5 and st["records"]["rejected"]["reserved"] == 1,
          "json counters: %r" % st)
    check(st["pid"] == d.proc.pid and st["connections"]["current"] >= 1, "json: %r" % st)
    for key in ("handshakes_failed", "bytes_written", "write_errors", "output_pending", "uptime_s"):
        check(key in st, "no %s in %r" % (key, st))

    other = os.path.join(d.dir, "other.key")
    run([CLI, "keygen", other])
    cp = run([CLI, "status", "--key-file", other], env=d.env(), check_rc=False)
    check(cp.returncode == 1 and "not available" in cp.stderr, "wrong key: %r" % cp.stderr)
    d.stop()
    cp = run([CLI, "status"], env=d.env(), check_rc=False)
    check(cp.returncode == 1 and "port file" in cp.stderr, "daemon down: %r" % cp.stderr)
    cp = run([CLI, "status", "--bogus"], env=d.env(), check_rc=False)
    check(cp.returncode == 2, "usage error exit %d" % cp.returncode)


main(scenario)
