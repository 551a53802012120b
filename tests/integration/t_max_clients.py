"""--max-clients: the connection over the limit receives one ERROR frame
(code 100) instead of a challenge and is closed; the connected clients are
unaffected, and once one leaves a new client is served.  Connections in the
handshake do not count: when two finish for one place, the second gets the
ERROR 100 right after its handshake."""
import json

from lctest import (CLI, ERROR, Daemon, authed, check, connect, hello, main, modern_client_handshake,
                    parse_control, read_until_ack, recv_frame, run, send_frame, wait_for)


def scenario():
    d = Daemon("--max-clients", "3")
    conns = [authed(d) for _ in range(3)]
    for c in conns:
        hello(c)
    extra = connect(d)
    t, f = parse_control(recv_frame(extra))
    check(t == ERROR and f["code"] == 100 and "too many clients" in f["text"],
          "over the limit got %r" % ((t, f),))
    extra.settimeout(5)
    check(extra.recv(1) == b"", "refused connection left open")
    for i, c in enumerate(conns):
        send_frame(c, b'{"n":%d}' % i)
        read_until_ack(c, 1)
    conns[0].close()
    import time
    time.sleep(0.2)
    again = authed(d)
    hello(again)
    send_frame(again, b'{"n":"again"}')
    read_until_ack(again, 1)
    # Connections in the handshake do not count: with 3 open, two more get
    # their challenge; the last place goes to the first to authenticate,
    # and the other is told ERROR 100 right after its handshake.
    conns[1].close()
    wait_for(lambda: json.loads(run([CLI, "status", "--json"], env=d.env()).stdout)
             ["connections"]["current"] == 3, 10, "the closed client to be gone")
    a, b = connect(d), connect(d)
    check(modern_client_handshake(a, d.key), "first handshake failed")
    check(modern_client_handshake(b, d.key), "second handshake failed")
    hello(a)
    t, f = parse_control(recv_frame(b))
    check(t == ERROR and f["code"] == 100, "over the limit after the handshake got %r" % ((t, f),))
    b.settimeout(5)
    check(b.recv(1) == b"", "refused connection left open")
    for c in conns[2:] + [again, a]:
        c.close()
    d.stop()
    check(sorted(str(l["n"]) for l in d.lines()) == ["0", "1", "2", "again"], "lines %r" % d.lines())


main(scenario)
