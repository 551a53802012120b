"""lc_close frees everything: the drivers run under valgrind (memcheck,
--leak-check=full; definite and indirect leaks and memory errors fail),
through the paths that allocate: the collector down at lc_open then started
(reconnects), several threads, the queue filling up (drops and the notice),
and fork (children start their own session and free the parent's queue
copy; half of them end with exit(), the other half with lc_shutdown).
One suppression: OpenSSL 3 keeps its per-thread error state of a thread
that ran in a fork child (ERR_set_mark), which it then never frees.
Skipped when valgrind is not installed."""
# LCTEST: plain-only
# LCTEST: timeout=300
import os
import shutil
import subprocess

from lctest import Daemon, check, driver, Skip, main, run, spawn, tmpdir

SUPP = """{
   openssl-thread-error-state-in-fork-child
   Memcheck:Leak
   match-leak-kinds: definite,indirect
   fun:malloc
   fun:CRYPTO_zalloc
   ...
   fun:ERR_set_mark
}
"""


def scenario():
    if not shutil.which("valgrind"):
        raise Skip("valgrind not installed")
    supp = os.path.join(tmpdir(), "openssl.supp")
    with open(supp, "w") as f:
        f.write(SUPP)
    vg = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
          "--errors-for-leak-kinds=definite,indirect",
          "--show-leak-kinds=definite,indirect", "--suppressions=" + supp]

    d = Daemon(start=False)
    env = d.env()
    p = spawn(vg + [driver("lc_stream"), "--count", "3000", "--kv", "--flush",
                    "--wait-failures", "1"], env=env,
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    check(first.split() == ["sent", "3000"], "lc_stream said %r" % first)
    # the failed-attempt path runs under valgrind too: wait for it (no sleep)
    second = p.stdout.readline()
    check(second.split()[:1] == ["failures"] and int(second.split()[1]) >= 1,
          "lc_stream said %r" % second)
    d.start()
    out, err = p.communicate(timeout=120)
    check(p.returncode == 0 and "acked" in out, "lc_stream under valgrind: rc %d\n%s" %
          (p.returncode, err[-4000:]))

    cp = run(vg + [driver("lc_threads"), "--threads", "4", "--count", "2000",
                   "--queue", "65536"], env=env, timeout=120, check_rc=False)
    check(cp.returncode == 0, "lc_threads under valgrind: rc %d\n%s" % (cp.returncode, cp.stderr[-4000:]))

    cp = run(vg + [driver("lc_fork"), "--children", "2", "--count", "500", "--pre", "1000",
                   "--post", "500"], env=env, timeout=180, check_rc=False)
    check(cp.returncode == 0 and "done" in cp.stdout,
          "lc_fork under valgrind: rc %d\n%s" % (cp.returncode, cp.stderr[-4000:]))

    d.stop()
    # Collector down all along: records dropped, then discarded at close.
    q = spawn(vg + [driver("lc_dropper"), "--queue", "8192", "--count", "500",
                    "--flush-ms", "100"], env=env,
              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = q.communicate("go\n", timeout=120)
    check(q.returncode == 0 and "phase1" in out, "lc_dropper under valgrind: rc %d\n%s" %
          (q.returncode, err[-4000:]))
    check(len(d.lines()) == 3000 + 8000 + 1000 + 2 * 500 + 500, "%d lines" % len(d.lines()))


main(scenario)
