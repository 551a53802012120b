"""A record refused by the collector is reported once, without repeating
itself: `send` of a 200-character message to a daemon with --max-record
64 prints "... rejected record 1 (code 6, too large): 260 bytes, more
than --max-record 64" (it used to say "... (code 6, too large): record 1
too large: 260 bytes ...").  The library drops the daemon's "record N
NAME: " prefix, which repeats what it says itself.  When the daemon's
WELCOME (which carries --max-record) came first, the library refuses the
record itself, also in one line that says it once."""
from lctest import CLI, Daemon, check, main, run


def scenario():
    d = Daemon("--max-record", "64")
    cp = run([CLI, "send", "x" * 200], env=d.env(), check_rc=False)
    err = cp.stderr.strip()
    check(cp.returncode == 1, "exit %d" % cp.returncode)
    # Which side refuses it depends on timing: the daemon (its ERROR), or
    # the library itself when the daemon's WELCOME, which carries
    # --max-record, arrived before the call.  Either way: one line, said once.
    by_daemon = err.endswith("rejected record 1 (code 6, too large): 260 bytes, more than "
                             "--max-record 64") and err.count("record 1") == 1 \
        and err.count("too large") == 1
    by_library = err.endswith("the record is 260 bytes, logcollectord accepts at most 64 "
                              "(its --max-record)") and err.count("260 bytes") == 1
    check(len(err.splitlines()) == 1 and (by_daemon or by_library), "message: %r" % err)
    d.stop()
    check(d.lines() == [], "a refused record was written")


main(scenario)
