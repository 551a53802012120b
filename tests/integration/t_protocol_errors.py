"""After authentication, a malformed control message (a second HELLO, a
HELLO that is not JSON) or a malformed frame
length gets ERROR 101 naming the problem and the connection is closed at
once; records sent before it are written, nothing after it is.  (A payload
of an unknown type is a rejected record, not a protocol error:
t_nonobject_payload.py.)"""
import socket
import struct

from lctest import (ACK, ERROR, Daemon, authed, check, hello, main, parse_control, recv_frame,
                    send_frame)


def expect_close(s, what):
    """Read to the ERROR 101 and then EOF, within a second."""
    s.settimeout(1.0)
    got = None
    try:
        while True:
            t, f = parse_control(recv_frame(s))
            if t == ERROR:
                got = f
    except EOFError:
        pass
    except socket.timeout:
        raise AssertionError("%s: connection not closed within 1 s" % what)
    check(got is not None and got["code"] == 101 and got["seq"] == 0,
          "%s: no ERROR 101 before the close (%r)" % (what, got))
    return got


def scenario():
    d = Daemon()
    cases = [
        ("second HELLO", lambda s: hello_raw(s), "HELLO must be the first"),
        ("HELLO not JSON", None, "not a JSON object"),
        ("negative length", lambda s: s.sendall(struct.pack("!i", -5)), "negative frame length"),
        ("8-byte length", lambda s: s.sendall(struct.pack("!i", -1) + b"\0" * 8), "8-byte frame"),
    ]
    for i, (what, act, text) in enumerate(cases):
        s = authed(d)
        if act is None:                      # HELLO with a broken body, as the first message
            send_frame(s, b"\x01{not json")
        else:
            hello(s, app="c%d" % i)
            send_frame(s, b'{"n":"before %d"}' % i)
            act(s)
            send_frame(s, b'{"n":"after %d"}' % i) if what != "negative length" and what != "8-byte length" else None
        got = expect_close(s, what)
        check(text in got["text"], "%s: error text %r lacks %r" % (what, got["text"], text))
        s.close()
    d.stop()
    ns = sorted(l["n"] for l in d.lines())
    check(all(n.startswith("before") for n in ns) and len(ns) == 3, "lines: %r" % ns)


def hello_raw(s):
    send_frame(s, b'\x01{"v":1,"secret":"' + b"a" * 32 + b'","seq":1}')


main(scenario)
