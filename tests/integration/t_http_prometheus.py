"""A real Prometheus server (loopback, a free port, its TSDB in a temporary
directory, scrape_interval 1s) scrapes the daemon's --http port; its query
API then returns logcollectord_records_written_total equal to the records
sent, and the target is up."""
# LCTEST: timeout=120
import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request

from lctest import Daemon, Skip, check, driver, free_port, main, run, spawn, tmpdir, wait_for

N = 300


def query(port, expr):
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": expr}))
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            data = json.load(r)
    except OSError:
        return None
    res = data.get("data", {}).get("result", [])
    return float(res[0]["value"][1]) if res else None


def scenario():
    prom = shutil.which("prometheus")
    if not prom:
        raise Skip("prometheus is not installed (Debian package prometheus; make check installs it)")
    d = Daemon("--http", "127.0.0.1:0")
    hp = d.info["http_port"]
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env())
    t = tmpdir()
    conf = os.path.join(t, "prometheus.yml")
    with open(conf, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: logcollectord\n"
                "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % hp)
    pp = free_port()
    log = open(os.path.join(t, "prometheus.log"), "w")
    p = spawn([prom, "--config.file=" + conf, "--storage.tsdb.path=" + os.path.join(t, "data"),
               "--web.listen-address=127.0.0.1:%d" % pp, "--log.level=warn"],
              stdout=log, stderr=subprocess.STDOUT)

    def written():
        if p.poll() is not None:
            raise AssertionError("prometheus exited: " + open(log.name).read()[-2000:])
        return query(pp, 'logcollectord_records_written_total{job="logcollectord"}') == N
    wait_for(written, 60, "Prometheus to report %d records written" % N)
    check(query(pp, 'up{job="logcollectord"}') == 1, "target not up")
    p.terminate()
    p.wait(20)
    d.stop()


main(scenario)
