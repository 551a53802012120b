"""The logcollect wire protocol, version 1, as pure functions (no I/O).

This module exists so that everything docs/protocol.md specifies lives in one
place that can be checked against shared test vectors without a socket:
framing (CPython's multiprocessing.connection framing), the key file and the
port file, the mutual challenge-response handshake, and the control messages
(HELLO, WELCOME, ACK, ERROR, STATUS).

The handshake is CPython 3.12's modern ``{sha256}`` form, written here with
hmac/hashlib/secrets rather than taken from multiprocessing.connection, so it
is the same on every Python from 3.8 on and never needs the daemon's
--allow-legacy-md5.
"""

import errno
import os
import stat
import hashlib
import hmac
import json
import struct

from .errors import KeyFileError, PortFileError, ProtocolError

PROTO_VERSION = 1

# ---- framing -------------------------------------------------------------

HEADER = struct.Struct(">i")
HEADER_SIZE = 4
FRAME_MAX = 0x7FFFFFFF


def frame(payload):
    """One frame: a signed 32-bit big-endian length, then the payload."""
    return HEADER.pack(len(payload)) + payload


def next_frame(buf, start, max_len):
    """Find the frame starting at buf[start:].

    Returns (payload, end) with end the offset after it, or None when more
    bytes are needed.  Raises ProtocolError for a negative length (CPython's
    -1 escape for 8-byte lengths included) or one over max_len.
    """
    if len(buf) - start < HEADER_SIZE:
        return None
    (n,) = HEADER.unpack_from(buf, start)
    if n < 0:
        raise ProtocolError("malformed frame header (length %d)" % n)
    if n > max_len:
        raise ProtocolError(
            "a %d-byte message where at most %d were expected" % (n, max_len))
    end = start + HEADER_SIZE + n
    if len(buf) < end:
        return None
    return bytes(buf[start + HEADER_SIZE:end]), end


# ---- key file (docs/protocol.md section 7) -------------------------------

KEY_MIN = 16
KEY_MAX = 1024
KEYFILE_MAX = 64 * 1024
_NAME_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def parse_keyfile(text, path=None):
    """The keys of a key file's text, as a list of (name, bytes).

    One key per line, a bare hex string (named "default") or "NAME HEX";
    blank lines and lines starting with '#' are ignored.  Raises
    KeyFileError naming the line.
    """
    where = "key file %s" % path if path else "the key file"
    keys = []
    for lineno, line in enumerate(text.split("\n"), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) == 1:
            name, hexkey = "default", words[0]
        elif len(words) == 2:
            name, hexkey = words
        else:
            raise KeyFileError("%s is malformed: line %d: expected 'HEX' or "
                               "'NAME HEX'" % (where, lineno))
        if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
            raise KeyFileError("%s is malformed: line %d: bad key name (1 to 64 of "
                               "A-Z a-z 0-9 . _ -)" % (where, lineno))
        try:
            if len(hexkey) % 2:
                raise ValueError
            key = bytes.fromhex(hexkey)
        except ValueError:
            raise KeyFileError("%s is malformed: line %d: the key is not "
                               "hex digits" % (where, lineno)) from None
        if len(key) < KEY_MIN:
            raise KeyFileError("%s is malformed: line %d: the key is %d bytes, "
                               "at least %d are needed (make one with 'logcollect "
                               "keygen')" % (where, lineno, len(key), KEY_MIN))
        if len(key) > KEY_MAX:
            raise KeyFileError("%s is malformed: line %d: the key is longer "
                               "than %d bytes" % (where, lineno, KEY_MAX))
        keys.append((name, key))
    if not keys:
        raise KeyFileError("%s is malformed: no key in it (make one with "
                           "'logcollect keygen')" % where)
    return keys


