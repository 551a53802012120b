"""--forward-nats across rotation while forwarding is behind (a window of
2): an external rename plus SIGHUP, and the built-in --rotate-size; the
forwarder finishes each renamed file before the next, nothing is skipped
and nothing is sent twice (a core subscription counts every publish)
(issue 10)."""
import glob
import os
import signal

from lctest import Daemon, check, driver, main, run, wait_for
from lcnats import NatsServer, Watch, stream_info, stream_messages

N = 1500


def scenario():
    ns = NatsServer()
    w = Watch(ns.url, "logs.>")
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream", "--forward-window", "2",
               "--rotate-size", "100K", "--rotate-keep", "50")
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env(), timeout=60)
    os.rename(d.output, d.output + ".old")
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(d.output), 10, "the reopened output")
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env(), timeout=60)
    files = glob.glob(d.output + "*")
    lines = []
    for f in files:
        if f.endswith(".forward") or f.endswith(".lock") or f.endswith(".tmp"):
            continue
        lines += open(f, "rb").read().splitlines()
    check(len(lines) == 2 * N, "%d lines in %d files" % (len(lines), len(files)))
    check(len(files) > 4, "rotation did not happen: %r" % files)
    wait_for(lambda: stream_info(ns.url)["msgs"] >= 2 * N, 30, "%d in the stream" % (2 * N))
    msgs = stream_messages(ns.url)
    check(sorted(m["data"].encode() for m in msgs) == sorted(lines),
          "stream (%d) differs from the files (%d lines)" % (len(msgs), len(lines)))
    d.stop()
    # (the subscriber may lag behind the stream: wait for it, then count exactly)
    wait_for(lambda: len(w.messages()) >= 2 * N, 20, "the subscriber to see %d" % (2 * N))
    seen = w.messages()
    check(len(seen) == 2 * N, "%d publishes for %d records" % (len(seen), 2 * N))


main(scenario)
