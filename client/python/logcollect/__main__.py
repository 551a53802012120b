"""python3 -m logcollect: a thin command line, to try the package.

    python3 -m logcollect send [--app APP] [--level LEVEL] MESSAGE [NAME=VALUE ...]
    python3 -m logcollect status

It exists as a demonstration and a quick check that the package reaches the
collector (the port file and key file come from LOGCOLLECT_PORT_FILE and
LOGCOLLECT_KEY_FILE, or --port-file / --key-file); the C `logcollect`
command is the complete tool.  Exit status 0 on success, 1 when the
collector could not be reached or refused, 2 for a usage error.
"""

import argparse
import json
import os
import sys

from . import Client, LogcollectError, query_status


def _common(p):
    p.add_argument("--port-file", help="port file (default $LOGCOLLECT_PORT_FILE, else "
                   "/run/logcollectord/port)")
    p.add_argument("--key-file", help="key file (default $LOGCOLLECT_KEY_FILE, else "
                   "/etc/logcollectord/key)")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="seconds to wait for the collector (default 5)")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m logcollect",
                                 description="Send a record to logcollectord, or ask "
                                 "for its counters.")
    sub = ap.add_subparsers(dest="cmd")
    s = sub.add_parser("send", help="send one record and wait for its acknowledgement")
    _common(s)
    s.add_argument("--app", help="_app (default $LOGCOLLECT_APP, else 'logcollect')")
    s.add_argument("--level", default="info", help="level name (default info)")
    s.add_argument("message")
    s.add_argument("fields", nargs="*", metavar="NAME=VALUE")
    st = sub.add_parser("status", help="print the collector's counters as JSON")
    _common(st)
    a = ap.parse_args(argv)
    if a.cmd is None:
        ap.print_usage(sys.stderr)
        return 2
    try:
        if a.cmd == "send":
            fields = {}
            for f in a.fields:
                name, eq, value = f.partition("=")
                if not eq or not name:
                    ap.error("field %r is not NAME=VALUE" % f)
                fields[name] = value
            with Client(port_file=a.port_file, key_file=a.key_file,
                        app=a.app or os.environ.get("LOGCOLLECT_APP") or "logcollect",
                        connect_timeout=a.timeout) as c:
                c.log(a.level, a.message, **fields)
                if not c.flush(a.timeout):
                    err = c.last_error
                    print("logcollect: not acknowledged within %g s%s" % (
                        a.timeout, ": %s" % err if err else ""), file=sys.stderr)
                    return 1
            return 0
        print(json.dumps(query_status(a.port_file, a.key_file, a.timeout), indent=2,
                         sort_keys=True))
        return 0
    except ValueError as e:
        print("logcollect: %s" % e, file=sys.stderr)
        return 2
    except LogcollectError as e:
        print("logcollect: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
