"""Interop: Debian's stock python3 (3.11) multiprocessing.connection.Client,
legacy HMAC-MD5 handshake.  With --allow-legacy-md5 its 1,000 records all
arrive in order; without the flag it is refused and nothing is written."""
import subprocess
import sys

from lctest import Daemon, check, main, run, spawn

CLIENT = r'''
import json, sys
from multiprocessing.connection import Client
host, port, keyhex, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
c = Client((host, port), authkey=bytes.fromhex(keyhex))
for i in range(n):
    c.send_bytes(json.dumps({"msg": "rec %d" % i, "i": i, "text": "caf\u00e9 \"q\""}).encode())
c.close()
'''


def scenario():
    d = Daemon("--allow-legacy-md5")
    py = "/usr/bin/python3" if sys.version_info[:2] == (3, 11) else sys.executable
    run([py, "-c", CLIENT, d.info["host"], str(d.port), d.key.hex(), "1000"])
    lines = d.wait_lines(1000)
    check(len(lines) == 1000, "got %d lines" % len(lines))
    sids = {l["_sid"] for l in lines}
    check(len(sids) == 1, "one anonymous session expected, got %d" % len(sids))
    for i, l in enumerate(lines):
        check(l["i"] == i and l["msg"] == "rec %d" % i, "line %d out of order: %r" % (i, l))
        check(l["_seq"] == i + 1, "line %d has _seq %r" % (i, l["_seq"]))
        check(l["text"] == "caf\u00e9 \"q\"", "text mangled: %r" % l["text"])
        check(l["_peer"].startswith("127.0.0.1:"), "bad _peer %r" % l["_peer"])
        check(l["_rt"].endswith("Z") and len(l["_rt"]) == 27, "bad _rt %r" % l["_rt"])
    d.stop()

    # Without the flag: refused, nothing written.
    d2 = Daemon()
    cp = run([py, "-c", CLIENT, d2.info["host"], str(d2.port), d2.key.hex(), "5"],
             check_rc=False)
    check(cp.returncode != 0, "legacy client was accepted without --allow-legacy-md5")
    check("AuthenticationError" in cp.stderr, "expected AuthenticationError, got:\n" + cp.stderr)
    d2.stop()
    check(d2.lines() == [], "records written from a refused client")
    check("legacy" in d2.stderr(), "daemon did not say the legacy handshake was refused")


main(scenario)
