"""logcollect pipe: 10,000 lines of standard input become 10,000 records in
order and the command exits only once they are acknowledged; with --json,
refused lines are named by line number, the others still arrive, and the
exit status is 1."""
import json

from lctest import CLI, Daemon, check, main, run


def scenario():
    d = Daemon()
    text = "".join("line %d with \"quotes\" and \\ and caf\u00e9\n" % i for i in range(1, 10001))
    cp = run([CLI, "pipe", "--app", "piper", "--level", "notice", "--field", "src=stdin"],
             env=d.env(), input=text + "\n\n", timeout=120)
    check(cp.stderr == "", "stderr: %r" % cp.stderr)
    lines = d.lines()          # acknowledged = written: no waiting needed
    check(len(lines) == 10000, "%d lines after pipe exited" % len(lines))
    for i, l in enumerate(lines, 1):
        check(l["msg"] == "line %d with \"quotes\" and \\ and caf\u00e9" % i, "line %d: %r" % (i, l["msg"]))
        check(l["level"] == "notice" and l["src"] == "stdin" and l["_app"] == "piper", "fields %r" % l)

    good = [{"n": i, "msg": "json %d" % i} for i in range(1, 11)]
    rows = [json.dumps(g) for g in good]
    rows.insert(4, '{"broken": ')                 # line 5
    rows.insert(6, '{"_sid": "forged"}')          # line 7
    rows.insert(8, '[1, 2]')                      # line 9
    cp = run([CLI, "pipe", "--json"], env=d.env(), input="\n".join(rows) + "\n", check_rc=False)
    check(cp.returncode == 1, "exit %d with refused lines" % cp.returncode)
    for n in (5, 7, 9):
        check("line %d:" % n in cp.stderr, "line %d not reported: %r" % (n, cp.stderr))
    check("3 of 13 lines refused" in cp.stderr, "summary missing: %r" % cp.stderr)
    got = [l for l in d.lines() if "n" in l]
    check([l["n"] for l in got] == list(range(1, 11)), "json records %r" % [l.get("n") for l in got])
    cp = run([CLI, "pipe", "--json", "--field", "a=b"], env=d.env(), input="", check_rc=False)
    check(cp.returncode == 2, "--json with --field accepted")
    d.stop()


main(scenario)
