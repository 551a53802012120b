"""--forward-nats, NATS down while the output rotates more often than
--forward-max-files allows: the oldest unfinished file is given up (its
descriptor closed, so logrotate can free the space), its lines counted in
forward.lost; once NATS is up every other record arrives once:
stream + lost == written, exactly (issue 10)."""
from lctest import Daemon, check, driver, main, run, wait_for
from lcnats import NatsServer, stream_info, stream_messages

N = 2000


def scenario():
    ns = NatsServer(start=False)
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream", "--forward-max-files", "2",
               "--rotate-size", "50K", "--rotate-keep", "50")
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env(), timeout=60)
    st = d.counters()
    lost = st["forward.lost"]
    check(lost > 0 and st["forward.files"] == 3, "nothing given up? %r" % st)
    check("gave up the oldest" in d.stderr(), "no log line for the loss")
    ns.start()
    wait_for(lambda: (stream_info(ns.url) or {}).get("msgs", 0) >= N - lost, 30,
             "%d in the stream" % (N - lost))
    wait_for(lambda: d.counters()["forward.behind_bytes"] == 0, 10, "caught up")
    msgs = stream_messages(ns.url)
    check(len(msgs) + lost == N, "stream %d + lost %d != %d" % (len(msgs), lost, N))
    check(len({m["msgid"] for m in msgs}) == len(msgs), "repeats in the stream")
    d.stop()


main(scenario)
