"""Before authentication nothing but handshake messages is looked at: random
bytes, an oversize or 8-byte-length message, a record sent before the
handshake, and a peer that never finishes (handshake timeout) are all
closed, and none of it reaches the output file."""
import os
import socket
import struct
import time

from lctest import Daemon, check, connect, main, recv_frame, send_frame


def closed(s, timeout=5):
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def scenario():
    d = Daemon("--handshake-timeout", "1")
    # random bytes
    s = connect(d)
    recv_frame(s, 256)
    s.sendall(os.urandom(300))
    check(closed(s), "random bytes did not close the connection")
    # These close at once (well before the 1 s handshake timeout):
    # a record instead of the response
    s = connect(d)
    recv_frame(s, 256)
    send_frame(s, b'{"msg":"unauthenticated"}')
    check(closed(s, 0.5), "a record before authentication did not close it at once")
    # oversize handshake message
    s = connect(d)
    recv_frame(s, 256)
    s.sendall(struct.pack("!i", 257) + b"x" * 257)
    check(closed(s, 0.5), "a 257-byte handshake message did not close it at once")
    # 8-byte length extension
    s = connect(d)
    recv_frame(s, 256)
    s.sendall(struct.pack("!i", -1) + struct.pack("!Q", 10) + b"x" * 10)
    check(closed(s, 0.5), "the 8-byte length extension did not close it at once")
    # silent peer: closed by the timeout
    s = connect(d)
    t0 = time.monotonic()
    recv_frame(s, 256)
    check(closed(s, 5), "a silent peer was not closed by --handshake-timeout 1")
    took = time.monotonic() - t0
    check(0.8 < took < 3, "closed after %.2fs, expected about 1s" % took)
    d.stop()
    check(d.lines() == [], "unauthenticated bytes reached the output")
    check(d.stderr().count("handshake from") >= 4, "failures not logged:\n" + d.stderr())


main(scenario)
