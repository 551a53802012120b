"""Slowloris against logcollect web: a client that sends its request head
one byte a second, never finishing, is closed WEB_REQUEST_S (10 s) after
it connected, though each byte arrives well within the 30 s read timeout;
meanwhile a normal request with the token is answered, and a live stream
(/events) opened before it is still open after the deadline (exempt)."""
# LCTEST: timeout=60
import os
import socket
import time

from lctest import check, main, tmpdir
from webtest import Web, write_lines

DEADLINE_S = 10


def scenario():
    d = tmpdir()
    path = os.path.join(d, "out.jsonl")
    write_lines(path, [{"msg": "hello", "level": "info"}], "w")
    w = Web(path)
    ev = w.events(timeout=30)
    ev.until("hello")
    s = socket.create_connection((w.host, w.port), timeout=5)
    t0 = time.monotonic()
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100
    closed_at = None
    i = 0
    while time.monotonic() - t0 < DEADLINE_S + 5:
        try:
            s.sendall(head[i % len(head):i % len(head) + 1])
            s.settimeout(1.0)
            if s.recv(4096) == b"":
                closed_at = time.monotonic() - t0
                break
        except socket.timeout:
            pass
        except (ConnectionResetError, BrokenPipeError):
            closed_at = time.monotonic() - t0
            break
        i += 1
        if i == 3:  # others are still served meanwhile
            check(w.request("/stats")[0] == 200, "/stats during slowloris")
    check(closed_at is not None, "slow connection still open after %d s" % (DEADLINE_S + 5))
    check(DEADLINE_S - 1 <= closed_at <= DEADLINE_S + 2,
          "closed after %.1f s, expected about %d s" % (closed_at, DEADLINE_S))
    check(w.request("/")[0] == 200, "the page after slowloris")
    write_lines(path, [{"msg": "still streaming", "level": "info"}])
    t, row = ev.next()
    check(t == "message" and row["msg"] == "still streaming", "stream after the deadline: %r" %
          (row,))
    ev.close()
    w.stop()


main(scenario)
