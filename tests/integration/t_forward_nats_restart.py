"""--forward-nats: nats-server killed (SIGKILL) in the middle of a stream
and started again on the same port and store: every record arrives once
(the unacknowledged window is sent again; JetStream drops by Msg-Id what it
already had) (issue 10)."""
from lctest import Daemon, check, driver, main, spawn, wait_for
from lcnats import NatsServer, stream_messages, stream_info

N = 3000


def scenario():
    ns = NatsServer()
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream")
    p = spawn([driver("lc_stream"), "--count", str(N), "--rate", "1000", "--flush"], env=d.env())
    wait_for(lambda: (stream_info(ns.url) or {}).get("msgs", 0) >= 500, 20, "500 forwarded")
    ns.kill()
    wait_for(lambda: d.counters()["forward.state"] != "connected", 10, "the daemon to notice")
    ns.start()
    check(p.wait(60) == 0, "lc_stream failed")
    wait_for(lambda: (stream_info(ns.url) or {}).get("msgs", 0) >= N, 30, "%d in the stream" % N)
    msgs = stream_messages(ns.url)
    raw = open(d.output, "rb").read().splitlines()
    check(len(raw) == N, "file has %d lines" % len(raw))
    check(len(msgs) == N, "stream holds %d messages, expected %d" % (len(msgs), N))
    check(sorted(m["data"].encode() for m in msgs) == sorted(raw), "stream differs from the file")
    wait_for(lambda: d.counters()["forward.behind_bytes"] == 0, 10, "caught up")
    d.stop()


main(scenario)
