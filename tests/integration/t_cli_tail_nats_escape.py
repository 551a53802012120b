"""A stream is written by whoever may publish on its subjects, not only by
logcollectord: logcollect tail --nats treats its messages as it treats the
file, untrusted.  Control characters (ESC, C1 CSI) in a record's message, a
field name and value, and in a message that is not JSON at all, are shown as
escapes, never sent to the terminal; the non-JSON message is shown as is
(escaped) with a warning, and the records around it still show."""
import json

import lcnats
from lctest import CLI, check, main, run

ESC, CSI = "\x1b", "\u009b"


def scenario():
    ns = lcnats.NatsServer()
    lines = [
        json.dumps({"msg": "before", "_app": "web"}),
        json.dumps({"msg": "red " + ESC + "[31m alert " + CSI + "2J", "_app": "web" + ESC,
                    "k" + ESC + "]0;title\x07": "v" + CSI + "1m"}, ensure_ascii=False),
        "not json " + ESC + "[2J" + CSI + "H",
        json.dumps({"msg": "after", "_app": "web"}),
    ]
    check(lcnats.publish(ns.url, "logs.evil", lines, create="LOGS") == 4, "published 4")
    cp = run([CLI, "tail", "--nats", ns.url, "-n", "10", "--color", "never"])
    out = cp.stdout
    check(ESC not in out and CSI not in out and "\x07" not in out,
          "a control character reached the terminal: %r" % out)
    check("\\x1b[31m" in out and "\\u009b2J" in out and "k\\x1b]0;title\\x07" in out,
          "the escapes are not shown: %r" % out)
    check("not json \\x1b[2J\\u009bH" in out, "the non-JSON message is not shown escaped: %r" % out)
    check("not a JSON object" in cp.stderr, "no warning for the non-JSON message: %r" % cp.stderr)
    shown = out.splitlines()
    check(len(shown) == 4 and "before" in shown[0] and "after" in shown[3],
          "expected 4 lines, before .. after: %r" % shown)


main(scenario)
