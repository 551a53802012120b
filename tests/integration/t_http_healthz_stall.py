"""A stalled event loop, as a health checker sees it.  The stall is real:
the output is a FIFO nobody reads, so the daemon's write(2) blocks once
the pipe holds 64 KiB (as a write to a hung NFS mount would).  A request
sent during the stall gets no answer (a checker's timeout is the signal);
once the FIFO is read again, the request that waited on a kept-alive
connection is answered 503 "event loop stalled", and the next one 200."""
import http.client
import json
import os
import socket
import subprocess
import threading
import time

from lctest import Daemon, check, driver, main, spawn, tmpdir, wait_for

STALL_S = 3


def get(c):
    c.request("GET", "/healthz")
    r = c.getresponse()
    return r.status, json.loads(r.read())


def drain(path, stop):
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    while not stop.is_set():
        try:
            if not os.read(fd, 1 << 16):
                time.sleep(0.01)
        except BlockingIOError:
            time.sleep(0.01)
    os.close(fd)


def scenario():
    t = tmpdir()
    os.mkfifo(os.path.join(t, "fifo"))
    d = Daemon("--http", "127.0.0.1:0", "--fsync", "never", dir=t, output="fifo")
    hp = d.info["http_port"]
    c = http.client.HTTPConnection("127.0.0.1", hp, timeout=30)
    check(get(c)[0] == 200, "healthy before the stall")
    spawn([driver("lc_stream"), "--count", "5000"], env=d.env(), stdout=subprocess.DEVNULL)
    wait_for(lambda: "pipe_write" in open("/proc/%d/wchan" % d.proc.pid).read(), 20,
             "the daemon to block writing the FIFO")
    probe = http.client.HTTPConnection("127.0.0.1", hp, timeout=1)
    try:
        probe.request("GET", "/healthz")
        probe.getresponse()
        raise AssertionError("a stalled loop answered")
    except socket.timeout:
        pass  # what a checker sees: no answer
    c.request("GET", "/healthz")
    time.sleep(STALL_S)  # the stall's length is the scenario, not a wait
    stop = threading.Event()
    reader = threading.Thread(target=drain, args=(os.path.join(t, "fifo"), stop))
    reader.start()
    try:
        r = c.getresponse()
        body = json.loads(r.read())
        check(r.status == 503 and body["reason"] == "event loop stalled" and
              body["stalled_ms"] >= (STALL_S - 1) * 1000, "after the stall: %d %r" % (r.status, body))
        wait_for(lambda: get(c)[0] == 200, 5, "200 once the loop runs")
    finally:
        stop.set()
        reader.join()
    c.close()
    d.proc.kill()


main(scenario)
