"""Config file: 'name = value' lines for every option; the command line
wins; unknown names and bad values are errors naming FILE:LINE, exit 1."""
import os

from lctest import DAEMON, Daemon, authed, check, hello, main, read_until_ack, run, send_frame, tmpdir


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def scenario():
    t = tmpdir()
    conf = os.path.join(t, "c.conf")
    # a working config: applies settings, the command line wins over it
    d = Daemon(start=False)
    write(conf, "# comment\n\nmax-record = 2K\nallow-legacy-md5 = yes\n"
                "handshake-timeout = \"7\"\nmax-clients=3\n")
    d.extra = ["--config", conf, "--max-clients", "50"]
    d.start()
    s = authed(d)
    hello(s)
    send_frame(s, b'{"m":"' + b"x" * 2100 + b'"}')       # over 2K from the file
    send_frame(s, b'{"m":"small"}')
    errs = read_until_ack(s, 2)
    check(len(errs) == 1 and errs[0]["code"] == 6 and "2048" in errs[0]["text"],
          "max-record from the config file not applied: %r" % errs)
    conns = [authed(d) for _ in range(5)]                  # > 3: the CLI's 50 wins
    for c in conns:
        hello(c)
    s.close()
    for c in conns:
        c.close()
    d.stop()

    cases = [
        ("max-record = 2K\nbogus = 1\n", "c.conf:2: unknown setting 'bogus'"),
        ("port = 99999\n", "c.conf:1: port must be a number from 0 to 65535, not '99999'"),
        ("\n\nallow-legacy-md5 = maybe\n", "c.conf:3: allow-legacy-md5 must be yes or no"),
        ("gen-key = /tmp/x\n", "c.conf:1: unknown setting 'gen-key' (only on the command line)"),
        ("just words\n", "c.conf:1: expected 'name = value'"),
        ("output =\n", "c.conf:1: output needs a non-empty value"),
    ]
    for text, expect in cases:
        write(conf, text)
        cp = run([DAEMON, "--allow-root", "--config", conf, "--port-file", os.path.join(t, "p")],
                 check_rc=False, timeout=10)
        check(cp.returncode == 1, "%r: exit %d" % (text, cp.returncode))
        check(expect in cp.stderr and len(cp.stderr.strip().splitlines()) == 1,
              "%r: stderr %r lacks %r" % (text, cp.stderr, expect))
    cp = run([DAEMON, "--allow-root", "--config", os.path.join(t, "missing.conf")], check_rc=False,
             timeout=10)
    check(cp.returncode == 1 and "cannot read config file" in cp.stderr, "missing --config: %r" % cp.stderr)


main(scenario)
