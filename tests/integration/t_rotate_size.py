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

    # A rotation that cannot happen (OUTPUT.1 is a directory) is logged
    # once and retried only after another --rotate-size of growth, not on
    # every write; nothing is lost meanwhile.
    d2 = Daemon("--rotate-size", "64K", "--rotate-keep", "1")
    os.makedirs(d2.output + ".1/blocker")
    for _ in range(10):
        run([driver("lc_stream"), "--count", "100", "--flush"], env=d2.env())
    err = d2.stderr().count("cannot rotate")
    size = os.path.getsize(d2.output)
    check(size > 64 * 1024, "the file did not grow past the limit (%d)" % size)
    check(1 <= err <= size // (64 * 1024) + 1, "%d rotation errors for %d bytes" % (err, size))
    d2.stop()
    check(len(d2.lines()) == 1000, "records lost while rotation failed")


main(scenario)
