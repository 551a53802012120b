"""--forward-nats: SIGTERM in the middle of forwarding saves the position
after the last acknowledged line; the restarted daemon sends no line twice
-- not even one JetStream would drop: a plain subscription on the subject
sees every publish, and counts each record once (issue 10)."""
import signal

from lctest import Daemon, check, driver, main, run, wait_for
from lcnats import NatsServer, Watch, stream_info, stream_messages

N = 5000


def scenario():
    ns = NatsServer()
    w = Watch(ns.url, "logs.>")
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream", "--forward-window", "2")
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env(), timeout=60)
    wait_for(lambda: (stream_info(ns.url) or {}).get("msgs", 0) >= 1000, 20, "1000 forwarded")
    d.stop(signal.SIGTERM)
    check(stream_info(ns.url)["msgs"] < N, "everything forwarded before SIGTERM: make N larger")
    d.extra[d.extra.index("--forward-window") + 1] = "1024"  # catch up quickly
    d.start()
    wait_for(lambda: stream_info(ns.url)["msgs"] >= N, 30, "%d in the stream" % N)
    d.stop()
    # (the subscriber may lag behind the stream: wait for it, then count exactly)
    wait_for(lambda: len(w.messages()) >= N, 20, "the subscriber to see %d" % (N))
    seen = w.messages()
    ids = [m["msgid"] for m in seen]
    check(len(ids) == N, "%d publishes seen for %d records (%d distinct)" %
          (len(ids), N, len(set(ids))))
    check(len(stream_messages(ns.url)) == N, "stream count")


main(scenario)
