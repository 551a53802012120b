"""systemd integration without systemd: a fake NOTIFY_SOCKET receives
READY=1 (only after the port file is published), STATUS= with the port,
WATCHDOG=1 pings from the event loop at half of WATCHDOG_USEC, RELOADING=1
then READY=1 on SIGHUP, and STOPPING=1 on SIGTERM.  Without NOTIFY_SOCKET
the daemon runs as usual (every other scenario)."""
import os
import signal
import socket
import time

from lctest import Daemon, Failure, check, main


def scenario():
    d = Daemon(start=False)
    sock_path = os.path.join(d.dir, "notify.sock")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(sock_path)
    ns.settimeout(5)
    os.environ["NOTIFY_SOCKET"] = sock_path
    os.environ["WATCHDOG_USEC"] = "200000"
    try:
        d.start(wait=False)
    finally:
        del os.environ["NOTIFY_SOCKET"], os.environ["WATCHDOG_USEC"]
    msgs = []

    def recv_until(pred, what, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                m = ns.recv(4096).decode()
            except socket.timeout:
                break
            msgs.append(m)
            if pred(m):
                return m
        raise Failure("no %s; got %r" % (what, msgs[-10:]))

    ready = recv_until(lambda m: "READY=1" in m, "READY=1")
    check(os.path.exists(d.port_file), "READY=1 before the port file was published")
    check("STATUS=listening on 127.0.0.1 port %d" % d.port in ready, "STATUS missing: %r" % ready)
    t0 = time.monotonic()
    n = 0
    while n < 4:
        recv_until(lambda m: m == "WATCHDOG=1", "watchdog ping")
        n += 1
    took = time.monotonic() - t0
    check(took < 1.0, "4 watchdog pings took %.2fs with WATCHDOG_USEC=200000" % took)
    d.send_signal(signal.SIGHUP)
    recv_until(lambda m: m.startswith("RELOADING=1") and "MONOTONIC_USEC=" in m, "RELOADING=1")
    recv_until(lambda m: "READY=1" in m, "READY=1 after reload")
    d.send_signal(signal.SIGTERM)
    recv_until(lambda m: "STOPPING=1" in m, "STOPPING=1")
    d.stop()


main(scenario)
