"""One connection attempt to logcollectord, and the connection it makes.

This module exists to keep everything that may wait on the network out of
the code that log calls run: it reads the port file (afresh for every
attempt, since a restarted collector is on a new port), applies the TLS
policy, connects, authenticates both ways (the client also makes the
collector prove that it holds the key, so nothing is ever sent to a
stranger on a stale port), says HELLO with the session secret and reads
WELCOME.  Every wait has a deadline and also watches an optional wake-up
descriptor, so that Client.close() can interrupt an attempt at once.

The socket is non-blocking throughout; Connection.recv_some() and
Connection.send_some() report "would block" as None, as the sender thread
expects.
"""

import codecs
import errno
import os
import secrets
import select
import socket
import ssl
import threading
import time

from . import protocol as P
from .errors import (AuthError, BusyError, ClosedError, ConnectError, LogcollectError,
                     ProtocolError, TimedOut, TLSError)

# Look the "idna" codec up now, in the importing thread: ssl encodes the
# server name with it, and a first lookup (an import) in a thread of a
# forked child can fail on a module lock held by a thread of the parent.
codecs.lookup("idna")

_POLLIN = select.POLLIN
_POLLOUT = select.POLLOUT


class TLSGuard(object):
    """``lock`` is held around every OpenSSL call this package makes on a
    connection (handshake, read, write, close), and taken by the fork
    handlers (client.py): a fork then never finds one of our threads inside
    OpenSSL, and the child can free its copy of a TLS session safely (as
    liblogcollect does with lcc_fork_mu).  The calls are non-blocking, so
    it is held for microseconds."""

    lock = threading.Lock()


class Woken(Exception):
    """The wake-up descriptor fired during an attempt (the client is
    stopping, or has something to say)."""


class Target(object):
    """What an attempt needs: where to look, who we are."""

    __slots__ = ("port_file", "key_file", "key", "secret", "sid", "seq", "app", "pid",
                 "host", "tls", "timeout")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def conn_error(code, text, peer):
    """The exception for a connection-level ERROR code."""
    if code == P.ERR_TOO_MANY_CLIENTS:
        return BusyError("logcollectord at %s has no room for more clients (%s): try again "
                         "later, or raise its client limit" % (peer, text))
    if code == P.ERR_SHUTDOWN:
        return ClosedError("logcollectord at %s is shutting down (%s)" % (peer, text))
    if code == P.ERR_BAD_CONTROL:
        return ProtocolError("logcollectord at %s refused a control message (%s): client "
                             "and daemon versions may differ" % (peer, text))
    if code == P.ERR_KEY_REVOKED:
        return AuthError("logcollectord at %s no longer accepts our key (%s): the key "
                         "was removed or changed (update the key file)" % (peer, text))
    return ProtocolError("logcollectord at %s reported error %d: %s" % (peer, code, text))


class Connection(object):
    """A connected, authenticated, HELLO'd socket (plain or TLS), non-blocking."""

    def __init__(self, sock, peer, is_tls):
        self.sock = sock
        self.peer = peer
        self.is_tls = is_tls
        self.rbuf = bytearray()
        self.written = 0
        self.max_record = 0
        # TLS may need the socket readable to write, or writable to read.
        self.rd_events = _POLLIN
        self.wr_events = _POLLOUT

    def fileno(self):
        return self.sock.fileno()

    def pending(self):
        """Bytes TLS has decrypted but we have not read (poll cannot see them)."""
        if not self.is_tls:
            return 0
        with TLSGuard.lock:
            return self.sock.pending()

    def recv_some(self, n=65536):
        """Append what has arrived to rbuf: its count, 0 at EOF, None when
        nothing is there now.  Raises OSError (ssl.SSLError) when the
        connection failed."""
        try:
            if self.is_tls:
                with TLSGuard.lock:
                    data = self.sock.recv(n)
            else:
                data = self.sock.recv(n)
        except BlockingIOError:
            return None
        except InterruptedError:
            return None
        except ssl.SSLWantReadError:
            self.rd_events = _POLLIN
            return None
        except ssl.SSLWantWriteError:
            self.rd_events = _POLLOUT
            return None
        self.rd_events = _POLLIN
        if not data:
            return 0
        self.rbuf += data
        return len(data)

    def send_some(self, view):
        """Send a prefix of view: how many bytes went, or None when the
        socket is full.  Through TLS at most one 16 KiB record at a time,
        and after "would block" the same bytes must be offered again (they
        are: the caller's position has not moved)."""
        try:
            if self.is_tls:
                with TLSGuard.lock:
                    n = self.sock.send(view[:16384])
            else:
                n = self.sock.send(view)
        except (BlockingIOError, InterruptedError):
            return None
        except ssl.SSLWantWriteError:
            self.wr_events = _POLLOUT
            return None
        except ssl.SSLWantReadError:
            self.wr_events = _POLLIN
            return None
        self.wr_events = _POLLOUT
        return n

    def close(self):
        try:
            if self.is_tls:
                with TLSGuard.lock:
                    self.sock.close()
            else:
                self.sock.close()
        except OSError:
            pass

    def close_notify(self):
        """TLS: say close_notify (non-blocking: it may not get an answer)."""
        try:
            with TLSGuard.lock:
                self.sock.unwrap()
        except (OSError, ValueError):
            pass


