"""The daemon's own TLS files (--tls-cert, --tls-key, --tls-client-ca) are
FIFOs.  OpenSSL opens them itself, blocking: opening a FIFO for reading
waits for a writer, so the daemon hung at start for good.  Now each is
checked first (opened without blocking, regular files only) and the daemon
exits at once with an error naming the option and the file."""
import os
import time

from lctest import Daemon, check, main, run


def scenario():
    d = Daemon(start=False)
    fifo = os.path.join(d.dir, "fifo.pem")
    os.mkfifo(fifo)
    plain = os.path.join(d.dir, "plain.pem")
    with open(plain, "w") as f:
        f.write("not PEM\n")
    for opt in ("--tls-cert", "--tls-key", "--tls-client-ca"):
        argv = d.argv()
        for o in ("--tls-cert", "--tls-key", "--tls-client-ca"):
            argv += [o, fifo if o == opt else plain]
        t0 = time.monotonic()
        cp = run(argv, timeout=30, check_rc=False)
        ms = (time.monotonic() - t0) * 1000
        check(cp.returncode != 0, "daemon started with a FIFO for %s" % opt)
        check(("cannot load %s: %s is a FIFO" % (opt, fifo)) in cp.stderr and "FIFO" in cp.stderr,
              "%s: error does not name the option, the file and why: %r" % (opt, cp.stderr))
        check(ms < 5000, "%s: took %d ms" % (opt, ms))


main(scenario)
