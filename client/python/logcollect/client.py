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
import json
import logging
import os
import random
import re
import secrets
import select
import socket
import sys
import threading
import time

from . import conn as C
from . import protocol as P
from .errors import (AuthError, ClosedError, LogcollectError, ProtocolError, RejectedError,
                     TLSError, TooBigError)
from .tls import TLSSettings

DEFAULT_PORT_FILE = "/run/logcollectord/port"
DEFAULT_KEY_FILE = "/etc/logcollectord/key"
DEFAULT_QUEUE_BYTES = 8 << 20
MIN_QUEUE_BYTES = 4096
NOTICE_MAX = 160

BACKOFF_MIN = 0.050
BACKOFF_MAX = 5.0
HEALTHY_AFTER = 1.0      # a connection that lasted this long resets the back-off
INFLIGHT_POLL = 0.002    # while records await an ACK, look at the queue this often
PACE = 0.010             # unless someone waits, send (and read ACKs) at most this often,
WAKE_COUNT = 512         # or when this many records are waiting (a log call wakes it)
DRAIN_MAX = 10.0         # after ERROR 102, wait at most this for the close
CLOSE_LINGER = 0.5       # at close, read the last ACKs for at most this
CHUNK_BYTES = 256 << 10  # records are sent and released in chunks of about this

EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG = range(8)
LEVEL_NAMES = ("emergency", "alert", "critical", "error", "warning", "notice", "info",
               "debug")
_ALIASES = {"emerg": 0, "panic": 0, "crit": 2, "err": 3, "warn": 4}

_pack_header = P.HEADER.pack


def level_name(level):
    """The name of a syslog level 0..7 ("info"), or None."""
    if isinstance(level, int) and 0 <= level <= 7:
        return LEVEL_NAMES[level]
    return None


def level_from_name(name):
    """A level's number from its name (any case; also syslog's "warn",
    "err", "crit", "emerg", "panic"), or -1."""
    n = name.lower()
    if n in LEVEL_NAMES:
        return LEVEL_NAMES.index(n)
    return _ALIASES.get(n, -1)


