"""--http on a non-loopback address is refused at start (exit 1, the
message names --http-allow-remote) unless --http-allow-remote is given;
the same from the config file (http = ..., http-allow-remote = yes)."""
import os

from lctest import DAEMON, Daemon, check, main, run, tmpdir


def scenario():
    d = Daemon(start=False)
    r = run(d.argv() + ["--http", "0.0.0.0:0"], check_rc=False, timeout=20)
    check(r.returncode == 1 and "--http-allow-remote" in r.stderr and
          "not a loopback address" in r.stderr, "rc %d: %s" % (r.returncode, r.stderr))
    check(not os.path.exists(d.port_file), "port file written by a refused start")
    conf = os.path.join(tmpdir(), "conf")
    with open(conf, "w") as f:
        f.write("http = 0.0.0.0:0\n")
    r = run(d.argv() + ["--config", conf], check_rc=False, timeout=20)
    check(r.returncode == 1 and "--http-allow-remote" in r.stderr, "config: %s" % r.stderr)
    with open(conf, "a") as f:
        f.write("http-allow-remote = yes\n")
    d.extra = ["--config", conf]
    d.start()
    check(d.info.get("http_port", 0) > 0, "no http_port with http-allow-remote: %r" % d.info)
    d.stop()


main(scenario)
