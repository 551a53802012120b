"""logcollect tail on a file the daemon wrote: -n, --level (that level and
above), --app, --pid, --grep, --field, --since/--until, --json passthrough,
--dedup of repeated _sid/_seq, readable columns, colours only when asked
(or on a terminal), and a malformed line shown as is with a warning."""
import json
import os
import time

from lctest import CLI, Daemon, check, main, run


def tail(d, *args, **kw):
    env = dict(d.env(), TZ="UTC")
    env.pop("NO_COLOR", None)
    return run([CLI, "tail", "--utc"] + list(args) + [d.output], env=env, **kw)


def scenario():
    d = Daemon()
    levels = ["debug", "info", "notice", "warning", "error", "critical"]
    for i in range(30):
        lv = levels[i % len(levels)]
        run([CLI, "send", "--level", lv, "--app", "app%d" % (i % 3), "message %d" % i,
             "i=%d" % i, "parity=%s" % ("even" if i % 2 == 0 else "odd")], env=d.env())
    lines = d.lines()
    check(len(lines) == 30, "setup wrote %d lines" % len(lines))

    out = tail(d).stdout.splitlines()
    check(len(out) == 10 and "message 29" in out[-1] and "message 20" in out[0], "-n default: %r" % out)
    first = out[-1].split()
    check(first[2] == "critical" and first[3].startswith("app2[") and first[4:6] == ["message", "29"],
          "columns: %r" % out[-1])
    check("i=29" in out[-1] and "parity=odd" in out[-1] and "_sid" not in out[-1], "fields: %r" % out[-1])
    check(len(tail(d, "-n", "3").stdout.splitlines()) == 3, "-n 3")
    check(len(tail(d, "-n", "100").stdout.splitlines()) == 30, "-n 100")

    warn = tail(d, "-n", "100", "--level", "warning").stdout.splitlines()
    check(len(warn) == 15 and all(w.split()[2] in ("warning", "error", "critical") for w in warn),
          "--level warning: %r" % warn)
    app1 = tail(d, "-n", "100", "--app", "app1").stdout.splitlines()
    check(len(app1) == 10 and all(" app1[" in a for a in app1), "--app: %r" % app1)
    g = tail(d, "-n", "100", "--grep", "message (3|13)$").stdout.splitlines()
    check(len(g) == 2, "--grep: %r" % g)
    f = tail(d, "-n", "100", "--field", "parity=even", "--field", "_app=app0").stdout.splitlines()
    check(len(f) == 5, "--field x2: %r" % f)
    pid = tail(d, "-n", "100", "--pid", str(lines[7]["_pid"])).stdout.splitlines()
    check(len(pid) == 1 and "message 7" in pid[0], "--pid: %r" % pid)

    # --since/--until around the middle record's time
    mid = lines[15]["ts"]
    since = tail(d, "--since", mid).stdout.splitlines()
    check(len(since) == 15 and "message 15" in since[0], "--since: %d lines" % len(since))
    until = tail(d, "--until", mid).stdout.splitlines()
    check(len(until) == 15 and "message 14" in until[-1], "--until: %d lines" % len(until))
    check(len(tail(d, "--since", "1h").stdout.splitlines()) == 30, "--since 1h")
    check(len(tail(d, "--since", "2000-01-01 00:00").stdout.splitlines()) == 30, "--since local time")

    js = tail(d, "-n", "2", "--json").stdout.splitlines()
    raw = open(d.output).read().splitlines()
    check(js == raw[-2:], "--json is not passthrough")
    check("\033[" not in tail(d).stdout, "colour codes without a terminal")
    check("\033[1;31m" in tail(d, "--color", "always").stdout, "--color always shows none")
    d.stop()

    # A file with repeats (as after a collector crash) and a malformed line.
    dup = os.path.join(d.dir, "dup.jsonl")
    with open(dup, "w") as fh:
        fh.write(open(d.output).read())
        fh.write("\n".join(raw[-3:]) + "\n")          # 3 repeated lines
        fh.write("this is not json\n")
    env = dict(d.env(), TZ="UTC")
    cp = run([CLI, "tail", "-n", "1000", dup], env=env)
    check(len(cp.stdout.splitlines()) == 34, "without --dedup: %d" % len(cp.stdout.splitlines()))
    check("this is not json" in cp.stdout.splitlines()[-1], "malformed line not shown as is")
    check("not a JSON object" in cp.stderr, "no warning for the malformed line")
    cp = run([CLI, "tail", "-n", "1000", "--dedup", "--json", dup], env=env)
    kept = cp.stdout.splitlines()
    check(len(kept) == 31 and kept[:30] == raw, "--dedup kept %d" % len(kept))
    cp = run([CLI, "tail", "--level", "bogus", dup], env=env, check_rc=False)
    check(cp.returncode == 2, "bad level accepted")
    cp = run([CLI, "tail", os.path.join(d.dir, "missing")], env=env, check_rc=False)
    check(cp.returncode == 1 and "cannot open" in cp.stderr, "missing file: %r" % cp.stderr)


main(scenario)
