"""A record refused by the collector is reported once, without repeating
itself: `send` of a 200-character message to a daemon with --max-record
64 prints "... rejected record 1 (code 6, too large): 260 bytes, more
than --max-record 64" (it used to say "... (code 6, too large): record 1
too large: 260 bytes ...").  The library drops the daemon's "record N
NAME: " prefix, which repeats what it says itself."""
from lctest import CLI, Daemon, check, main, run


def scenario():
    d = Daemon("--max-record", "64")
    cp = run([CLI, "send", "x" * 200], env=d.env(), check_rc=False)
    err = cp.stderr.strip()
    check(cp.returncode == 1, "exit %d" % cp.returncode)
    check(len(err.splitlines()) == 1 and err.count("record 1") == 1 and
          err.count("too large") == 1 and
          err.endswith("rejected record 1 (code 6, too large): 260 bytes, more than "
                       "--max-record 64"), "message: %r" % err)
    d.stop()
    check(d.lines() == [], "a refused record was written")


main(scenario)
