"""Every line the collector writes can be read by the usual JSON readers.
jq 1.6 stops reading the whole file at a line nested 257 containers deep,
and Python's json.loads raises RecursionError at about 1000 levels; the
collector used to accept 2048.  Now records nested deeper than --max-depth
(default 64; the record itself is level 1, a scalar in it level 2) are
refused with ERROR 4, and a selection of edge cases that are accepted
(huge integers, underflowing and extreme numbers, long strings, escapes,
raw non-ASCII, duplicate names, wide arrays) is read back by `jq -c .` and
by json.loads, line by line and as a whole file."""
import json
import os
import shutil
import subprocess

from lctest import (DAEMON, Daemon, Skip, check, authed, hello, main, read_until_ack, run,
                    send_frame)

LIMIT = 64


def arrays(n, inner=b""):
    return b"[" * n + inner + b"]" * n


def objects(n, inner=b"{}"):
    return b'{"a":' * n + inner + b"}" * n


def rec(i, body):
    return b'{"id":%d,"v":%s}' % (i, body)


def cases(limit):
    """(payload, accepted?) in sending order; "v" is at level 2, so n
    containers around the innermost value take it to level 1 + n (+1)."""
    c = []
    # depth: limit - 1, limit, limit + 1, with an empty innermost container
    c.append((rec(len(c), arrays(limit - 2)), True))
    c.append((rec(len(c), arrays(limit - 1)), True))
    c.append((rec(len(c), arrays(limit)), False))
    c.append((rec(len(c), objects(limit - 2)), True))
    c.append((rec(len(c), objects(limit - 1)), False))
    # a scalar counts as a level
    c.append((rec(len(c), arrays(limit - 2, b"1")), True))
    c.append((rec(len(c), arrays(limit - 1, b'"x"')), False))
    # a nesting bomb, and jq's own limit
    c.append((rec(len(c), arrays(2000)), False))
    c.append((rec(len(c), arrays(300)), False))
    if limit > 2:
        # numbers: beyond int64 and uint64, long, extreme, underflowing
        for num in (b"18446744073709551617", b"-18446744073709551617", b"1" + b"0" * 30,
                    b"9" * 308, b"-9223372036854775809", b"1e-400", b"-0", b"0e99999999",
                    b"1.7976931348623157e308", b"4.9e-324", b"1E+2", b"0.1" + b"0" * 500):
            c.append((rec(len(c), num), True))
        for num in (b"1e400", b"9" * 400, b"-1" + b"0" * 309):
            c.append((rec(len(c), num), False))
        # strings: long, escaped, raw UTF-8 (4-byte, U+2028, U+FEFF, U+FFFF)
        c.append((rec(len(c), b'"' + b"x" * 200000 + b'"'), True))
        c.append((rec(len(c), rb'"\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r\u001f\u2028"'), True))
        c.append((rec(len(c), '"é😀\u2028\ufeff\uffff"'.encode()), True))
        c.append((rec(len(c), rb'"\ud800"'), False))
        # duplicate names, raw CR/LF whitespace, an empty object, a wide array
        c.append((b'{"id":%d,"k":1,"k":2}' % len(c), True))
        c.append((b'{\r\n"id":%d,\n"v":\t[1,\r\n2]\n}\n' % len(c), True))
        c.append((rec(len(c), b"{}"), True))
        c.append((rec(len(c), b"[" + b",".join([b"[1,{}]"] * 10000) + b"]"), True))
        c.append((rec(len(c), arrays(limit // 2, objects(limit // 2 - 2, b"[]"))), True))
    return c


def readers_agree(path, n):
    """jq and Python's json read all n lines of path."""
    cp = run(["jq", "-c", ".", path], timeout=60, check_rc=False)
    check(cp.returncode == 0, "jq stopped: %r" % cp.stderr[-300:])
    got = cp.stdout.count("\n")  # (not splitlines: U+2028 is no line end in JSON Lines)
    check(got == n, "jq read %d lines, the file has %d" % (got, n))
    with open(path, "rb") as f:
        raw = f.read()
    check(raw.endswith(b"\n") and raw.count(b"\n") == n, "not %d whole lines" % n)
    for k, line in enumerate(raw.split(b"\n")[:-1], 1):
        try:
            v = json.loads(line)
        except (ValueError, RecursionError) as e:
            raise AssertionError("json.loads fails on line %d: %r" % (k, e))
        check(isinstance(v, dict), "line %d is not an object" % k)


def send_and_check(d, limit):
    cs = cases(limit)
    s = authed(d)
    hello(s)
    for payload, _ in cs:
        send_frame(s, payload)
    errors = read_until_ack(s, len(cs), timeout=30)
    s.close()
    refused = {e["seq"] - 1 for e in errors}
    want_refused = {i for i, (_, ok) in enumerate(cs) if not ok}
    check(refused == want_refused, "depth %d: refused %s, expected %s" %
          (limit, sorted(refused), sorted(want_refused)))
    for e in errors:
        i = e["seq"] - 1
        check(e["code"] in (2, 3, 4), "record %d: code %d" % (i, e["code"]))
        if b'"v":[[' in cs[i][0] or b'"v":{"a"' in cs[i][0]:
            check(e["code"] == 4 and ("%d levels" % limit) in e["text"],
                  "record %d: %r" % (i, e))
    n_ok = len(cs) - len(want_refused)
    lines = d.wait_lines(n_ok)
    check([l["id"] for l in lines] == [i for i, (_, ok) in enumerate(cs) if ok],
          "depth %d: written ids %s" % (limit, [l["id"] for l in lines]))
    readers_agree(d.output, n_ok)
    print("--max-depth %d: %d records sent, %d written, %d refused; jq and json.loads "
          "read all %d lines" % (limit, len(cs), n_ok, len(want_refused), n_ok))


def scenario():
    if not shutil.which("jq"):
        raise Skip("jq is not installed (make deps installs it)")
    d = Daemon()
    send_and_check(d, LIMIT)
    d.stop()

    # Another limit, from the config file; the bounds of the option.
    t = Daemon(start=False)
    conf = os.path.join(t.dir, "conf")
    with open(conf, "w") as f:
        f.write("max-depth = 5\n")
    t.extra = ["--config", conf]
    t.start()
    send_and_check(t, 5)
    t.stop()
    for bad in ("1", "2049", "x"):
        cp = run(t.argv() + ["--max-depth", bad], check_rc=False, timeout=10)
        check(cp.returncode == 1 and "--max-depth must be a number from 2 to 2048" in cp.stderr,
              "--max-depth %s: %r" % (bad, cp.stderr))
    cp = run([DAEMON, "--help"])
    check("--max-depth" in cp.stdout and "default 64" in cp.stdout, "--help lacks --max-depth")


main(scenario)
