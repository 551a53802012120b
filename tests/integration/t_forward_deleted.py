"""--forward-nats: a file deleted (log rotation) before the forwarder
finished it, while the daemon was stopped: at start the daemon says so,
counts it in forward.lost_files (its lines cannot be counted: the file is
gone) and forwards what comes next, once (issue 10; README "Forwarding to
NATS JetStream" documents the loss)."""
import os

from lctest import Daemon, check, driver, main, run, wait_for
from lcnats import NatsServer, stream_info, stream_messages


def scenario():
    ns = NatsServer(start=False)
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream")
    check(os.path.exists(d.output + ".forward"), "no state file at start")
    run([driver("lc_stream"), "--count", "300", "--flush"], env=d.env(), timeout=30)
    d.stop()
    os.rename(d.output, d.output + ".1")
    os.unlink(d.output + ".1")            # logrotate's rotate count reached
    d.start()
    check("is gone" in d.stderr(), "the loss is not logged:\n" + d.stderr())
    run([driver("lc_stream"), "--count", "100", "--flush"], env=d.env(), timeout=30)
    st = d.counters()
    check(st["forward.lost_files"] == 1, "lost_files %r" % st["forward.lost_files"])
    ns.start()
    wait_for(lambda: (stream_info(ns.url) or {}).get("msgs", 0) >= 100, 20, "100 in the stream")
    wait_for(lambda: d.counters()["forward.behind_bytes"] == 0, 10, "caught up")
    msgs = stream_messages(ns.url)
    check([m["data"].encode() for m in msgs] == open(d.output, "rb").read().splitlines(),
          "stream differs from the new file (%d messages)" % len(msgs))
    d.stop()


main(scenario)
