"""The sender thread: connect, send, read acknowledgements, reconnect.

This module exists to keep all the network work of a Client in its one
background thread (the design of liblogcollect's sender.c):

    loop:
      connect (port file read afresh, TLS if it says so, handshake both
        ways, HELLO with the session secret and the number of the first
        record not yet acknowledged, WELCOME)
      session (Link): send the queue in chunks, read ACK / ERROR frames,
        free acknowledged records, until the connection ends (lost, the
        collector stopping: ERROR 102 then close, or Client.close)
      wait (exponential back-off with jitter, 50 ms .. 5 s), then again

After a reconnect every record not yet acknowledged is sent again with its
number; the collector skips those it already has.  Every wait watches the
client's wake-up pipe, so close() and flush() are answered at once.
"""

import collections
import random
import select
import socket
import time

from . import conn as C
from . import protocol as P
from .errors import ClosedError, LogcollectError, ProtocolError

BACKOFF_MIN = 0.050
BACKOFF_MAX = 5.0
HEALTHY_AFTER = 1.0      # a connection that lasted this long resets the back-off
INFLIGHT_POLL = 0.002    # while records await an ACK, look at the queue this often
PACE = 0.010             # unless someone waits, send (and read ACKs) at most this often
                         # (or when client.WAKE_COUNT records wait: a log call wakes it)
DRAIN_MAX = 10.0         # after ERROR 102, wait at most this for the close
CLOSE_LINGER = 0.5       # at close, read the last ACKs for at most this
CHUNK_BYTES = 256 << 10  # records are sent and released in chunks of about this


class _Chunk(object):
    """Records taken from the queue for sending: their frames joined."""

    __slots__ = ("first", "last", "data")

    def __init__(self, first, last, data):
        self.first = first
        self.last = last
        self.data = data


def backoff_wait(c):
    """Wait before the next attempt: nominal 50 ms doubling to 5 s, drawn
    between half and all of it.  True when told to stop."""
    lvl = min(c._backoff, 16)
    nominal = min(BACKOFF_MIN * (1 << lvl), BACKOFF_MAX)
    if c._backoff < 16:
        c._backoff += 1
    delay = nominal / 2 + random.random() * nominal / 2
    deadline = time.monotonic() + delay
    p = select.poll()
    p.register(c._wake_r, select.POLLIN)
    while True:
        with c._lock:
            if c._stop:
                return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if p.poll(left * 1000.0):
            c._drain_wake()


def reread_key(c):
    """After the collector refused our key (or revoked it: ERROR 103), read
    the key file again: a key rotated there needs no restart of the
    program.  A file that does not load now keeps the key we have."""
    try:
        key = P.read_key(c._key_file)
    except LogcollectError:
        return
    with c._lock:
        c._key = key


def sender_main(c, first):
    """The thread's body, for client c; first: a connection made by
    Client(fail_fast=True), or None."""
    have = first
    while True:
        if have is None:
            with c._lock:
                if c._stop:
                    break
                target = c._target()
            try:
                have = C.connect(target, c._wake_r)
            except C.Woken:
                c._drain_wake()
                continue
            except LogcollectError as e:
                with c._lock:
                    c._note_failure(e)
                if e.code == "LC_EFULL" and c._backoff < 4:
                    c._backoff = 4  # too many clients: start at 800 ms
                if e.code == "LC_EAUTH":
                    reread_key(c)
                if backoff_wait(c):
                    break
                continue
            except Exception as e:  # never let the thread die
                with c._lock:
                    c._note_failure(ProtocolError("connecting failed: %r" % e))
                if backoff_wait(c):
                    break
                continue
        since = time.monotonic()
        link = Link(c, have)
        have = None
        how = link.run()
        if how == "stop":
            break
        if how == "drained" or link.healthy or time.monotonic() - since >= HEALTHY_AFTER:
            c._backoff = 0
        if link.err is not None and link.err.code == "LC_EAUTH":
            reread_key(c)
        if backoff_wait(c):
            break


