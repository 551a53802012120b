"""Integers outside int64 in the output file.  The collector accepts any
number a double can hold, but `logcollect tail` read lines with jansson's
defaults, which refuse such an integer: the line was shown as "not a JSON
object", --app did not filter it and --dedup kept both copies.  Now tail
reads them (as doubles, like the collector's check) while every integer
inside int64 stays exact, so --dedup still tells apart _seq values that
one double cannot (2^53 + 1 and 2^53 + 2)."""
import os

from lctest import CLI, Daemon, authed, check, hello, main, read_until_ack, run, send_frame

BIG = (b'{"msg":"big","u":18446744073709551617,"e":1000000000000000000000000000000,'
       b'"neg":-18446744073709551617,"s":"18446744073709551617 in a string \\" 123",'
       b'"nested":[99999999999999999999,{"x":-99999999999999999999}],"small":7,'
       b'"exp":1e-0000000000000000000001,"frac":0.10000000000000000000001}')


def tail(path, *args):
    return run([CLI, "tail", "--utc", "-n", "100"] + list(args) + [path],
               env=dict(os.environ, TZ="UTC"))


def send(d, app, records):
    s = authed(d)
    hello(s, app=app)
    for r in records:
        send_frame(s, r)
    errors = read_until_ack(s, len(records))
    s.close()
    check(errors == [], "%s: refused %r" % (app, errors))


def scenario():
    d = Daemon()
    send(d, "bigapp", [BIG, b'{"msg":"small","u":5}'])
    send(d, "other", [b'{"msg":"other","u":18446744073709551617}'])
    d.wait_lines(3)
    d.stop()
    raw = open(d.output, "rb").read().splitlines(keepends=True)
    check(len(raw) == 3, "%d lines" % len(raw))

    # The big line, as a collector restarted after a crash writes it again,
    # and two lines of one session whose _seq one double cannot tell apart.
    f = os.path.join(d.dir, "crashed.jsonl")
    seq_a = (b'{"msg":"seq a","u":18446744073709551617,"_sid":"00000000000000000000000000000001",'
             b'"_seq":9007199254740993}\n')
    seq_b = (b'{"msg":"seq b","u":18446744073709551617,"_sid":"00000000000000000000000000000001",'
             b'"_seq":9007199254740994}\n')
    with open(f, "wb") as out:
        out.write(b"".join(raw) + raw[0] + seq_a + seq_b + seq_a)

    cp = tail(f)
    lines = cp.stdout.splitlines()
    check("not a JSON object" not in cp.stderr, "tail warned: %r" % cp.stderr)
    check(len(lines) == 7, "tail shows %d lines: %r" % (len(lines), lines))
    big = lines[0]
    check(" bigapp[" in big and " big " in big and "small=7" in big and
          " u=1.8446744073709552e19 e=1e30 neg=-1.8446744073709552e19 " in big and
          'nested=[1e20,{"x":-1e20}]' in big and " exp=0.10000000000000001 frac=0.10000000000000001" in big,
          "the big line in columns: %r" % big)
    check('s="18446744073709551617 in a string \\" 123"' in big, "a string changed: %r" % big)

    app = tail(f, "--app", "bigapp").stdout.splitlines()
    check(len(app) == 3 and all(" bigapp[" in a for a in app), "--app bigapp: %r" % app)
    check(len(tail(f, "--app", "other").stdout.splitlines()) == 1, "--app other")

    dd = tail(f, "--dedup").stdout.splitlines()
    check(len(dd) == 5, "--dedup shows %d lines, expected 5: %r" % (len(dd), dd))
    check(sum(" seq a " in l for l in dd) == 1 and sum(" seq b " in l for l in dd) == 1,
          "--dedup and exact _seq: %r" % dd)
    js = tail(f, "--dedup", "--json").stdout.encode().splitlines(keepends=True)
    check(js == raw + [seq_a, seq_b], "--dedup --json: %r" % js)
    print("tail: 7 lines shown, --app bigapp 3, --dedup 5 of 7 (2^53+1 and 2^53+2 kept apart)")


main(scenario)
