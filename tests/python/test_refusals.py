"""What the client refuses: a wrong key (a clear exception from Client()
with fail_fast, or from flush(); nothing written), and a stale port file
naming a port that something else owns: a listener that never sends a
challenge, one that answers with garbage, and one that goes through the
motions but cannot prove it knows the key.  Such a stranger never gets a
HELLO or a record, only what the handshake itself sends; the records
queued meanwhile reach the real collector once it takes the port file
over, exactly once."""

import os
import socket
import time
import unittest

from lcpy import (Daemon, DaemonTest, Listener, client, frames_of, other_key_file,
                  write_port_file)

import logcollect
from logcollect import protocol


class WrongKey(DaemonTest):
    def test_fail_fast_raises(self):
        """Client(fail_fast=True) with another key: AuthError saying so."""
        with self.assertRaises(logcollect.AuthError) as cm:
            client(self.d, key_file=other_key_file(), fail_fast=True)
        text = str(cm.exception)
        self.assertIn("key", text)
        self.assertIn(str(self.d.port), text)      # names the peer
        self.d.stop()
        self.assertEqual(self.d.lines(), [])

    def test_flush_raises_nothing_written(self):
        """In the background: log() queues, flush() raises AuthError
        (it will not fix itself), nothing is written."""
        c = self.client(key_file=other_key_file())
        for i in range(50):
            self.assertTrue(c.log("info", "intruder %d" % i))
        with self.assertRaises(logcollect.AuthError):
            c.flush(3)
        st = c.stats()
        self.assertEqual((st["acked"], st["connects"]), (0, 0), st)
        self.assertIn("key", st["last_error"])
        self.assertIsInstance(c.last_error, logcollect.AuthError)
        c.close(0)
        self.d.stop()
        self.assertEqual(self.d.lines(), [])


def silent(c, lst, idx):
    """Accepts, says nothing, keeps what it is sent."""
    try:
        lst.drain(c, idx)
    except socket.timeout:
        pass


def garbage(c, lst, idx):
    """Answers with garbage: an HTTP error, then random bytes."""
    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" + os.urandom(300))
    try:
        lst.drain(c, idx)
    except socket.timeout:
        pass


def impostor(c, lst, idx):
    """A challenge, #WELCOME# whatever the answer (it cannot check it),
    then a made-up proof for the client's challenge."""
    c.sendall(protocol.frame(b"#CHALLENGE#{sha256}" + os.urandom(40)))
    lst.recv_frame(c, idx)
    c.sendall(protocol.frame(b"#WELCOME#"))
    lst.recv_frame(c, idx)
    c.sendall(protocol.frame(b"{sha256}" + os.urandom(32)))
    try:
        lst.drain(c, idx)
    except socket.timeout:
        pass


class StalePortFile(unittest.TestCase):
    """The daemon is down; its port file names a port another program
    owns."""

    def stranger(self, serve, expect):
        d = Daemon(start=False)
        fake = Listener(serve)
        write_port_file(d.port_file, fake.port)
        # fail-fast: the reason, at once (within connect_timeout)
        t0 = time.monotonic()
        with self.assertRaises(expect) as cm:
            client(d, fail_fast=True, connect_timeout=2)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertIn(str(fake.port), str(cm.exception))
        # in the background: records queue; flush reports and never succeeds
        c = client(d, app="pytest-stale")
        for i in range(20):
            c.log("info", "queued %d" % i)
        try:
            self.assertFalse(c.flush(3))
        except logcollect.LogcollectError as e:
            self.assertIsInstance(e, expect)
        self.assertEqual(c.stats()["acked"], 0)
        fake.stop()
        # all the stranger ever received: handshake messages
        for data in fake.received:
            for f in frames_of(data):
                ok = ((f.startswith(b"{sha256}") and len(f) == 40) or
                      (f.startswith(b"#CHALLENGE#{sha256}") and len(f) == 59) or
                      f in (b"#FAILURE#", b"#WELCOME#"))
                self.assertTrue(ok, "the client sent the stranger %r" % f[:60])
            self.assertNotIn(b'{"', data.replace(b"{sha256}", b""))
        # the real collector takes the port file over: the queued records arrive
        os.unlink(d.port_file)
        d.start()
        self.assertTrue(c.flush(60), c.stats())
        c.close()
        d.stop()
        self.assertEqual([l["msg"] for l in d.lines()], ["queued %d" % i for i in range(20)])
        return fake

    def test_silent_listener(self):
        fake = self.stranger(silent, (logcollect.TimedOut, logcollect.ProtocolError))
        self.assertTrue(all(r == b"" for r in fake.received), "sent to a silent listener")

    def test_garbage_listener(self):
        fake = self.stranger(garbage, (logcollect.ProtocolError, logcollect.AuthError))
        self.assertTrue(all(r == b"" for r in fake.received), "answered garbage")

    def test_impostor(self):
        self.stranger(impostor, logcollect.AuthError)

    def test_refused_port(self):
        """Nothing listens on the port (a daemon killed with SIGKILL):
        ConnectError at once, records wait for the daemon."""
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        d = Daemon(start=False)
        write_port_file(d.port_file, port)
        with self.assertRaises(logcollect.ConnectError) as cm:
            client(d, fail_fast=True)
        self.assertIn(str(port), str(cm.exception))


if __name__ == "__main__":
    unittest.main()


class NotRegularFiles(unittest.TestCase):
    """A FIFO (or any non-regular file) where the key or port file belongs
    is refused at once with a clear error, as the C library refuses it:
    open() of a FIFO with no writer would block the program forever."""

    def setUp(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="lcpy-fifo-")
        self.fifo = os.path.join(self.dir, "fifo")
        os.mkfifo(self.fifo)

    def tearDown(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)

    def refused_quickly(self, fn, exc):
        import threading
        out = {}

        def run():
            try:
                fn()
            except Exception as e:        # noqa: BLE001 - reported below
                out["e"] = e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(5)
        if t.is_alive():
            # unblock the hung open() so the thread ends
            fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
            self.fail("reading a FIFO blocked")
        self.assertIsInstance(out.get("e"), exc)
        self.assertIn("not a regular file", str(out["e"]))
        self.assertIn(self.fifo, str(out["e"]))

    def test_key_file_fifo(self):
        self.refused_quickly(lambda: protocol.read_key(self.fifo), logcollect.KeyFileError)

    def test_port_file_fifo(self):
        self.refused_quickly(lambda: protocol.read_portfile(self.fifo), logcollect.PortFileError)

    def test_client_with_key_fifo(self):
        self.refused_quickly(lambda: logcollect.Client(port_file=self.fifo + ".none",
                                                       key_file=self.fifo),
                             logcollect.KeyFileError)
