"""A daemon killed in the middle of a write can leave the output ending in
an incomplete line.  The next daemon removes that piece (it was never
acknowledged, so its client still has the record) before appending, so
every line of the file stays a whole JSON object."""
import os

from lctest import CLI, Daemon, check, main, run, tmpdir


def scenario():
    t = tmpdir()
    out = os.path.join(t, "out.jsonl")
    good = b'{"msg":"one"}\n{"msg":"two"}\n'
    with open(out, "wb") as f:
        f.write(good + b'{"msg":"thr')
    d = Daemon(dir=t)
    check(open(out, "rb").read() == good, "the incomplete line was not removed")
    check("incomplete line" in d.stderr() and "11 bytes" in d.stderr(), "not logged: " + d.stderr())
    run([CLI, "send", "after"], env=d.env())
    d.stop()
    check([l["msg"] for l in d.lines()] == ["one", "two", "after"], "lines %r" % d.lines())
    d2 = Daemon(dir=t)           # a clean file is left alone
    check(d2.stderr().count("incomplete line") == 1, "a clean file was touched")
    d2.stop()
    check(len(d2.lines()) == 3, "lines changed")


main(scenario)
