"""logcollect: send structured records to logcollectord, from Python.

The Python counterpart of liblogcollect (the C client): acknowledged
delivery, a bounded queue, reconnection with re-sending so that nothing is
lost or repeated across a collector restart, fork safety, TLS, and a
``logging`` handler.  Standard library only; Python 3.8 and later.

    import logging, logcollect
    logcollect.configure(app="myapp")
    logging.info("hello %s", "world", extra={"user": "alice"})

See client/python/README.md (API) and docs/python.md (guide).
"""

from .client import Client, query_status
from .record import (ALERT, CRITICAL, DEBUG, EMERGENCY, ERROR, INFO, NOTICE, WARNING,
                     level_from_name, level_name)
from .errors import (AuthError, BusyError, ClosedError, ConnectError, KeyFileError,
                     LogcollectError, PortFileError, ProtocolError, RejectedError, TimedOut,
                     TLSError, TooBigError)
from .handler import Handler, configure

__version__ = "0.1.0"

__all__ = [
    "Client", "Handler", "configure", "query_status", "level_name", "level_from_name",
    "EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG",
    "LogcollectError", "KeyFileError", "PortFileError", "ConnectError", "AuthError",
    "ProtocolError", "RejectedError", "ClosedError", "BusyError", "TLSError", "TimedOut",
    "TooBigError",
]
