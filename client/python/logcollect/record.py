"""Records: levels, timestamps, and the JSON text of a record.

This module exists to keep the work a log call does in one place, and fast:
a record is formatted as JSON text directly (json's C string escaper for
every string, plain formatting for numbers), not through json.dumps of a
dict, since that is most of what a log call costs.  Anything unusual
(NUL, lone surrogates, NaN, objects json cannot encode, cycles) takes a
careful path that makes it acceptable to the collector: the collector
refuses \\u0000, invalid Unicode and NaN, and a refused record would be
lost.  send_json's check (check_json) mirrors the collector's own.
"""

import json
import logging
import re
import time

EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG = range(8)
LEVEL_NAMES = ("emergency", "alert", "critical", "error", "warning", "notice", "info",
               "debug")
_ALIASES = {"emerg": 0, "panic": 0, "crit": 2, "err": 3, "warn": 4}


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
