"""TLS: a collector started with --tls-cert/--tls-key (its port file says
"tls": true).  The Python client with a CA file, and with the server
certificate's pinned SHA-256 fingerprint: records arrive, exactly once.
Refused, with TLSError and nothing written: a CA that did not sign the
certificate, a wrong fingerprint, no TLS settings for a TLS port, and TLS
settings for a plaintext port (no downgrade)."""

import os
import shutil
import subprocess
import unittest

from lcpy import Daemon, client, tmpdir

import logcollect


def openssl(*args, cwd):
    return subprocess.check_output(["openssl"] + list(args), cwd=cwd, stderr=subprocess.DEVNULL,
                                   text=True)


def make_pki(t):
    """A CA and an unrelated one; a server certificate for 127.0.0.1."""
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=" + ca, cwd=t)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=server", cwd=t)
    with open(os.path.join(t, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext", cwd=t)
    for k in os.listdir(t):
        if k.endswith(".key"):
            os.chmod(os.path.join(t, k), 0o600)
    out = openssl("x509", "-in", "server.pem", "-noout", "-fingerprint", "-sha256", cwd=t)
    return out.strip().split("=", 1)[1]          # AB:CD:...


@unittest.skipUnless(shutil.which("openssl"), "the openssl command is needed to make certificates")
class TLS(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = tmpdir()
        cls.fp = make_pki(cls.t)
        cls.p = staticmethod(lambda n: os.path.join(cls.t, n))

    def tls_daemon(self):
        d = Daemon("--tls-cert", self.p("server.pem"), "--tls-key", self.p("server.key"))
        self.assertIs(d.info.get("tls"), True)
        return d

    def deliver(self, d, n, **tls):
        c = client(d, app="pytest-tls", **tls)
        for i in range(n):
            c.log("info", "tls %d" % i, n=i)
        self.assertTrue(c.flush(60), c.stats())
        c.close()

    def test_ca_file(self):
        d = self.tls_daemon()
        self.deliver(d, 2000, tls_ca=self.p("ca.pem"))
        d.stop()
        self.assertEqual([l["msg"] for l in d.lines()], ["tls %d" % i for i in range(2000)])

    def test_pinned_fingerprint(self):
        d = self.tls_daemon()
        self.deliver(d, 1000, tls_fingerprint=self.fp)                                   # AB:CD:..
        self.deliver(d, 1000, tls_fingerprint="sha256:" + self.fp.replace(":", "").lower())
        d.stop()
        lines = d.lines()
        self.assertEqual([l["msg"] for l in lines], ["tls %d" % i for i in range(1000)] * 2)
        self.assertEqual(len({l["_sid"] for l in lines}), 2)

    def test_from_environment(self):
        """LOGCOLLECT_TLS_CA, as the C library reads it."""
        d = self.tls_daemon()
        saved = os.environ.get("LOGCOLLECT_TLS_CA")
        os.environ["LOGCOLLECT_TLS_CA"] = self.p("ca.pem")
        try:
            self.deliver(d, 10)
        finally:
            if saved is None:
                del os.environ["LOGCOLLECT_TLS_CA"]
            else:
                os.environ["LOGCOLLECT_TLS_CA"] = saved
        d.stop()
        self.assertEqual(len(d.lines()), 10)

    def test_refused(self):
        d = self.tls_daemon()
        wrong_fp = ("00" if not self.fp.startswith("00") else "11") + self.fp[2:]
        cases = [({"tls_ca": self.p("otherca.pem")}, "trust"),
                 ({"tls_fingerprint": wrong_fp}, "pinned"),
                 ({}, "TLS")]
        for tls, word in cases:
            with self.subTest(tls=tls):
                with self.assertRaises(logcollect.TLSError) as cm:
                    client(d, fail_fast=True, **tls)
                self.assertIn(word, str(cm.exception))
                c = client(d, **tls)
                c.log("info", "intruder")
                with self.assertRaises(logcollect.TLSError):
                    c.flush(2)
                c.close(0)
        d.stop()
        self.assertEqual(d.lines(), [])

    def test_no_downgrade(self):
        """TLS settings and a plaintext collector: refused, nothing sent."""
        d = Daemon()
        for tls in ({"tls_ca": self.p("ca.pem")}, {"tls_fingerprint": self.fp}):
            with self.subTest(tls=tls):
                with self.assertRaises(logcollect.TLSError):
                    client(d, fail_fast=True, **tls)
        d.stop()
        self.assertEqual(d.lines(), [])


if __name__ == "__main__":
    unittest.main()
