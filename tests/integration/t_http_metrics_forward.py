"""--http with --forward-nats: /metrics carries the forwarder's counters
(logcollectord_forward_*: forwarded equal to the records sent, the state
"connected", nothing in flight or behind) and promtool still accepts the
exposition; without --forward-nats there is no logcollectord_forward_*."""
import shutil
import subprocess

from lctest import Daemon, check, driver, http_get, main, metrics, run, wait_for
from lcnats import NatsServer

N = 400


def scenario():
    plain = Daemon("--http", "127.0.0.1:0")
    body = http_get(plain.info["http_port"], "/metrics")[1]
    check("logcollectord_forward_" not in body, "forward metrics without --forward-nats")
    plain.stop()
    ns = NatsServer()
    d = Daemon("--http", "127.0.0.1:0", "--forward-nats", ns.url, "--forward-subject",
               "logs.test", "--forward-create-stream")
    hp = d.info["http_port"]
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env())
    m = wait_for(lambda: (lambda m: m if m["logcollectord_forward_forwarded_total"] == N else None)(
        metrics(hp)), 30, "%d records forwarded" % N)
    want = {'logcollectord_forward_state{state="connected"}': 1,
            'logcollectord_forward_state{state="disconnected"}': 0,
            "logcollectord_forward_inflight": 0, "logcollectord_forward_behind_bytes": 0,
            "logcollectord_forward_lost_total": 0, "logcollectord_records_written_total": N}
    for k, v in want.items():
        check(m.get(k) == v, "%s = %r, expected %r" % (k, m.get(k), v))
    text = http_get(hp, "/metrics")[1]
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True)
        check(p.returncode == 0 and not (p.stdout + p.stderr).strip(),
              "promtool: %s%s" % (p.stdout, p.stderr))
    d.stop()
    ns.stop()


main(scenario)
