"""A HELLO whose seq jumps past what the daemon has for a known session is
refused (ERROR 101, then close), and the session is unharmed: a HELLO with
the right seq resumes it.  (Issue 11, hole 10: a session's numbers never
jump, so a jump can only be a broken or hostile client.)"""
import os

from lctest import (ERROR, Daemon, authed, check, hello, main, parse_control, read_until_ack,
                    recv_frame, send_frame)


def scenario():
    d = Daemon()
    secret = os.urandom(16).hex()
    a = authed(d)
    hello(a, secret=secret, seq=1)
    for i in range(1, 6):
        send_frame(a, b'{"n":%d}' % i)
    read_until_ack(a, 5)
    a.close()

    b = authed(d)
    send_frame(b, b'\x01{"v":1,"secret":"%s","seq":7}' % secret.encode())
    t, f = parse_control(recv_frame(b))
    check(t == ERROR and f["code"] == 101 and "jumps past" in f["text"], "jump: %r" % (f,))
    b.settimeout(5)
    check(b.recv(1) == b"", "connection not closed after a refused HELLO")

    c = authed(d)
    w = hello(c, secret=secret, seq=6)
    check(w["written"] == 5, "WELCOME after the refused jump: %r" % w)
    send_frame(c, b'{"n":6}')
    read_until_ack(c, 6)
    c.close()
    d.stop()
    lines = d.lines()
    check([l["n"] for l in lines] == [1, 2, 3, 4, 5, 6], "lines %r" % [l["n"] for l in lines])
    check([l["_seq"] for l in lines] == [1, 2, 3, 4, 5, 6], "seqs wrong")
    check("jumps past" in d.stderr(), "refusal not logged")


main(scenario)
