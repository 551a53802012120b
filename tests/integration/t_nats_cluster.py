"""Forwarding into a 3-node JetStream cluster survives the loss of a node.

Three nats-server -js clustered on loopback (lcnats.NatsCluster), the
stream LOGS with 3 replicas, the daemon forwarding to all three URLs.  A
client sends N records at a steady rate; once about a third is in the
stream, the node leading the stream is killed (SIGKILL: the hardest case,
the forwarder's unacknowledged window was sent to it).  Then:
  * every record is in the stream exactly once (the Msg-Id duplicate window
    drops what the forwarder re-sends after the failover), each message's
    data equal to its output line, in per-session order;
  * both survivors serve the whole stream;
  * the killed node, started again on its port and store, rejoins: its
    replica becomes current with no lag while holding all N.
"""
# LCTEST: timeout=120
import json
import subprocess

import lcnats
from lctest import Daemon, Failure, check, driver, main, spawn, wait_for

N = 3000
RATE = 1000   # records/s: the run lasts about 3 s, so the kill lands mid-stream
SUBJECT = "logs.cluster"


def all_current(info, n):
    return info and info["msgs"] == n and all(
        r["current"] and not r["offline"] and r["lag"] == 0 for r in info["replicas"])


def scenario():
    cl = lcnats.NatsCluster()
    lcnats.publish(cl.url, SUBJECT, [], create="LOGS", replicas=3)
    d = Daemon("--forward-nats", cl.url, "--forward-subject", SUBJECT)
    p = spawn([driver("lc_stream"), "--count", str(N), "--rate", str(RATE), "--flush"],
              env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    wait_for(lambda: (lcnats.stream_info(cl.nodes[0].url) or {"msgs": 0})["msgs"] >= N // 3,
             30, "a third of the records in the stream")
    leader = lcnats.cluster_info(cl.url)["leader"]
    victim = cl.nodes[int(leader[1:]) - 1]
    victim.kill()
    survivors = cl.survivors()
    check(len(survivors) == 2, "two nodes left")

    out, _ = p.communicate(timeout=60)
    check(p.returncode == 0 and "acked" in out, "lc_stream: %s" % out)
    lines = open(d.output, "rb").read().splitlines()
    check(len(lines) == N, "%d lines in the output file, expected %d" % (len(lines), N))

    def complete():
        try:
            info = lcnats.stream_info(survivors[0].url)
        except Failure:   # no stream leader yet (the election after the kill)
            return False
        return info and info["msgs"] >= N
    wait_for(complete, 30, "all %d records in the stream" % N)

    for node in survivors:
        msgs = lcnats.stream_messages(node.url)
        check(len(msgs) == N, "node %s: %d messages in the stream, expected %d (repeats or "
              "losses)" % (node.url, len(msgs), N))
        ids = [m["msgid"] for m in msgs]
        check(len(set(ids)) == N, "node %s: %d distinct Msg-Ids of %d" %
              (node.url, len(set(ids)), N))
        check(sorted(m["data"].encode() for m in msgs) == sorted(lines),
              "node %s: the messages are not the output lines" % node.url)
        seqs = [json.loads(m["data"])["_seq"] for m in msgs]
        check(seqs == sorted(seqs), "node %s: per-session order broken" % node.url)

    c = d.counters()
    print("forwarder after the failover: " + " ".join(
        "%s=%s" % (k, v) for k, v in sorted(c.items()) if k.startswith("forward")))
    victim.start()
    info = wait_for(lambda: (lambda i: i if all_current(i, N) else None)(
        lcnats.cluster_info(cl.url)), 30, "the restarted node to catch up")
    check(len(info["replicas"]) == 2 and leader in
          [info["leader"]] + [r["name"] for r in info["replicas"]],
          "the restarted node %s is not among the stream's peers: %r" % (leader, info))
    d.stop()
    cl.stop()


main(scenario)
