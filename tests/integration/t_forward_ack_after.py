"""--ack-after forward with NATS down: the daemon does not read records
(back-pressure, as for a full disk), so the client is not acknowledged and
keeps them; once nats-server is up every record is written, forwarded
exactly once, and only then acknowledged (issue 10)."""
import subprocess

from lctest import Daemon, check, driver, main, spawn, wait_for
from lcnats import NatsServer, stream_messages

N = 200


def scenario():
    ns = NatsServer(start=False)
    d = Daemon("--forward-nats", ns.url, "--forward-create-stream", "--ack-after", "forward")
    p = spawn([driver("lc_stream"), "--count", str(N), "--flush", "--flush-ms", "60000"],
              env=d.env(), stdout=subprocess.PIPE, text=True)
    check(p.stdout.readline().strip() == "sent %d" % N, "lc_stream did not queue its records")
    wait_for(lambda: "not reading records" in d.stderr(), 10, "the back-pressure log line")
    st = d.counters()
    check(p.poll() is None, "client finished (acknowledged?) with NATS down")
    check(st["records.accepted"] == 0 and st["forward.forwarded"] == 0,
          "records read with NATS down: %r" % st)
    check(d.lines() == [], "records written with NATS down")
    ns.start()
    check(p.wait(60) == 0, "lc_stream failed")
    check(p.stdout.read().strip() == "acked", "not acknowledged")
    msgs = stream_messages(ns.url)
    raw = open(d.output, "rb").read().splitlines()
    check(len(raw) == N and len(msgs) == N and [m["data"].encode() for m in msgs] == raw,
          "file %d lines, stream %d messages" % (len(raw), len(msgs)))
    check(d.counters()["forward.forwarded"] == N, "forwarded counter")
    d.stop()


main(scenario)
