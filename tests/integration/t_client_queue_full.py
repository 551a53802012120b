"""The queue fills while the collector is down.  With LC_FULL_DROP nothing
blocks: every call returns at once, LC_OK while there is room, then
LC_EDROPPED; the drops are counted.  They are never silent: once the
collector is up, the record logged next is preceded by
{"level":"warning","msg":"logcollect client dropped N records","dropped":N};
a client that logs nothing more announces them from lc_flush.  With
LC_FULL_BLOCK and a 200 ms limit, a call waits about 200 ms, then drops."""
import subprocess

from lctest import Daemon, SANITIZED, check, driver, main, spawn

COUNT = 20000


def phase1(p):
    line = p.stdout.readline()
    check(line.startswith("phase1 "), "driver said %r (%s)" % (line, p.stderr.read() if p.poll() is not None else ""))
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def finish(p):
    out, err = p.communicate("go\n", timeout=60)
    check(p.returncode == 0 and "flush ok" in out, "driver: %r %r" % (out, err))
    line = [l for l in out.splitlines() if l.startswith("stats ")][0]
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def scenario():
    d = Daemon(start=False)
    env = d.env()
    kw = dict(env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              text=True)
    a = spawn([driver("lc_dropper"), "--queue", "65536", "--count", str(COUNT), "--after",
               "--app", "dropA"], **kw)
    b = spawn([driver("lc_dropper"), "--queue", "65536", "--count", str(COUNT),
               "--app", "dropB"], **kw)
    c = spawn([driver("lc_dropper"), "--queue", "4096", "--count", "1000", "--block", "200",
               "--max-drops", "3", "--app", "dropC"], **kw)
    pa, pb, pc = phase1(a), phase1(b), phase1(c)

    slow = 5 if SANITIZED else 1
    for name, ph in (("A", pa), ("B", pb)):
        k = ph["ok"]
        check(0 < k < COUNT and ph["dropped"] == COUNT - k and ph["first_drop"] == k + 1,
              "%s: %r" % (name, ph))
        check(ph["stats_dropped"] == ph["dropped"] and ph["stats_records"] == k,
              "%s: counters %r" % (name, ph))
        check(ph["max_ok_us"] < 50000 * slow and ph["max_drop_us"] < 50000 * slow,
              "%s: a call took too long (nothing may block): %r" % (name, ph))
        check(ph["elapsed_ms"] < 2000 * slow, "%s: %d calls took %d ms" % (name, COUNT, ph["elapsed_ms"]))
    check(pc["dropped"] == 3 and pc["min_drop_us"] >= 190000 and pc["max_drop_us"] < 2000000,
          "C (block 200 ms): %r" % pc)

    d.start()
    sa, sb, sc = finish(a), finish(b), finish(c)
    lines = d.lines()
    for app, ph, st, after in (("dropA", pa, sa, True), ("dropB", pb, sb, False),
                               ("dropC", pc, sc, False)):
        ls = [l for l in lines if l["_app"] == app]
        k, n = ph["ok"], ph["dropped"]
        check([l["_seq"] for l in ls] == list(range(1, len(ls) + 1)), "%s: numbering" % app)
        check([l["msg"] for l in ls[:k]] == ["rec %d" % i for i in range(1, k + 1)],
              "%s: accepted records wrong" % app)
        check(len(ls) == k + 1 + after, "%s: %d lines, expected %d" % (app, len(ls), k + 1 + after))
        notice = ls[k]
        check(notice["level"] == "warning" and
              notice["msg"] == "logcollect client dropped %d records" % n and
              notice["dropped"] == n and notice["ts"].endswith("Z"),
              "%s: notice is %r" % (app, notice))
        if after:
            check(ls[k + 1]["msg"] == "after", "%s: last record %r" % (app, ls[k + 1]))
        check(st["dropped"] == n and st["notices"] == 1 and st["acked"] == st["last_seq"] == len(ls),
              "%s: final stats %r" % (app, st))
    d.stop()


main(scenario)
