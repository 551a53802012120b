"""--max-clients: the connection over the limit receives one ERROR frame
(code 100) instead of a challenge and is closed; the connected clients are
unaffected, and once one leaves a new client is served."""
from lctest import (ERROR, Daemon, authed, check, connect, hello, main, parse_control,
                    read_until_ack, recv_frame, send_frame, wait_for)


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
    # the daemon has seen the close: two connections left (not a sleep)
    wait_for(lambda: d.counters()["connections.current"] == 2, 10, "the daemon to see the close")
    again = authed(d)
    hello(again)
    send_frame(again, b'{"n":"again"}')
    read_until_ack(again, 1)
    for c in conns[1:] + [again]:
        c.close()
    d.stop()
    check(sorted(str(l["n"]) for l in d.lines()) == ["0", "1", "2", "again"], "lines %r" % d.lines())


main(scenario)