def read_small(path, limit):
    """At most limit bytes of the regular file at path.  Opened without
    blocking and refused unless regular, as the C library does: a FIFO or
    a device put where a key or port file belongs must not hang the
    program (open() of a FIFO with no writer blocks forever)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks, size = [], 0
        while size < limit:
            b = os.read(fd, limit - size)
            if not b:
                break
            chunks.append(b)
            size += len(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_key(path):
    """The first key of the key file at path (the one a client uses)."""
    try:
        raw = read_small(path, KEYFILE_MAX + 1)
    except OSError as e:
        raise KeyFileError("cannot read key file %s: %s (it must hold logcollectord's "
                           "key; set LOGCOLLECT_KEY_FILE)" % (path, e.strerror or e)) from None
    if len(raw) > KEYFILE_MAX:
        raise KeyFileError("cannot read key file %s: larger than 64 KiB" % path)
    # latin-1 never fails: comments may hold any bytes, and a key that is
    # not hex digits is refused by parse_keyfile.
    return parse_keyfile(raw.decode("latin-1"), path)[0][1]


# ---- port file (section 1) -------------------------------------------------

PORTFILE_MAX = 4096


class PortInfo(object):
    """What the port file says: host, port, pid, proto, tls."""

    __slots__ = ("host", "port", "pid", "proto", "tls")

    def __init__(self, host, port, pid=0, proto=PROTO_VERSION, tls=False):
        self.host = host
        self.port = port
        self.pid = pid
        self.proto = proto
        self.tls = tls

    @property
    def peer(self):
        if ":" in self.host:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def parse_portfile(text, path="(text)"):
    """Parse the port file's one line of JSON into a PortInfo."""
    def bad(why):
        return PortFileError("port file %s is malformed: %s (is it logcollectord's port "
                             "file? set LOGCOLLECT_PORT_FILE)" % (path, why))
    try:
        o = json.loads(text)
    except ValueError as e:
        raise bad("not valid JSON (%s)" % e) from None
    if not isinstance(o, dict):
        raise bad("not a JSON object")
    host, port, proto = o.get("host"), o.get("port"), o.get("proto")
    pid, tls = o.get("pid", 0), o.get("tls", False)
    if not isinstance(host, str) or not host or len(host) >= 64:
        raise bad('"host" is not an address')
    if not _is_int(port) or not 1 <= port <= 65535:
        raise bad('"port" %r is out of range' % (port,))
    if not _is_int(proto):
        raise bad('"proto" is missing')
    if not _is_int(pid):
        raise bad('"pid" is not an integer')
    if not isinstance(tls, bool):
        raise bad('"tls" is not true or false')
    if proto != PROTO_VERSION:
        raise bad("protocol version %d is not %d: client and daemon versions differ"
                  % (proto, PROTO_VERSION))
    return PortInfo(host, port, pid, proto, tls)


