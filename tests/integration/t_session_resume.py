"""Sessions: a client that reconnects with the same session secret learns in
WELCOME what is already written and the daemon skips re-sent records, so
nothing is written twice while the daemon runs.  A new connection taking a
session over closes the old one."""
import json

from lctest import Daemon, authed, check, derive_sid, hello, main, read_until_ack, send_frame


def scenario():
    d = Daemon()
    secret = "0123456789abcdef0123456789abcdef"
    a = authed(d)
    check(hello(a, secret=secret, seq=1)["written"] == 0, "fresh session not empty")
    for i in range(1, 11):
        send_frame(a, b'{"n":%d}' % i)
    read_until_ack(a, 10)
    a.close()

    b = authed(d)
    w = hello(b, secret=secret, seq=6)
    check(w["written"] == 10, "WELCOME written=%r, expected 10" % w["written"])
    for i in range(6, 16):                 # 6..10 again, then 11..15
        send_frame(b, b'{"n":%d}' % i)
    read_until_ack(b, 15)

    # take-over: c claims the session while b is still connected
    c = authed(d)
    check(hello(c, secret=secret, seq=16)["written"] == 15, "take-over WELCOME wrong")
    b.settimeout(5)
    check(b.recv(1) == b"", "old connection not closed on take-over")
    send_frame(c, b'{"n":16}')
    read_until_ack(c, 16)
    c.close()
    d.stop()
    lines = d.lines()
    check([l["n"] for l in lines] == list(range(1, 17)), "got %r" % [l["n"] for l in lines])
    check([l["_seq"] for l in lines] == list(range(1, 17)), "seqs wrong")
    check(all(l["_sid"] == derive_sid(secret) for l in lines), "sid not kept")
    check(not any(secret in json.dumps(l) for l in lines), "the secret reached the output")


main(scenario)
