"""Exceptions raised by the logcollect package.

They exist so that a caller can tell a configuration problem (a key file that
does not load, the wrong key, a TLS mismatch) from a transient one (the
collector is down or restarting), the way liblogcollect's LC_E* codes do.
Each class corresponds to one of those codes (the C name is in ``code``).
"""


class LogcollectError(Exception):
    """Base class of every error this package raises on purpose."""

    code = "LC_EPROTO"


class KeyFileError(LogcollectError):
    """The key file is missing, unreadable or malformed (LC_EKEYFILE)."""

    code = "LC_EKEYFILE"


class PortFileError(LogcollectError):
    """The port file is missing, unreadable or malformed (LC_EPORTFILE)."""

    code = "LC_EPORTFILE"


class ConnectError(LogcollectError):
    """Nothing accepts connections at the port file's address (LC_ECONNECT)."""

    code = "LC_ECONNECT"


class AuthError(LogcollectError):
    """The two sides do not share a key, or the peer could not prove it
    holds ours (LC_EAUTH)."""

    code = "LC_EAUTH"


class ProtocolError(LogcollectError):
    """The peer broke the protocol, or the versions differ (LC_EPROTO)."""

    code = "LC_EPROTO"


class RejectedError(LogcollectError):
    """The collector refused records since the last flush (LC_EREJECTED).
    They count as done: they will not be sent again."""

    code = "LC_EREJECTED"


class ClosedError(LogcollectError):
    """The client is closed, the process is exiting, or the collector is
    stopping (LC_ECLOSED)."""

    code = "LC_ECLOSED"


class BusyError(LogcollectError):
    """The collector is at its --max-clients limit (LC_EFULL)."""

    code = "LC_EFULL"


class TLSError(LogcollectError):
    """TLS: the collector's certificate is not trusted, the collector needs
    TLS and none is configured, TLS is configured and the collector has
    none, or a TLS file does not load (LC_ETLS)."""

    code = "LC_ETLS"


class TimedOut(LogcollectError, TimeoutError):
    """A wait ended first (LC_ETIMEDOUT)."""

    code = "LC_ETIMEDOUT"


class TooBigError(LogcollectError, ValueError):
    """The record is larger than the queue can hold or than the collector's
    --max-record (LC_ETOOBIG)."""

    code = "LC_ETOOBIG"