def read_portfile(path):
    try:
        raw = read_small(path, PORTFILE_MAX + 1)
    except OSError as e:
        raise PortFileError("cannot read port file %s: %s (is logcollectord running? "
                            "set LOGCOLLECT_PORT_FILE)" % (path, e.strerror or e)) from None
    if len(raw) > PORTFILE_MAX:
        raise PortFileError("cannot read port file %s: larger than 4 KiB" % path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PortFileError("port file %s is malformed: not UTF-8" % path) from None
    return parse_portfile(text, path)


# ---- handshake (section 3) -------------------------------------------------

NONCE_LEN = 40
AUTH_MAX_MSG = 256
CHALLENGE = b"#CHALLENGE#"
WELCOME = b"#WELCOME#"
FAILURE = b"#FAILURE#"
_DIGESTS = {
    b"sha256": hashlib.sha256,
    b"sha384": hashlib.sha384,
    b"sha3_256": hashlib.sha3_256,
    b"sha3_384": hashlib.sha3_384,
}


def make_challenge(nonce):
    """Our challenge's payload after "#CHALLENGE#": "{sha256}" + nonce."""
    return b"{sha256}" + nonce


def _digest_of(msg):
    """(digest constructor, prefix length) for a message "{name}...", or
    (None, 0) when it has no prefix or names a digest we do not take (md5
    included: the legacy form is never spoken here)."""
    if msg[:1] != b"{":
        return None, 0
    close = msg.find(b"}", 1, 10)
    if close < 0:
        return None, 0
    return _DIGESTS.get(msg[1:close]), close + 1


def answer_challenge(key, payload):
    """The response to a challenge payload (the bytes after "#CHALLENGE#"):
    "{name}" + HMAC-name(key, payload).  The MAC covers the prefix.  Raises
    ProtocolError for a legacy (prefix-less, MD5) or unknown-digest
    challenge."""
    digest, plen = _digest_of(payload)
    if digest is None or len(payload) - plen < 1 or len(payload) > AUTH_MAX_MSG:
        raise ProtocolError("the challenge is not a modern {sha256} one (a legacy "
                            "HMAC-MD5 peer, or not logcollectord)")
    return payload[:plen] + hmac.new(key, payload, digest).digest()


def check_response(key, chal, resp):
    """Does resp prove knowledge of key for our challenge payload chal?
    Compared in constant time."""
    digest, plen = _digest_of(resp)
    if digest is None:
        return False
    return hmac.compare_digest(resp[plen:], hmac.new(key, chal, digest).digest())


# ---- session ids (HELLO's secret) -----------------------------------------

def derive_sid(secret_hex):
    """The public session id the daemon derives from HELLO's secret:
    the first 32 hex digits of SHA-256("logcollect-sid:" + secret bytes)."""
    return hashlib.sha256(b"logcollect-sid:" + bytes.fromhex(secret_hex)).hexdigest()[:32]


# ---- control messages (section 6) -----------------------------------------

MSG_HELLO = 0x01
MSG_WELCOME = 0x02
MSG_ACK = 0x03
MSG_ERROR = 0x04
MSG_STATUS = 0x05
MSG_STATUS_REPLY = 0x06

ERR_NOT_OBJECT = 1
ERR_INVALID_JSON = 2
ERR_INVALID_UTF8 = 3
ERR_TOO_DEEP = 4
ERR_RESERVED = 5
ERR_TOO_LARGE = 6
ERR_TOO_MANY_CLIENTS = 100
ERR_BAD_CONTROL = 101
ERR_SHUTDOWN = 102
ERR_KEY_REVOKED = 103

REJECT_NAMES = {
    ERR_NOT_OBJECT: "not a JSON object",
    ERR_INVALID_JSON: "invalid JSON",
    ERR_INVALID_UTF8: "invalid UTF-8",
    ERR_TOO_DEEP: "nested too deeply",
    ERR_RESERVED: "uses a reserved field name",
    ERR_TOO_LARGE: "too large",
}

NAME_MAX = 255
RECV_MAX = 4096 + 16  # the largest control message a client reads

_ACK = struct.Struct(">BQ")
_ERROR_HEAD = struct.Struct(">BQH")


def encode_hello(secret, seq, app, pid, host):
    """HELLO: 0x01 + {"v":1,"secret":..,"seq":..,"app":..,"pid":..,"host":..}."""
    body = json.dumps({"v": PROTO_VERSION, "secret": secret, "seq": seq, "app": app,
                       "pid": pid, "host": host}, separators=(",", ":"),
                      ensure_ascii=False)
    return bytes((MSG_HELLO,)) + body.encode("utf-8")


def decode_welcome(msg):
    """WELCOME -> (sid, written, max_record).  Raises ProtocolError."""
    if msg[:1] != bytes((MSG_WELCOME,)):
        raise ProtocolError("expected WELCOME, got a message of type 0x%02x"
                            % (msg[0] if msg else 0))
    try:
        o = json.loads(msg[1:].decode("utf-8"))
    except ValueError:
        raise ProtocolError("WELCOME is not a JSON object") from None
    if not isinstance(o, dict):
        raise ProtocolError("WELCOME is not a JSON object")
    sid, written, maxrec = o.get("sid"), o.get("written"), o.get("max_record", 0)
    if not _is_int(o.get("v")) or o["v"] < 1:
        raise ProtocolError('WELCOME has no valid "v"')
    if not isinstance(sid, str) or len(sid) != 32:
        raise ProtocolError('WELCOME has no valid "sid"')
    if not _is_int(written) or written < 0:
        raise ProtocolError('WELCOME has no valid "written"')
    if not _is_int(maxrec) or maxrec < 0:
        raise ProtocolError('WELCOME has no valid "max_record"')
    return sid, written, maxrec


def decode_ack(msg):
    if len(msg) != _ACK.size:
        raise ProtocolError("malformed ACK (%d bytes)" % len(msg))
    return _ACK.unpack(msg)[1]


def decode_error(msg):
    """ERROR -> (seq, code, text).  The text's control characters become
    spaces (it goes into our messages)."""
    if len(msg) < _ERROR_HEAD.size:
        raise ProtocolError("malformed ERROR (%d bytes)" % len(msg))
    _, seq, code = _ERROR_HEAD.unpack_from(msg)
    text = msg[_ERROR_HEAD.size:].decode("utf-8", "replace")
    text = "".join(" " if ord(c) < 0x20 or c == "\x7f" else c for c in text)
    return seq, code, text


STATUS_REQUEST = bytes((MSG_STATUS,))


def decode_status(msg):
    if msg[:1] != bytes((MSG_STATUS_REPLY,)):
        raise ProtocolError("expected a STATUS reply")
    try:
        o = json.loads(msg[1:].decode("utf-8"))
    except ValueError:
        raise ProtocolError("the STATUS reply is not a JSON object") from None
    if not isinstance(o, dict):
        raise ProtocolError("the STATUS reply is not a JSON object")
    return o