class Link(object):
    """One connection's session: send chunks, read ACK / ERROR frames, until
    the connection ends ("lost", "drained" after ERROR 102, or "stop")."""

    def __init__(self, client, conn):
        self.c = client
        self.conn = conn
        self.ack = 0
        self.draining = False
        self.healthy = False
        self.err = None
        self.top = 0            # last record of the chunks started on this link

    def lost(self, err):
        self.err = err
        return "lost"

    def run(self):
        c = self.c
        cn = self.conn
        if cn.written > c._started:  # (_started: written by this thread only)
            cn.close()
            self.err = ProtocolError(
                "logcollectord at %s says records up to %d of session %s are written, but "
                "only %d were sent (is another client using this session?)"
                % (cn.peer, cn.written, c._sid, c._started))
            with c._lock:
                c._note_failure(self.err)
            return "lost"
        with c._lock:
            c._conn = cn
            c._connected = True
            c._connects += 1
            c._max_record = cn.max_record
            c._peer = cn.peer
            head = c._chunks[0].first if c._chunks else c._taken + 1
            if c._sent >= head:
                c._resent += c._sent - head + 1
            # Everything held goes again, from the head, with its numbers.
            sendq = collections.deque(c._chunks)
            self.ack = cn.written
            self._apply()
        try:
            how = self._loop(sendq)
        except Exception as e:  # never let the thread die
            how = self.lost(ProtocolError("the connection to %s failed: %r" % (cn.peer, e)))
        self._teardown(how)
        return how

    def _apply(self):
        """Bring the ACKs read into the shared state (lock held)."""
        c = self.c
        if self.ack > c._acked:
            c._acked = self.ack
            self.healthy = True
            chunks = c._chunks
            freed = False
            while chunks and chunks[0].last <= c._acked:
                ch = chunks.popleft()
                c._qbytes -= len(ch.data)
                c._held_bytes -= len(ch.data)
                c._released = ch.last
                freed = True
            if freed and c._space_waiters:
                c._space_cv.notify_all()
            if c._ack_waiters:
                c._ack_cv.notify_all()

    def _take(self):
        """Move the pending frames into chunks (lock held for the swap only)."""
        c = self.c
        with c._lock:
            frames = c._pending
            if not frames:
                return []
            c._pending = []
            first = c._taken + 1
            c._taken += len(frames)
            c._pending_bytes = 0
        size = sum(map(len, frames))
        # Chunks of about CHUNK_BYTES, split by count (no loop over records).
        n = len(frames)
        k = max(1, min(n, size // CHUNK_BYTES))
        step = -(-n // k)
        out = [_Chunk(first + i, first + min(i + step, n) - 1, b"".join(frames[i:i + step]))
               for i in range(0, n, step)]
        with c._lock:
            c._chunks.extend(out)
            c._held_bytes += size
            # Re-synchronise the total (exact but for what log calls are
            # adding right now).
            c._qbytes = c._held_bytes + c._pending_bytes
        return out

    def _read(self):
        """Handle what has arrived.  None, or how the link ended."""
        cn = self.conn
        while True:
            buf = cn.rbuf
            off = 0
            while True:
                try:
                    r = P.next_frame(buf, off, P.RECV_MAX)
                except ProtocolError:
                    return self.lost(ProtocolError(
                        "logcollectord at %s sent a malformed or oversized frame (client "
                        "and daemon versions may differ)" % cn.peer))
                if r is None:
                    break
                msg, off = r
                how = self._handle(msg)
                if how:
                    return how
            if off:
                del buf[:off]
            try:
                n = cn.recv_some()
            except OSError as e:
                if self.draining:
                    return "drained"
                return self.lost(ClosedError("lost the connection to logcollectord at %s: %s"
                                             % (cn.peer, e.strerror or e)))
            if n is None:
                return None
            if n == 0:
                if self.draining:
                    return "drained"
                return self.lost(ClosedError(
                    "logcollectord at %s closed the connection (did it stop or restart?)"
                    % cn.peer))

    def _handle(self, msg):
        cn = self.conn
        c = self.c
        if not msg:
            return self.lost(ProtocolError("logcollectord at %s sent an empty message"
                                           % cn.peer))
        t = msg[0]
        if t == P.MSG_ACK:
            try:
                seq = P.decode_ack(msg)
            except ProtocolError:
                return self.lost(ProtocolError("logcollectord at %s sent a malformed ACK"
                                               % cn.peer))
            top = c._started
            if seq > top:
                return self.lost(ProtocolError(
                    "logcollectord at %s acknowledged record %d, but only %d were sent"
                    % (cn.peer, seq, top)))
            if seq > self.ack:
                self.ack = seq
            return None
        if t == P.MSG_ERROR:
            try:
                seq, code, text = P.decode_error(msg)
            except ProtocolError:
                return self.lost(ProtocolError("logcollectord at %s sent a malformed ERROR"
                                               % cn.peer))
            if code == P.ERR_SHUTDOWN:
                self.draining = True
                return None
            if code >= 100:
                return self.lost(C.conn_error(code, text, cn.peer))
            with c._lock:
                c._rejected += 1
                if c._rej_count == 0:
                    c._rej_first = (seq, code, text)
                c._rej_count += 1
            return None
        return None  # WELCOME, STATUS (not asked for), or a later version's type

    def _loop(self, sendq):
        c = self.c
        cn = self.conn
        p = select.poll()          # the socket and the wake-up pipe
        pw = select.poll()         # the wake-up pipe only (pacing)
        fd = cn.fileno()
        p.register(c._wake_r, select.POLLIN)
        pw.register(c._wake_r, select.POLLIN)
        view = None             # what is left of the chunk being sent
        cur = None
        want_out = False
        drain_deadline = None
        while True:
            how = self._read()
            if self.draining and drain_deadline is None:
                drain_deadline = time.monotonic() + DRAIN_MAX
            with c._lock:
                self._apply()
                if how:
                    return how
                if c._stop:
                    return "stop"
            if view is None and not self.draining and not sendq:
                sendq.extend(self._take())
            if view is None and sendq and not self.draining:
                cur = sendq.popleft()
                view = memoryview(cur.data)
                if cur.last > self.top:
                    self.top = cur.last
                if cur.last > c._started:
                    c._started = cur.last
            if view is not None and not want_out and not self.draining:
                try:
                    n = cn.send_some(view)
                except OSError as e:
                    # Read once more: the collector's last words (ERROR 102,
                    # the final ACK) may be waiting.
                    how = self._read()
                    with c._lock:
                        self._apply()
                    return how or self.lost(ClosedError(
                        "lost the connection to logcollectord at %s: %s"
                        % (cn.peer, e.strerror or e)))
                if n is None:
                    want_out = True
                else:
                    view = view[n:]
                    if not view:
                        view = None
                        with c._lock:
                            if cur.last > c._sent:
                                c._sent = cur.last
                        cur = None
                    continue
            if cn.pending():
                continue
            with c._lock:
                inflight = self.top > c._acked
                idle = view is None and not sendq and not c._pending and not inflight \
                    and not self.draining
                c._idle = idle
                # Someone waits for ACKs or room, or the queue is half full:
                # answer ACKs at once.  Otherwise pace: let records and ACKs
                # gather (PACE, or WAKE_COUNT records), so that one pass of
                # this loop (tens of microseconds of Python) serves hundreds
                # of records.
                urgent = c._ack_waiters or c._space_waiters or c._stop or \
                    c._qbytes * 2 > c._limit
                big = c._pending_bytes >= CHUNK_BYTES
            timeout = None
            pace = False
            if idle or want_out:
                pass
            elif self.draining:
                timeout = drain_deadline - time.monotonic()
                if timeout <= 0:
                    return self.lost(ClosedError(
                        "logcollectord at %s said it is stopping but did not close the "
                        "connection within %d s" % (cn.peer, DRAIN_MAX)))
            elif big:
                continue
            elif urgent:
                timeout = INFLIGHT_POLL
            else:
                pace = True
            if pace:
                ready = pw.poll(PACE * 1000.0)
            else:
                p.register(fd, cn.rd_events | (cn.wr_events if want_out else 0))
                ready = p.poll(None if timeout is None else timeout * 1000.0)
            for f, revents in ready:
                if f == c._wake_r:
                    self._drain_wake()
                elif revents & (select.POLLOUT | select.POLLERR | select.POLLHUP) or \
                        (want_out and revents & cn.wr_events):
                    want_out = False

    def _drain_wake(self):
        self.c._drain_wake()

    def _teardown(self, how):
        c = self.c
        cn = self.conn
        if how == "stop":
            self._linger()
        with c._lock:
            c._conn = None
        cn.close()
        with c._lock:
            self._apply()
            c._connected = False
            c._idle = False
            if how == "lost":
                c._note_failure(self.err or ClosedError("the connection to %s was lost"
                                                        % cn.peer))
            elif how == "drained":
                c._last_error = ClosedError(
                    "logcollectord at %s stopped (it said so, then closed the connection); "
                    "waiting for it to come back" % cn.peer)

    def _linger(self):
        """Closing: let the collector read everything and close its side
        (closing with unread ACKs would make the kernel reset the
        connection); pick up the last ACKs meanwhile."""
        cn = self.conn
        try:
            if cn.is_tls:
                cn.close_notify()
                return
            cn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            return
        deadline = time.monotonic() + CLOSE_LINGER
        p = select.poll()
        p.register(cn.fileno(), select.POLLIN)
        while True:
            if self._read() is not None:
                return
            left = deadline - time.monotonic()
            if left <= 0 or not p.poll(left * 1000.0):
                return
