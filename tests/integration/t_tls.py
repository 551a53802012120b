"""TLS: with --tls-cert/--tls-key the whole connection, HMAC handshake
included, runs inside TLS and the port file says "tls":true.  Records over
TLS arrive intact; a client that trusts another CA refuses the server and
sends nothing; a plaintext client to the TLS port fails cleanly (closed
after the handshake timeout, nothing written); with --tls-client-ca a
client without a certificate is refused and one with a certificate is
served.  A non-loopback --bind without TLS is refused unless
--allow-plaintext."""
import os
import socket
import ssl
import subprocess

from lctest import (DAEMON, Daemon, check, hello, main, modern_client_handshake, read_until_ack,
                    recv_frame, run, send_frame, tmpdir)


def openssl(*args, cwd):
    subprocess.check_call(["openssl"] + list(args), cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)


def make_pki(t):
    """A CA, a server cert for 127.0.0.1, a client cert, and an unrelated CA."""
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=" + ca, cwd=t)
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=t)
        with open(os.path.join(t, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext", cwd=t)
    for k in ("ca.key", "otherca.key", "server.key", "client.key"):
        os.chmod(os.path.join(t, k), 0o600)


def tls_connect(d, cafile, cert=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    raw = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def scenario():
    t = tmpdir()
    make_pki(t)
    p = lambda n: os.path.join(t, n)
    d = Daemon("--tls-cert", p("server.pem"), "--tls-key", p("server.key"), "--handshake-timeout", "1")
    check(d.info.get("tls") is True, "port file does not say tls: %r" % d.info)

    s = tls_connect(d, p("ca.pem"))
    check(modern_client_handshake(s, d.key), "HMAC handshake inside TLS failed")
    hello(s, app="tls")
    for i in range(1000):
        send_frame(s, ('{"i":%d,"text":"caf\u00e9 \u2603 \\"q\\""}' % i).encode())
    read_until_ack(s, 1000)
    s.close()

    try:
        tls_connect(d, p("otherca.pem"))
        check(False, "a client trusting another CA accepted the server")
    except ssl.SSLCertVerificationError:
        pass

    plain = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    try:
        msg = plain.recv(64)
        check(msg == b"", "a plaintext client got %r from a TLS port" % msg[:20])
    except (ConnectionResetError, socket.timeout):
        pass
    plain.close()
    d.stop()
    lines = d.lines()
    check([l["i"] for l in lines] == list(range(1000)), "records over TLS missing or reordered")
    check(all(l["text"] == "caf\u00e9 \u2603 \"q\"" for l in lines), "text changed over TLS")

    # client certificates required
    d2 = Daemon("--tls-cert", p("server.pem"), "--tls-key", p("server.key"),
                "--tls-client-ca", p("ca.pem"))
    try:
        s = tls_connect(d2, p("ca.pem"))
        recv_frame(s, 256)            # TLS 1.3 reports the refusal on first read
        check(False, "a client without a certificate was served")
    except (ssl.SSLError, ConnectionResetError, EOFError, OSError):
        pass
    s = tls_connect(d2, p("ca.pem"), cert=(p("client.pem"), p("client.key")))
    check(modern_client_handshake(s, d2.key), "client with a certificate refused")
    hello(s)
    send_frame(s, b'{"msg":"mutual TLS"}')
    read_until_ack(s, 1)
    s.close()
    d2.stop()
    check([l["msg"] for l in d2.lines()] == ["mutual TLS"], "mutual TLS record missing")

    # plaintext on a non-loopback address
    key = d.key_file
    root = ["--allow-root"] if os.geteuid() == 0 else []
    base = [DAEMON, "--key-file", key, "--port-file", p("port0"), "--output", p("o0"),
            "--bind", "0.0.0.0"] + root
    cp = run(base, check_rc=False, timeout=10)
    check(cp.returncode == 1 and "not a loopback address" in cp.stderr and "--allow-plaintext" in cp.stderr,
          "non-loopback plaintext: %r" % cp.stderr)
    cp = run(base[:-len(root) or None] + root + ["--tls-cert", p("server.pem"), "--tls-key", p("ca.key")],
             check_rc=False, timeout=10)
    check(cp.returncode == 1 and "--tls-key" in cp.stderr and "match" in cp.stderr, "mismatched key: %r" % cp.stderr)
    d3 = Daemon("--bind", "0.0.0.0", "--allow-plaintext")
    d3.stop()


main(scenario)
