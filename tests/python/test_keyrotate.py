"""The key rotated while a program runs (a new key file, then SIGHUP): the
collector closes the session with ERROR 103, and the client reads its key
file again and carries on with the new key, so no program has to restart
and no record is lost or repeated."""

import os
import signal
import unittest

from lcpy import Daemon, client, wait_for

N = 200


class KeyRotation(unittest.TestCase):
    def test_new_key_and_sighup(self):
        d = Daemon()
        c = client(d, app="pytest-rotate")
        for i in range(1, N + 1):
            self.assertTrue(c.log("info", "old key %d" % i, i=i))
        self.assertTrue(c.flush(30), c.stats())
        old = d.key
        tmp = d.key_file + ".new"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, os.urandom(32).hex().encode() + b"\n")
        os.close(fd)
        os.rename(tmp, d.key_file)
        self.assertNotEqual(d.key, old)
        d.send_signal(signal.SIGHUP)
        wait_for(lambda: "was removed or changed" in d.stderr(), 20, "the key reload")
        for i in range(N + 1, 2 * N + 1):
            self.assertTrue(c.log("info", "new key %d" % i, i=i))
        self.assertTrue(c.flush(30), "not acknowledged after the key rotation: %r" % c.stats())
        st = c.stats()
        c.close()
        d.stop()
        lines = d.lines()
        self.assertEqual([l["i"] for l in lines], list(range(1, 2 * N + 1)))
        self.assertEqual(len({l["_sid"] for l in lines}), 1, "the session did not survive")
        self.assertGreaterEqual(st["connects"], 2, st)


if __name__ == "__main__":
    unittest.main()