def _remaining(deadline):
    left = deadline - time.monotonic()
    return left if left > 0 else 0.0


def wait_fd(fd, events, deadline, wake_fd):
    """Wait until fd has one of events, the deadline passes (returns False)
    or wake_fd is readable (raises Woken)."""
    p = select.poll()
    p.register(fd, events)
    if wake_fd is not None:
        p.register(wake_fd, _POLLIN)
    while True:
        left = _remaining(deadline)
        if left == 0:
            return False
        ready = p.poll(left * 1000.0)
        for f, ev in ready:
            if f == wake_fd:
                raise Woken()
        if ready:
            return True


def _sockaddr(host, port):
    """(family, address) for the port file's address literal, without the
    resolver: getaddrinfo and the "idna" codec it needs are not safe to
    call first in a thread of a freshly forked child (a lock or a module
    import held by a thread of the parent that no longer exists)."""
    h = host.split("%", 1)[0]
    try:
        socket.inet_pton(socket.AF_INET, h)
        return socket.AF_INET, (host.encode("ascii"), port)
    except (OSError, UnicodeEncodeError):
        pass
    try:
        socket.inet_pton(socket.AF_INET6, h)
    except (OSError, UnicodeEncodeError):
        return None, None
    scope = 0
    if "%" in host:
        name = host.split("%", 1)[1]
        try:
            scope = int(name) if name.isdigit() else socket.if_nametoindex(name)
        except OSError:
            return None, None
    return socket.AF_INET6, (h.encode("ascii"), port, 0, scope)


def _tcp_connect(pi, target, deadline, wake_fd):
    """A connected non-blocking TCP socket to the port file's address."""
    af, addr = _sockaddr(pi.host, pi.port)
    if af is None:
        raise ConnectError("cannot connect to logcollectord: address \"%s\" in port file "
                           "%s is not an IPv4 or IPv6 address" % (pi.host, target.port_file))
    err = None
    s = socket.socket(af, socket.SOCK_STREAM)
    try:
        s.setblocking(False)
        rc = s.connect_ex(addr)
        if rc in (errno.EINPROGRESS, errno.EINTR, errno.EAGAIN):
            if not wait_fd(s.fileno(), _POLLOUT, deadline, wake_fd):
                rc = errno.ETIMEDOUT
            else:
                rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if rc == 0:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return s
        err = rc
    except BaseException:
        s.close()
        raise
    s.close()
    if err == errno.ETIMEDOUT:
        hint = "no answer within %d ms (firewall? is logcollectord stuck?)" % (
            target.timeout * 1000)
    else:
        why = os.strerror(err) if err else "no address"
        hint = "%s (is logcollectord running? the port file may be stale)" % why
        if pi.pid > 0:
            try:
                os.kill(pi.pid, 0)
            except ProcessLookupError:
                hint = ("%s (the port file names pid %d, which is not running here: start "
                        "logcollectord)" % (why, pi.pid))
            except OSError:
                pass
    raise ConnectError("cannot connect to logcollectord at %s (from port file %s): %s"
                       % (pi.peer, target.port_file, hint))


def _recv_frame(c, max_len, deadline, wake_fd):
    """One whole frame.  Raises TimedOut (message reworded by callers),
    ClosedError when the peer closed, ProtocolError, OSError."""
    while True:
        r = P.next_frame(c.rbuf, 0, max_len)
        if r is not None:
            payload, end = r
            del c.rbuf[:end]
            return payload
        n = c.recv_some()
        if n == 0:
            raise ClosedError("logcollectord at %s closed the connection" % c.peer)
        if n is None and not c.pending():
            if not wait_fd(c.fileno(), c.rd_events, deadline, wake_fd):
                raise TimedOut("timed out")


