"""--forward-nats: records from several clients (the C library through
lc_stream, and `logcollect send`) arrive in the JetStream stream exactly
once, in per-session order, each message's data equal to its output line
and its Nats-Msg-Id "<_sid>:<_seq>" (issue 10)."""
import json

from lctest import CLI, Daemon, check, driver, main, run, spawn, wait_for
from lcnats import NatsServer, stream_messages


def scenario():
    ns = NatsServer()
    d = Daemon("--forward-nats", ns.url, "--forward-subject", "logs.test",
               "--forward-create-stream")
    procs = [spawn([driver("lc_stream"), "--count", "300", "--flush", "--app", "c%d" % i],
                   env=d.env()) for i in range(3)]
    for i in range(20):
        run([CLI, "send", "cli %d" % i, "i=%d" % i], env=d.env())
    for p in procs:
        check(p.wait(60) == 0, "lc_stream failed")
    total = 3 * 300 + 20
    d.wait_lines(total)
    raw = open(d.output, "rb").read().splitlines()
    check(len(raw) == total, "output has %d lines, expected %d" % (len(raw), total))

    def all_there():
        m = stream_messages(ns.url, "LOGS")
        return m if m is not None and len(m) >= total else None
    msgs = wait_for(all_there, 20, "%d messages in the stream" % total)
    check(len(msgs) == total, "stream holds %d messages, expected %d" % (len(msgs), total))
    ids = [m["msgid"] for m in msgs]
    check(len(set(ids)) == total, "repeated Msg-Ids in the stream")
    check(sorted(m["data"].encode() for m in msgs) == sorted(raw),
          "stream data differs from the output lines")
    last = {}
    for m in msgs:
        check(m["subject"] == "logs.test", "subject %r" % m["subject"])
        rec = json.loads(m["data"])
        check(m["msgid"] == "%s:%d" % (rec["_sid"], rec["_seq"]), "msgid %r for %r" %
              (m["msgid"], m["data"][:100]))
        check(rec["_seq"] > last.get(rec["_sid"], 0), "session %s out of order" % rec["_sid"])
        last[rec["_sid"]] = rec["_seq"]
    st = d.counters()
    check(st.get("forward.forwarded") == total and st.get("forward.lost") == 0,
          "counters: %r" % {k: v for k, v in st.items() if k.startswith("forward")})
    cp = run([CLI, "status", "--json"], env=d.env())
    fw = json.loads(cp.stdout)["forward"]
    check(fw["forwarded"] == total and fw["state"] == "connected" and fw["inflight"] == 0 and
          fw["behind_bytes"] == 0, "status: %r" % fw)
    d.stop()
    ns.stop()


main(scenario)
