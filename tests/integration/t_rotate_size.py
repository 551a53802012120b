"""Built-in rotation: with --rotate-size 64K --rotate-keep 3 the output is
rotated at line boundaries into OUTPUT.1 .. OUTPUT.3 (older files dropped);
the kept files hold a contiguous, complete tail of the stream."""
import os

from lctest import Daemon, check, driver, main, run

N = 5000


def scenario():
    d = Daemon("--rotate-size", "64K", "--rotate-keep", "3")
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env())
    files = [d.output + s for s in (".3", ".2", ".1", "")]
    check(all(os.path.exists(f) for f in files), "expected %r" % files)
    check(not os.path.exists(d.output + ".4"), "kept more than 3 rotated files")
    seqs = []
    for f in files:
        ls = d.lines(f)
        check(len(ls) > 0 or f == d.output, "%s is empty" % f)
        if f != d.output:
            size = os.path.getsize(f)
            check(64 * 1024 <= size < 64 * 1024 + 1024, "%s is %d bytes: not cut at the first line end past 64 KiB" % (f, size))
        seqs += [l["_seq"] for l in ls]
    check(seqs == list(range(seqs[0], N + 1)), "rotated files are not a contiguous tail")
    check(seqs[0] > 1, "nothing was dropped although more than 4 files' worth was written")
    check("rotated output file" in d.stderr(), "rotation not logged")
    d.stop()


main(scenario)
