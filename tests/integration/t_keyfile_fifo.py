"""The key file is a FIFO.  lc_open reads the key file in the calling
thread, and opening a FIFO for reading waits for a writer: lc_open (and
logcollect status, send) hung for good.  Now the key file is opened without
blocking and refused unless it is a regular file: lc_open fails at once
with LC_EKEYFILE naming the file, and so do the CLI commands.  The daemon
refuses it at start too."""
import os

from lctest import CLI, DAEMON, Daemon, check, driver, main, run

SLACK_MS = 700


def scenario():
    d = Daemon(start=False, key=False)
    os.mkfifo(d.key_file)
    env = d.env()

    for args in ([], ["--fail-fast"]):
        cp = run([driver("lc_timed")] + args, env=env, timeout=30)
        lines = cp.stdout.splitlines()
        check(len(lines) == 1 and lines[0].startswith("open rc=-"), "lc_timed %r: %r" %
              (args, cp.stdout))
        ms = int(lines[0].split()[2][3:])
        check(ms < SLACK_MS, "lc_open took %d ms" % ms)
        check(d.key_file in lines[0] and "is a FIFO, not a regular file" in lines[0],
              "lc_open error: %r" % lines[0])
        print("lc_open %s: %d ms" % (" ".join(args) or "(background)", ms))

    for cmd in (["status"], ["send", "hello"]):
        cp = run([CLI] + cmd, env=env, timeout=30, check_rc=False)
        check(cp.returncode != 0 and d.key_file in cp.stderr and "a FIFO" in cp.stderr,
              "logcollect %s: %r" % (cmd[0], cp.stderr))

    cp = run(d.argv(), timeout=30, check_rc=False)
    check(cp.returncode != 0 and d.key_file in cp.stderr and "a FIFO" in cp.stderr,
          "daemon: %r" % cp.stderr)


main(scenario)
