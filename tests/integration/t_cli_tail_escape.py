"""logcollect tail never sends a record's control characters to the
terminal (issue 14): anyone holding the key can put ESC, BEL, CR and OSC or
CSI sequences (also the 8-bit C1 forms, U+0080..U+009F) into msg, _app, a
field name or a value, or write a line that is not JSON at all; tail shows
them as escapes.  Before, msg and _app went out raw, so a record could
retitle the operator's terminal or rewrite what it shows."""
import json
import os
import subprocess

from lctest import CLI, Daemon, authed, check, hello, main, read_until_ack, send_frame, tmpdir

EVIL = "\x1b]0;owned\x07\x1b[2J\r\x9b31mred\x7f"


def forbidden(text):
    """Bytes a terminal would act on: C0 but newline, DEL, C1."""
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or ord(c) == 0x7f
            or 0x80 <= ord(c) <= 0x9f]


def scenario():
    d = Daemon()
    s = authed(d)
    hello(s, app="app" + EVIL)
    rec = {"msg": "hello" + EVIL, "k" + EVIL: "v" + EVIL, "plain": "x\x9by"}
    send_frame(s, json.dumps(rec).encode())            # \u escapes on the wire
    send_frame(s, json.dumps(rec, ensure_ascii=False).encode())  # raw UTF-8 (C1 as c2 9b)
    read_until_ack(s, 2)
    s.close()
    d.stop()
    out = subprocess.run([CLI, "tail", "--utc", "-v", d.output], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=30).stdout.decode("utf-8", "replace")
    lines = out.splitlines()
    check(len(lines) == 2, "tail printed %d lines: %r" % (len(lines), out))
    check(not forbidden(out), "control characters reached the terminal: %r" % forbidden(out))
    for l in lines:
        check("hello\\x1b]0;owned\\x07\\x1b[2J\\r\\u009b31mred\\x7f" in l, "msg not escaped: %r" % l)
        check("app\\x1b]0;owned" in l, "_app not escaped: %r" % l)
        check("k\\x1b]0;owned" in l, "field name not escaped: %r" % l)
        check("plain=x\\u009by" in l, "C1 in a value not escaped: %r" % l)

    raw = os.path.join(tmpdir(), "raw.jsonl")
    with open(raw, "wb") as f:
        f.write(b"not json \x1b]0;owned\x07 \x07\x08\r\n")
    cp = subprocess.run([CLI, "tail", raw], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=30)
    shown = cp.stdout.decode("utf-8", "replace")
    check(not forbidden(shown), "a line that is not JSON went out raw: %r" % shown)
    check("not json \\x1b]0;owned\\x07 \\x07\\x08\\r" in shown, "raw line: %r" % shown)


main(scenario)
