"""A STATUS request is the single byte 0x05.  One with bytes after the type
is a malformed control message like any other: ERROR 101 naming it, then
close; a well-formed one on a new connection is still answered.  (Issue 11,
hole 14: it used to be answered.)"""
import json

from lctest import (ERROR, STATUS, STATUS_REQ, Daemon, authed, check, hello, main, parse_control,
                    recv_frame, send_frame)


def scenario():
    d = Daemon()
    s = authed(d)
    hello(s)
    send_frame(s, bytes([STATUS_REQ]) + b"trailing")
    s.settimeout(5)
    t, f = parse_control(recv_frame(s))
    check(t == ERROR and f["code"] == 101 and f["seq"] == 0, "reply %r %r" % (t, f))
    check("STATUS request with 8 bytes" in f["text"], "text %r" % f["text"])
    check(s.recv(1) == b"", "connection not closed")

    ok = authed(d)
    hello(ok)
    send_frame(ok, bytes([STATUS_REQ]))
    ok.settimeout(5)
    reply = recv_frame(ok)
    check(reply[0] == STATUS, "well-formed STATUS not answered: %r" % reply[:40])
    st = json.loads(reply[1:])
    check(st.get("protocol_errors") == 1, "protocol_errors %r" % st.get("protocol_errors"))
    d.stop()


main(scenario)
