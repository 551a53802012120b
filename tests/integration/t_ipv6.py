"""--bind ::1 listens on IPv6 loopback; the port file says so and records
carry a bracketed _peer."""
import socket

from lctest import Daemon, authed, check, hello, Skip, main, read_until_ack, send_frame


def scenario():
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        raise Skip("no IPv6 loopback here")
    d = Daemon("--bind", "::1")
    check(d.info["host"] == "::1", "port file host %r" % d.info["host"])
    s = authed(d)
    hello(s)
    send_frame(s, b'{"msg":"v6"}')
    read_until_ack(s, 1)
    s.close()
    d.stop()
    l = d.lines()[0]
    check(l["_peer"].startswith("[::1]:"), "_peer %r" % l["_peer"])


main(scenario)
