"""GET /metrics with --http 127.0.0.1:0: `promtool check metrics` accepts
the exposition, every sample has its HELP and TYPE, and the counters are
exact: N records written, one rejected (reason="reserved"), one wrong-key
handshake (reason="wrong_key"), 7 records a client reported dropped."""
import shutil
import subprocess

from lctest import (Daemon, authed, check, connect, driver, hello, http_get, main,
                    modern_client_handshake, parse_metrics, read_until_ack, run, send_frame,
                    wait_for)

N = 500
NOTICE = (b'{"ts":"2026-12-02T12:00:00.000000Z","level":"warning","msg":"logcollect client '
          b'dropped 7 records","dropped":7}')


def scenario():
    d = Daemon("--http", "127.0.0.1:0")
    hp = d.info["http_port"]
    check(hp > 0 and hp != d.port, "port file: %r" % d.info)
    run([driver("lc_stream"), "--count", str(N), "--flush"], env=d.env())
    s = authed(d)
    hello(s)
    send_frame(s, b'{"_reserved":1}')
    send_frame(s, NOTICE)
    read_until_ack(s, 2)
    s.close()
    bad = connect(d)
    check(not modern_client_handshake(bad, b"x" * 32), "a wrong key was welcomed")
    bad.close()

    def scraped():
        m = parse_metrics(http_get(hp, "/metrics")[1])
        return m if m['logcollectord_handshakes_failed_total{reason="wrong_key"}'] == 1 else None
    m = wait_for(scraped, 10, "the failed handshake to be counted")
    status, text, hdr = http_get(hp, "/metrics")
    check(status == 200 and hdr["content-type"].startswith("text/plain; version=0.0.4"),
          "status %d, content type %r" % (status, hdr.get("content-type")))
    m = parse_metrics(text)
    want = {
        "logcollectord_records_written_total": N + 1,
        "logcollectord_records_accepted_total": N + 1,
        'logcollectord_records_rejected_total{reason="reserved"}': 1,
        'logcollectord_records_rejected_total{reason="invalid_json"}': 0,
        'logcollectord_handshakes_failed_total{reason="wrong_key"}': 1,
        "logcollectord_client_dropped_records_total": 7,
        "logcollectord_output_disk_full": 0,
        "logcollectord_output_blocked": 0,
    }
    for k, v in want.items():
        check(m.get(k) == v, "%s = %r, expected %r" % (k, m.get(k), v))
    check(m["logcollectord_output_write_duration_seconds_count"] >= 1, "no write observed")
    check(m["logcollectord_written_bytes_total"] == sum(1 for _ in open(d.output, "rb").read()),
          "written bytes differ from the file's size")
    for p in ("process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds",
              "process_start_time_seconds", "process_max_fds", "process_virtual_memory_bytes"):
        check(m.get(p, 0) > 0, "%s missing or 0" % p)
    # every family has HELP and TYPE before its samples
    declared = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            declared.add(line.split()[2])
        elif not line.startswith("#"):
            name = line.split("{")[0].split(" ")[0]
            base = name
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[:-len(suffix)] in declared:
                    base = name[:-len(suffix)]
            check(base in declared, "sample %s before its TYPE line" % name)
            check(("# HELP %s " % base) in text, "no HELP for %s" % base)
    promtool = shutil.which("promtool")
    d.stop()
    if not promtool:
        from lctest import Skip
        raise Skip("promtool is not installed (Debian package prometheus; make check installs it)")
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    check(p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(),
          "promtool check metrics: rc %d\n%s%s" % (p.returncode, p.stdout, p.stderr))


main(scenario)
