"""logcollect web streams new records as Server-Sent Events, filtered on
the server: records sent with `logcollect send` to a real daemon arrive on
a stream within a second, each stream gets exactly the records its filter
passes (the filter code is tail's), and the stream goes on across a
rotation (rename + SIGHUP), announced by an event "rotated".  The hello
event gives the position the history continues from: history before it
plus the stream hold every record once."""
import os
import signal
import time

from lctest import CLI, Daemon, check, main, run, wait_for
from webtest import Web


def send(d, msg, level="info", app="a", *fields):
    run([CLI, "send", "--level", level, "--app", app, msg] + list(fields), env=d.env())


def scenario():
    d = Daemon()
    send(d, "before web")
    w = Web(d.output, dir=d.dir)
    every = w.events()
    errors = w.events("level=error")
    app_b = w.events("app=b&field=k%3Dv")
    grep = w.events("grep=%5Eneedle%20%5B0-9%5D%2B%24")
    hello = every.until("hello")
    for s in (errors, app_b, grep):
        check(s.until("hello") == hello, "hello differs between streams")

    send(d, "first live", "info", "a")
    t0 = time.monotonic()            # written (send waits for the acknowledgement)
    t, row = every.next()
    check(t == "message" and row["msg"] == "first live", "first row %r" % (row,))
    check(time.monotonic() - t0 < 1.0, "the row took %.2f s" % (time.monotonic() - t0))
    check(row["ln"] == "info" and row["src"].startswith("a[") and row["rec"]["msg"] == "first live",
          "columns %r" % row)

    send(d, "an error", "error", "a")
    send(d, "b with k", "info", "b", "k=v")
    send(d, "b without k", "info", "b", "k=w")
    send(d, "needle 42", "warning", "c")
    send(d, "needle 42 not", "critical", "c")
    got = [every.next()[1]["msg"] for _ in range(5)]
    check(got == ["an error", "b with k", "b without k", "needle 42", "needle 42 not"],
          "every: %r" % got)

    os.rename(d.output, d.output + ".1")
    send(d, "renamed")               # still to the old file
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(d.output), 5, "the reopened file")
    send(d, "new file", "error", "b", "k=v")

    # (the daemon notices the rename itself on its next write, so "renamed"
    # may be in the old file or already in the new one)
    evs = [every.next() for _ in range(3)]
    types = [t for t, _ in evs]
    rows = [r for t, r in evs if t == "message"]
    check(types.count("rotated") == 1 and sorted(r["msg"] for r in rows) == ["new file", "renamed"],
          "around the rotation: %r" % evs)
    rot = evs[types.index("rotated")][1]
    check(rot["g"] == hello["g"] + 1 and rows[-1]["msg"] == "new file" and rows[-1]["g"] == rot["g"],
          "after the rotation: %r" % evs)
    def msgs(stream, n):
        out = []
        while len(out) < n:
            t, r = stream.next()
            if t == "message":
                out.append(r["msg"])
        return out
    check(msgs(errors, 3) == ["an error", "needle 42 not", "new file"], "level=error")
    check(msgs(app_b, 2) == ["b with k", "new file"], "app=b&field=k=v")
    check(msgs(grep, 1) == ["needle 42"], "grep")

    # history before hello (old generation: gone) and of the new file
    h = w.json("/history?g=%d&before=%d&n=50" % (hello["g"], hello["p"]))
    check(h["rows"] == [] and h["done"], "history of the rotated file %r" % h)
    h = w.json("/history?n=50")
    check([r["msg"] for r in h["rows"]][-1:] == ["new file"] and h["done"], "history %r" % h)
    for s in (every, errors, app_b, grep):
        s.close()
    w.stop()
    d.stop()


main(scenario)
