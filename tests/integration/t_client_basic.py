"""The C library and the CLI against the real daemon: records arrive in
order as lines with the trusted fields, for lc_log, lc_log_kv and
lc_send_json; the CLI's send waits for its ack; a client with the wrong key
is refused and writes nothing; a missing port file gets a clear error."""
import os

from lctest import CLI, Daemon, check, driver, main, run


def scenario():
    d = Daemon()
    env = d.env()
    for mode in ([], ["--kv"], ["--json"]):
        cp = run([driver("lc_stream"), "--count", "2000", "--flush", "--app", "mode" + "".join(mode)] + mode,
                 env=env)
        check(cp.stdout.split() == ["sent", "2000", "acked"], "lc_stream said %r" % cp.stdout)
    cp = run([CLI, "send", "--level", "warning", "--app", "cli", "hello \"world\"",
              "user=alice", "path=/x=y"], env=env)
    lines = d.lines()
    check(len(lines) == 6001, "%d lines" % len(lines))
    for k, mode in enumerate(["mode", "mode--kv", "mode--json"]):
        part = lines[k * 2000:(k + 1) * 2000]
        check(len({l["_sid"] for l in part}) == 1, "one session per client")
        for i, l in enumerate(part, 1):
            check(l["msg"] == "rec %d" % i and l["_seq"] == i, "%s: line %d is %r" % (mode, i, l))
            check(l["_app"] == mode and l["_pid"] > 0 and l["_host"], "%s: trusted fields %r" % (mode, l))
            check(l["level"] == "info", "level %r" % l.get("level"))
            if mode != "mode--json":
                check(l["ts"].endswith("Z") and l["ts"] <= l["_rt"], "ts %r after _rt %r" % (l["ts"], l["_rt"]))
    last = lines[-1]
    check(last["msg"] == 'hello "world"' and last["user"] == "alice" and last["path"] == "/x=y",
          "CLI record %r" % last)
    check(last["level"] == "warning" and last["_app"] == "cli", "CLI level/app %r" % last)
    keys = list(last.keys())
    check(keys[:5] == ["ts", "level", "msg", "user", "path"], "field order %r" % keys)

    # wrong key: refused, nothing written
    other = os.path.join(d.dir, "otherkey")
    run([CLI, "keygen", other])
    cp = run([CLI, "send", "--key-file", other, "intruder"], env=env, check_rc=False)
    check(cp.returncode == 1, "wrong key: exit %d" % cp.returncode)
    check("key" in cp.stderr.lower() and len(cp.stderr.strip().splitlines()) == 1,
          "wrong key message: %r" % cp.stderr)
    # missing port file
    cp = run([CLI, "send", "--port-file", os.path.join(d.dir, "nope"), "x"], env=env, check_rc=False)
    check(cp.returncode == 1 and "nope" in cp.stderr, "missing port file: %r" % cp.stderr)
    d.stop()
    check(len(d.lines()) == 6001, "something more was written")
    check(all(l["msg"] != "intruder" for l in d.lines()), "wrong-key record written")


main(scenario)
