"""A client that is still sending when the daemon closes its connection for
a protocol error (here: a second HELLO followed by 1 MB of records) gets the
ERROR 101 that says why and then an orderly end of stream, not a reset: the
daemon sends its FIN and reads and drops what the peer still sends until the
peer's FIN (a lingering close).  Closing with unread bytes in the kernel
would send a TCP reset, which makes the peer's recv() fail with
ECONNRESET and can destroy the ERROR before it is read.  The records before
the violation are written, none after it."""
import socket

from lctest import ERROR, Daemon, authed, check, hello, main, parse_control, recv_frame, send_frame


def frame(payload):
    return len(payload).to_bytes(4, "big") + payload


def scenario():
    d = Daemon()
    for attempt in range(5):
        s = authed(d)
        hello(s, app="a%d" % attempt)
        send_frame(s, b'{"n":"before %d"}' % attempt)
        flood = frame(b'\x01{"v":1,"secret":"' + b"b" * 32 + b'","seq":1}')
        flood += frame(b'{"n":"after"}') * 60000          # ~1 MB the daemon must not read
        s.settimeout(10)
        try:
            s.sendall(flood)
            s.shutdown(socket.SHUT_WR)
            got = []
            while True:
                got.append(parse_control(recv_frame(s)))
        except EOFError:
            pass
        except (ConnectionResetError, BrokenPipeError) as e:
            raise AssertionError("attempt %d: %r: the daemon reset the connection instead of "
                                 "closing it" % (attempt, e))
        errors = [f for t, f in got if t == ERROR]
        check(len(errors) == 1 and errors[0]["code"] == 101, "attempt %d: got %r" % (attempt, got))
        s.close()
    d.stop()
    ns = sorted(l["n"] for l in d.lines())
    check(ns == ["before %d" % i for i in range(5)], "lines: %r" % ns)


main(scenario)
