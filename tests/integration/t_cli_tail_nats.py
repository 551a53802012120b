"""logcollect tail --nats URL reads the records from a JetStream stream (where
logcollectord --forward-nats puts them) with the same filters and output as
file tailing: -n N is the last N wanted records, --level / --app / --field
/ --subject select, --since starts the consumer at that time
(DeliverByStartTime: records published before it are not even read, though
their own ts would pass the filter), -f shows new records as they arrive,
--durable NAME resumes where the last reader stopped.

The records are put into the stream by the nats_pub driver (as the
forwarder would: one output line per message); exact counts everywhere."""
import datetime
import json
import os
import subprocess

import lcnats
from lctest import CLI, check, main, run, spawn, tmpdir, wait_for

APPS = ["web", "db", "web", "cron", "web"]
LEVELS = ["info", "error", "warning", "error", "debug"]


def record(i, host="a", ts="2026-11-27T13:00:00Z"):
    return json.dumps({"ts": ts, "level": LEVELS[i % 5], "msg": "record %d" % i,
                       "user": "alice" if i % 3 == 0 else "bob",
                       "_app": APPS[i % 5], "_pid": 100 + i % 5, "_host": host,
                       "_sid": "s" + host, "_seq": i + 1}, separators=(",", ":"))


def tail(url, *args):
    cp = run([CLI, "tail", "--nats", url, "--json"] + list(args), timeout=60)
    return [json.loads(l) for l in cp.stdout.splitlines()]


def msgs(recs):
    return [r["msg"] for r in recs]


def scenario():
    ns = lcnats.NatsServer()
    a = [record(i) for i in range(40)]
    check(lcnats.publish(ns.url, "logs.a", a, create="LOGS") == 40, "published 40")
    b = [record(i, host="b") for i in range(7)]
    check(lcnats.publish(ns.url, "logs.b", b) == 7, "published 7")

    # -n: the last N of the stream (both subjects), oldest first
    got = tail(ns.url)
    check(len(got) == 10 and [r["_host"] for r in got] == ["a"] * 3 + ["b"] * 7 and
          msgs(got)[:3] == ["record 37", "record 38", "record 39"],
          "default -n 10 is the stream's last 10: %r" % msgs(got))
    check(len(tail(ns.url, "-n", "1000")) == 47, "-n 1000 shows all 47")
    check(len(tail(ns.url, "--subject", "logs.a", "-n", "1000")) == 40, "--subject logs.a")

    # filters: the same as file tailing, exact counts
    errors = [r for r in map(json.loads, a + b) if r["level"] in ("error", "critical", "alert",
                                                                   "emergency")]
    got = tail(ns.url, "-n", "1000", "--level", "error")
    check(len(got) == len(errors) == 19, "--level error: %d of %d" % (len(got), len(errors)))
    got = tail(ns.url, "-n", "1000", "--app", "web", "--subject", "logs.a")
    check(len(got) == 24 and all(r["_app"] == "web" for r in got), "--app web: %d" % len(got))
    got = tail(ns.url, "-n", "1000", "--field", "user=alice", "--subject", "logs.a")
    check(len(got) == 14 and all(r["user"] == "alice" for r in got), "user=alice: %d" % len(got))
    # -n with a filter: the last N *wanted* ones, found by reading further back
    got = tail(ns.url, "-n", "3", "--app", "cron", "--subject", "logs.a")
    check(msgs(got) == ["record 28", "record 33", "record 38"],
          "-n 3 --app cron: %r" % msgs(got))

    # columns (no --json): the same formatter as file tailing
    cp = run([CLI, "tail", "--nats", ns.url, "-n", "1", "--subject", "logs.a", "--color", "never"])
    check("record 39" in cp.stdout and "web[104]" in cp.stdout and "user=alice" in cp.stdout,
          "column output: %r" % cp.stdout)

    # --since: the consumer starts at that time; older messages are not read
    # even though their ts (2099) passes the filter
    late = [record(i, ts="2099-01-01T00:00:00Z") for i in range(100, 103)]
    lcnats.publish(ns.url, "logs.a", late)
    since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    later = [record(i, ts="2099-01-01T00:00:00Z") for i in range(200, 202)]
    lcnats.publish(ns.url, "logs.a", later)
    got = tail(ns.url, "--since", since)
    check(msgs(got) == ["record 200", "record 201"], "--since: %r" % msgs(got))

    # -f: new records show up as they are published, filtered
    out = os.path.join(tmpdir(), "follow.jsonl")
    with open(out, "w") as f:
        p = spawn([CLI, "tail", "--nats", ns.url, "--json", "-f", "-n", "1", "--app", "db"],
                  stdout=f, stderr=subprocess.STDOUT)

    def lines():
        return [l for l in open(out).read().splitlines() if l.endswith("}")]
    wait_for(lambda: len(lines()) == 1, 20, "tail -f to show the last db record")
    lcnats.publish(ns.url, "logs.a", [record(i) for i in range(300, 310)])  # 2 db among them
    wait_for(lambda: len(lines()) == 3, 20, "tail -f to show the 2 new db records")
    lcnats.publish(ns.url, "logs.b", [record(311, host="b")])  # one more db: the marker
    wait_for(lambda: len(lines()) == 4, 20, "tail -f to show the marker")
    check([json.loads(l)["msg"] for l in lines()] ==
          ["record 201", "record 301", "record 306", "record 311"],
          "tail -f shows exactly the db records, once: %r" % lines())
    check(p.poll() is None, "tail -f exited: " + open(out).read()[-500:])
    p.kill()

    # --durable: a second run resumes after what the first one showed
    got = tail(ns.url, "--durable", "reader1", "-n", "2")
    check(msgs(got) == ["record 309", "record 311"], "--durable first run: %r" % msgs(got))
    lcnats.publish(ns.url, "logs.a", [record(400), record(401)])
    got = tail(ns.url, "--durable", "reader1")
    check(msgs(got) == ["record 400", "record 401"], "--durable resumes: %r" % msgs(got))
    check(tail(ns.url, "--durable", "reader1") == [], "--durable: nothing new, nothing shown")

    # errors say what is wrong
    cp = run([CLI, "tail", "--nats", ns.url, "--stream", "NOPE"], check_rc=False)
    check(cp.returncode == 1 and "no stream 'NOPE'" in cp.stderr, "missing stream: %r" % cp.stderr)
    ns.stop()
    cp = run([CLI, "tail", "--nats", ns.url], check_rc=False)
    check(cp.returncode == 1 and "cannot connect" in cp.stderr and ns.url in cp.stderr,
          "NATS down: %r" % cp.stderr)


main(scenario)
