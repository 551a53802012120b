"""Bad records are refused one by one with an ERROR frame naming the record
and the reason; the connection stays open, good records around them are
written in order, and nothing of a refused record reaches the file."""
from lctest import (ACK, ERROR, Daemon, authed, check, hello, main, read_until_ack,
                    send_frame)

BAD = [
    (b'{"_sid":"forged","msg":"x"}', 5, "_sid"),          # reserved name
    (b'{"\\u005fapp":"forged"}', 5, "reserved"),          # escaped reserved name
    (b'{"msg":"unterminated}', 2, "invalid JSON"),
    (b'{"msg":"caf\xe9"}', 3, "UTF-8"),                   # Latin-1 byte
    (b'{"a":1}{"b":2}', 2, "invalid JSON"),               # two objects
    (b'{"msg":"nul\\u0000"}', 2, "invalid JSON"),
    (b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}", 4, "deep"),  # nesting bomb
    (b'', 1, "object"),                                    # empty message
]


def scenario():
    d = Daemon()
    s = authed(d)
    w = hello(s)
    check(w["written"] == 0, "new session has written=%r" % w["written"])
    seq = 0
    expect_err = {}
    send_frame(s, b'{"msg":"first"}')
    seq += 1
    for payload, code, word in BAD:
        send_frame(s, payload)
        seq += 1
        expect_err[seq] = (code, word)
        seq += 1
        send_frame(s, b'{"msg":"good %d","nested":{"_ok":"inner names are free"}}' % seq)
    errors = read_until_ack(s, seq)
    got = {e["seq"]: e for e in errors}
    check(set(got) == set(expect_err), "errors for %s, expected %s" % (sorted(got), sorted(expect_err)))
    for q, (code, word) in expect_err.items():
        check(got[q]["code"] == code, "record %d: code %d, expected %d (%s)" %
              (q, got[q]["code"], code, got[q]["text"]))
        check(word.lower() in got[q]["text"].lower() and ("record %d" % q) in got[q]["text"],
              "record %d: error text %r lacks %r" % (q, got[q]["text"], word))
    s.close()
    lines = d.wait_lines(1 + len(BAD))
    check(len(lines) == 1 + len(BAD), "%d lines written" % len(lines))
    check(lines[0]["msg"] == "first", "first record missing")
    for l in lines[1:]:
        check(l["msg"].startswith("good ") and l["_seq"] == int(l["msg"].split()[1]),
              "unexpected line %r" % l)
        check(l["_app"] == "lctest" and l["_host"] == "testhost", "HELLO fields missing")
        check(l["nested"] == {"_ok": "inner names are free"}, "nested object changed")
    check(all("forged" not in str(l.values()) for l in lines), "forged field reached the file")
    d.stop()


main(scenario)
