"""A payload that is neither a record nor a control message we know is a
rejected record (code 1), counted and logged, and the connection stays open
(issue 11, hole 3).  Before, a stock client whose first payload was `[1]`, a
leading space, a UTF-8 BOM or `"x"` had its connection closed silently, and
its next 100 records "sent OK" and were lost."""
import json

from lctest import (STATUS, STATUS_REQ, Daemon, authed, check, hello, main, read_until_ack,
                    recv_frame, send_frame, wait_for)

FIRSTS = [b"[1]", b' {"a":1}', b'\xef\xbb\xbf{"a":1}', b'"x"', b"\x07junk", b"\x00", b"\x7f"]
N = 100


def status(d):
    s = authed(d)
    hello(s)
    send_frame(s, bytes([STATUS_REQ]))
    s.settimeout(5)
    reply = recv_frame(s)
    check(reply[0] == STATUS, "no STATUS reply")
    s.close()
    return json.loads(reply[1:])


def scenario():
    d = Daemon()
    # stock clients (no HELLO, never read): the odd payload comes first
    for i, first in enumerate(FIRSTS):
        s = authed(d)
        send_frame(s, first)
        for n in range(1, N + 1):
            send_frame(s, b'{"conn":%d,"n":%d}' % (i, n))
        s.close()
    # a session client: an unknown type in the middle gets ERROR code 1
    s = authed(d)
    hello(s, app="session")
    send_frame(s, b'{"conn":"s","n":1}')
    send_frame(s, b"\x7fnot a control message")
    send_frame(s, b'{"conn":"s","n":3}')
    errors = read_until_ack(s, 3)
    check([(e["seq"], e["code"]) for e in errors] == [(2, 1)], "session errors %r" % errors)
    s.close()

    d.wait_lines(len(FIRSTS) * N + 2)
    st = status(d)
    d.stop()
    lines = d.lines()
    for i in range(len(FIRSTS)):
        got = sorted(l["n"] for l in lines if l["conn"] == i)
        check(got == list(range(1, N + 1)), "connection %d (first %r): %d of %d written"
              % (i, FIRSTS[i], len(got), N))
        seqs = sorted(l["_seq"] for l in lines if l["conn"] == i)
        check(seqs == list(range(2, N + 2)), "connection %d: the odd payload did not take seq 1"
              % i)
    check(sorted(l["n"] for l in lines if l["conn"] == "s") == [1, 3], "session lines wrong")
    check(len(lines) == len(FIRSTS) * N + 2, "%d lines" % len(lines))
    rej = st["records"]["rejected"]
    check(rej.get("not_object") == len(FIRSTS) + 1, "rejected counters %r" % rej)
    check(st["protocol_errors"] == 0, "protocol errors %r" % st["protocol_errors"])
    err = d.stderr()
    check(err.count("rejected record 1 from") == len(FIRSTS), "rejections not logged:\n" + err)
    check('it starts "\\xef\\xbb\\xbf{\\"a\\":1}"' in err, "BOM not shown escaped:\n" + err)
    print("%d stock connections x %d records: all written; %d rejections logged"
          % (len(FIRSTS), N, len(FIRSTS) + 1))


main(scenario)
