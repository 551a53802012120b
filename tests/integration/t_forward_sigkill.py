"""--forward-nats: the daemon killed with SIGKILL in the middle of
forwarding and started again: it resumes from its saved position, sends
some lines again, and the stream still holds each record exactly once (the
Msg-Id duplicate window drops the repeats) (issue 10)."""
import signal

from lctest import Daemon, check, driver, main, run, wait_for
from lcnats import NatsServer, stream_info, stream_messages

N = 5000


def scenario():
    ns = NatsServer()
    # a window of 2: slow enough to be killed in the middle
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream", "--forward-window", "2")
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env(), timeout=60)
    d.wait_lines(N)
    wait_for(lambda: (stream_info(ns.url) or {}).get("msgs", 0) >= 1000, 20, "1000 forwarded")
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    before = stream_info(ns.url)["msgs"]
    check(before < N, "all %d forwarded before the kill: make N larger" % before)
    d.extra[d.extra.index("--forward-window") + 1] = "1024"  # catch up quickly
    d.start()
    wait_for(lambda: stream_info(ns.url)["msgs"] >= N, 30, "%d in the stream" % N)
    msgs = stream_messages(ns.url)
    raw = open(d.output, "rb").read().splitlines()
    check(len(msgs) == N and [m["data"].encode() for m in msgs] == raw,
          "stream holds %d messages for %d lines" % (len(msgs), len(raw)))
    d.stop()


main(scenario)
