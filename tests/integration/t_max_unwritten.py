"""--max-unwritten: a connection gets at most that many bytes of records
appended per loop turn; the rest waits in its (bounded) input buffer until
the batch is written.  With a tiny cap a fast stream is cut into many
batches (the reads_capped counter grows) and every record still arrives
once, in order."""
import re
import signal

from lctest import Daemon, check, driver, main, run, wait_for


def counter(d, name):
    before = d.stderr().count("counters:")
    d.send_signal(signal.SIGUSR1)
    wait_for(lambda: d.stderr().count("counters:") > before, 5, "counters")
    line = [l for l in d.stderr().splitlines() if "counters:" in l][-1]
    return int(re.search(r"\b%s=(\d+)" % re.escape(name), line).group(1))


def scenario():
    d = Daemon("--max-unwritten", "4096")
    run([driver("lc_flood"), "--conns", "1", "--records", "20000"], env=d.env(), timeout=120)
    capped = counter(d, "reads_capped")
    check(capped > 10, "reads_capped=%d with a 4 KiB cap" % capped)
    d.stop()
    rs = [int(l["r"]) for l in d.lines()]
    check(rs == list(range(1, 20001)), "records lost or reordered under the cap")


main(scenario)
