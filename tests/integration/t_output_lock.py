"""Two daemons with different port files and the same --output: the second
refuses to start (exit 1, one line naming the output file, the lock file
and the first daemon's pid), before it opens the file -- it does not even
cut the first one's last line -- and records from a client of the first
keep arriving whole; a FIFO planted as the lock file is refused at once,
not waited on.  The lock is OUTPUT.lock, so it survives a rotation
of the output (SIGHUP after a rename, and --rotate-size): a daemon started
after the rename still refuses.  Once the first daemon stops, a new one
starts on the same output."""
import os
import signal

from lctest import CLI, Daemon, check, driver, main, run

N = 1000


def second_refuses(d, what):
    argv = d.argv()
    argv[argv.index("--port-file") + 1] = os.path.join(d.dir, "port2")
    cp = run(argv, check_rc=False, timeout=10)
    check(cp.returncode == 1, "%s: second daemon exit status %d: %r" % (what, cp.returncode, cp.stderr))
    want = "output file %s is in use by another logcollectord (pid %d holds the lock %s.lock)" % (
        d.output, d.proc.pid, d.output)
    check(want in cp.stderr, "%s: message does not name file, lock and pid: %r" % (what, cp.stderr))
    check(len(cp.stderr.strip().splitlines()) == 1, "%s: more than one line: %r" % (what, cp.stderr))
    check(not os.path.exists(os.path.join(d.dir, "port2")), "%s: second daemon published a port" % what)


def scenario():
    d = Daemon("--rotate-size", "64K", "--rotate-keep", "9")
    run([CLI, "send", "first"], env=d.env())
    # a partial line at the end, as if the first daemon were mid-write: the
    # second must not touch it
    with open(d.output, "ab") as f:
        f.write(b'{"partial":')
    size = os.path.getsize(d.output)
    second_refuses(d, "started")
    check(os.path.getsize(d.output) == size, "the refused daemon changed the output file")
    with open(d.output, "rb+") as f:    # (undo our fake partial line)
        f.truncate(size - len(b'{"partial":'))

    # logrotate: rename + SIGHUP; and built-in rotation past 16K
    os.rename(d.output, d.output + ".old")
    d.send_signal(signal.SIGHUP)
    run([CLI, "send", "after-hup"], env=d.env())
    second_refuses(d, "after a rename and SIGHUP")
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env())
    check(os.path.exists(d.output + ".1"), "no built-in rotation happened")
    second_refuses(d, "after --rotate-size rotations")
    d.stop()
    lines = d.lines(d.output + ".old")
    for k in range(9, 0, -1):
        lines += d.lines("%s.%d" % (d.output, k))
    lines += d.lines()
    msgs = [l["msg"] for l in lines]
    check(msgs == ["first", "after-hup"] + ["rec %d" % i for i in range(1, N + 1)],
          "lines lost, repeated or interleaved: %d lines" % len(msgs))

    # the first one gone, the same output is free again
    d2 = Daemon(dir=d.dir)
    run([CLI, "send", "third"], env=d2.env())
    d2.stop()
    check(d2.lines()[-1]["msg"] == "third", "the next daemon did not write")

    # a FIFO planted as the lock file must not hang the start
    t = os.path.join(d.dir, "fifo-out.jsonl")
    os.mkfifo(t + ".lock")
    argv = d.argv()
    argv[argv.index("--output") + 1] = t
    cp = run(argv, check_rc=False, timeout=10)
    check(cp.returncode == 1 and "lock file %s.lock is not a regular file" % t in cp.stderr,
          "FIFO lock file: %d %r" % (cp.returncode, cp.stderr))


main(scenario)
