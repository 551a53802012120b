"""Two daemons with different port files and the same --output: the second
refuses to start (exit 1, one line naming the output file, the lock file
and the first daemon's pid), before it opens the file -- it does not even
cut the first one's last line -- and records from a client of the first
keep arriving whole.  The lock is OUTPUT.lock, so it survives a rotation
of the output (SIGHUP after a rename, and --rotate-size): a daemon started
after the rename still refuses.  A symbolic link to the output is the same
file: refused too.  Once the first daemon stops, a new one starts on the
same output.  Around it: an output that is not a regular file (/dev/null)
takes no lock (two daemons run); a daemon that cannot create the lock file
(directory not writable, as nobody) starts with a warning; a FIFO planted
as the lock file is refused at once, not waited on."""
import os
import signal
import subprocess

from lctest import CLI, DAEMON, Daemon, check, driver, main, run, spawn, tmpdir, wait_for

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


def no_lock_dir_warns():
    import pwd
    nobody = pwd.getpwnam("nobody")
    t = tmpdir()
    os.chmod(t, 0o755)
    rundir, logs = os.path.join(t, "run"), os.path.join(t, "logs")
    os.mkdir(rundir)
    os.mkdir(logs, 0o755)                       # root's: nobody cannot create the lock
    key, out = os.path.join(rundir, "key"), os.path.join(logs, "out.jsonl")
    run([DAEMON, "--gen-key", key])
    open(out, "w").close()
    for f in (rundir, key, out):
        os.chown(f, nobody.pw_uid, nobody.pw_gid)
    pf = os.path.join(rundir, "port")
    p = spawn(["setpriv", "--reuid=%d" % nobody.pw_uid, "--regid=%d" % nobody.pw_gid, "--clear-groups",
               DAEMON, "--port-file", pf, "--key-file", key, "--output", out],
              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(pf) or p.poll() is not None, 10, "the daemon as nobody")
    if p.poll() is not None:
        check(False, "refused to start without a lock: %r" % p.communicate()[1])
    env = dict(os.environ, LOGCOLLECT_PORT_FILE=pf, LOGCOLLECT_KEY_FILE=key)
    run([CLI, "send", "no-lock"], env=env)
    p.terminate()
    err = p.communicate(timeout=10)[1]
    check(p.returncode == 0, "exit %d: %r" % (p.returncode, err))
    check("cannot open lock file %s.lock: Permission denied" % out in err and
          "nothing stops a second daemon from writing output file %s" % out in err,
          "no warning about the missing lock: %r" % err)
    check(b'"msg":"no-lock"' in open(out, "rb").read(), "record not written")


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

    # two spellings of one file (a symbolic link) share one lock
    d3 = Daemon(dir=d.dir)
    link = os.path.join(d.dir, "alias.jsonl")
    os.symlink(d3.output, link)
    argv = d3.argv()
    argv[argv.index("--port-file") + 1] = os.path.join(d.dir, "port3")
    argv[argv.index("--output") + 1] = link
    cp = run(argv, check_rc=False, timeout=10)
    check(cp.returncode == 1 and "(pid %d holds the lock %s.lock)" % (d3.proc.pid, d3.output) in cp.stderr,
          "a symlink to the output got past the lock: %d %r" % (cp.returncode, cp.stderr))
    d3.stop()

    # an output that is not a regular file (/dev/null) needs no lock: two
    # daemons on it both run
    nd = tmpdir()
    base = [DAEMON, "--key-file", d.key_file, "--output", "/dev/null"] + \
        (["--allow-root"] if os.geteuid() == 0 else [])
    ps = [spawn(base + ["--port-file", os.path.join(nd, "p%d" % i)], stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    wait_for(lambda: all(os.path.exists(os.path.join(nd, "p%d" % i)) or ps[i - 1].poll() is not None
                         for i in (1, 2)), 10, "two daemons on /dev/null")
    for q in ps:
        if q.poll() is not None:
            check(False, "a daemon on /dev/null refused: %r" % q.communicate()[1])
    for q in ps:
        q.terminate()
        check(q.wait(10) == 0, "a daemon on /dev/null did not stop cleanly")

    # a daemon that may write its output but not create files in its
    # directory starts, with a warning that the lock is missing
    if os.geteuid() == 0:
        no_lock_dir_warns()

    # a FIFO planted as the lock file must not hang the start
    t = os.path.join(d.dir, "fifo-out.jsonl")
    os.mkfifo(t + ".lock")
    argv = d.argv()
    argv[argv.index("--output") + 1] = t
    cp = run(argv, check_rc=False, timeout=10)
    check(cp.returncode == 1 and "lock file %s.lock is not a regular file" % t in cp.stderr,
          "FIFO lock file: %d %r" % (cp.returncode, cp.stderr))


main(scenario)
