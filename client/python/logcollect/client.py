"""Client: queue records in the calling thread, send them from a background one.

This module exists to give Python the guarantees liblogcollect gives C
programs (docs/client.md), with the same design:

* A log call formats its record (one JSON object), takes the client's lock
  just long enough to append the frame to the queue, and returns.  It wakes
  the sender thread only when that thread is idle; it never waits on the
  network (only ``full="block"`` waits, for room in the queue).
* The queue holds every record until the collector acknowledges it (the
  collector acknowledges a record only once it has written it).  Its size is
  bounded in bytes; a record that does not fit is dropped and counted
  (``full="drop"``), and a report record tells the collector how many were
  dropped before the next record that is queued.
* One sender thread per client connects (reading the port file afresh each
  time), authenticates both ways, says HELLO with the session's secret and
  the number of the first record it still holds, sends the queue in large
  batches, applies ACKs, and reconnects with jittered exponential back-off
  (50 ms doubling to 5 s) after any failure.  Records not yet acknowledged
  are sent again with their original numbers, so the collector's
  de-duplication gives exactly-once delivery while it runs, and
  (_sid, _seq) lets a reader drop repeats after a collector crash.
* fork: os.register_at_fork handlers take every client's lock before a fork
  and release it in both processes; the child drops its copy of the
  parent's socket, thread and queue, and starts a new session (new secret,
  new lock, new thread) the first time it logs.  spawn and forkserver
  children simply make their own client from the environment.
* Exit: an atexit hook (and a multiprocessing finalizer, for fork-started
  workers, which leave with os._exit) flushes every client within its close
  timeout.
"""

import atexit
import collections
import os
import secrets
import socket
import sys
import threading
import time

from . import conn as C
from . import protocol as P
from . import sender as S
from .errors import (AuthError, ClosedError, LogcollectError, ProtocolError, RejectedError,
                     TLSError, TooBigError)
from .record import _LEVELS, _esc, _resolve_level, check_json, encode_record, json_value, \
    timestamp
from .tls import TLSSettings

DEFAULT_PORT_FILE = "/run/logcollectord/port"
DEFAULT_KEY_FILE = "/etc/logcollectord/key"
DEFAULT_QUEUE_BYTES = 8 << 20
MIN_QUEUE_BYTES = 4096
NOTICE_MAX = 160
WAKE_COUNT = 512         # a log call wakes the (pacing) sender when this many wait

_pack_header = P.HEADER.pack


# ---- the registry of clients, for fork and exit ------------------------------------

_registry_lock = threading.Lock()
_clients = []          # open clients
_exiting = False       # the exit hook has run


def _before_fork():
    _registry_lock.acquire()
    for c in _clients:
        c._lock.acquire()
    C.TLSGuard.lock.acquire()


def _after_fork_parent():
    C.TLSGuard.lock.release()
    for c in _clients:
        c._lock.release()
    _registry_lock.release()


def _after_fork_child():
    global _registry_lock
    C.TLSGuard.lock = threading.Lock()
    for c in _clients:
        c._reset_in_child()
    _registry_lock = threading.Lock()
    if _clients and not _mp_hooked and "multiprocessing.util" in sys.modules:
        _hook_multiprocessing()  # a multiprocessing child: see _hook_multiprocessing


def _exit_hook():
    """Flush every client (each within its close timeout, counted from the
    start), then stop their threads.  Records logged afterwards are refused
    (ClosedError)."""
    global _exiting
    with _registry_lock:
        clients = list(_clients)
        _exiting = True
    start = time.monotonic()
    for c in clients:
        left = c._close_timeout - (time.monotonic() - start)
        try:
            c.flush(max(left, 0.0))
        except LogcollectError:
            pass
    for c in clients:
        c._stop_thread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_parent,
                        after_in_child=_after_fork_child)
atexit.register(_exit_hook)

_mp_hooked = False
_mp_token = None


class _Token(object):
    pass


def _mp_exit(*args):
    _exit_hook()


