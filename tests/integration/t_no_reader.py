"""A peer that never reads cannot make the daemon buffer without bound.
The peer says HELLO, then floods records the daemon must answer (rejected
ones, each answered with an ERROR frame) and never reads a byte.  The
daemon stops reading from it once its unsent replies pass a small bound, so
the peer's own sends block; the daemon's memory stays flat, and another
client is served meanwhile."""
import socket
import time

from lctest import SANITIZED, Daemon, authed, check, hello, main, read_until_ack, rss_kb, send_frame


def scenario():
    d = Daemon()
    s = authed(d)
    hello(s)
    s.setblocking(False)
    bad = b'{"_reserved":1}'
    frame = len(bad).to_bytes(4, "big") + bad
    batch = frame * 1000
    sent = 0
    rss0 = rss_kb(d.proc.pid)
    deadline = time.monotonic() + 20
    stalled_since = None
    while time.monotonic() < deadline:
        try:
            n = s.send(batch)
            sent += n
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 1.0:
                break
            time.sleep(0.01)
    check(stalled_since is not None, "the daemon kept reading from a peer that never reads "
          "(%d bytes sent)" % sent)
    rss1 = rss_kb(d.proc.pid)
    # Replies owed: one ERROR (~100 bytes) per record read.  Reading stops
    # after ~64 KiB of unsent replies plus socket buffers.
    check(SANITIZED or rss1 - rss0 < 32 * 1024, "daemon RSS grew by %d KiB" % (rss1 - rss0))
    check(sent < 64 << 20, "daemon accepted %d bytes from a non-reading peer" % sent)

    other = authed(d)
    hello(other)
    send_frame(other, b'{"msg":"still served"}')
    read_until_ack(other, 1)
    other.close()
    s.close()
    d.stop()
    check([l["msg"] for l in d.lines()] == ["still served"], "output wrong")


main(scenario)