def _send_all(c, data, deadline, wake_fd):
    view = memoryview(data)
    while view:
        n = c.send_some(view)
        if n is None:
            if not wait_fd(c.fileno(), c.wr_events, deadline, wake_fd):
                raise TimedOut("sending to %s timed out" % c.peer)
            continue
        view = view[n:]


def _handshake(c, target, deadline, wake_fd):
    """The mutual challenge-response (protocol.md section 3)."""
    step = 0
    chal = None
    while True:
        try:
            msg = _recv_frame(c, P.AUTH_MAX_MSG, deadline, wake_fd)
        except TimedOut:
            if step == 1:
                # Our proof is sent: logcollectord answers a right one at once
                # and delays its #FAILURE# to addresses that keep failing.
                raise AuthError("logcollectord at %s gave no verdict on our key within %d ms "
                                "(it answers a right key at once and delays its answer to "
                                "clients that keep failing): key file %s probably does not "
                                "hold the daemon's key" % (c.peer, target.timeout * 1000,
                                                           target.key_file)) from None
            raise TimedOut("no handshake from %s within %d ms: is it logcollectord? (check "
                           "the port file)" % (c.peer, target.timeout * 1000)) from None
        except ClosedError:
            if step == 0:
                hint = ""
                if c.is_tls and not target.tls.have_cert:
                    hint = " does it require a TLS client certificate (LOGCOLLECT_TLS_CERT)?"
                raise ClosedError("the peer at %s closed the connection before the handshake "
                                  "(is it logcollectord? too many clients?%s)"
                                  % (c.peer, hint)) from None
            raise AuthError("logcollectord at %s closed the connection during the handshake "
                            "(different keys? compare key file %s with the daemon's)"
                            % (c.peer, target.key_file)) from None
        except ProtocolError as e:
            raise ProtocolError("the peer at %s sent %s: is it logcollectord? (check the port "
                                "file)" % (c.peer, e)) from None
        step += 1
        if msg[:1] == bytes((P.MSG_ERROR,)):
            _, code, text = P.decode_error(msg)
            raise conn_error(code, text, c.peer)
        if step == 1:
            if not msg.startswith(P.CHALLENGE):
                raise ProtocolError("handshake with %s failed: malformed handshake message "
                                    "(is it logcollectord? check the port file)" % c.peer)
            resp = P.answer_challenge(target.key, msg[len(P.CHALLENGE):])
            _send_all(c, P.frame(resp), deadline, wake_fd)
        elif step == 2:
            if msg == P.FAILURE:
                raise AuthError("logcollectord at %s refused our key: key file %s does not "
                                "hold the daemon's key (copy the daemon's key file, or set "
                                "LOGCOLLECT_KEY_FILE)" % (c.peer, target.key_file))
            if msg != P.WELCOME:
                raise ProtocolError("handshake with %s failed: malformed handshake message "
                                    "(is it logcollectord? check the port file)" % c.peer)
            chal = P.make_challenge(secrets.token_bytes(P.NONCE_LEN))
            _send_all(c, P.frame(P.CHALLENGE + chal), deadline, wake_fd)
        else:
            if not P.check_response(target.key, chal, msg):
                try:
                    _send_all(c, P.frame(P.FAILURE), deadline, wake_fd)
                except (LogcollectError, OSError):
                    pass  # a courtesy: the reason below is what matters
                raise AuthError("the peer at %s could not prove it knows the key in %s: the "
                                "two sides have different keys (or it is not our "
                                "logcollectord); nothing was sent to it"
                                % (c.peer, target.key_file))
            _send_all(c, P.frame(P.WELCOME), deadline, wake_fd)
            return


def _hello(c, target, deadline, wake_fd):
    msg = P.encode_hello(target.secret, target.seq, target.app, target.pid, target.host)
    try:
        _send_all(c, P.frame(msg), deadline, wake_fd)
    except TimedOut:
        raise TimedOut("sending HELLO to %s timed out" % c.peer) from None
    try:
        msg = _recv_frame(c, P.RECV_MAX, deadline, wake_fd)
    except TimedOut:
        raise TimedOut("no WELCOME from logcollectord at %s within %d ms"
                       % (c.peer, target.timeout * 1000)) from None
    if msg[:1] == bytes((P.MSG_ERROR,)):
        _, code, text = P.decode_error(msg)
        raise conn_error(code, text, c.peer)
    try:
        sid, written, max_record = P.decode_welcome(msg)
    except ProtocolError as e:
        raise ProtocolError("logcollectord at %s answered HELLO wrongly: %s (client and "
                            "daemon versions may differ)" % (c.peer, e)) from None
    if sid != target.sid:
        raise ProtocolError("logcollectord at %s answered HELLO for another session (sid %s, "
                            "ours is %s)" % (c.peer, sid, target.sid))
    c.written = written
    c.max_record = max_record or P.FRAME_MAX


