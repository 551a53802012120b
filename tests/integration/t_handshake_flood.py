"""3,000 idle connections that never authenticate must not lock a key
holder out.  Connections in the handshake have their own limit
(--max-handshakes, default 1024), separate from --max-clients; at that limit
a new connection closes the OLDEST unauthenticated one instead of being
refused.  So after 3,000 silent sockets a client with the key gets in at
once; exactly the 1,977 oldest silent sockets (3,000 - 1,024, plus the one
the key holder's own connection displaced) are closed, the 1,023 newest are
still open, and the counters say so."""
import json
import resource
import socket
import time

from lctest import (CLI, Daemon, Skip, check, connect, hello, main, modern_client_handshake,
                    read_until_ack, recv_frame, run, send_frame)

N_IDLE = 3000
MAX_HS = 1024   # the default


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return
    if hard != resource.RLIM_INFINITY and hard < want:
        raise Skip("needs %d file descriptors, the hard limit is %d" % (want, hard))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def is_closed(s):
    """True when the daemon closed s (EOF or reset), False while it is open."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def scenario():
    raise_fd_limit(N_IDLE + 256)
    # A long handshake timeout: only the limit may close the silent sockets.
    d = Daemon("--handshake-timeout", "120")
    host, port = d.info["host"], d.port
    idle = []
    for _ in range(N_IDLE):
        s = socket.create_connection((host, port), timeout=10)
        idle.append(s)
    # Every one of them was accepted and challenged, oldest first.
    for s in idle:
        s.settimeout(10)
        msg = recv_frame(s, 256)
        check(msg.startswith(b"#CHALLENGE#"), "a silent socket got %r, not a challenge" % msg[:60])

    t0 = time.monotonic()
    c = connect(d)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # measure the daemon, not Nagle
    check(modern_client_handshake(c, d.key), "the key holder's handshake failed")
    hello(c, app="keyholder")
    ms = (time.monotonic() - t0) * 1000
    print("key holder connected, authenticated and said HELLO in %.1f ms after %d silent "
          "connections" % (ms, N_IDLE))
    check(ms < 1000, "the key holder waited %.0f ms" % ms)
    send_frame(c, b'{"msg":"got in"}')
    read_until_ack(c, 1)

    closed = [i for i, s in enumerate(idle) if is_closed(s)]
    evicted = N_IDLE - MAX_HS + 1
    check(closed == list(range(evicted)),
          "closed silent sockets: %d (first %s, last %s); expected exactly the %d oldest" %
          (len(closed), closed[:3], closed[-3:], evicted))

    st = json.loads(run([CLI, "status", "--json"], env=d.env()).stdout)
    print("status: connections %s, handshakes_evicted %s" %
          (st["connections"], st.get("handshakes_evicted")))
    check(st["connections"]["total"] == N_IDLE + 2, "connections.total %r" % st["connections"])
    check(st["connections"]["refused_full"] == 0, "refused %r" % st["connections"])
    check(st.get("handshakes_evicted") == evicted, "handshakes_evicted %r, expected %d" %
          (st.get("handshakes_evicted"), evicted))
    # open now: the 1,023 silent ones still in the handshake, the key
    # holder, and the status connection itself (in the handshake count: no)
    check(st["connections"]["current"] == MAX_HS - 1 + 2, "current %r" % st["connections"])
    check(st["connections"].get("handshaking") == MAX_HS - 1,
          "handshaking %r" % st["connections"])
    c.close()
    for s in idle:
        s.close()
    d.stop()
    lines = d.lines()
    check([l["msg"] for l in lines] == ["got in"], "lines %r" % lines)
    check("--max-handshakes" in d.stderr(), "evictions not logged:\n" + d.stderr()[-2000:])


main(scenario)
