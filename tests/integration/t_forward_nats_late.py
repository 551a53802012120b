"""--forward-nats with NATS down when the daemon starts: clients are acked
(the file is the durable copy), and once nats-server is up every record
arrives in the stream exactly once (issue 10)."""
from lctest import Daemon, check, driver, main, run, wait_for
from lcnats import NatsServer, stream_messages


def scenario():
    ns = NatsServer(start=False)
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream")
    out = run([driver("lc_stream"), "--count", "500", "--flush"], env=d.env(), timeout=30).stdout
    check("acked" in out, "clients not acked while NATS is down: %r" % out)
    d.wait_lines(500)
    st = d.counters()
    check(st["forward.forwarded"] == 0 and st["forward.state"] != "connected",
          "forwarded with NATS down? %r" % st)
    ns.start()
    wait_for(lambda: (stream_messages(ns.url) or []).__len__() >= 500, 20, "500 in the stream")
    msgs = stream_messages(ns.url)
    check(len(msgs) == 500 and len({m["msgid"] for m in msgs}) == 500,
          "stream holds %d messages (%d ids)" % (len(msgs), len({m["msgid"] for m in msgs})))
    raw = open(d.output, "rb").read().splitlines()
    check([m["data"].encode() for m in msgs] == raw, "stream differs from the file")
    wait_for(lambda: d.counters()["forward.forwarded"] == 500, 10, "forwarded=500")
    d.stop()


main(scenario)
