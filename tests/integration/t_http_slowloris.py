"""Slowloris: a peer that sends its request head a few bytes at a time,
never finishing, is closed LCD_HTTP_REQUEST_S (10 s) after it connected,
though each byte arrives well within the 5 s idle timeout; meanwhile
/metrics answers and records are written."""
# LCTEST: timeout=60
import socket
import time

from lctest import Daemon, check, driver, http_get, main, metrics, run

DEADLINE_S = 10


def scenario():
    d = Daemon("--http", "127.0.0.1:0")
    hp = d.info["http_port"]
    s = socket.create_connection(("127.0.0.1", hp), timeout=5)
    t0 = time.monotonic()
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    closed_at = None
    i = 0
    while time.monotonic() - t0 < DEADLINE_S + 5:
        try:
            s.sendall(b"X-%d: y\r\n" % i)
            s.settimeout(0.5)
            if s.recv(4096) == b"":
                closed_at = time.monotonic() - t0
                break
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            closed_at = time.monotonic() - t0
            break
        i += 1
        if i == 5:  # the face still serves others, and records still flow
            check(http_get(hp, "/healthz")[0] == 200, "healthz during slowloris")
            run([driver("lc_stream"), "--count", "100", "--flush"], env=d.env())
    check(closed_at is not None, "slow connection still open after %d s" % (DEADLINE_S + 5))
    check(DEADLINE_S - 1 <= closed_at <= DEADLINE_S + 2,
          "closed after %.1f s, expected about %d s" % (closed_at, DEADLINE_S))
    m = metrics(hp)
    check(m["logcollectord_http_connections_evicted_total"] == 1, "evicted %r" %
          m["logcollectord_http_connections_evicted_total"])
    check(m["logcollectord_records_written_total"] == 100, "records written")
    d.stop()


main(scenario)
