"""A second daemon on the same port file refuses to start, naming the first
one's pid (a flock, not a guess from a pid), exits 1, and leaves the first
daemon and its port file alone.  After the first stops, the port file is
gone and a new daemon starts fine on a new port."""
import os

from lctest import DAEMON, Daemon, check, main, run


def scenario():
    d = Daemon()
    before = open(d.port_file).read()
    argv = d.argv()
    argv[argv.index("--output") + 1] = os.path.join(d.dir, "other.jsonl")
    cp = run(argv, check_rc=False, timeout=10)
    check(cp.returncode == 1, "second daemon exit status %d" % cp.returncode)
    check("already running (pid %d)" % d.proc.pid in cp.stderr,
          "second daemon did not name the first: %r" % cp.stderr)
    check(len(cp.stderr.strip().splitlines()) == 1, "more than one line of error: %r" % cp.stderr)
    check(open(d.port_file).read() == before, "port file changed by the refused daemon")
    check(d.proc.poll() is None, "first daemon died")
    d.stop()
    check(not os.path.exists(d.port_file), "port file left after a clean exit")

    # A stale port file (daemon killed) does not block a new start.
    d2 = Daemon(dir=d.dir)
    d2.stop(sig=9, expect_rc=None)
    check(os.path.exists(d2.port_file), "SIGKILL cannot remove the port file")
    d3 = Daemon(dir=d.dir)
    check(d3.info["pid"] == d3.proc.pid, "port file not replaced")
    d3.stop()


main(scenario)
