"""logcollect tail --nats -f rides out a restart of the NATS server: the
records published after it show up, and nothing already shown is shown
again.  (nats.c recreates an ordered consumer after a reconnection from the
last message it delivered, and from the stream's start when it delivered
none yet: without the check on stream sequences, every old record came
again after the restart.  tail now starts following at the last message,
so nats.c's recreation starts after it, and skips what it showed.)"""
import json
import os
import subprocess

import lcnats
from lctest import CLI, Failure, check, main, spawn, tmpdir, wait_for


def scenario():
    ns = lcnats.NatsServer()
    lcnats.publish(ns.url, "logs.a", [json.dumps({"msg": "old %d" % i}) for i in range(5)],
                   create="LOGS")
    out = os.path.join(tmpdir(), "follow.jsonl")
    with open(out, "w") as f:
        p = spawn([CLI, "tail", "--nats", ns.url, "--json", "-f", "-n", "2"],
                  stdout=f, stderr=subprocess.PIPE, text=True)

    def shown():
        return [json.loads(l)["msg"] for l in open(out).read().splitlines() if l.endswith("}")]
    wait_for(lambda: len(shown()) == 2, 20, "the last 2 records")
    ns.restart()
    lcnats.publish(ns.url, "logs.a", [json.dumps({"msg": "new %d" % i}) for i in range(3)])
    try:
        wait_for(lambda: "new 2" in shown(), 30, "the records published after the restart")
    except Failure:
        p.kill()
        raise Failure("the records published after the restart did not show: %r; stderr: %s"
                      % (shown(), p.stderr.read()[-2000:]))
    check(shown() == ["old 3", "old 4", "new 0", "new 1", "new 2"],
          "shown once each, in order: %r" % shown())
    check(p.poll() is None, "tail -f exited across the restart")
    p.kill()


main(scenario)
