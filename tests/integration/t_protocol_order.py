"""The ordering and versioning rules of docs/protocol.md (§9, §10), on the
wire: STATUS needs no HELLO and takes no sequence number (before HELLO,
between records, repeated); a client may send records right behind its
HELLO without waiting for WELCOME; a record before HELLO makes the
connection anonymous, and a HELLO after it closes the connection without
an ERROR (anonymous peers are sent nothing); HELLO's "v" must be an
integer >= 1 and its value is otherwise not used (v 2 gets a version 1
WELCOME; v 0 is ERROR 101)."""
import json

from lctest import (ACK, ERROR, STATUS, STATUS_REQ, WELCOME, Daemon, authed, check, derive_sid, main,
                    parse_control, read_until_ack, recv_frame, send_frame)


def status(s):
    """The reply may come after ACKs for records sent before the request."""
    send_frame(s, bytes([STATUS_REQ]))
    m = recv_frame(s)
    while m[0] == ACK:
        m = recv_frame(s)
    check(m[0] == STATUS, "expected STATUS, got type %d" % m[0])
    o = json.loads(m[1:])
    check(o["v"] == 1, "STATUS v=%r" % o["v"])
    return o


def hello_body(v, secret, seq=1):
    return bytes([1]) + json.dumps({"v": v, "secret": secret, "seq": seq, "app": "order"}).encode()


def scenario():
    d = Daemon()
    secret = "ab" * 16
    # STATUS before HELLO, then HELLO, records and STATUS in between.
    s = authed(d)
    before = status(s)
    send_frame(s, hello_body(1, secret))
    m = recv_frame(s)
    check(m[0] == WELCOME and json.loads(m[1:])["sid"] == derive_sid(secret), "no WELCOME")
    send_frame(s, b'{"n":1}')
    status(s)
    status(s)
    send_frame(s, b'{"n":2}')
    check(read_until_ack(s, 2) == [], "errors")
    s.close()

    # Records right behind HELLO, in the same write, before WELCOME is read.
    s = authed(d)
    s.sendall(b"".join(len(p).to_bytes(4, "big") + p for p in
                       (hello_body(2, "cd" * 16), b'{"n":3}', b'{"n":4}')))
    m = recv_frame(s)
    check(m[0] == WELCOME and json.loads(m[1:])["v"] == 1, "v 2: %r" % m[:80])
    check(read_until_ack(s, 2) == [], "errors after a pipelined HELLO")
    s.close()

    # v 0 is refused.
    s = authed(d)
    send_frame(s, hello_body(0, "ef" * 16))
    t, f = parse_control(recv_frame(s))
    check(t == ERROR and f["code"] == 101 and f["seq"] == 0, "v 0: %r" % ((t, f),))
    s.settimeout(5)
    check(s.recv(1) == b"", "not closed after ERROR 101")

    # A record before HELLO: anonymous; the late HELLO closes, silently.
    s = authed(d)
    send_frame(s, b'{"n":5}')
    send_frame(s, hello_body(1, "01" * 16))
    s.settimeout(5)
    check(s.recv(64) == b"", "an anonymous connection was sent something, or not closed")
    d.wait_lines(5)
    after = status(authed(d))
    check(after["protocol_errors"] == before["protocol_errors"] + 2, "protocol errors not counted")
    check(after["sessions"] == 2, "STATUS sessions %r: expected the 2 HELLO sessions, the "
          "anonymous one not counted" % after["sessions"])
    d.stop()
    lines = d.lines()
    check([l["n"] for l in lines] == [1, 2, 3, 4, 5], "records: %r" % lines)
    check([l["_seq"] for l in lines[:4]] == [1, 2, 1, 2], "STATUS took a sequence number: %r"
          % [l["_seq"] for l in lines])
    check("_app" not in lines[4] and lines[4]["_seq"] == 1, "the record before HELLO: %r" % lines[4])


main(scenario)
