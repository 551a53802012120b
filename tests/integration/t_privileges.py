"""Privileges.  As root without --user (and without --allow-root) the daemon
refuses to start.  With --user nobody it opens its socket, files and keys as
root, then runs as nobody (uid, gid and groups changed, verified in /proc)
and still takes records.  Not root: --user is refused with a clear error."""
import os
import pwd

from lctest import CLI, DAEMON, Daemon, check, main, run, tmpdir, wait_for


def scenario():
    t = tmpdir()
    key = os.path.join(t, "key")
    run([DAEMON, "--gen-key", key])
    base = [DAEMON, "--key-file", key, "--port-file", os.path.join(t, "port"),
            "--output", os.path.join(t, "out.jsonl")]
    if os.geteuid() != 0:
        cp = run(base + ["--user", "nobody"], check_rc=False, timeout=10)
        check(cp.returncode == 1 and "needs the daemon to be started as root" in cp.stderr,
              "non-root --user: %r" % cp.stderr)
        print("skipped the root part: not root")
        return
    cp = run(base, check_rc=False, timeout=10)
    check(cp.returncode == 1 and "refusing to run as root" in cp.stderr, "root without --user: %r" % cp.stderr)
    cp = run(base + ["--user", "no-such-user-here"], check_rc=False, timeout=10)
    check(cp.returncode == 1 and "no such user" in cp.stderr, "unknown user: %r" % cp.stderr)

    nobody = pwd.getpwnam("nobody")
    os.chmod(t, 0o777)        # so nobody can remove its port file at exit
    d = Daemon("--user", "nobody", dir=t)
    # (the port file is published just before the drop: wait for it)
    wait_for(lambda: "running as nobody" in d.stderr(), 10, "the privilege drop")
    status = open("/proc/%d/status" % d.proc.pid).read()
    uids = next(l for l in status.splitlines() if l.startswith("Uid:")).split()[1:]
    gids = next(l for l in status.splitlines() if l.startswith("Gid:")).split()[1:]
    check(all(int(u) == nobody.pw_uid for u in uids), "uids %r" % uids)
    check(all(int(g) == nobody.pw_gid for g in gids), "gids %r" % gids)
    caps = next(l for l in status.splitlines() if l.startswith("CapEff:")).split()[1]
    check(int(caps, 16) == 0, "effective capabilities left: %s" % caps)
    run([CLI, "send", "as nobody"], env=d.env())
    d.stop()
    check([l["msg"] for l in d.lines()] == ["as nobody"], "record missing")
    check(not os.path.exists(d.port_file), "port file not removed after the drop")


main(scenario)
