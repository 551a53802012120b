"""SIGTERM while frames wait unread (issue 11, hole 5).  Frames that reached
the daemon's socket but were not yet read when it stops (here: a client that
does not read its ERROR replies, so the daemon has paused reading it) are
read and written before the connection is closed.  Before, the close
discarded them: a stock client flooding through the drain deadline lost
3,201 records that the daemon's socket had accepted; here the N records
after the junk were all lost."""
import fcntl
import struct
import termios

from lctest import Daemon, authed, check, hello, main, wait_for

JUNK = 50000   # rejected records whose ERRORs the client never reads
N = 1000


def outq(s):
    """Bytes the client's kernel still holds (not yet acknowledged by the daemon's)."""
    return struct.unpack("i", fcntl.ioctl(s.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]


def frames(payloads):
    return b"".join(struct.pack("!i", len(p)) + p for p in payloads)


def scenario():
    d = Daemon()
    s = authed(d)
    hello(s, app="deaf")
    s.settimeout(20)
    s.sendall(frames([b'{"_r":1}'] * JUNK) + frames([b'{"n":%d}' % i for i in range(1, N + 1)]))
    # Every byte reached the daemon's socket, and the daemon, its replies
    # unread, has stopped reading: the N records wait in its receive queue.
    wait_for(lambda: outq(s) == 0, 20, "the daemon's kernel to take every byte")
    check(not [l for l in d.lines() if "n" in l],
          "setup: the daemon read the records before SIGTERM (it did not pause)")
    d.stop()
    lines = d.lines()
    ns = [l["n"] for l in lines]
    check(ns == list(range(1, N + 1)),
          "%d of %d records waiting in the socket written at SIGTERM" % (len(set(ns)), N))
    check([l["_seq"] for l in lines] == list(range(JUNK + 1, JUNK + N + 1)), "seqs wrong")
    print("%d of %d unread records written at SIGTERM" % (len(ns), N))


main(scenario)
