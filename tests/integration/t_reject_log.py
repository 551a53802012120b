"""Refused records are visible in the daemon's log even for a client that
cannot read ERRORs (issue 11, hole 4): each names the peer, the app, the
reason and the payload's first bytes, escaped (a terminal escape sequence in
a payload does not reach the operator's terminal); per connection at most 5
lines per 10 s, then one line counting the rest."""
import re

from lctest import Daemon, authed, check, main, send_frame, wait_for

N = 20


def scenario():
    d = Daemon()
    s = authed(d)                                   # a stock client: no HELLO, never reads
    for i in range(N):
        send_frame(s, b'{"_evil":"\x1b]0;pwned\x07","i":%d}' % i)
    send_frame(s, b'{"ok":1}')
    d.wait_lines(1)
    s.close()
    wait_for(lambda: "more records from" in d.stderr(), 10, "the count of unlogged rejections")
    d.stop()
    err = d.stderr()
    logged = [l for l in err.splitlines() if "rejected record" in l]
    check(len(logged) == 5, "%d rejection lines, expected 5:\n%s" % (len(logged), err))
    first = logged[0]
    check(re.search(r"rejected record 1 from 127\.0\.0\.1:\d+ \(app \"-\", session [0-9a-f]{8}\): "
                    r"invalid JSON: control character", first), "line: %r" % first)
    check('it starts "{\\"_evil\\":\\"\\x1b]0;pwned\\x07\\",\\"i\\":0}"' in first,
          "payload not shown escaped: %r" % first)
    check("\x1b" not in err and "\x07" not in err, "raw control bytes reached the log")
    check(re.search(r"15 more records from 127\.0\.0\.1:\d+ \(app \"-\"\) were rejected", err),
          "no count of the rest:\n" + err)
    check(len(d.lines()) == 1, "the good record was not written")


main(scenario)
