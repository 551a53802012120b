"""The client's TLS files (CA, certificate, key) are FIFOs or a directory.
lc_open loads them, and used to do it holding the fork lock: opening a
FIFO for reading waits for a writer, so lc_open hung for good, and so did
fork() in every other thread.  Now the files are read first, without
blocking and regular files only, and only the parse holds the lock: lc_open
fails at once with LC_ETLS naming the file."""
import os

from lctest import CLI, Daemon, check, driver, main, run

SLACK_MS = 700


def scenario():
    d = Daemon(start=False)
    fifo = os.path.join(d.dir, "fifo.pem")
    os.mkfifo(fifo)
    plain = os.path.join(d.dir, "plain.pem")
    with open(plain, "w") as f:
        f.write("not PEM\n")
    cases = [
        ({"LOGCOLLECT_TLS_CA": fifo}, "CA file", fifo, "a FIFO"),
        ({"LOGCOLLECT_TLS_CA": d.dir}, "CA file", d.dir, "a directory"),
        ({"LOGCOLLECT_TLS_CA": plain, "LOGCOLLECT_TLS_CERT": fifo}, "client certificate",
         fifo, "a FIFO"),
        ({"LOGCOLLECT_TLS_CA": plain, "LOGCOLLECT_TLS_CERT": plain, "LOGCOLLECT_TLS_KEY": fifo},
         "client key", fifo, "a FIFO"),
    ]
    for extra, what, path, kind in cases:
        cp = run([driver("lc_timed")], env=d.env(**extra), timeout=30)
        lines = cp.stdout.splitlines()
        check(len(lines) == 1 and lines[0].startswith("open rc=-"), "%r: %r" % (extra, cp.stdout))
        ms = int(lines[0].split()[2][3:])
        check(ms < SLACK_MS, "%r: lc_open took %d ms" % (extra, ms))
        want = "cannot load the TLS %s (from the environment): %s is %s, not a regular file" % (
            what, path, kind)
        check(want in lines[0], "%r: %r lacks %r" % (extra, lines[0], want))
        print("%s is %s: lc_open failed in %d ms" % (what, kind, ms))
    cp = run([CLI, "status", "--tls-ca", fifo], env=d.env(), timeout=30, check_rc=False)
    check(cp.returncode == 1 and "cannot load the TLS CA file: %s is a FIFO" % fifo in cp.stderr,
          "status --tls-ca FIFO: %r" % cp.stderr)


main(scenario)