def logging_level_name(levelno):
    """The name for a logging level: CRITICAL and above "critical", ERROR
    "error", WARNING "warning", between INFO and WARNING "notice", INFO
    "info", below "debug"."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno > logging.INFO:
        return "notice"
    if levelno == logging.INFO:
        return "info"
    return "debug"


# Every spelling log() accepts, resolved once: syslog numbers, names in
# lower and upper case, and the standard logging levels.
_LEVELS = {}
for _i, _n in enumerate(LEVEL_NAMES):
    _LEVELS[_i] = _LEVELS[_n] = _LEVELS[_n.upper()] = _n
for _a, _i in _ALIASES.items():
    _LEVELS[_a] = _LEVELS[_a.upper()] = LEVEL_NAMES[_i]
for _l in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL):
    _LEVELS[_l] = logging_level_name(_l)


def _resolve_level(level):
    if isinstance(level, str):
        i = level_from_name(level)
        if i >= 0:
            return LEVEL_NAMES[i]
    elif isinstance(level, int) and not isinstance(level, bool) and level >= 8:
        return logging_level_name(level)
    raise ValueError("level %r is not a level name (emergency .. debug), a syslog number "
                     "0 .. 7, nor a logging level" % (level,))


# ---- timestamps --------------------------------------------------------------

class _TsCache(object):
    head = (-1, "")


def _ts_head(sec):
    head = (sec, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(sec)))
    _TsCache.head = head
    return head


def timestamp(t):
    """RFC 3339 UTC with microseconds: "2026-11-27T13:37:24.123456Z".  The
    part down to the second is cached (it changes once a second)."""
    sec = int(t)
    head = _TsCache.head
    if head[0] != sec:
        head = _ts_head(sec)
    return head[1] + "%06dZ" % ((t - sec) * 1000000.0)


# ---- JSON ------------------------------------------------------------------------

# Compact, UTF-8 rather than \u escapes, no NaN (not JSON), anything json
# cannot encode as its repr().
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                           default=repr).encode
_esc = json.encoder.encode_basestring  # a str as a quoted JSON string, in C
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_MAX_DEPTH = 100


def _clean(v, depth=0):
    """v made encodable as JSON the collector accepts: NUL and lone
    surrogates in strings become U+FFFD (the collector refuses \\u0000 and
    invalid Unicode), non-finite floats and objects json cannot encode
    become their repr(), keys become strings."""
    if isinstance(v, str):
        return _BAD_CHARS.sub("\ufffd", v)
    if v is None or isinstance(v, (bool, int)):
        return v
    if isinstance(v, float):
        return v if v == v and v not in (float("inf"), float("-inf")) else repr(v)
    if depth < _MAX_DEPTH:
        if isinstance(v, dict):
            return {_clean(k if isinstance(k, str) else str(k), depth + 1):
                    _clean(x, depth + 1) for k, x in list(v.items())}
        if isinstance(v, (list, tuple)):
            return [_clean(x, depth + 1) for x in v]
    try:
        r = repr(v)
    except Exception as e:  # a broken __repr__ must not lose the record
        r = "<unrepresentable %s: %s>" % (type(v).__name__, type(e).__name__)
    return _BAD_CHARS.sub("\ufffd", r)


_INF = float("inf")


def json_value(v):
    """One value as JSON text, quickly for the usual types (str, int,
    float, bool, None); others through the encoder (repr() for what json
    cannot encode).  Raises ValueError for NaN and infinities (the caller
    then takes the careful path)."""
    t = v.__class__
    if t is str:
        return _esc(v)
    if t is int:
        return int.__repr__(v)
    if t is float:
        if v != v or v == _INF or v == -_INF:
            raise ValueError("not finite")
        return float.__repr__(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return _encode(v)


def encode_record(d):
    """A record dict as the UTF-8 bytes of one JSON object the collector
    accepts.  The fast path is one json encode; anything unusual (NUL,
    lone surrogates, NaN, unencodable keys, cycles) takes the slow one."""
    try:
        data = _encode(d).encode("utf-8")
    except (ValueError, TypeError, RecursionError):
        return _encode(_clean(d)).encode("utf-8")
    if b"\\u0000" in data:
        return _encode(_clean(d)).encode("utf-8")
    return data


def _reject_constant(name):
    raise ValueError("%s is not JSON" % name)


def _checked_float(s):
    f = float(s)
    if f in (float("inf"), float("-inf")):
        raise ValueError("the number %.40s overflows a double" % s)
    return f


def _bad_strings(v, depth=0):
    if isinstance(v, str):
        return _BAD_CHARS.search(v) is not None
    if isinstance(v, dict):
        return any(_bad_strings(k) or _bad_strings(x, depth + 1) for k, x in v.items())
    if isinstance(v, list):
        return any(_bad_strings(x, depth + 1) for x in v)
    return False


def check_json(record):
    """The bytes of a caller's JSON record, checked as the collector will:
    one object, valid UTF-8 and JSON, no top-level name starting with '_'.
    Raises ValueError (TypeError for something that is not text)."""
    if isinstance(record, str):
        text = record
        try:
            data = record.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("send_json: the record has a lone surrogate (not valid "
                             "Unicode)") from None
    elif isinstance(record, (bytes, bytearray, memoryview)):
        data = bytes(record)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError("send_json: the record is not valid UTF-8 (%s)" % e) from None
    else:
        raise TypeError("send_json: the record must be str or bytes, not %s"
                        % type(record).__name__)
    try:
        obj = json.loads(text, parse_constant=_reject_constant, parse_float=_checked_float)
    except RecursionError:
        raise ValueError("send_json: the record is nested too deeply") from None
    except ValueError as e:
        raise ValueError("send_json: the record is not valid JSON: %s" % e) from None
    if type(obj) is not dict:
        raise ValueError("send_json: the record is not a JSON object (it is a %s)"
                         % type(obj).__name__)
    for k in obj:
        if k[:1] == "_":
            raise ValueError("send_json: field name %r is reserved: names starting with "
                             "'_' are added by the collector (rename the field)" % k[:64])
    if "\\u" in text and _bad_strings(obj):
        raise ValueError("send_json: the record has \\u0000 or an invalid Unicode escape "
                         "(the collector refuses them)")
    return data


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

class _Chunk(object):
    """Records taken from the queue for sending: their frames joined."""

    __slots__ = ("first", "last", "data")

    def __init__(self, first, last, data):
        self.first = first
        self.last = last
        self.data = data


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
        t = threading.Thread(target=self._sender_main, args=(first,),
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

    def _backoff_wait(self):
        """Wait before the next attempt: nominal 50 ms doubling to 5 s, drawn
        between half and all of it.  True when told to stop."""
        lvl = min(self._backoff, 16)
        nominal = min(BACKOFF_MIN * (1 << lvl), BACKOFF_MAX)
        if self._backoff < 16:
            self._backoff += 1
        delay = nominal / 2 + random.random() * nominal / 2
        deadline = time.monotonic() + delay
        p = select.poll()
        p.register(self._wake_r, select.POLLIN)
        while True:
            with self._lock:
                if self._stop:
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if p.poll(left * 1000.0):
                self._drain_wake()

    def _sender_main(self, first):
        have = first
        while True:
            if have is None:
                with self._lock:
                    if self._stop:
                        break
                    target = self._target()
                try:
                    have = C.connect(target, self._wake_r)
                except C.Woken:
                    self._drain_wake()
                    continue
                except LogcollectError as e:
                    with self._lock:
                        self._note_failure(e)
                    if e.code == "LC_EFULL" and self._backoff < 4:
                        self._backoff = 4  # too many clients: start at 800 ms
                    if self._backoff_wait():
                        break
                    continue
                except Exception as e:  # never let the thread die
                    with self._lock:
                        self._note_failure(ProtocolError("connecting failed: %r" % e))
                    if self._backoff_wait():
                        break
                    continue
            since = time.monotonic()
            link = _Link(self, have)
            have = None
            how = link.run()
            if how == "stop":
                break
            if how == "drained" or link.healthy or time.monotonic() - since >= HEALTHY_AFTER:
                self._backoff = 0
            if self._backoff_wait():
                break


class _Link(object):
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
        with c._lock:
            if cn.written > c._started:
                cn.close()
                c._note_failure(ProtocolError(
                    "logcollectord at %s says records up to %d of session %s are written, "
                    "but only %d were sent (is another client using this session?)"
                    % (cn.peer, cn.written, c._sid, c._started)))
                return "lost"
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
