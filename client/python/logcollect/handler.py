"""Handler: the logging module's records, sent to logcollectord.

This module exists so that a program that already logs with the standard
``logging`` module needs one call (``configure()``) to send everything to
the collector, with its structure kept: each LogRecord becomes one JSON
record with the message, the logger, the process and thread, the code
location, the traceback, and every ``extra=`` field as a field of its own.

Handler.emit formats the record and queues it on a Client; it never waits on
the network.  It does not take the Handler's own lock (the Client's queue
has its own), which keeps a call to a few microseconds.
"""

import logging
import os
import threading
from itertools import islice

from .client import Client
from .record import (_esc, _ts_head, _TsCache, encode_record, json_value, logging_level_name,
                     timestamp)
from .errors import ClosedError

# The attributes every LogRecord has (and those Formatter and asyncio add):
# anything else in record.__dict__ came from extra=.
_STD = frozenset(logging.makeLogRecord({}).__dict__) | frozenset(
    ("message", "asctime", "taskName"))
_NSTD = len(logging.makeLogRecord({}).__dict__)
_OWN = frozenset(("ts", "level", "msg", "logger", "pid", "thread", "module", "func", "line",
                  "exc", "stack"))
_LEVELS = dict((lv, logging_level_name(lv)) for lv in range(0, 61))
_exc_formatter = logging.Formatter()
_site_cache = {}
_SITE_CACHE_MAX = 4096


def _free_name(k, rd):
    """A name for an extra field that collides with the collector's ``_``
    fields or with ours: prefixed with "x" until it is free (of ours and of
    the record's other attributes)."""
    k = "x" + k
    while k in rd or k in _OWN:
        k = "x" + k
    return k


class Handler(logging.Handler):
    """A logging handler that queues each record on a logcollect.Client.

    ``client``: a Client to use (not closed by this handler); without one,
    the handler makes its own ``Client(**client_kwargs)`` and closes it in
    ``close()``.
    """

    _owns = False

    def __init__(self, level=logging.NOTSET, client=None, **client_kwargs):
        logging.Handler.__init__(self, level)
        if client is None:
            client = Client(**client_kwargs)
            self._owns = True
        else:
            if client_kwargs:
                raise TypeError("Handler: client arguments given with a client")
            self._owns = False
        self.client = client
        self._enqueue = client._enqueue

    def handle(self, record):
        # No handler lock: emit only touches the record and the client's
        # queue, which has its own lock.
        if not self.filters:
            self.emit(record)
            return True
        rv = self.filter(record)
        if isinstance(rv, logging.LogRecord):  # 3.12: a filter may replace it
            record = rv
        if rv:
            self.emit(record)
        return rv

    def emit(self, record):
        try:
            self._enqueue(self.encode(record), "Handler")
        except ClosedError:
            pass  # the process is exiting, or the client was closed
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def encode(self, record):
        """The record's JSON, as UTF-8 bytes.  The fast path formats the
        text directly; any value it cannot take as is (None where a string
        is expected, NUL, lone surrogates, NaN, ...) makes it build a dict
        and go through the careful encoder instead."""
        rd = record.__dict__
        lname = _LEVELS.get(record.levelno)
        if lname is None:
            lname = logging_level_name(record.levelno)
        msg = record.getMessage() if self.formatter is None else self.format(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = _exc_formatter.formatException(record.exc_info)
        # extra= fields come after the standard attributes in __dict__
        extras = [k for k in islice(rd, _NSTD, None) if k not in _STD] \
            if len(rd) > _NSTD else None
        try:
            # logger, pid, thread, module, func and line repeat for every
            # record of a call site in a thread: format them once.
            key = (record.name, record.process, record.threadName, record.module,
                   record.funcName, record.lineno)
            mid = _site_cache.get(key)
            if mid is None:
                mid = (',"logger":%s,"pid":%d,"thread":%s,"module":%s,"func":%s,"line":%d'
                       % (_esc(record.name), record.process, _esc(record.threadName),
                          _esc(record.module), _esc(record.funcName), record.lineno))
                if len(_site_cache) >= _SITE_CACHE_MAX:
                    _site_cache.clear()
                _site_cache[key] = mid
            t = record.created
            sec = int(t)
            head = _TsCache.head
            if head[0] != sec:
                head = _ts_head(sec)
            s = '{"ts":"%s%06dZ","level":"%s","msg":%s%s' % (
                head[1], (t - sec) * 1000000.0, lname, _esc(msg), mid)
            if record.exc_text:
                s += ',"exc":' + _esc(record.exc_text)
            if record.stack_info:
                s += ',"stack":' + _esc(record.stack_info)
            if extras:
                for k in extras:
                    v = rd[k]
                    if k[:1] == "_" or k in _OWN or not k:
                        k = _free_name(k, rd)
                    s += "," + _esc(k) + ":" + json_value(v)
            s += "}"
            if "\\u0000" in s:
                raise ValueError
            return s.encode("utf-8")
        except (ValueError, TypeError, RecursionError):
            pass
        d = {"ts": timestamp(record.created), "level": lname, "msg": msg,
             "logger": record.name, "pid": record.process, "thread": record.threadName,
             "module": record.module, "func": record.funcName, "line": record.lineno}
        if record.exc_text:
            d["exc"] = record.exc_text
        if record.stack_info:
            d["stack"] = record.stack_info
        for k in extras or ():
            v = rd[k]
            if k[:1] == "_" or k in _OWN or not k:
                k = _free_name(k, rd)
            d[k] = v
        return encode_record(d)

    def flush(self, timeout=None):
        """Wait (up to timeout, default the client's close timeout) until
        the records are acknowledged.  Never raises."""
        try:
            return self.client.flush(self.client._close_timeout if timeout is None
                                     else timeout)
        except Exception:
            return False

    def close(self):
        try:
            if self._owns:
                self.client.close()
            else:
                self.flush()
        finally:
            logging.Handler.close(self)


_configure_lock = threading.Lock()
_configured = None


def configure(level=logging.INFO, app=None, **client_kwargs):
    """Attach one Handler to the root logger and set the root level.
    Idempotent: a second call (in this process or a forked child) returns
    the same handler and only sets the level.  Returns the Handler."""
    global _configured
    with _configure_lock:
        root = logging.getLogger()
        h = _configured
        if h is None or h not in root.handlers:
            h = Handler(app=app, **client_kwargs)
            root.addHandler(h)
            _configured = h
        if level is not None:
            root.setLevel(level)
        return h


def _reinit_lock():
    global _configure_lock
    _configure_lock = threading.Lock()


os.register_at_fork(after_in_child=_reinit_lock)
