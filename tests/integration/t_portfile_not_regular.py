"""The port file is a FIFO (or a directory, or a link to /dev/zero).
Opening a FIFO for reading waits for a writer: the client's sender thread
used to hang there holding the fork lock, so fork() and lc_close() (500 ms
close timeout) hung for good.  Now the port file is opened without blocking
and refused unless it is a regular file: every call returns within its
bound, and the error names the file and says what it is."""
import os

from lctest import CLI, Daemon, check, driver, main, run

# Generous for the sanitizer build on a loaded machine, far below "forever".
SLACK_MS = 700


def timed(env, *args):
    cp = run([driver("lc_timed")] + list(args), env=env, timeout=30)
    steps = {}
    for line in cp.stdout.splitlines():
        name, rest = line.split(" ", 1)
        rc, ms, err = rest.split(" ", 2)
        steps[name] = (int(rc[3:]), int(ms[3:]), err[4:])
    return steps


def check_background(env, path, kind):
    s = timed(env, "--close-ms", "500", "--flush-ms", "300")
    # (the child's lines may come before or after the parent's "fork")
    check(sorted(s) == sorted(["open", "log", "flush", "fork", "child-log", "child-close",
                               "wait", "close"]), "steps: %r" % s)
    for name in ("open", "log", "fork", "child-log"):
        check(s[name][0] == 0 and s[name][1] < SLACK_MS, "%s (%s): %r" % (name, kind, s[name]))
    # the parent waits for the child's lc_close
    check(s["wait"][0] == 0 and s["wait"][1] < 500 + SLACK_MS, "wait (%s): %r" % (kind, s["wait"]))
    # ETIMEDOUT (-7): not acknowledged, and the reason names the file.
    for name, bound in (("flush", 300), ("close", 500), ("child-close", 500)):
        rc, ms, err = s[name]
        check(rc != 0 and ms < bound + SLACK_MS, "%s (%s) took %d ms: %r" % (name, kind, ms,
                                                                            s[name]))
    for name in ("flush", "close"):
        err = s[name][2]
        check(path in err and kind in err and "not a regular file" in err,
              "%s (%s) error does not name the file: %r" % (name, kind, err))
    print("%s: open %d ms, flush %d ms, fork %d ms, close %d ms, child close %d ms" % (
        kind, s["open"][1], s["flush"][1], s["fork"][1], s["close"][1], s["child-close"][1]))


def check_fail_fast(env, path, kind):
    s = timed(env, "--fail-fast")
    rc, ms, err = s["open"]
    check(list(s) == ["open"] and rc != 0 and ms < SLACK_MS, "fail-fast (%s): %r" % (kind, s))
    check(path in err and kind in err, "fail-fast (%s) error: %r" % (kind, err))


def scenario():
    d = Daemon(start=False)

    fifo = os.path.join(d.dir, "port")
    os.mkfifo(fifo)
    env = d.env()
    check_background(env, fifo, "a FIFO")
    check_fail_fast(env, fifo, "a FIFO")

    # logcollect status with a FIFO port file: an answer, not a hang.
    cp = run([CLI, "status"], env=env, timeout=30, check_rc=False)
    check(cp.returncode != 0 and fifo in cp.stderr and "a FIFO" in cp.stderr,
          "status: %r" % cp.stderr)

    folder = os.path.join(d.dir, "portdir")
    os.mkdir(folder)
    env = d.env(LOGCOLLECT_PORT_FILE=folder)
    check_background(env, folder, "a directory")

    zero = os.path.join(d.dir, "portzero")
    os.symlink("/dev/zero", zero)
    env = d.env(LOGCOLLECT_PORT_FILE=zero)
    check_fail_fast(env, zero, "a character device")

    # A symbolic link to a real port file is followed (/run paths may be links).
    os.unlink(fifo)
    d.start()
    link = os.path.join(d.dir, "portlink")
    os.symlink(d.port_file, link)
    s = timed(d.env(LOGCOLLECT_PORT_FILE=link), "--fail-fast", "--flush-ms", "10000")
    check(s["open"][0] == 0 and s["flush"][0] == 0 and s["close"][0] == 0,
          "through a link: %r" % s)
    check(len(d.lines()) == 4, "through a link: %d lines, expected 4" % len(d.lines()))
    d.stop()


main(scenario)