def _hook_multiprocessing():
    """Processes started by multiprocessing with fork leave with os._exit,
    which skips atexit: have multiprocessing's own exit function flush us.
    (It clears inherited finalizers in each new process: register again
    there, through register_after_fork.)"""
    global _mp_hooked, _mp_token
    try:
        from multiprocessing import util
    except ImportError:
        return
    _mp_hooked = True
    _mp_token = _Token()
    util.Finalize(_mp_token, _mp_exit, exitpriority=-1000)
    util.register_after_fork(_mp_token, _mp_rehook)


def _mp_rehook(token):
    from multiprocessing import util
    util.Finalize(token, _mp_exit, exitpriority=-1000)


# ---- the client ------------------------------------------------------------------------

def _program_name():
    """The script's base name; for "python -m pkg", the package's name."""
    path = sys.argv[0] if sys.argv and isinstance(sys.argv[0], str) else ""
    name = os.path.basename(path)
    if name == "__main__.py":
        name = os.path.basename(os.path.dirname(path)) or name
    if not name or name in ("-c", "-m", "-"):
        name = "python"
    return name


def _utf8_prefix(s, limit):
    b = s.encode("utf-8", "replace")[:limit]
    return b.decode("utf-8", "ignore")


class Client(object):
    """A connection to logcollectord that survives its restarts.

    ``log()`` and ``send_json()`` queue a record and return at once; a
    background thread sends it and frees it once the collector has written
    it.  See client/python/README.md for every argument.
    """

    def __init__(self, port_file=None, key_file=None, app=None,
                 queue_bytes=DEFAULT_QUEUE_BYTES, full="drop", block_timeout=None,
                 close_timeout=2.0, connect_timeout=5.0, fail_fast=False,
                 tls_ca=None, tls_fingerprint=None, tls_cert=None, tls_key=None):
        if port_file == "" or key_file == "":
            raise ValueError("the port file or key file path is empty (None means the "
                             "default)")
        self._port_file = port_file or os.environ.get("LOGCOLLECT_PORT_FILE") or \
            DEFAULT_PORT_FILE
        self._key_file = key_file or os.environ.get("LOGCOLLECT_KEY_FILE") or \
            DEFAULT_KEY_FILE
        if app is None:
            app = os.environ.get("LOGCOLLECT_APP") or _utf8_prefix(_program_name(),
                                                                    P.NAME_MAX)
        if not isinstance(app, str) or not 1 <= len(app.encode("utf-8", "replace")) \
                <= P.NAME_MAX:
            raise ValueError("app name must be 1 to %d bytes of UTF-8, not %r"
                             % (P.NAME_MAX, app))
        try:
            app.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("app name is not valid UTF-8") from None
        if not isinstance(queue_bytes, int) or queue_bytes < MIN_QUEUE_BYTES:
            raise ValueError("queue_bytes %r is too small (at least %d)"
                             % (queue_bytes, MIN_QUEUE_BYTES))
        if full not in ("drop", "block"):
            raise ValueError('full must be "drop" or "block", not %r' % (full,))
        if block_timeout is not None and block_timeout < 0:
            block_timeout = None
        if close_timeout is None or close_timeout < 0:
            raise ValueError("close_timeout must be >= 0 (close must not wait forever)")
        if connect_timeout is None or connect_timeout <= 0:
            raise ValueError("connect_timeout must be > 0")
        self._app = app
        self._limit = queue_bytes
        self._block = full == "block"
        self._block_timeout = block_timeout
        self._close_timeout = float(close_timeout)
        self._connect_timeout = float(connect_timeout)
        self._host = _utf8_prefix(socket.gethostname(), P.NAME_MAX)
        self._key = P.read_key(self._key_file)
        self._tls = TLSSettings(tls_ca, tls_fingerprint, tls_cert, tls_key)
        self._closed = False
        self._thread = None
        self._init_state()
        self._pid = os.getpid()

        first = None
        if fail_fast:
            first = C.connect(self._target(), None)
        with _registry_lock:
            if _exiting:
                if first is not None:
                    first.close()
                raise ClosedError("Client: the process is exiting")
            _clients.append(self)
            if not _mp_hooked and "multiprocessing" in sys.modules:
                _hook_multiprocessing()
        with self._lock:
            self._start_thread(first)

    # -- state ---------------------------------------------------------------------

    def _init_state(self):
        """Everything a session owns; made afresh in a fork child."""
        # Re-entrant: a signal handler that logs runs in the main thread,
        # maybe while that thread is inside _enqueue; with a plain Lock it
        # would wait for itself forever.  (_enqueue's updates stay
        # consistent when one nests inside another.)
        self._lock = threading.RLock()
        self._space_cv = threading.Condition(self._lock)
        self._ack_cv = threading.Condition(self._lock)
        self._secret = secrets.token_hex(16)
        self._sid = P.derive_sid(self._secret)
        self._pending = []       # frames not yet taken by the sender
        self._pending_bytes = 0  # frame bytes in _pending (the sender re-counts)
        self._held_bytes = 0     # frame bytes in _chunks (the sender's count, exact)
        self._chunks = collections.deque()  # taken, not yet acknowledged
        self._qbytes = 0         # frame bytes held (pending + chunks)
        self._released = 0       # records up to this one are freed
        # Record numbers are positions: the records in _pending are numbered
        # from _taken + 1, in order.  Appending to _pending is the one step
        # that queues a record, so a log call interrupted anywhere (a signal
        # handler that logs, KeyboardInterrupt) never breaks the numbering.
        self._taken = 0          # last record moved from _pending into a chunk
        self._head_seq = 1       # first record held
        self._acked = 0
        self._sent = 0           # last record of the chunks sent whole
        self._started = 0        # last record of the chunks whose sending began
        self._max_record = 0
        self._pending_dropped = 0
        self._dropped = self._notices = self._resent = 0
        self._rejected = self._connects = self._connect_failures = 0
        self._rej_count = 0
        self._rej_first = None
        self._connected = False
        self._peer = ""
        self._last_error = None
        self._idle = False
        self._stop = False
        self._running = False
        self._space_waiters = 0
        self._ack_waiters = 0
        self._wake_r = self._wake_w = -1
        self._conn = None
        self._backoff = 0

    def _reset_in_child(self):
        """In a fork child: the parent's thread, socket, pipe and queue are
        not ours.  Drop them without a word to anyone; the session restarts
        (new secret) on first use."""
        c = self._conn
        if c is not None:
            c.close()  # (a TLS session is freed, never used)
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._init_state()
        self._thread = None
        self._pid = os.getpid()

    def _target(self):
        seq = self._chunks[0].first if self._chunks else self._taken + 1
        return C.Target(port_file=self._port_file, key_file=self._key_file, key=self._key,
                        secret=self._secret, sid=self._sid, seq=seq, app=self._app,
                        pid=self._pid, host=self._host, tls=self._tls,
                        timeout=self._connect_timeout)

    # -- the sender thread's lifetime ---------------------------------------------------------

    def _start_thread(self, first=None):
        """Called with the lock held."""
        if self._wake_r < 0:
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
        self._stop = False
        self._pid = os.getpid()
        t = threading.Thread(target=S.sender_main, args=(self, first),
                             name="logcollect-sender", daemon=True)
        t.start()
        self._thread = t
        self._running = True

    def _wake(self):
        try:
            os.write(self._wake_w, b"\0")
        except OSError:
            pass  # full (a wake-up is pending anyway) or closed

    def _drain_wake(self):
        try:
            while os.read(self._wake_r, 512):
                pass
        except OSError:
            pass

    def _stop_thread(self):
        with self._lock:
            self._stop = True
            running = self._running
            t = self._thread
        if running and t is not None:
            self._wake()
            if t is not threading.current_thread():
                t.join()
            with self._lock:
                self._running = False

    # -- public API ----------------------------------------------------------------------

    @property
    def sid(self):
        """This session's public id (`_sid` in the output)."""
        return self._sid

    @property
    def last_error(self):
        """The last failed connection attempt or lost connection, as an
        exception, or None."""
        return self._last_error

    def log(self, level, msg, **fields):
        """Queue {"ts":..,"level":..,"msg":..,<fields>}.  True when queued,
        False when dropped because the queue was full."""
        lname = _LEVELS.get(level)
        if lname is None:
            lname = _resolve_level(level)
        if msg.__class__ is not str:
            msg = str(msg)
        ts = timestamp(time.time())
        if fields:
            for k in fields:
                if k[:1] == "_" or k in ("ts", "level", "msg") or not k:
                    raise ValueError(
                        "log: field name %r is reserved (names starting with '_' are the "
                        "collector's; ts, level and msg are set by the library; rename "
                        "the field)" % k[:64])
        # The fast path builds the JSON text directly (the names need no
        # escaping); anything unusual is redone through encode_record.
        try:
            s = '{"ts":"%s","level":"%s","msg":%s' % (ts, lname, _esc(msg))
            if fields:
                s += "".join(["," + _esc(k) + ":" + json_value(v)
                              for k, v in fields.items()])
            s += "}"
            if "\\u0000" in s:
                raise ValueError
            data = s.encode("utf-8")
        except (ValueError, TypeError, RecursionError):
            d = {"ts": ts, "level": lname, "msg": msg}
            d.update(fields)
            data = encode_record(d)
        return self._enqueue(data, "log")

    def send_json(self, record):
        """Queue a whole record given as JSON text (str or bytes): one object
        whose top-level names do not start with '_' (checked here, with
        json.loads: ValueError).  True when queued, False when dropped."""
        return self._enqueue(check_json(record), "send_json")

    def _enqueue(self, data, fn):
        n = len(data)
        need = n + 4
        if need + 4 + NOTICE_MAX > self._limit:
            raise TooBigError("%s: the record is %d bytes, more than the queue holds (%d "
                              "bytes; see queue_bytes)" % (fn, n, self._limit))
        frame = _pack_header(n) + data
        wake = False
        with self._lock:
            if self._max_record and n > self._max_record:
                raise TooBigError("%s: the record is %d bytes, logcollectord accepts at "
                                  "most %d (its --max-record)" % (fn, n, self._max_record))
            if not self._running:
                if self._closed or self._stop:
                    raise ClosedError("%s: the client is closed%s" % (
                        fn, "" if self._closed else " (the process is exiting)"))
                self._start_thread()  # first use in a fork child
            room = need + (4 + NOTICE_MAX if self._pending_dropped else 0)
            if self._qbytes + room > self._limit:
                if self._block and not self._wait_room(need):
                    return False
                if not self._block:
                    self._dropped += 1
                    self._pending_dropped += 1
                    return False
            if self._pending_dropped:
                self._queue_notice()
            self._pending.append(frame)  # queued (see _init_state)
            self._pending_bytes += need
            self._qbytes += need
            if self._idle or len(self._pending) == WAKE_COUNT:
                self._idle = False
                wake = True
        if wake:
            self._wake()
        return True

    def _wait_room(self, need):
        """full="block": wait for room (lock held).  False: dropped."""
        deadline = None if self._block_timeout is None else \
            time.monotonic() + self._block_timeout
        while True:
            room = need + (4 + NOTICE_MAX if self._pending_dropped else 0)
            if self._qbytes + room <= self._limit:
                return True
            if self._closed or self._stop:
                raise ClosedError("log: the client was closed while waiting for room")
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                self._dropped += 1
                self._pending_dropped += 1
                return False
            self._space_waiters += 1
            if self._space_waiters == 1:
                self._wake()
            try:
                self._space_cv.wait(left)
            finally:
                self._space_waiters -= 1

    def _queue_notice(self):
        """Queue the dropped-records report if there is room (lock held)."""
        n = self._pending_dropped
        rec = ('{"ts":"%s","level":"warning","msg":"logcollect client dropped %d records",'
               '"dropped":%d}' % (timestamp(time.time()), n, n)).encode("ascii")
        need = len(rec) + 4
        if self._qbytes + need > self._limit:
            return
        self._pending.append(_pack_header(len(rec)) + rec)
        self._pending_bytes += need
        self._qbytes += need
        self._notices += 1
        self._pending_dropped = 0

    def _announce_drops(self):
        """Queue the report now if records were dropped and there is room.
        Returns the number of the last record queued.  Lock held."""
        if self._pending_dropped and self._running:
            self._queue_notice()
            if not self._pending_dropped and self._idle:
                self._idle = False
                self._wake()
        return self._taken + len(self._pending)

    def flush(self, timeout=None):
        """Wait until every record queued before the call is acknowledged.
        True when done; False when `timeout` seconds passed first for a
        transient reason (the records stay queued and go later).  Raises
        the last connection error instead when waiting will not fix it
        (AuthError, TLSError, ProtocolError), and RejectedError once when
        the collector refused records since the last flush."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0)
        with self._lock:
            target = self._announce_drops()
            while self._acked < target:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                if not self._running:
                    break
                self._ack_waiters += 1
                if self._ack_waiters == 1:
                    self._wake()  # stop pacing: ACKs are awaited
                try:
                    self._ack_cv.wait(left)
                finally:
                    self._ack_waiters -= 1
                target = self._announce_drops()
            if self._acked < target:
                err = self._last_error
                if not self._connected and isinstance(err, (AuthError, TLSError,
                                                            ProtocolError)):
                    raise type(err)("%d record(s) not acknowledged within %s s: %s; "
                                    "retrying in the background"
                                    % (target - self._acked, timeout, err))
                return False
            if self._rej_count:
                seq, code, text = self._rej_first
                more = ""
                if self._rej_count > 1:
                    more = " (and %d more since the last flush)" % (self._rej_count - 1)
                self._rej_count = 0
                raise RejectedError("logcollectord at %s rejected record %d (code %d, %s): "
                                    "%s%s" % (self._peer, seq, code,
                                              P.REJECT_NAMES.get(code, "unknown reason"),
                                              text, more))
        return True

    def close(self, timeout=None):
        """Flush (up to `timeout`, default close_timeout), stop the thread,
        close the connection.  True when everything was acknowledged.
        Records still unacknowledged are discarded.  Idempotent."""
        if self._closed:
            return self._acked >= self._taken + len(self._pending)
        if self._lock._is_owned():
            # A signal handler, run while this thread was inside the client:
            # the sender may need the lock we hold, so do not wait for it.
            with self._lock:
                self._closed = self._stop = True
            self._wake()
            return False
        ok = False
        try:
            ok = self.flush(self._close_timeout if timeout is None else timeout)
        except RejectedError:
            ok = True
        except LogcollectError:
            ok = False
        with _registry_lock:
            if self in _clients:
                _clients.remove(self)
        with self._lock:
            self._closed = True
        self._stop_thread()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._wake_r = self._wake_w = -1
        return ok

    def stats(self):
        """The counters, with the C library's names (lc_stats)."""
        with self._lock:
            err = self._last_error
            last = self._taken + len(self._pending)
            return {
                "records": last - self._notices,
                "dropped": self._dropped,
                "notices": self._notices,
                "last_seq": last,
                "sent": self._sent,
                "acked": self._acked,
                "resent": self._resent,
                "rejected": self._rejected,
                "connects": self._connects,
                "connect_failures": self._connect_failures,
                "queue_bytes": self._qbytes,
                "queue_records": last - self._released,
                "connected": self._connected,
                "last_error": str(err) if err is not None else "",
                "sid": self._sid,
            }

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __repr__(self):
        return "<logcollect.Client app=%r sid=%s port_file=%r>" % (
            self._app, self._sid, self._port_file)

    # -- the sender thread ----------------------------------------------------------------

    def _note_failure(self, err):
        """Lock held."""
        self._last_error = err
        self._connect_failures += 1

def query_status(port_file=None, key_file=None, timeout=5.0, tls_ca=None,
                 tls_fingerprint=None, tls_cert=None, tls_key=None):
    """The collector's counters, as a dict (STATUS, protocol.md 6.5).  One
    short connection of its own (it authenticates like any client, so only
    key holders can read them); raises the reason when it cannot."""
    port_file = port_file or os.environ.get("LOGCOLLECT_PORT_FILE") or DEFAULT_PORT_FILE
    key_file = key_file or os.environ.get("LOGCOLLECT_KEY_FILE") or DEFAULT_KEY_FILE
    secret = secrets.token_hex(16)
    target = C.Target(port_file=port_file, key_file=key_file, key=P.read_key(key_file),
                      secret=secret, sid=P.derive_sid(secret), seq=1,
                      app="logcollect-status", pid=os.getpid(),
                      host=_utf8_prefix(socket.gethostname(), P.NAME_MAX),
                      tls=TLSSettings(tls_ca, tls_fingerprint, tls_cert, tls_key),
                      timeout=float(timeout))
    return C.query_status(target)
