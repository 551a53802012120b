"""lcpy - helpers for the unittest suites of the Python package (tests/python).

Importing this module makes the package in the tree (client/python, or
the folder $LC_PYPKG names) and
the integration helpers (tests/integration/lctest.py) importable, whatever
the working directory, so that

    python3 -m unittest -v test_handler          (in tests/python)

runs against the real daemon of LC_BUILD (build, or build/asan).
tests/run.py runs every module this way, for every Python it finds.

The daemons, listeners and temporary folders a test makes are removed
when the process ends (lctest's cleanup), whatever happens.
"""

import json
import os
import socket
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# LC_PYPKG: the folder holding the logcollect package to test instead of the
# tree's client/python (an installed copy, e.g. /usr/local/lib/python3.11/dist-packages)
PYPKG = os.environ.get("LC_PYPKG") or os.path.join(ROOT, "client", "python")
for p in (PYPKG, os.path.join(ROOT, "tests", "integration")):
    if p not in sys.path:
        sys.path.insert(0, p)

import lctest  # noqa: E402
from lctest import CLI, DAEMON, Daemon, Failure, run, tmpdir, wait_for  # noqa: E402,F401

import logcollect  # noqa: E402


def client(d, **kw):
    """A Client of daemon d (explicit files: no dependence on the environment)."""
    kw.setdefault("port_file", d.port_file)
    kw.setdefault("key_file", d.key_file)
    return logcollect.Client(**kw)


def wait_lines(d, n, timeout=60):
    """The output's lines once there are at least n (fails after timeout)."""
    return d.wait_lines(n, timeout)


def other_key_file():
    """A key file holding a key no daemon here uses."""
    path = os.path.join(tmpdir(), "other.key")
    run([DAEMON, "--gen-key", path])
    return path


def write_port_file(path, port, host="127.0.0.1", **more):
    info = dict({"host": host, "port": port, "pid": os.getpid(), "proto": 1}, **more)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(info, f)
    os.rename(tmp, path)


class Listener(threading.Thread):
    """Something else owning the port a stale port file names: a plain
    listener whose behaviour per connection is `serve(conn, self)`.
    Everything any connection sent is kept in self.received (bytes, per
    connection)."""

    def __init__(self, serve):
        super().__init__(daemon=True)
        self.serve = serve
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stopping = False
        self.start()

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.received.append(b"")
            threading.Thread(target=self._one, args=(c, len(self.received) - 1), daemon=True).start()

    def _one(self, c, idx):
        try:
            c.settimeout(10)
            self.serve(c, self, idx)
        except (OSError, EOFError):
            pass
        finally:
            c.close()

    def recv_exact(self, c, idx, n):
        buf = b""
        while len(buf) < n:
            chunk = c.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
            self.received[idx] += chunk
        return buf

    def recv_frame(self, c, idx):
        n = int.from_bytes(self.recv_exact(c, idx, 4), "big", signed=True)
        if n < 0 or n > 1 << 20:
            raise EOFError
        return self.recv_exact(c, idx, n)

    def drain(self, c, idx):
        while True:
            b = c.recv(65536)
            if not b:
                return
            self.received[idx] += b

    def stop(self):
        self.stopping = True
        self.join()
        self.sock.close()


def frames_of(data):
    """Split bytes into the payloads of the whole frames they hold."""
    out = []
    while len(data) >= 4:
        n = int.from_bytes(data[:4], "big", signed=True)
        if n < 0 or len(data) < 4 + n:
            break
        out.append(data[4:4 + n])
        data = data[4 + n:]
    return out


def by_sid_seq(lines):
    """{(_sid, _seq): [line, ...]}"""
    out = {}
    for l in lines:
        out.setdefault((l["_sid"], l["_seq"]), []).append(l)
    return out


class DaemonTest(unittest.TestCase):
    """A fresh daemon for each test (self.d), stopped and checked (clean
    exit, no sanitizer report) afterwards.  DAEMON_ARGS: extra options."""

    DAEMON_ARGS = ()

    def setUp(self):
        self.d = Daemon(*self.DAEMON_ARGS)
        self.clients = []

    def client(self, **kw):
        c = client(self.d, **kw)
        self.clients.append(c)
        return c

    def tearDown(self):
        for c in self.clients:
            c.close(1)
        if self.d.proc and self.d.proc.poll() is None:
            self.d.stop()
