"""500 wrong-key handshakes from 127.0.0.1 must not lock out the other
local clients, which share that address.  A new connection's challenge is
never delayed and a right proof is answered at once; the failing address
is slowed down instead: its #FAILURE# answers are delayed, and at most 16
of its failed connections are held at once (more are closed unanswered).

Measured: a key holder's connect + handshake + HELLO, 5 times while the
attack runs and 5 times right after it; every one must take < 1 s.
Exact counts: the daemon counts 500 failed handshakes, each either answered
at once, answered late (delayed) or closed unanswered (dropped)."""
# LCTEST: timeout=240
import hmac
import json
import os
import socket
import threading
import time

from lctest import (CLI, Daemon, check, connect, hello, main, modern_client_handshake, recv_frame,
                    run, send_frame, wait_for)

N_WRONG = 500
THREADS = 10


def wrong_key_handshakes(d, n, results):
    """n wrong-key handshakes, each waiting at most 0.2 s for the verdict
    (an attacker does not wait politely)."""
    for _ in range(n):
        s = connect(d)
        try:
            s.settimeout(5)
            chal = recv_frame(s, 256)[len(b"#CHALLENGE#"):]
            send_frame(s, b"{sha256}" + hmac.new(os.urandom(32), chal, "sha256").digest())
            s.settimeout(0.2)
            try:
                results.append(recv_frame(s, 256))
            except socket.timeout:
                results.append("late")
            except EOFError:
                results.append("closed")
        finally:
            s.close()


def legit_ms(d):
    t0 = time.monotonic()
    s = connect(d)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # measure the daemon, not Nagle
    check(modern_client_handshake(s, d.key), "the key holder's handshake failed")
    hello(s, app="legit")
    ms = (time.monotonic() - t0) * 1000
    s.close()
    return ms


def scenario():
    d = Daemon("--handshake-timeout", "30")
    results = []
    threads = [threading.Thread(target=wrong_key_handshakes, args=(d, N_WRONG // THREADS, results))
               for _ in range(THREADS)]
    during = []
    attack_over = threading.Event()

    def measure():
        # once the address is well past its free failures, and until the end
        wait_for(lambda: len(results) >= 20 or attack_over.is_set(), 60, "the attack to get going")
        while not attack_over.is_set():
            during.append(legit_ms(d))
    for t in threads:
        t.start()
    m = threading.Thread(target=measure)
    m.start()
    for t in threads:
        t.join(180)
    attack_over.set()
    m.join(60)
    after = [legit_ms(d) for _ in range(5)]
    print("key holder connect+handshake+HELLO during the attack (%d times): max %.1f ms, "
          "mean %.1f ms; right after it: %s ms" %
          (len(during), max(during or [0]), sum(during) / max(len(during), 1),
           " ".join("%.1f" % x for x in after)))
    check(len(during) >= 3, "only %d measurements during the attack" % len(during))
    check(max(during + after) < 1000, "a key holder waited %.0f ms" % max(during + after))
    check(len(results) == N_WRONG, "attack made %d handshakes" % len(results))
    answered = sum(1 for r in results if r == b"#FAILURE#")
    print("attacker: %d answered #FAILURE# within 0.2 s, %d not answered within 0.2 s, "
          "%d closed unanswered" % (answered, results.count("late"), results.count("closed")))
    check(max(during + after) < 1000, "a key holder waited %.0f ms" % max(during + after))
    check(all(r in (b"#FAILURE#", "late", "closed") for r in results),
          "unexpected answers: %r" % [r for r in results if r not in (b"#FAILURE#", "late", "closed")][:3])

    # the status command is not locked out either, and counts exactly
    t0 = time.monotonic()
    st = json.loads(run([CLI, "status", "--json", "--timeout", "1000"], env=d.env()).stdout)
    print("logcollect status took %.0f ms: handshakes_failed %d, delayed %d, dropped %d" %
          ((time.monotonic() - t0) * 1000, st["handshakes_failed"], st["handshakes_delayed"],
           st.get("handshakes_dropped", -1)))
    check(st["handshakes_failed"] == N_WRONG, "handshakes_failed %d" % st["handshakes_failed"])
    check(st["handshakes_delayed"] > 0 and st.get("handshakes_dropped", 0) > 0,
          "the attacker was not slowed down: %r" % st)
    check(st["handshakes_delayed"] + st["handshakes_dropped"] < N_WRONG,
          "more slowed-down handshakes than failures: %r" % st)
    check(answered >= 3, "the first failures were not answered at once")
    d.stop()
    check([l["_app"] for l in d.lines()] == [], "lines written: %r" % d.lines())


main(scenario)
