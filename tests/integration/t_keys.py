"""Named keys: the key file may hold several keys, one 'NAME HEX' per line
(a bare hex line is 'default'); each line carries _key with the name of the
key that authenticated its session.  SIGHUP reloads the keys: sessions of a
removed key are closed (ERROR 103) and new handshakes with it fail, while
other sessions go on."""
import os
import signal
import socket

from lctest import (ERROR, Daemon, authed_with, check, connect, hello, main, modern_client_handshake,
                    parse_control, read_until_ack, recv_frame, send_frame, wait_for)


def write_keys(path, keys):
    with open(path, "w") as f:
        f.write("# two keys\n")
        for name, key in keys:
            f.write("%s %s\n" % (name, key.hex()))
    os.chmod(path, 0o600)


def scenario():
    d = Daemon(start=False)
    alpha, beta = os.urandom(32), os.urandom(32)
    write_keys(d.key_file, [("alpha", alpha), ("beta-2", beta)])
    d.start()
    a = authed_with(d, alpha)
    hello(a, app="A")
    b = authed_with(d, beta)
    hello(b, app="B")
    send_frame(a, b'{"msg":"from alpha"}')
    send_frame(b, b'{"msg":"from beta"}')
    read_until_ack(a, 1)
    read_until_ack(b, 1)

    write_keys(d.key_file, [("alpha", alpha)])         # beta removed
    d.send_signal(signal.SIGHUP)
    b.settimeout(5)
    t, f = parse_control(recv_frame(b))
    check(t == ERROR and f["code"] == 103, "beta's session got %r instead of ERROR 103" % ((t, f),))
    check(b.recv(1) == b"", "beta's connection was not closed")
    wait_for(lambda: "reloaded 1 key(s)" in d.stderr(), 5, "the reload")
    s = connect(d)
    check(not modern_client_handshake(s, beta), "a removed key still authenticates")
    s.close()
    send_frame(a, b'{"msg":"alpha still here"}')
    read_until_ack(a, 2)
    a.close()

    # A bad key file on reload keeps the old keys.
    with open(d.key_file, "w") as f:
        f.write("not hex at all\n")
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: "keeping the old ones" in d.stderr(), 5, "the refused reload")
    a2 = authed_with(d, alpha)
    hello(a2)
    send_frame(a2, b'{"msg":"old keys kept"}')
    read_until_ack(a2, 1)
    a2.close()
    d.stop()
    got = [(l["msg"], l["_key"]) for l in d.lines()]
    check(got == [("from alpha", "alpha"), ("from beta", "beta-2"), ("alpha still here", "alpha"),
                  ("old keys kept", "alpha")] or
          sorted(got[:2]) == [("from alpha", "alpha"), ("from beta", "beta-2")] and
          got[2:] == [("alpha still here", "alpha"), ("old keys kept", "alpha")],
          "lines: %r" % got)


main(scenario)
