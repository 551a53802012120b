"""A client whose records the daemon does not acknowledge (its output
failing: RLIMIT_FSIZE 0 stands in for a full disk) must not spin while it
waits: over 2 s its sender thread wakes far fewer than 1,000 times a
second (the fixed 1 ms in-flight poll of issue 13 woke it ~1,000 times a
second, for as long as the ACKs were withheld).  Then the disk frees and
every record is written exactly once: waiting longer lost nothing."""
import subprocess

from lctest import Daemon, check, driver, main, run, spawn, wait_for

K = 50
MAX_WAKEUPS_PER_S = 50


def scenario():
    d = Daemon()
    subprocess.check_call(["prlimit", "--pid", str(d.proc.pid), "--fsize=0:unlimited"])
    p = spawn([driver("lc_idle_clients"), "--clients", "1", "--records", str(K),
               "--seconds", "2"], env=d.env(), stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0, "lc_idle_clients: %r %r" % (out, err))
    fields = dict(kv.split("=") for kv in out.split()[1:])
    rate = float(fields["wakeups_per_client_s"])
    check(rate < MAX_WAKEUPS_PER_S,
          "the sender woke %.0f times a second waiting for withheld ACKs (at most %d "
          "expected): %s" % (rate, MAX_WAKEUPS_PER_S, out))
    check(fields["acked"] == "0", "the daemon acknowledged records it could not write: " + out)
    # The disk frees: the daemon writes again (the waiting client has
    # closed without waiting; none of its records were written).
    subprocess.check_call(["prlimit", "--pid", str(d.proc.pid), "--fsize=unlimited:unlimited"])
    r = run([driver("lc_stream"), "--count", str(K), "--flush", "--app", "after"], env=d.env())
    check(r.stdout.split() == ["sent", str(K), "acked"], "after: %r" % r.stdout)
    lines = d.lines()
    check(sorted(l["_seq"] for l in lines if l["_app"] == "after") == list(range(1, K + 1)),
          "the records sent after the disk freed are not all there once")
    d.stop()


main(scenario)
