"""/healthz follows the output: 200 while records are written, 503 with the
reason while the output's disk is full (a 512 KiB tmpfs, as t_disk_full;
where mounting is not allowed, RLIMIT_FSIZE stands in), and 200 again when
space returns; /metrics says logcollectord_output_blocked and _disk_full
meanwhile.  Every record ends up in the file exactly once."""
import json
import os
import subprocess

from lctest import (Daemon, check, driver, http_get, main, metrics, mount_tmpfs, resize_tmpfs,
                    spawn, tmpdir, wait_for)

N = 20000


def health(hp):
    status, body, hdr = http_get(hp, "/healthz")
    check(body.endswith("\n") and body.count("\n") == 1, "not one line: %r" % body)
    check(hdr.get("content-type") == "application/json", "content type %r" % hdr)
    return status, json.loads(body)


def scenario():
    t = tmpdir()
    disk = os.path.join(t, "disk")
    use_tmpfs = mount_tmpfs(disk, 512 * 1024)
    if not use_tmpfs:
        os.makedirs(disk)
    d = Daemon("--http", "127.0.0.1:0", start=False, dir=t, output="disk/out.jsonl")
    d.start()
    hp = d.info["http_port"]
    status, body = health(hp)
    check(status == 200 and body["status"] == "ok", "healthy daemon: %d %r" % (status, body))
    if not use_tmpfs:
        subprocess.check_call(["prlimit", "--pid", str(d.proc.pid), "--fsize=524288:unlimited"])
    c = spawn([driver("lc_stream"), "--count", str(N), "--flush", "--app", "c0"],
              env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(health(hp)), 30,
                            "/healthz to turn 503")
    check(body["status"] == "unhealthy" and "output blocked" in body["reason"] and
          d.output in body["reason"], "503 body: %r" % body)
    m = metrics(hp)
    check(m["logcollectord_output_blocked"] == 1, "output_blocked is not 1")
    if use_tmpfs:
        check(body["disk_full"] is True and "No space left" in body["reason"], "%r" % body)
        check(m["logcollectord_output_disk_full"] == 1, "output_disk_full is not 1")
    if use_tmpfs:
        resize_tmpfs(disk, 64 << 20)
    else:
        subprocess.check_call(["prlimit", "--pid", str(d.proc.pid), "--fsize=unlimited:unlimited"])
    wait_for(lambda: health(hp)[0] == 200, 30, "/healthz to turn 200 again")
    out, err = c.communicate(timeout=120)
    check(c.returncode == 0 and out.split() == ["sent", str(N), "acked"], "client: %r %r" % (out, err))
    m = metrics(hp)
    check(m["logcollectord_output_blocked"] == 0 and m["logcollectord_output_disk_full"] == 0,
          "still blocked after recovery")
    check(m["logcollectord_records_written_total"] == N, "records_written %r" %
          m["logcollectord_records_written_total"])
    seqs = [l["_seq"] for l in d.lines()]
    check(seqs == list(range(1, N + 1)), "%d lines, not 1..%d once each" % (len(seqs), N))
    d.stop()


main(scenario)
