"""A stranger on the published port: a fake server that does not know the
key publishes a port file, sends a challenge, accepts the client's answer
(it cannot check it) and answers the client's challenge with a made-up
proof.  The client refuses it and never sends it a record or a HELLO; it
keeps retrying with backoff (no flood of connections), and lc_flush says
what is wrong.  When the real collector takes over the port file, the
records queued meanwhile arrive."""
# LCTEST: timeout=120
import json
import os
import socket
import subprocess
import threading
import time

from lctest import Daemon, check, driver, main, recv_frame, run, send_frame, spawn, wait_for


class Fake(threading.Thread):
    def __init__(self, port_file):
        super().__init__(daemon=True)
        self.port_file = port_file
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.conns = []      # time of each connection
        self.frames = []     # every frame received
        self.after = b""     # bytes received after our made-up proof
        self.stopping = False
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"host": "127.0.0.1", "port": self.sock.getsockname()[1],
                       "pid": os.getpid(), "proto": 1}, f)
        os.rename(tmp, port_file)

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.conns.append(time.monotonic())
            try:
                c.settimeout(5)
                send_frame(c, b"#CHALLENGE#{sha256}" + os.urandom(40))
                self.frames.append(recv_frame(c, 1 << 20))
                send_frame(c, b"#WELCOME#")        # a lie: it cannot check
                self.frames.append(recv_frame(c, 1 << 20))
                send_frame(c, b"{sha256}" + os.urandom(32))
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    self.after += b
            except (OSError, EOFError):
                pass
            finally:
                c.close()

    def stop(self):
        self.stopping = True
        self.join()
        self.sock.close()


def scenario():
    d = Daemon(start=False)
    env = d.env()
    fake = Fake(d.port_file)
    fake.start()
    t0 = time.monotonic()
    p = spawn([driver("lc_stream"), "--count", "20", "--flush", "--flush-ms", "60000",
               "--stats"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(p.stdout.readline().split() == ["sent", "20"], "driver did not queue its records")
    cp = run([driver("lc_stream"), "--count", "1", "--flush", "--flush-ms", "1500",
              "--close-ms", "0"], env=env, check_rc=False)
    check(cp.returncode == 1 and "could not prove it knows the key" in cp.stderr and
          "nothing was sent to it" in cp.stderr, "flush message: %r" % cp.stderr)
    wait_for(lambda: len(fake.conns) >= 3, 10, "the clients to retry")
    # The no-flood half of the check counts connections over a window of
    # 3 s from the start: a measurement, not synchronisation (the retries
    # themselves were waited for just above).
    time.sleep(max(0.0, t0 + 3.0 - time.monotonic()))
    n = len(fake.conns)
    fake.stop()
    # Two clients for about 3 s: 50 ms doubling to 5 s (each delay drawn
    # between half and all of it) is at most about 8 attempts each.
    check(3 <= n <= 20, "%d connections in about 3 s: no retry, or a flood" % n)
    # All it ever got: answers to its challenge ("{sha256}" + 32-byte MAC),
    # the client's own challenge, and "#FAILURE#" once the made-up proof
    # was refused.  No HELLO (0x01), no record ('{"').
    for f in fake.frames:
        check((f.startswith(b"{sha256}") and len(f) == 40) or
              (f.startswith(b"#CHALLENGE#{sha256}") and len(f) == 59),
              "the client sent the stranger %r" % f[:60])
    check(all(x == b"#FAILURE#" for x in split_frames(fake.after)) and len(fake.after) % 13 == 0,
          "the client sent something after refusing the proof: %r" % fake.after[:80])

    os.unlink(d.port_file)
    d.start()
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0 and "acked" in out, "driver: %r %r" % (out, err))
    lines = d.lines()
    check([l["msg"] for l in lines] == ["rec %d" % i for i in range(1, 21)], "records: %r" % lines[:3])
    d.stop()


def split_frames(b):
    out = []
    while len(b) >= 4:
        n = int.from_bytes(b[:4], "big")
        out.append(b[4:4 + n])
        b = b[4 + n:]
    return out


main(scenario)
