"""LC_FULL_BLOCK under pressure: 4 client processes with an 8 KiB queue
(full almost all the time, so every one of them blocks again and again:
the path issue 13 made cheaper: batched wake-ups of blocked callers, the
sender counting frames from a batch's record counts, segments reused) and
no time limit.  Every record arrives exactly once, none is dropped."""
import subprocess

from lctest import Daemon, check, driver, main, spawn

N = 20000
PROCS = 4


def scenario():
    d = Daemon()
    clients = [spawn([driver("lc_stream"), "--count", str(N), "--flush", "--app", "p%d" % i,
                      "--queue", "8192", "--block-ms", "-1", "--flush-ms", "120000", "--stats"],
                     env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(PROCS)]
    for i, c in enumerate(clients):
        out, err = c.communicate(timeout=150)
        lines = out.splitlines()
        check(c.returncode == 0 and lines[:2] == ["sent %d" % N, "acked"],
              "client %d: %r %r" % (i, out, err))
        stats = dict(kv.split("=", 1) for kv in lines[2].split()[1:])
        check(stats["dropped"] == "0" and stats["records"] == str(N),
              "client %d dropped records: %s" % (i, lines[2]))
    got = d.lines()
    for i in range(PROCS):
        seqs = [l["_seq"] for l in got if l["_app"] == "p%d" % i]
        check(sorted(seqs) == list(range(1, N + 1)),
              "p%d: %d lines, not 1..%d exactly once" % (i, len(seqs), N))
    check(len(got) == PROCS * N, "%d lines, expected %d" % (len(got), PROCS * N))
    d.stop()


main(scenario)
