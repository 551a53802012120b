"""400 authenticated connections each send all but the last byte of a
1 MiB record and stop: the daemon must not buffer 400 MiB, and small
records from another client must still flow.  Partially
received frames share one budget (--max-partial-bytes, default 64 MiB);
past it the daemon stops reading from connections whose frame it has no
room for (TCP holds their bytes) instead of allocating.

Measured: the daemon's VmRSS with the 400 frames pending (printed; must
stay under the budget plus 40 MiB of slack in the plain build).  Then every
connection sends its last byte: all 400 records are written, exactly once
each, and acknowledged."""
# LCTEST: timeout=300
import json
import os
import select
import socket
import struct
import time

from lctest import (CLI, SANITIZED, Daemon, authed, check, driver, hello, main, parse_control,
                    recv_frame, rss_kb, run, wait_for)

N = 400
N_SMALL = 2000
SIZE = 1 << 20          # the default --max-record
BUDGET_MIB = 64


def record(i):
    head = b'{"i":%d,"pad":"' % i
    return head + b"x" * (SIZE - len(head) - 2) + b'"}'


def pump(socks, bufs, until_stalled):
    """Send bufs[i] on socks[i] without blocking.  until_stalled: stop when
    no socket has taken a byte for 0.5 s (the daemon stopped reading);
    else stop when everything is sent."""
    for s in socks:
        s.setblocking(False)
    last = time.monotonic()
    while any(bufs):
        pending = [s for s, b in zip(socks, bufs) if b]
        _, w, _ = select.select([], pending, [], 0.1)
        for s in w:
            i = socks.index(s)
            try:
                n = s.send(bufs[i])
            except BlockingIOError:
                continue
            bufs[i] = bufs[i][n:]
            last = time.monotonic()
        if until_stalled and time.monotonic() - last > 0.5:
            return
        check(time.monotonic() - last < 60, "the daemon stopped reading for 60 s")


def status(d):
    return json.loads(run([CLI, "status", "--json"], env=d.env()).stdout)


def scenario():
    d = Daemon("--max-clients", "1024")
    socks = []
    for i in range(N):
        s = authed(d)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no Nagle wait for HELLO
        hello(s, app="p%d" % i)
        socks.append(s)
    frames = [memoryview(struct.pack("!i", SIZE) + record(i)) for i in range(N)]
    bufs = [f[:-1] for f in frames]          # all but the last byte
    pump(socks, bufs, until_stalled=True)
    # the daemon has stopped taking bytes: what it holds no longer moves
    prev = [None]

    def settled():
        st = status(d)
        now = (st.get("partial_bytes"), st.get("partial_waiting"), rss_kb(d.proc.pid) // 1024)
        same = now == prev[0]
        prev[0] = now
        return same
    wait_for(settled, 30, "the daemon to stop reading")
    rss = rss_kb(d.proc.pid)
    st = status(d)
    print("%d connections x 1 MiB frame minus one byte: daemon VmRSS %d KiB (%.1f MiB); "
          "partial_bytes %.1f MiB, %d connections waiting for room" %
          (N, rss, rss / 1024, st.get("partial_bytes", 0) / 2**20, st.get("partial_waiting", 0)))
    check(SANITIZED or rss < (BUDGET_MIB + 40) * 1024, "VmRSS %d KiB over the budget" % rss)
    check(st["records"]["accepted"] == 0, "records accepted already: %r" % st["records"])
    check(st["partial_waiting"] > 0, "no connection waits for room: %r" % st)

    # meanwhile small records still flow
    t0 = time.monotonic()
    cp = run([driver("lc_stream"), "--count", str(N_SMALL), "--flush", "--app", "small"],
             env=d.env(), timeout=60)
    check(cp.stdout.split() == ["sent", str(N_SMALL), "acked"], "small records: %r" % cp.stdout)
    print("%d small records sent and acknowledged in %.0f ms while the budget is used up" %
          (N_SMALL, (time.monotonic() - t0) * 1000))

    # now the frames complete (and whatever TCP held back is sent)
    bufs = [f[len(f) - 1 - len(b):] if b else f[-1:] for f, b in zip(frames, bufs)]
    pump(socks, bufs, until_stalled=False)
    for i, s in enumerate(socks):
        s.setblocking(True)
        s.settimeout(60)
        t, f = parse_control(recv_frame(s))
        check(t == 3 and f["seq"] == 1, "connection %d: %r" % (i, (t, f)))
        s.close()
    d.stop()
    seen = []
    small = []
    with open(d.output, "rb") as f:
        for line in f:
            o = json.loads(line)
            if o["_app"] == "small":
                small.append(o["_seq"])
                continue
            check(len(o["pad"]) == SIZE - len(b'{"i":%d,"pad":"' % o["i"]) - 2, "line %d cut" % o["i"])
            check(o["_app"] == "p%d" % o["i"] and o["_seq"] == 1, "line %r" % o["i"])
            seen.append(o["i"])
    check(sorted(seen) == list(range(N)), "%d lines, %d distinct, expected %d once each" %
          (len(seen), len(set(seen)), N))
    check(small == list(range(1, N_SMALL + 1)), "small records: %d lines, not 1..%d once each" %
          (len(small), N_SMALL))


main(scenario)
