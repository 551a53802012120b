"""logcollect web reads history backwards in bounded chunks, as tail -n
does, never the whole file: on a 1 GiB file (a sparse hole of 1 GiB, then
20,000 records) the pages of history come back exact and contiguous (500
rows each, oldest first, each continuing where the last stopped), a request
that meets the hole returns after a bounded scan (no rows, not done), a
filter narrows the rows, and the process's peak RSS stays far below the
file's size."""
import json
import os

from lctest import SANITIZED, check, main, tmpdir
from webtest import Web

HOLE = 1 << 30
N = 20000


def peak_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def scenario():
    d = tmpdir()
    path = os.path.join(d, "big.jsonl")
    with open(path, "wb") as f:
        f.truncate(HOLE - 1)
        f.seek(HOLE - 1)
        f.write(b"\n")
        for i in range(N):
            f.write(json.dumps({"msg": "record %d" % i, "level": "error" if i % 10 == 0 else "info",
                                "i": i}).encode() + b"\n")
    # (ASan keeps freed memory in a quarantine, 256 MiB by default: less here)
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=16")
    w = Web(path, env=env)
    got, before, requests = [], None, 0
    while len(got) < N:
        q = "/history?n=500" + ("&before=%d" % before if before is not None else "")
        h = w.json(q)
        requests += 1
        check(len(h["rows"]) == 500 and not h["done"], "page %d: %d rows" % (requests, len(h["rows"])))
        got = [r["rec"]["i"] for r in h["rows"]] + got
        check(h["next"] == h["rows"][0]["p"], "next is not the oldest row's offset")
        before = h["next"]
    check(got == list(range(N)), "history rows are not the file's records in order")
    # the hole is one line of 1 GiB of NULs: skipped, a bounded scan at a time
    h = w.json("/history?n=500&before=%d" % before)
    check(h["rows"] == [] and not h["done"] and h["mid"] and 0 < before - h["next"] <= 8 << 20,
          "the hole: a bounded scan, %r" % {k: h[k] for k in ("next", "mid", "done")})
    h2 = w.json("/history?n=500&before=%d&mid=1" % h["next"])
    check(h2["rows"] == [] and h2["mid"] and 0 < h["next"] - h2["next"] <= 8 << 20,
          "the hole, next chunk: %r" % {k: h2[k] for k in ("next", "mid", "done")})
    h = w.json("/history?n=500&level=error&field=i%3D19990")
    check([r["rec"]["i"] for r in h["rows"]] == [19990], "filtered history: %r" % h["rows"][:3])
    peak = peak_kb(w.proc.pid)
    check(peak < (128 if SANITIZED else 48) * 1024, "peak RSS %d KiB for a 1 GiB file" % peak)
    print("peak RSS %d KiB, %d requests" % (peak, requests))
    w.stop()


main(scenario)
