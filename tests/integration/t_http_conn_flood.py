"""1000 connections to the --http port that send nothing: the daemon holds
at most LCD_HTTP_MAX_CONNS (64) of them (the least recently active are
closed to make room), its descriptors stay bounded, a fresh GET /metrics
is answered, and records are written meanwhile."""
# LCTEST: timeout=90
import os
import socket
import time

from lctest import Daemon, check, driver, http_get, main, metrics, run, wait_for

FLOOD = 1000
MAX_CONNS = 64


def scenario():
    d = Daemon("--http", "127.0.0.1:0")
    hp = d.info["http_port"]
    fds_before = len(os.listdir("/proc/%d/fd" % d.proc.pid))
    socks = []
    for _ in range(FLOOD):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", hp))
        except BlockingIOError:
            pass
        socks.append(s)
    t0 = time.monotonic()
    status, _, _ = http_get(hp, "/healthz", timeout=15)
    took = time.monotonic() - t0
    check(status == 200, "healthz during the flood: %d" % status)
    check(took < 5, "healthz took %.1f s during the flood" % took)
    run([driver("lc_stream"), "--count", "200", "--flush"], env=d.env())
    fds = len(os.listdir("/proc/%d/fd" % d.proc.pid))
    check(fds <= fds_before + MAX_CONNS + 64, "%d descriptors (had %d)" % (fds, fds_before))
    m = metrics(hp)
    check(m["logcollectord_http_connections"] <= MAX_CONNS, "%r HTTP connections open" %
          m["logcollectord_http_connections"])
    check(m["logcollectord_http_connections_evicted_total"] > 0, "nothing evicted")
    check(m["logcollectord_records_written_total"] == 200, "records written")
    for s in socks:
        s.close()
    wait_for(lambda: metrics(hp)["logcollectord_http_connections"] <= 1, 20,
             "the flood's connections to be gone")
    d.stop()


main(scenario)
