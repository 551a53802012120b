"""Out of file descriptors (a hard RLIMIT_NOFILE of 64, far below what
--max-clients and --max-handshakes need): accept() fails with EMFILE.

While connections sit in the handshake, the daemon closes the oldest one to
make room, so 100 silent connections cannot keep a key holder out: it gets
in within 1 s.  With every descriptor held by authenticated clients there is
nothing to close: the listener pauses (100 ms at a time) instead of
spinning, and the daemon uses almost no CPU until a client leaves; then the
waiting connection is served."""
import os
import socket
import time

from lctest import Daemon, authed, check, hello, main, modern_client_handshake, recv_frame

N_IDLE = 100


def cpu_ticks(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])   # utime + stime


def scenario():
    d = Daemon("--handshake-timeout", "60", wrapper=["prlimit", "--nofile=64:64"])
    check("file descriptors allowed" in d.stderr(), "no warning about the fd limit:\n" + d.stderr())
    host, port = d.info["host"], d.port
    idle = [socket.create_connection((host, port), timeout=10) for _ in range(N_IDLE)]
    for s in idle:
        s.settimeout(10)
        check(recv_frame(s, 256).startswith(b"#CHALLENGE#"), "no challenge")
    t0 = time.monotonic()
    c = authed(d)
    hello(c)
    ms = (time.monotonic() - t0) * 1000
    print("key holder got in after %d silent connections with 64 descriptors: %.1f ms" % (N_IDLE, ms))
    check(ms < 1000, "the key holder waited %.0f ms" % ms)
    check("out of file descriptors" in d.stderr(), "evictions not logged:\n" + d.stderr()[-2000:])
    for s in idle:
        s.close()

    # every descriptor held by key holders: nothing to close
    clients = [c]
    while True:
        s = socket.create_connection((host, port), timeout=10)
        s.settimeout(0.5)
        try:
            check(modern_client_handshake(s, d.key), "handshake failed")
        except socket.timeout:
            waiting = s
            break
        clients.append(s)
        check(len(clients) < 64, "more than 64 connections with 64 descriptors")
    print("%d authenticated connections fill the descriptors" % len(clients))
    ticks0, t0 = cpu_ticks(d.proc.pid), time.monotonic()
    time.sleep(1.0)   # measuring CPU use over a second: the sleep is the measurement
    used = (cpu_ticks(d.proc.pid) - ticks0) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
    print("daemon CPU use while accept() fails: %.0f%%" % (used * 100))
    check(used < 0.3, "the daemon spins on EMFILE: %.0f%% CPU" % (used * 100))
    clients.pop().close()
    waiting.settimeout(5)
    t0 = time.monotonic()
    check(recv_frame(waiting, 256).startswith(b"#CHALLENGE#"), "the waiting connection was not served")
    print("the waiting connection got its challenge %.0f ms after a client left" %
          ((time.monotonic() - t0) * 1000))
    check(d.proc.poll() is None, "daemon died")
    for s in clients:
        s.close()
    waiting.close()
    d.stop()


main(scenario)
