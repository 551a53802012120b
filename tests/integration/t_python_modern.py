"""Interop: the modern {sha256} handshake of CPython 3.12+, written out from
its published algorithm (Debian 12 ships 3.11).  The daemon must accept the
right key, prove it knows the key itself, and accept records after it; a
wrong key gets #FAILURE# and writes nothing."""
import os
import socket

from lctest import Daemon, check, connect, main, modern_client_handshake, recv_frame, send_frame


def scenario():
    d = Daemon()
    s = connect(d)
    check(modern_client_handshake(s, d.key), "server failed to prove it has the key")
    for i in range(100):
        send_frame(s, b'{"msg":"modern %d"}' % i)
    s.close()
    lines = d.wait_lines(100)
    check([l["msg"] for l in lines] == ["modern %d" % i for i in range(100)], "records differ")

    # Wrong key: the server answers #FAILURE# and closes.
    s = connect(d)
    msg = recv_frame(s, 256)
    import hmac
    chal = msg[len(b"#CHALLENGE#"):]
    send_frame(s, b"{sha256}" + hmac.new(os.urandom(32), chal, "sha256").digest())
    check(recv_frame(s, 256) == b"#FAILURE#", "wrong key not refused")
    s.settimeout(2)      # the daemon closes right after #FAILURE#
    try:
        check(s.recv(1) == b"", "connection not closed after #FAILURE#")
    except ConnectionResetError:
        pass
    s.close()

    # A server that does not know the key: the client must not be fooled.
    # (Here: we check that a *wrong* proof from the server is detected by
    # our Python client code, i.e. the test's own verifier can fail.)
    s = connect(d)
    check(not modern_client_handshake_wrong_key_server_side(s, d.key),
          "verifier accepted a proof for another key")
    s.close()
    d.stop()
    lines = d.lines()
    check(len(lines) == 100 and all("intruder" not in l["msg"] for l in lines),
          "unexpected output after failures")


def modern_client_handshake_wrong_key_server_side(s, key):
    """Authenticate with the right key, then check the server's answer against
    a different key: must come out False."""
    import hmac
    msg = recv_frame(s, 256)
    chal = msg[len(b"#CHALLENGE#"):]
    send_frame(s, b"{sha256}" + hmac.new(key, chal, "sha256").digest())
    check(recv_frame(s, 256) == b"#WELCOME#", "right key refused")
    mine = b"{sha256}" + os.urandom(40)
    send_frame(s, b"#CHALLENGE#" + mine)
    resp = recv_frame(s, 256)
    other = hmac.new(os.urandom(32), mine, "sha256").digest()
    return resp[len(b"{sha256}"):] == other


main(scenario)
