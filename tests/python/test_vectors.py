"""The Python package's handshake and session-id code against the shared
test vectors of tests/vectors/handshake.json (made with hashlib/hmac by
tests/vectors/make_vectors.py; tests/unit/test_vectors.c holds the C code to
the same file), and the client's answer on the wire: a fake daemon sends a
vector's challenge and must receive exactly the vector's proof."""

import json
import os
import socket
import unittest

import lcpy
from lcpy import Listener, frames_of, write_port_file, tmpdir

import logcollect
from logcollect import protocol

VECTORS = json.load(open(os.path.join(lcpy.ROOT, "tests", "vectors", "handshake.json")))
HS = VECTORS["handshake"]
H = bytes.fromhex


class HandshakeVectors(unittest.TestCase):
    def test_vectors_present(self):
        self.assertGreaterEqual(len(HS), 5)
        self.assertGreaterEqual(len(VECTORS["session"]), 5)

    def test_client_proof(self):
        """answer_challenge(key, daemon's challenge) is the vector's client proof."""
        for v in HS:
            with self.subTest(v["name"]):
                chal = H(v["daemon_challenge"])
                self.assertTrue(chal.startswith(protocol.CHALLENGE))
                got = protocol.answer_challenge(H(v["key"]), chal[len(protocol.CHALLENGE):])
                self.assertEqual(got.hex(), v["client_proof"])

    def test_client_challenge(self):
        """make_challenge(nonce) is what the client sends after #CHALLENGE#."""
        for v in HS:
            with self.subTest(v["name"]):
                self.assertEqual(protocol.CHALLENGE + protocol.make_challenge(H(v["client_nonce"])),
                                 H(v["client_challenge"]))

    def test_daemon_proof_checked(self):
        """check_response accepts the vector's daemon proof, refuses it with
        any bit of the MAC changed, and refuses it under another key."""
        for i, v in enumerate(HS):
            with self.subTest(v["name"]):
                key, chal = H(v["key"]), protocol.make_challenge(H(v["client_nonce"]))
                proof = H(v["daemon_proof"])
                self.assertTrue(protocol.check_response(key, chal, proof))
                for bit in range(8 * 8, 8 * len(proof)):
                    bad = bytearray(proof)
                    bad[bit // 8] ^= 1 << (bit % 8)
                    self.assertFalse(protocol.check_response(key, chal, bytes(bad)), bit)
                other = H(HS[(i + 1) % len(HS)]["key"])
                self.assertFalse(protocol.check_response(other, chal, proof))
                # a prefix-less or MD5 answer is never accepted (no legacy form)
                self.assertFalse(protocol.check_response(key, chal, proof[8:]))

    def test_wire_frames(self):
        """frame() of each message is the vector's frame, and next_frame
        reads it back."""
        for v in HS:
            with self.subTest(v["name"]):
                for f in v["wire"]:
                    raw = H(f["frame"])
                    payload, end = protocol.next_frame(raw, 0, protocol.AUTH_MAX_MSG)
                    self.assertEqual(end, len(raw))
                    self.assertEqual(protocol.frame(payload), raw)

    def test_session_ids(self):
        """derive_sid(secret) is the vector's sid (what the daemon puts in _sid)."""
        for s in VECTORS["session"]:
            with self.subTest(s["secret"]):
                self.assertEqual(protocol.derive_sid(s["secret"]), s["sid"])


class ProofOnTheWire(unittest.TestCase):
    """The real Client, connecting to a fake daemon that sends a vector's
    challenge: the answer it sends is the vector's client proof, byte for
    byte (frame header included); the fake then says #FAILURE# and the
    client reports an authentication error, having sent nothing else."""

    def test_client_sends_the_vectors_proof(self):
        v = HS[0]
        t = tmpdir()
        key_file = os.path.join(t, "key")
        with open(key_file, "w") as f:
            f.write(v["key"] + "\n")
        os.chmod(key_file, 0o600)

        def serve(c, lst, idx):
            c.sendall(H(v["wire"][0]["frame"]))
            lst.recv_frame(c, idx)
            c.sendall(protocol.frame(protocol.FAILURE))
            c.settimeout(2)
            try:
                lst.drain(c, idx)
            except socket.timeout:
                pass

        fake = Listener(serve)
        port_file = os.path.join(t, "port")
        write_port_file(port_file, fake.port)
        with self.assertRaises(logcollect.AuthError):
            logcollect.Client(port_file=port_file, key_file=key_file, fail_fast=True,
                              connect_timeout=5)
        fake.stop()
        self.assertGreaterEqual(len(fake.received), 1)
        first = fake.received[0]
        self.assertTrue(first.startswith(H(v["wire"][1]["frame"])),
                        "the client's answer differs from the vector: %r" % first[:60])
        # nothing after the proof but possibly its own #FAILURE#-free close
        self.assertEqual(frames_of(first)[1:], [], "the client sent more: %r" % first[:120])


if __name__ == "__main__":
    unittest.main()
