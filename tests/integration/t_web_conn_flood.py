"""1000 connections to logcollect web that send nothing: it holds at most
WEB_MAX_CONNS (64) of them (the least recently active are closed to make
room), so its descriptors stay bounded, and a normal request with the
token is still answered 200."""
# LCTEST: timeout=90
import os
import socket
import time

from lctest import check, main, tmpdir, wait_for
from webtest import Web, write_lines

FLOOD = 1000
MAX_CONNS = 64


def fds(w):
    return len(os.listdir("/proc/%d/fd" % w.proc.pid))


def scenario():
    d = tmpdir()
    path = os.path.join(d, "out.jsonl")
    write_lines(path, [{"msg": "hello", "level": "info"}], "w")
    w = Web(path)
    fds_before = fds(w)
    socks = []
    for _ in range(FLOOD):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect((w.host, w.port))
        except BlockingIOError:
            pass
        socks.append(s)
    t0 = time.monotonic()
    status, _, _ = w.request("/stats", timeout=15)
    took = time.monotonic() - t0
    check(status == 200, "/stats during the flood: %d" % status)
    check(took < 5, "/stats took %.1f s during the flood" % took)
    peak = fds(w)
    check(peak <= fds_before + MAX_CONNS + 8, "%d descriptors (had %d)" % (peak, fds_before))
    for s in socks:
        s.close()
    wait_for(lambda: fds(w) <= fds_before + 1, 20, "the flood's connections to be gone")
    check(w.request("/")[0] == 200, "the page after the flood")
    w.stop()


main(scenario)