def _tls_start(sock, pi, target, deadline, wake_fd):
    try:
        with TLSGuard.lock:
            ss = target.tls.wrap(sock, pi.host)
    except (ssl.SSLError, ValueError) as e:
        raise TLSError("cannot start TLS with %s: %s" % (pi.peer, e)) from None
    try:
        _tls_handshake(ss, pi, target, deadline, wake_fd)
    except BaseException:
        with TLSGuard.lock:
            ss.close()
        raise
    return ss


def _tls_handshake(ss, pi, target, deadline, wake_fd):
    while True:
        closed = None
        try:
            with TLSGuard.lock:
                ss.do_handshake()
            break
        except ssl.SSLWantReadError:
            ev = _POLLIN
        except ssl.SSLWantWriteError:
            ev = _POLLOUT
        except ssl.SSLEOFError:
            closed = "closed the connection"
        except ssl.SSLError as e:
            raise target.tls.handshake_error(e, pi.peer) from None
        except OSError as e:
            closed = e.strerror or "closed the connection"
        if closed is not None:
            raise ClosedError("logcollectord at %s %s during the TLS handshake%s" % (
                pi.peer, closed,
                " (did it refuse our client certificate?)" if target.tls.have_cert else
                " (does it require a client certificate? set LOGCOLLECT_TLS_CERT and "
                "LOGCOLLECT_TLS_KEY)"))
        if not wait_fd(ss.fileno(), ev, deadline, wake_fd):
            raise TimedOut("no TLS handshake from %s within %d ms: is it logcollectord? "
                           "(check the port file)" % (pi.peer, target.timeout * 1000))
    with TLSGuard.lock:
        target.tls.check_peer(ss, pi.peer)


def connect(target, wake_fd=None):
    """One attempt: port file, TLS policy, TCP, TLS, handshake, HELLO,
    WELCOME.  Returns a Connection, or raises the reason (a LogcollectError;
    Woken when wake_fd fired)."""
    pi = P.read_portfile(target.port_file)
    target.tls.policy(pi, target.port_file)
    deadline = time.monotonic() + target.timeout
    sock = _tcp_connect(pi, target, deadline, wake_fd)
    c = None
    try:
        deadline = time.monotonic() + target.timeout
        if pi.tls:
            sock = _tls_start(sock, pi, target, deadline, wake_fd)
        c = Connection(sock, pi.peer, pi.tls)
        _handshake(c, target, deadline, wake_fd)
        _hello(c, target, deadline, wake_fd)
        return c
    except LogcollectError:  # TimedOut is an OSError too (TimeoutError)
        _close(sock)
        raise
    except OSError as e:
        _close(sock)
        if isinstance(e, ssl.SSLError) and not isinstance(e, ssl.SSLEOFError):
            raise target.tls.handshake_error(e, pi.peer) from None
        raise ClosedError("lost the connection to logcollectord at %s: %s"
                          % (pi.peer, e.strerror or e)) from None
    except BaseException:
        _close(sock)
        raise


def _close(sock):
    if isinstance(sock, ssl.SSLSocket):
        with TLSGuard.lock:
            sock.close()
    else:
        sock.close()


def query_status(target):
    """The collector's counters (a dict): one short connection that
    authenticates, says HELLO with a session of its own, and sends nothing
    but a STATUS request."""
    c = connect(target)
    try:
        deadline = time.monotonic() + target.timeout
        _send_all(c, P.frame(P.STATUS_REQUEST), deadline, None)
        while True:
            try:
                msg = _recv_frame(c, P.FRAME_MAX, deadline, None)
            except TimedOut:
                raise TimedOut("no STATUS reply from logcollectord at %s within %d ms"
                               % (c.peer, target.timeout * 1000)) from None
            if msg[:1] == bytes((P.MSG_STATUS_REPLY,)):
                return P.decode_status(msg)
            if msg[:1] == bytes((P.MSG_ERROR,)):
                seq, code, text = P.decode_error(msg)
                if seq == 0 and code >= 100:
                    raise conn_error(code, text, c.peer)
    except LogcollectError:
        raise
    except OSError as e:
        raise ClosedError("lost the connection to logcollectord at %s: %s"
                          % (c.peer, e.strerror or e)) from None
    finally:
        c.close()
