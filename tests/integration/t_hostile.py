"""Hostile peers while a well-behaved client streams 100,000 records.

Thrown at the daemon, concurrently: random bytes before the handshake; a
header declaring a 4 GiB frame (before and after authentication); a
handshake replayed from an earlier session; a correct handshake followed by
garbage frames; invalid UTF-8; JSON nested 100,000 levels deep; a record one
byte over the limit; records with NUL bytes and reserved field names; 2,000
connections that open and never speak; 1,000 wrong-key handshakes.

Asserts: the daemon stays up, its peak RSS stays bounded (printed), the good
client's records all arrive exactly once, and nothing from an
unauthenticated peer (nor anything refused) reaches the output file.
"""
# LCTEST: timeout=300
import hmac
import os
import socket
import struct
import subprocess
import threading
import time

from lctest import (SANITIZED, Daemon, authed, check, connect, driver, hello, main, read_until_ack,
                    recv_frame, send_frame, spawn, wait_for)

N_GOOD = 100000
MAX_RECORD = 65536


def quietly(fn):
    def run(*a):
        try:
            fn(*a)
        except (OSError, EOFError, AssertionError):
            pass  # the daemon closing on us is the expected outcome
    return run


@quietly
def random_bytes(d):
    for _ in range(50):
        s = connect(d)
        s.sendall(os.urandom(1024))
        s.close()


@quietly
def huge_frames(d):
    s = connect(d)                               # before authentication
    recv_frame(s, 256)
    s.sendall(struct.pack("!i", -1) + struct.pack("!Q", 4 << 30))
    s.close()
    s = authed(d)                                # after authentication
    hello(s)
    s.sendall(struct.pack("!i", -1) + struct.pack("!Q", 4 << 30) + b"x" * 4096)
    s.close()


@quietly
def replayed_handshake(d, captured):
    s = connect(d)
    recv_frame(s, 256)                           # a fresh challenge: ignore it
    send_frame(s, captured)                      # the old answer
    reply = recv_frame(s, 256)
    check(reply == b"#FAILURE#", "a replayed handshake was accepted")
    send_frame(s, b'{"msg":"replayed"}')
    s.close()


@quietly
def garbage_after_auth(d):
    for _ in range(5):
        s = authed(d)
        hello(s)
        for _ in range(20):
            send_frame(s, os.urandom(64).replace(b"{", b"(") or b"\x7f")
        s.close()


@quietly
def bad_records(d):
    s = authed(d)
    hello(s, app="hostile")
    bad = [b'{"msg":"\xff\xfe bad utf8"}',
           b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}",
           b'{"m":"' + b"y" * (MAX_RECORD - 7) + b'"}',      # one byte over
           b'{"msg":"nul\x00byte"}',
           b'{"msg":"nul escape \\u0000"}',
           b'{"_sid":"forged","msg":"x"}',
           b'{"_rt":"1970-01-01T00:00:00.000000Z"}']
    check(len(bad[2]) == MAX_RECORD + 1, "test bug: not one byte over")
    for _ in range(20):
        for b in bad:
            send_frame(s, b)
    errs = read_until_ack(s, 20 * len(bad), timeout=60)
    check(len(errs) == 20 * len(bad), "%d errors for %d bad records" % (len(errs), 20 * len(bad)))
    s.close()


def silent_conns(d, n, out):
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=10))
        except OSError:
            pass
    out.append(len(socks))
    # the attack itself: hold the idle connections for 3 s (not synchronisation)
    time.sleep(3)
    for s in socks:
        s.close()


@quietly
def wrong_keys(d, n):
    def one():
        try:
            s = connect(d)
            s.settimeout(30)
            msg = recv_frame(s, 256)
            chal = msg[len(b"#CHALLENGE#"):]
            send_frame(s, b"{sha256}" + hmac.new(os.urandom(32), chal, "sha256").digest())
            recv_frame(s, 256)
            s.close()
        except (OSError, EOFError):
            pass
    threads = [threading.Thread(target=one) for _ in range(n)]
    for i, t in enumerate(threads):
        t.start()
        if i % 100 == 99:
            time.sleep(0.05)  # pacing the attack, not synchronisation
    for t in threads:
        t.join()


def capture_handshake(d):
    """A legitimate client's answer to a challenge, for replaying."""
    s = connect(d)
    msg = recv_frame(s, 256)
    answer = b"{sha256}" + hmac.new(d.key, msg[len(b"#CHALLENGE#"):], "sha256").digest()
    send_frame(s, answer)
    check(recv_frame(s, 256) == b"#WELCOME#", "legit handshake refused")
    s.close()
    return answer


def peak_rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def scenario():
    d = Daemon("--max-record", str(MAX_RECORD), "--max-clients", "4096", "--handshake-timeout", "2")
    captured = capture_handshake(d)
    good = spawn([driver("lc_stream"), "--count", str(N_GOOD), "--flush", "--app", "good"],
                 env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(d.output) and os.path.getsize(d.output) > 0, 20, "the good stream")
    opened = []
    attacks = [threading.Thread(target=random_bytes, args=(d,)),
               threading.Thread(target=huge_frames, args=(d,)),
               threading.Thread(target=replayed_handshake, args=(d, captured)),
               threading.Thread(target=garbage_after_auth, args=(d,)),
               threading.Thread(target=bad_records, args=(d,)),
               threading.Thread(target=silent_conns, args=(d, 2000, opened)),
               threading.Thread(target=wrong_keys, args=(d, 1000))]
    for t in attacks:
        t.start()
    for t in attacks:
        t.join(240)
    out, err = good.communicate(timeout=120)
    check(good.returncode == 0 and out.split() == ["sent", str(N_GOOD), "acked"],
          "good client: %r %r" % (out, err))
    check(d.proc.poll() is None, "daemon died")
    rss = peak_rss_kb(d.proc.pid)
    print("peak RSS under attack: %d KiB; silent connections opened: %s" % (rss, opened))
    check(SANITIZED or rss < 64 * 1024, "peak RSS %d KiB" % rss)
    d.stop()
    lines = d.lines()
    good_lines = [l for l in lines if l.get("_app") == "good"]
    check([l["_seq"] for l in good_lines] == list(range(1, N_GOOD + 1)),
          "good client's records: %d lines, not exactly 1..%d" % (len(good_lines), N_GOOD))
    others = [l for l in lines if l.get("_app") != "good"]
    check(others == [], "other lines reached the output: %r" % others[:3])
    err = d.stderr()
    check("handshake from" in err and "suppressed" in err, "failures not logged or not limited")


main(scenario)
