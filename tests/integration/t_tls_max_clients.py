"""Over --max-clients on a TLS port the new connection is closed at once,
with no ERROR 100 frame in clear (docs/protocol.md §3.2; logcollectord(8)
said the frame was sent unencrypted, which the code never did): the raw
socket reads end-of-file with no byte, a TLS client's handshake fails, the
refusal is counted in STATUS's connections.refused_full, and the
connection already open keeps working."""
import json
import os
import socket
import ssl
import subprocess

from lctest import (STATUS, STATUS_REQ, Daemon, Skip, check, hello, main,
                    modern_client_handshake, read_until_ack, recv_frame, send_frame, tmpdir)


def self_signed(t):
    """server.pem (self-signed, IP:127.0.0.1) and server.key in t."""
    try:
        subprocess.check_call(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                               "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
                               "-out", "server.pem", "-days", "2", "-subj", "/CN=logcollectord",
                               "-addext", "subjectAltName=IP:127.0.0.1"], cwd=t,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError) as e:
        raise Skip("cannot make a certificate with openssl: %s" % e)
    os.chmod(os.path.join(t, "server.key"), 0o600)


def tls_connect(d, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def scenario():
    t = tmpdir()
    self_signed(t)
    p = lambda n: os.path.join(t, n)
    d = Daemon("--tls-cert", p("server.pem"), "--tls-key", p("server.key"), "--max-clients", "1")
    s = tls_connect(d, p("server.pem"))
    check(modern_client_handshake(s, d.key), "handshake inside TLS failed")
    hello(s)

    raw = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    try:
        got = raw.recv(64)
    except ConnectionResetError:
        got = b""
    check(got == b"", "a refused TLS connection was sent %r in clear" % got)
    raw.close()
    try:
        tls_connect(d, p("server.pem")).close()
        refused = False
    except (ssl.SSLError, OSError):
        refused = True
    check(refused, "a TLS handshake over --max-clients succeeded")

    send_frame(s, b'{"msg":"still here"}')
    check(read_until_ack(s, 1) == [], "errors on the open connection")
    send_frame(s, bytes([STATUS_REQ]))
    m = recv_frame(s)
    check(m[0] == STATUS, "no STATUS reply")
    check(json.loads(m[1:])["connections"]["refused_full"] == 2, "refusals not counted: %r" % m)
    s.close()
    d.stop()
    check([l["msg"] for l in d.lines()] == ["still here"], "records: %r" % d.lines())


main(scenario)
