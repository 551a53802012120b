#!/usr/bin/env python3
"""Benchmark of the NATS JetStream forwarder (issue 10).  Not a test: it
prints figures and checks that nothing was lost.

In one run, on one machine, against a private nats-server -js (loopback, a
fresh store under BUILD/bench/run/nats/, stream LOGS on logs.>, R=1, file
storage), each round (--runs, interleaved):

  off       logcollectord without forwarding; tests/drivers/lc_flood sends N
            records on 8 connections until all are acknowledged: the
            client-facing rate with forwarding off.  Its output file is the
            floor's input.
  floor     tests/bench/nats_floor publishes those very N lines (read into
            memory first) asynchronously, with a Nats-Msg-Id each and the same
            window of unacknowledged messages as the forwarder, and waits
            for every acknowledgement: what nats.c and this nats-server can do
            on this machine with nothing else to do.
  on        logcollectord with --forward-nats; the same lc_flood run: the
            client-facing rate with forwarding on; and the forwarder's
            sustained rate: N / (the moment the stream holds all N - the start
            of the run), every record acknowledged by JetStream.

then once:

  catch-up  the daemon forwarding, NATS stopped (SIGTERM), M records sent, NATS
            kept down for the outage (60 s; --quick: 10 s), then started again
            on the same port and store.  Catch-up rate = M / (all M in the
            stream - the first of them in it) (the forwarder's reconnection
            delay is reported apart); the daemon's RSS is sampled every 0.5 s
            from the outage to the end of the catch-up (the file is the
            buffer, not memory).

usage: python3 tests/bench/nats_bench.py [--build build] [--quick] [--runs R]
          [--records N] [--outage S] [--backlog M] [--json FILE] [--doc FILE]
--doc replaces the "## Forwarding to NATS JetStream" section of that markdown
file (docs/benchmarks.md) and leaves the rest alone; tests/bench/bench.py
(make bench, case "nats") runs this script and puts the same section in its
report.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SECTION = "## Forwarding to NATS JetStream"
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
SUBJECT = "logs.bench"
STREAM = "LOGS"
RECORD_SIZE = 205
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The forwarder's window of unacknowledged messages; the floor gets the same.
WINDOW = int(os.environ.get("NATS_BENCH_WINDOW", "1024"))

STARTED = []


def log(msg):
    print(msg, flush=True)


def cleanup():
    for p in STARTED:
        if p.poll() is None:
            p.kill()
            p.wait()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def wait(pred, timeout, what, every=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(every)
    raise RuntimeError("timed out waiting for " + what)


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 24)
            if not b:
                return n
            n += b.count(b"\n")


class Nats:
    """A private nats-server -js; restart keeps its port and store."""

    def __init__(self, run):
        self.dir = os.path.join(run, "nats")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port = free_port()
        self.url = "nats://127.0.0.1:%d" % self.port
        self.p = None

    def start(self):
        self.p = subprocess.Popen([NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js",
                                   "-sd", os.path.join(self.dir, "store"),
                                   "-l", os.path.join(self.dir, "log")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        STARTED.append(self.p)
        wait(lambda: accepts(self.port), 30, "nats-server on %d" % self.port)

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            self.p.wait(30)


class Daemon:
    def __init__(self, h, extra, tag):
        self.h = h
        self.dir = os.path.join(h.run, tag)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.port_file = os.path.join(self.dir, "port")
        self.out = os.path.join(self.dir, "out.jsonl")
        self.err = open(os.path.join(self.dir, "stderr"), "ab")
        root = ["--allow-root"] if os.geteuid() == 0 else []
        self.p = subprocess.Popen([h.daemon, "--port-file", self.port_file, "--key-file", h.key,
                                   "--output", self.out] + root + list(extra),
                                  stdout=subprocess.DEVNULL, stderr=self.err)
        STARTED.append(self.p)

        def up():
            if self.p.poll() is not None:
                raise RuntimeError("logcollectord exited %d: %s" % (
                    self.p.returncode, open(os.path.join(self.dir, "stderr")).read()[-1000:]))
            try:
                return json.load(open(self.port_file)).get("pid") == self.p.pid
            except (OSError, ValueError):
                return False
        wait(up, 30, "logcollectord")

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            self.p.wait(60)


class Harness:
    def __init__(self, a):
        self.a = a
        self.build = os.path.abspath(a.build)
        self.daemon = os.path.join(self.build, "logcollectord")
        self.flood_bin = os.path.join(self.build, "tests", "drivers", "lc_flood")
        self.dump = os.path.join(self.build, "tests", "drivers", "nats_dump")
        self.pub = os.path.join(self.build, "tests", "drivers", "nats_pub")
        self.floor = os.path.join(self.build, "bench", "nats_floor")
        self.run = os.path.join(self.build, "bench", "run", "nats_bench")
        shutil.rmtree(self.run, ignore_errors=True)
        os.makedirs(self.run)
        self.key = os.path.join(self.run, "key")
        subprocess.run([self.daemon, "--gen-key", self.key], check=True,
                       stdout=subprocess.DEVNULL)

    def forward_args(self, nats):
        return ["--forward-nats", nats.url, "--forward-subject", SUBJECT,
                "--forward-stream", STREAM]

    def fresh_nats(self):
        n = Nats(self.run)
        n.start()
        subprocess.run([self.pub, "--url", n.url, "--subject", SUBJECT, "--stream", STREAM,
                        "--create"], check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
        return n

    def stream_msgs(self, nats):
        p = subprocess.run([self.dump, "--url", nats.url, "--stream", STREAM, "--info"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return json.loads(p.stdout)["msgs"] if p.returncode == 0 else None

    def flood(self, d, n):
        p = subprocess.run([self.flood_bin, "--port-file", d.port_file, "--key-file", self.key,
                            "--conns", "8", "--records", str(n // 8), "--size",
                            str(RECORD_SIZE)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=1200)
        if p.returncode != 0:
            raise RuntimeError("lc_flood: " + (p.stderr or p.stdout)[-400:])
        w = p.stdout.strip().splitlines()[-1].split()
        return float(dict(zip(w[::2], w[1::2]))["rate"].rstrip("/s"))

    # -- one round: off, floor, on -------------------------------------------
    def round(self):
        n = self.a.records // 8 * 8
        r = {}
        d = Daemon(self, [], "off")
        cpu0 = cpu_seconds(d.p.pid)
        r["off_rate"] = self.flood(d, n)
        r["off_cpu_per_m"] = (cpu_seconds(d.p.pid) - cpu0) / n * 1e6
        d.stop()
        lines = count_lines(d.out)
        r["off_lost"] = n - lines

        nats = self.fresh_nats()
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        ncpu0 = cpu_seconds(nats.p.pid)
        p = subprocess.run([self.floor, "--url", nats.url, "--subject", SUBJECT, "--stream",
                            STREAM, "--window", str(WINDOW), "--msg-id", "--file", d.out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=1200)
        if p.returncode != 0:
            raise RuntimeError("nats_floor: " + p.stderr[-400:])
        w = p.stdout.split()
        r["floor_rate"] = float(w[w.index("rate") + 1].rstrip("/s"))
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # (the floor's CPU includes reading the file into memory: an upper bound)
        r["floor_cpu_per_m"] = (c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime) / n * 1e6
        r["floor_nats_cpu_per_m"] = (cpu_seconds(nats.p.pid) - ncpu0) / n * 1e6
        r["floor_stored"] = self.stream_msgs(nats)
        nats.stop()
        shutil.rmtree(os.path.join(self.run, "off"), ignore_errors=True)

        nats = self.fresh_nats()
        d = Daemon(self, self.forward_args(nats), "on")
        cpu0, ncpu0 = cpu_seconds(d.p.pid), cpu_seconds(nats.p.pid)
        t0 = time.monotonic()
        r["on_rate"] = self.flood(d, n)
        # the daemon's CPU while the clients were served, and nats-server's
        r["on_ingest_cpu_per_m"] = (cpu_seconds(d.p.pid) - cpu0) / n * 1e6
        r["on_ingest_nats_cpu_per_m"] = (cpu_seconds(nats.p.pid) - ncpu0) / n * 1e6
        # (each poll is a nats_dump process: 10 a second keeps its cost small)
        wait(lambda: (self.stream_msgs(nats) or 0) >= n, 1200, "the stream to hold %d" % n, 0.1)
        r["fwd_live_rate"] = n / (time.monotonic() - t0)
        r["on_cpu_per_m"] = (cpu_seconds(d.p.pid) - cpu0) / n * 1e6
        r["nats_cpu_per_m"] = (cpu_seconds(nats.p.pid) - ncpu0) / n * 1e6
        r["on_hwm_kb"] = status_kb(d.p.pid, "VmHWM")
        d.stop()
        r["on_lost"] = n - count_lines(d.out)
        r["fwd_stored"] = self.stream_msgs(nats)
        r["records"] = n
        nats.stop()
        shutil.rmtree(os.path.join(self.run, "on"), ignore_errors=True)

        # the forwarder alone, from the file: N records written while NATS was
        # down, then from its first record in the stream to the last
        b = self.behind(n, 0, "file")
        r["fwd_rate"], r["fwd_file_stored"] = b["catchup_rate"], b["stored"]
        log("  off %(off_rate).0f rec/s; floor %(floor_rate).0f rec/s; on %(on_rate).0f rec/s; "
            "forwarder %(fwd_rate).0f rec/s from the file, %(fwd_live_rate).0f rec/s while the "
            "clients send; stored %(fwd_stored)s, %(fwd_file_stored)s of %(records)d" % r)
        return r

    # -- catch-up after an outage --------------------------------------------
    def catch_up(self):
        r = self.behind(self.a.backlog // 8 * 8, self.a.outage, "catchup")
        log("  catch-up: %(backlog)d records after %(outage_s)d s down: first after "
            "%(reconnect_s).1f s, all %(catchup_s).1f s later (%(catchup_rate).0f rec/s); "
            "RSS max %(rss_max_kb)d kB" % r)
        return r

    def behind(self, m, outage, tag):
        """NATS stopped, m records sent, NATS kept down until outage seconds
        passed, started again; until the stream holds all m."""
        nats = self.fresh_nats()
        d = Daemon(self, self.forward_args(nats), tag)
        rss = []
        nats.stop()
        t_down = time.monotonic()
        rss.append(status_kb(d.p.pid, "VmRSS"))
        self.flood(d, m)
        while time.monotonic() - t_down < outage:   # the outage itself, not a sync
            rss.append(status_kb(d.p.pid, "VmRSS"))
            time.sleep(0.5)
        nats.start()
        t_up = time.monotonic()
        t_first = None
        last_sample = 0
        while True:
            k = self.stream_msgs(nats) or 0
            now = time.monotonic()
            if k > 0 and t_first is None:
                t_first = now
            if now - last_sample >= 0.5:
                rss.append(status_kb(d.p.pid, "VmRSS"))
                last_sample = now
            if k >= m:
                break
            if now - t_up > 1200:
                raise RuntimeError("catch-up: %d of %d after 1200 s" % (k, m))
            time.sleep(0.1)
        t_end = time.monotonic()
        r = {"backlog": m, "outage_s": outage,
             "backlog_bytes": os.path.getsize(d.out),
             "reconnect_s": t_first - t_up, "catchup_s": t_end - t_first,
             "catchup_rate": m / (t_end - t_first) if t_end > t_first else None,
             "total_s": t_end - t_up,
             "rss_max_kb": max(rss), "rss_start_kb": rss[0],
             "hwm_kb": status_kb(d.p.pid, "VmHWM")}
        d.stop()
        r["stored"] = self.stream_msgs(nats)
        nats.stop()
        shutil.rmtree(os.path.join(self.run, tag), ignore_errors=True)
        return r


def med(rows, k):
    v = [r[k] for r in rows if r.get(k) is not None]
    return statistics.median(v) if v else None


def rng(rows, k, fmt="{:,.0f}"):
    v = [r[k] for r in rows if r.get(k) is not None]
    if not v:
        return "–"
    if len(v) == 1:
        return fmt.format(v[0])
    return "%s (%s–%s)" % (fmt.format(statistics.median(v)), fmt.format(min(v)),
                           fmt.format(max(v)))


def markdown(res):
    rows, c = res["rounds"], res.get("catchup")
    floor, fwd = med(rows, "floor_rate"), med(rows, "fwd_rate")
    on, off = med(rows, "on_rate"), med(rows, "off_rate")
    L = [SECTION, "",
         "`tests/bench/nats_bench.py` (command: `%s`; commit %s; %s UTC; load average %s at "
         "the start). "
         "A private `nats-server -js` (%s) on loopback, stream `LOGS` (R=1, file storage); "
         "%s records of %d bytes per round, %d round(s), figures are median (min–max). "
         "Window of unacknowledged messages: %d for both the forwarder and the floor. "
         "*From the file*: the N records were written while NATS was down, and the rate runs "
         "from the first of them in the stream to the last, every one acknowledged (the "
         "forwarder alone, like the floor). *While the clients send*: from the start of the "
         "client load until JetStream acknowledged the last record, the daemon taking the "
         "records in on the same 2 cores meanwhile." % (
             res["command"], res.get("commit", "?"), res["date"], res["load"], res["nats_version"],
             "{:,}".format(res["records"]), RECORD_SIZE, len(rows), res["window"]), "",
         "| target | measured | verdict |", "|---|---|---|"]
    if floor and fwd:
        L.append("| forwarder ≥ 80%% of the floor | %s rec/s = %.0f%% of %s rec/s | %s |" % (
            "{:,.0f}".format(fwd), 100 * fwd / floor, "{:,.0f}".format(floor),
            "met" if fwd >= 0.8 * floor else "NOT met"))
    if on and off:
        L.append("| client-facing throughput, forwarding on ≥ 90%% of off | %s vs %s rec/s = "
                 "%.0f%% | %s |" % ("{:,.0f}".format(on), "{:,.0f}".format(off), 100 * on / off,
                                    "met" if on >= 0.9 * off else "NOT met"))
    if c and floor and c.get("catchup_rate"):
        L.append("| catch-up after a %d s outage ≥ the floor's rate | %s rec/s = %.0f%% of the "
                 "floor | %s |" % (c["outage_s"], "{:,.0f}".format(c["catchup_rate"]),
                                   100 * c["catchup_rate"] / floor,
                                   "met" if c["catchup_rate"] >= floor else "NOT met"))
    if c:
        L.append("| daemon RSS ≤ 32 MB however far behind | %.1f MB max (%s records, %.0f MB "
                 "behind) | %s |" % (c["rss_max_kb"] / 1024, "{:,}".format(c["backlog"]),
                                     c["backlog_bytes"] / 2**20,
                                     "met" if c["rss_max_kb"] <= 32 * 1024 else "NOT met"))
    lost = sum(r["off_lost"] + r["on_lost"] for r in rows) + sum(
        2 * r["records"] - (r["fwd_stored"] or 0) - (r["fwd_file_stored"] or 0)
        for r in rows) + (
        c["backlog"] - (c["stored"] or 0) if c else 0)
    L.append("| records lost (file and stream), all rounds | %d | %s |" % (
        lost, "met" if lost == 0 else "NOT met"))
    L += ["", "| what | records/s | other |", "|---|---:|---|",
          "| floor: `nats_floor`, async publish + Msg-Id, nothing else | %s | stored %s; "
          "nats_floor CPU %s s per 1M (reading the file included), nats-server %s s per 1M |" % (
              rng(rows, "floor_rate"), rng(rows, "floor_stored"),
              rng(rows, "floor_cpu_per_m", "{:.2f}"), rng(rows, "floor_nats_cpu_per_m", "{:.2f}")),
          "| forwarder from the file → JetStream, acknowledged | %s | stored %s |" % (
              rng(rows, "fwd_rate"), rng(rows, "fwd_file_stored")),
          "| forwarder while the clients send | %s | stored %s; daemon CPU %s s per "
          "1M records (ingest + forwarding), nats-server %s s per 1M; peak RSS %s MB |" % (
              rng(rows, "fwd_live_rate"), rng(rows, "fwd_stored"),
              rng(rows, "on_cpu_per_m", "{:.2f}"),
              rng(rows, "nats_cpu_per_m", "{:.2f}"),
              rng([dict(x=r["on_hwm_kb"] / 1024) for r in rows], "x", "{:.1f}")),
          "| clients (`lc_flood`, 8 connections), forwarding off | %s | daemon CPU %s s per 1M |" % (
              rng(rows, "off_rate"), rng(rows, "off_cpu_per_m", "{:.2f}")),
          "| clients (`lc_flood`, 8 connections), forwarding on | %s | while the clients were "
          "served: daemon CPU %s s per 1M, nats-server %s s per 1M (the same 2 cores) |" % (
              rng(rows, "on_rate"), rng(rows, "on_ingest_cpu_per_m", "{:.2f}"),
              rng(rows, "on_ingest_nats_cpu_per_m", "{:.2f}"))]
    if c:
        L.append("| catch-up: %s records behind after %d s without NATS | %s | first record "
                 "%.1f s after NATS was back, all %.1f s after that; RSS %.1f MB at the "
                 "outage, %.1f MB max, VmHWM %.1f MB; stored %s |" % (
                     "{:,}".format(c["backlog"]), c["outage_s"],
                     "{:,.0f}".format(c["catchup_rate"] or 0), c["reconnect_s"],
                     c["catchup_s"], c["rss_start_kb"] / 1024, c["rss_max_kb"] / 1024,
                     c["hwm_kb"] / 1024, c["stored"]))
    L.append("")
    return "\n".join(L)


def replace_section(path, text):
    """Put text in place of the SECTION of the markdown file at path (up to
    the next "## " heading), or append it."""
    try:
        old = open(path).read()
    except FileNotFoundError:
        old = ""
    lines = old.split("\n")
    start = next((i for i, l in enumerate(lines) if l.strip() == SECTION), None)
    if start is None:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        new = "\n".join(lines[:start] + text.rstrip("\n").split("\n") + [""] + lines[end:])
        new = new.rstrip("\n") + "\n"
    with open(path, "w") as f:
        f.write(new)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true",
                    help="1 round of 100,000 records, a 10 s outage with 200,000 behind")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--records", type=int, help="records per round (default 1,000,000; quick 100,000)")
    ap.add_argument("--outage", type=int, help="seconds without NATS (default 60; quick 10)")
    ap.add_argument("--backlog", type=int,
                    help="records sent during the outage (default 1,000,000; quick 200,000)")
    ap.add_argument("--json", help="also write the raw results there")
    ap.add_argument("--doc", help="replace the '%s' section of this markdown file" % SECTION)
    a = ap.parse_args()
    a.runs = a.runs or (1 if a.quick else 3)
    a.records = a.records or (100000 if a.quick else 1000000)
    a.outage = a.outage or (10 if a.quick else 60)
    a.backlog = a.backlog or (200000 if a.quick else 1000000)
    command = os.environ.get("NATS_BENCH_COMMAND") or "python3 " + " ".join(
        [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    h = Harness(a)
    for b in (h.daemon, h.flood_bin, h.dump, h.pub, h.floor, NATS_SERVER):
        if not os.access(b, os.X_OK):
            sys.exit("nats_bench: %s is missing: make bench-build (needs libnats-dev and "
                     "nats-server: make deps)" % b)
    ver = subprocess.run([NATS_SERVER, "--version"], stdout=subprocess.PIPE,
                         text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h"],
                            stdout=subprocess.PIPE, text=True).stdout.strip()
    res = {"command": command, "commit": commit,
           "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
           "load": " ".join(open("/proc/loadavg").read().split()[:3]), "nats_version": ver,
           "records": a.records // 8 * 8, "window": WINDOW, "rounds": []}
    try:
        for i in range(a.runs):
            log("nats round %d/%d" % (i + 1, a.runs))
            res["rounds"].append(h.round())
        log("nats catch-up")
        res["catchup"] = h.catch_up()
    finally:
        cleanup()
    text = markdown(res)
    print()
    print(text)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    if a.doc:
        replace_section(a.doc, text)
        print("nats_bench: section written to %s" % a.doc)
    shutil.rmtree(h.run, ignore_errors=True)


if __name__ == "__main__":
    main()
