#!/usr/bin/env python3
"""The benchmark harness of logcollect (tests/bench/README.md).

Measures logcollectord and its client library against the peers a user would
otherwise pick (rsyslog, syslog-ng, and a trivial epoll reader as the floor),
in the same run on the same machine, and writes the table to
docs/benchmarks.md (--doc).  `make bench` and `make bench-quick` call it after
building; it can be re-run by hand:

    python3 tests/bench/bench.py --build build [--quick] [--doc docs/benchmarks.md]
                                 [--runs N] [--records N] [--cases a,b,...]

Cases (--cases): tput, scaling, fsync, http, cost, latency, memory, profile, python
(tests/bench/py_bench.py: the Python package against logging's ways), nats
(tests/bench/nats_bench.py: the forwarder to NATS JetStream against its floor,
skipped with a note where libnats or nats-server is missing).
Every program it starts is its own child, stopped by pid when done; the peers
run in the foreground on loopback ports with their own configuration and
files under BUILD/bench/run/, never as system services.
"""

import argparse
import atexit
import datetime
import glob
import json
import os
import platform
import re
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
PEERS_ROOT = os.path.join(HERE, "peers", "root")
CLK_TCK = os.sysconf("SC_CLK_TCK")
RECORD_SIZE = 205

STARTED = []  # Popen objects we started and must stop
DEVLOG = {}   # {"link": target} while /dev/log is our symlink


def log(msg):
    print(msg, flush=True)


def remove_devlog():
    link = DEVLOG.pop("link", None)
    if link and os.path.islink("/dev/log") and os.readlink("/dev/log") == link:
        os.unlink("/dev/log")


def cleanup():
    remove_devlog()
    for p in STARTED:
        if p.poll() is None:
            try:
                p.terminate()
                p.wait(5)
            except Exception:
                try:
                    p.kill()
                    p.wait(5)
                except Exception:
                    pass


atexit.register(cleanup)


def _sig(signum, frame):
    cleanup()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _sig)


# ---- processes -------------------------------------------------------------

def spawn(cmd, logfile, env=None, **kw):
    f = open(logfile, "ab")
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env,
                         stdin=subprocess.DEVNULL, **kw)
    f.close()
    STARTED.append(p)
    return p


def stop(p, timeout=10):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def cpu_seconds(pid):
    """utime + stime of a process, all its threads, dead ones included."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_tool(cmd, timeout, env=None, ok=(0,)):
    """Run a load generator; return (stdout, client CPU-seconds)."""
    c0 = children_cpu()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    ccpu = children_cpu() - c0
    if p.returncode not in ok or not p.stdout.strip():
        raise RuntimeError(f"{os.path.basename(cmd[0])} exited {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip()[-400:]}")
    return p.stdout, ccpu


def count_lines(path):
    n = 0
    try:
        with open(path, "rb") as f:
            while True:
                b = f.read(1 << 24)
                if not b:
                    break
                n += b.count(b"\n")
    except FileNotFoundError:
        pass
    return n


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def listening(port):
    want = f":{port:04X}"
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                for line in f.readlines()[1:]:
                    parts = line.split()
                    if parts[1].endswith(want) and parts[3] == "0A":
                        return True
        except FileNotFoundError:
            pass
    return False


def parse_kv(line):
    return dict(re.findall(r"(\w+)=([^\s]+)", line))


def parse_words(line):
    """'conns 8 records 100 seconds 1.2 rate 5/s' -> dict"""
    w = line.split()
    return {w[i]: w[i + 1].rstrip("/s") if w[i] == "rate" else w[i + 1]
            for i in range(0, len(w) - 1, 2)}


# ---- subjects: logcollectord and the peers ---------------------------------

class Daemon:
    name = "logcollectord"

    def __init__(self, h, extra=(), tag="lcd"):
        self.h, self.extra, self.tag = h, list(extra), tag
        self.p = None

    def start(self):
        h = self.h
        d = os.path.join(h.run, self.tag)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        self.dir = d
        self.port_file = os.path.join(d, "port")
        self.out = os.path.join(d, "out.jsonl")
        cmd = [h.daemon, "--port-file", self.port_file, "--key-file", h.key,
               "--output", self.out, "--max-clients", "4096"] + self.extra
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.p = spawn(cmd, os.path.join(d, "daemon.log"))
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open(self.port_file) as f:
                    if json.load(f).get("pid") == self.p.pid:
                        return self
            except (FileNotFoundError, ValueError):
                pass
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("logcollectord did not start: " + tail(os.path.join(d, "daemon.log")))

    @property
    def pid(self):
        return self.p.pid

    def stop(self):
        stop(self.p)
        if self.p and self.p.returncode not in (0, None):
            log(f"  note: logcollectord exited {self.p.returncode}")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class ScrapedDaemon(Daemon):
    """logcollectord with --http on a kernel-chosen port and a scraper: a
    thread that GETs /metrics every `every` seconds, as Prometheus would
    (its own process would compete for the same cores and blur the
    comparison; tests/integration/t_http_prometheus.py runs the real one)."""

    def __init__(self, h, every, tag="http"):
        super().__init__(h, ["--http", "127.0.0.1:0"], tag=tag)
        self.every = every
        self.scrapes = 0
        self.failures = 0

    def start(self):
        import threading
        import urllib.request
        super().start()
        with open(self.port_file) as f:
            port = json.load(f)["http_port"]
        self.stopping = threading.Event()

        def scrape():
            url = "http://127.0.0.1:%d/metrics" % port
            while not self.stopping.is_set():
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        r.read()
                    self.scrapes += 1
                except OSError:
                    self.failures += 1
                self.stopping.wait(self.every)
        self.thread = threading.Thread(target=scrape, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.h.http_scrapes.setdefault(self.every, []).append((self.scrapes, self.failures))
        super().stop()


def tail(path, n=600):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-n:]
    except FileNotFoundError:
        return ""


class Peer:
    """A peer collector run in the foreground on a free loopback port."""
    framing = "lf"

    def __init__(self, h, tag):
        self.h, self.tag, self.p = h, tag, None

    def render(self, conf_name, **subst):
        with open(os.path.join(HERE, conf_name)) as f:
            text = f.read()
        for k, v in subst.items():
            text = text.replace("@" + k + "@", str(v))
        path = os.path.join(self.dir, conf_name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self):
        self.dir = os.path.join(self.h.run, self.tag)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.out = os.path.join(self.dir, "out.log")
        self.port = free_port()
        cmd, env = self.command()
        self.p = spawn(cmd, os.path.join(self.dir, "peer.log"), env=env)
        deadline = time.time() + 15
        while time.time() < deadline:
            if listening(self.port):
                return self
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"{self.tag} did not start: " +
                           tail(os.path.join(self.dir, "peer.log")))

    @property
    def pid(self):
        return self.p.pid

    def stop(self):
        stop(self.p)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def rsyslog_paths():
    for base in (PEERS_ROOT, "/"):
        exe = os.path.join(base, "usr/sbin/rsyslogd")
        mods = glob.glob(os.path.join(base, "usr/lib/*/rsyslog/imptcp.so"))
        if os.access(exe, os.X_OK) and mods:
            return exe, os.path.dirname(mods[0])
    return None, None


def syslogng_paths():
    for base in (PEERS_ROOT, "/"):
        exe = os.path.join(base, "usr/sbin/syslog-ng")
        mods = glob.glob(os.path.join(base, "usr/lib/syslog-ng/3.*/libafsocket.so"))
        if os.access(exe, os.X_OK) and mods:
            return exe, os.path.dirname(mods[0]), os.path.join(base, "usr/lib/syslog-ng")
    return None, None, None


class Rsyslog(Peer):
    def __init__(self, h, conf, tag, framing):
        super().__init__(h, tag)
        self.conf, self.framing = conf, framing

    def command(self):
        exe, mods = rsyslog_paths()
        conf = self.render(self.conf, RUN=self.dir, PORT=self.port, OUT=self.out)
        return [exe, "-n", "-f", conf, "-i", os.path.join(self.dir, "pid"), "-M", mods], None

    @staticmethod
    def version():
        exe, _ = rsyslog_paths()
        if not exe:
            return None
        out = subprocess.run([exe, "-v"], stdout=subprocess.PIPE, text=True).stdout
        m = re.search(r"rsyslogd\s+([\d.]+)", out)
        return "rsyslog " + (m.group(1) if m else "?")


class SyslogNg(Peer):
    def __init__(self, h, conf, tag):
        super().__init__(h, tag)
        self.conf = conf

    def command(self):
        exe, mods, libs = syslogng_paths()
        conf = self.render(self.conf, RUN=self.dir, PORT=self.port, OUT=self.out)
        env = dict(os.environ, LD_LIBRARY_PATH=libs)
        return [exe, "-F", "-f", conf, "--module-path=" + mods, "--no-caps",
                "-R", os.path.join(self.dir, "persist"), "-c", os.path.join(self.dir, "ctl"),
                "-p", os.path.join(self.dir, "pid")], env

    @staticmethod
    def version():
        exe, _, libs = syslogng_paths()
        if not exe:
            return None
        out = subprocess.run([exe, "--version"], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, LD_LIBRARY_PATH=libs)).stdout
        m = re.search(r"\(([\d.]+)\)", out)
        return "syslog-ng " + (m.group(1) if m else "?")


class RawSink(Peer):
    def command(self):
        return [self.h.bin("raw_sink"), "--port", str(self.port), "--out", self.out], None


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def short_dso(dso):
    if dso.startswith("[kernel"):
        return "kernel"
    return os.path.basename(dso).split(".so")[0]


def perf_aggregate(perf, data, comm=None):
    """Read perf script's call chains (only those of processes named comm,
    when given).  Returns (self, charged, samples):
    self    [(percent, symbol, object)] by the sampled function itself;
    charged [(percent, symbol, object)] by the first user-space frame, i.e.
            kernel time charged to the system call (libc wrapper) that entered
            the kernel (user-space frames beyond the first are not reliable
            without frame pointers, so no deeper attribution is made)."""
    out = subprocess.run([perf, "script", "-i", data, "-F", "comm,ip,sym,dso"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    selfc, charged, total = {}, {}, 0
    frames = []
    current = [None]

    def flush():
        nonlocal total
        if not frames or (comm and current[0] != comm):
            return
        total += 1
        leaf = frames[0]
        selfc[leaf] = selfc.get(leaf, 0) + 1
        ui = next((i for i, f in enumerate(frames) if f[1] != "kernel"), None)
        if ui is None:
            user = ("(kernel only: interrupts, softirq)", "kernel")
        elif frames[ui][0] == "[unknown]":
            user = ("[unknown]", frames[ui][1])
        else:
            user = frames[ui]
            # a read/write system call: say whether on a socket or a file
            how = next((f[0] for f in reversed(frames[:ui])
                        if re.search(r"_(write|read)_iter$", f[0])), None)
            if how:
                user = (f"{user[0]} → {how}", user[1])
        charged[user] = charged.get(user, 0) + 1

    for line in out.splitlines():
        if not line.strip():
            flush()
            frames = []
            continue
        if not line.startswith((" ", "\t")):
            current[0] = line.split()[0] if line.split() else None  # the sample's header (comm)
            continue
        m = re.match(r"\s*[0-9a-f]+\s+(.+?)\s+\((.*)\)\s*$", line)
        if m:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
            frames.append((sym, short_dso(m.group(2))))
    flush()
    pct = lambda d: sorted(((100.0 * n / total, k[0], k[1]) for k, n in d.items()),
                           reverse=True)
    return (pct(selfc), pct(charged), total) if total else ([], [], 0)


# ---- the harness -----------------------------------------------------------

def summary(values):
    """median, min, max of a list (None when empty)."""
    v = [x for x in values if x is not None]
    if not v:
        return None
    return statistics.median(v), min(v), max(v)


def fmt_range(values, fmt="{:,.0f}", scale=1.0):
    s = summary(values)
    if s is None:
        return "–"
    med, lo, hi = (x * scale for x in s)
    if len([x for x in values if x is not None]) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(lo)}–{fmt.format(hi)})"


class Harness:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.daemon = os.path.join(self.build, "logcollectord")
        self.flood = os.path.join(self.build, "tests", "drivers", "lc_flood")
        self.run = os.path.join(self.build, "bench", "run")
        shutil.rmtree(self.run, ignore_errors=True)
        os.makedirs(self.run)
        self.key = os.path.join(self.run, "key")
        subprocess.run([self.daemon, "--gen-key", self.key], check=True,
                       stdout=subprocess.DEVNULL)
        self.results = {}   # (case, subject, n) -> list of dicts
        self.errors = {}    # (case, subject, n) -> message
        self.notes = []
        self.profile = None
        self.client_profile = None
        self.python_section = None
        self.nats_section = None
        self.cost = []
        self.latency = []
        self.idle = []
        self.http_scrapes = {}  # scrape interval -> [(scrapes, failures)] per run
        self.http_cost = None
        self.client_idle = []   # dicts from lc_idle_clients, with "case" and "build"
        self.base = os.path.abspath(args.base_build) if args.base_build else None
        self.t_start = time.time()
        self.load_start = loadavg()

    def bin(self, name, build=None):
        return os.path.join(build or self.build, "bench", name)

    def builds(self):
        """(label, build folder) for the client-side cases: this build, and
        the --base-build one (\"before\") when given."""
        return [("after", self.build)] + ([("before", self.base)] if self.base else [])

    def add(self, key, res):
        self.results.setdefault(key, []).append(res)

    def fail(self, key, err):
        log(f"  FAILED {key}: {err}")
        self.errors.setdefault(key, []).append(str(err))

    # -- one end-to-end run --------------------------------------------------
    def one_run(self, key, subject, loader):
        """Start subject, run loader(subject) -> (rate, records, client CPU, extra),
        measure.  A failed run is noted (and shown) and the next one goes on."""
        try:
            subject.start()
        except Exception as e:
            self.fail(key, e)
            return
        try:
            cpu0 = cpu_seconds(subject.pid)
            rss0 = status_kb(subject.pid, "VmRSS")
            rate, records, ccpu, extra = loader(subject)
            cpu = cpu_seconds(subject.pid) - cpu0
            hwm = status_kb(subject.pid, "VmHWM")
            lines = count_lines(subject.out)
            res = dict(rate=rate, records=records, cpu=cpu, cpu_per_m=cpu / records * 1e6,
                       client_cpu_per_m=ccpu / records * 1e6, hwm_kb=hwm, rss0_kb=rss0,
                       lines=lines, lost=max(0, records - lines), extra=extra)
            self.add(key, res)
            log(f"  {key[1]:<22} n={key[2]:<4} {rate:>10,.0f} rec/s  "
                f"cpu {res['cpu_per_m']:.2f} s/M  client {res['client_cpu_per_m']:.2f} s/M  "
                f"peak {hwm / 1024:.1f} MB  lost {res['lost']}")
        except Exception as e:
            self.fail(key, e)
        finally:
            subject.stop()
            subject.cleanup()

    # -- loaders ---------------------------------------------------------------
    def lib_loader(self, procs, records, mode="json", build=None, queue=None):
        def load(d):
            per = max(1, records // procs)
            cmd = [self.bin("lc_e2e", build), "--procs", str(procs), "--records",
                   str(per), "--mode", mode, "--port-file", d.port_file, "--key-file", self.key]
            if queue:
                cmd += ["--queue", str(queue)]
            out, ccpu = run_tool(cmd, timeout=600)
            r = parse_words(out.strip().splitlines()[-1])
            if int(r["failed"]) or int(r["dropped"]):
                raise RuntimeError(out)
            # lc_e2e makes its records once on its own before the clock
            # (format_cpu_seconds; older lc_e2e: absent): not part of the run.
            fmt = float(r.get("format_cpu_seconds", 0) or 0)
            r["format_cpu_per_m"] = fmt / (per * procs) * 1e6 if fmt else None
            return float(r["rate"]), per * procs, ccpu - fmt, r
        return load

    def lib_loader_small(self, procs, records):
        """LC_FULL_BLOCK that actually blocks: a 1 MiB queue."""
        return self.lib_loader(procs, records, queue=1 << 20)

    def lib_loader_base(self, procs, records):
        return self.lib_loader(procs, records, build=self.base)

    def wire_loader(self, conns, records):
        def load(d):
            per = max(1, records // conns)
            out, ccpu = run_tool([self.flood, "--port-file", d.port_file, "--key-file", self.key,
                                  "--conns", str(conns), "--records", str(per), "--size",
                                  str(RECORD_SIZE)], timeout=600)
            r = parse_words(out.strip().splitlines()[-1])
            return float(r["rate"]), per * conns, ccpu, r
        return load

    def peer_loader(self, conns, records):
        def load(peer):
            per = max(1, records // conns)
            # exit 1 with a result line: lines are missing (counted as lost)
            out, ccpu = run_tool([self.bin("peer_load"), "--port", str(peer.port), "--conns",
                                  str(conns), "--records", str(per), "--size",
                                  str(RECORD_SIZE), "--framing", peer.framing, "--out",
                                  peer.out, "--timeout", "20"], timeout=600, ok=(0, 1))
            r = parse_words(out.strip().splitlines()[-1])
            return float(r["rate"]), per * conns, ccpu, r
        return load

    # -- cases -----------------------------------------------------------------
    def subjects(self):
        """(name, factory, loader-maker) for the throughput case."""
        s = [("logcollect (library)", lambda: Daemon(self), self.lib_loader)]
        if self.base:
            s.append(("logcollect (library), before", lambda: Daemon(self),
                      self.lib_loader_base))
        s.append(("logcollect (library, 1 MiB queue)", lambda: Daemon(self),
                  self.lib_loader_small))
        s.append(("logcollect (wire)", lambda: Daemon(self), self.wire_loader))
        if self.args.peers:
            if syslogng_paths()[0]:
                s.append(("syslog-ng tuned",
                          lambda: SyslogNg(self, "syslog-ng-tuned.conf", "syslog-ng"),
                          self.peer_loader))
            else:
                self.notes.append("syslog-ng not found (run tests/bench/install_peers.sh)")
            if rsyslog_paths()[0]:
                s.append(("rsyslog tuned (imptcp)",
                          lambda: Rsyslog(self, "rsyslog-tuned.conf", "rsyslog", "octet"),
                          self.peer_loader))
                if not self.args.quick:
                    s.append(("rsyslog default (imtcp)",
                              lambda: Rsyslog(self, "rsyslog-default.conf", "rsyslog-def", "lf"),
                              self.peer_loader))
            else:
                self.notes.append("rsyslog not found (run tests/bench/install_peers.sh)")
            if not self.args.quick:
                s.append(("raw epoll sink (floor)", lambda: RawSink(self, "raw"),
                          self.peer_loader))
        return s

    def case_tput(self):
        log(f"== throughput: {self.args.records:,} records of {RECORD_SIZE} bytes per run, "
            f"1 and 8 clients, {self.args.runs} runs, interleaved")
        subjects = self.subjects()
        for r in range(self.args.runs):
            for name, make, loader in subjects:
                for n in (1, 8):
                    self.one_run(("tput", name, n), make(), loader(n, self.args.records))

    def case_scaling(self):
        counts = (64, 512)
        log(f"== scaling: wire-level, {self.args.records:,} records over 64 and 512 "
            "connections (1 and 8: from the throughput case)")
        for r in range(self.args.runs):
            for n in counts:
                self.one_run(("tput", "logcollect (wire)", n), Daemon(self),
                             self.wire_loader(n, self.args.records))
        if "tput" not in self.args.cases:
            for r in range(self.args.runs):
                for n in (1, 8):
                    self.one_run(("tput", "logcollect (wire)", n), Daemon(self),
                                 self.wire_loader(n, self.args.records))

    def fsync_supported(self):
        out = subprocess.run([self.daemon, "--help"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True).stdout
        return "--fsync" in out

    HTTP_MODES = (("off", None), ("--http, scraped every 1 s", 1.0),
                  ("--http, scraped every 10 ms (stress)", 0.01))

    def case_http(self):
        """Throughput with --http and a scraper versus without, interleaved in
        the same run (issue 12: within 3%)."""
        log("== http: library, 8 processes; --http off, on with /metrics scraped every 1 s, "
            "and every 10 ms; interleaved")
        for r in range(self.args.runs):
            k = r % len(self.HTTP_MODES)  # each setting goes first in turn: load drifts
            for name, every in self.HTTP_MODES[k:] + self.HTTP_MODES[:k]:
                d = Daemon(self, tag="http") if every is None else ScrapedDaemon(self, every)
                self.one_run(("http", name, 8), d, self.lib_loader(8, self.args.records))
        self.scrape_cost()

    def scrape_cost(self):
        """The daemon's CPU time per /metrics answer, over many scrapes on
        one kept-alive connection (less noisy than throughput on a shared
        machine: it bounds the cost of any scrape interval)."""
        import http.client
        n = 500 if self.args.quick else 5000
        d = Daemon(self, ["--http", "127.0.0.1:0"], tag="http-cost").start()
        try:
            with open(d.port_file) as f:
                port = json.load(f)["http_port"]
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            size = 0
            cpu0, t0 = cpu_seconds(d.pid), time.monotonic()
            for _ in range(n):
                c.request("GET", "/metrics")
                size = len(c.getresponse().read())
            cpu, wall = cpu_seconds(d.pid) - cpu0, time.monotonic() - t0
            c.close()
            self.http_cost = dict(n=n, cpu_us=cpu / n * 1e6, wall_us=wall / n * 1e6, size=size)
            log(f"  /metrics: {n} scrapes, daemon CPU {cpu / n * 1e6:.0f} us each, "
                f"{wall / n * 1e6:.0f} us round trip, {size} bytes")
        except Exception as e:
            self.fail(("http", "scrape cost", 1), e)
        finally:
            d.stop()
            d.cleanup()

    def case_fsync(self):
        if not self.fsync_supported():
            self.notes.append("durability: this logcollectord has no --fsync option; "
                              "the case was skipped")
            log("== durability: skipped (no --fsync)")
            return
        modes = ["never", "batch", "interval=1000", "interval=100"]
        log(f"== durability: --fsync {', '.join(modes)}; library, 8 processes")
        for r in range(self.args.runs):
            for m in modes:
                self.one_run(("fsync", m, 8), Daemon(self, ["--fsync", m], tag="fsync"),
                             self.lib_loader(8, self.args.records))

    def case_latency(self):
        secs = 2 if self.args.quick else 10
        runs = 1 if self.args.quick else 3
        log(f"== latency: 50,000 records/s for {secs} s, {runs} runs, paced by "
            "clock_nanosleep and by spinning")
        for r in range(runs):
            for label, build in self.builds():
                for pace in ("sleep", "spin"):
                    if label == "before" and pace == "spin":
                        continue  # the old lc_latency has no --pace (it sleeps)
                    d = Daemon(self, tag="lat")
                    try:
                        d.start()
                        out, _ = run_tool([self.bin("lc_latency", build), "--out", d.out,
                                           "--rate", "50000", "--seconds", str(secs),
                                           "--port-file", d.port_file, "--key-file", self.key]
                                          + (["--pace", pace] if label == "after" else []),
                                          timeout=secs + 120, ok=(0, 1))
                        kv = parse_kv(out.strip().splitlines()[-1])
                        kv["pace"], kv["build"] = pace, label
                        self.latency.append(kv)
                        log(f"  {label} {pace}: p50 {kv['p50']} us  p99 {kv['p99']} us  "
                            f"p99.9 {kv['p999']} us  max {kv['max']} us  lost {kv['lost']}  "
                            f"late calls {kv['late_calls']}")
                    except Exception as e:
                        self.fail(("latency", f"logcollect {label} {pace}", 1), e)
                    finally:
                        d.stop()
                        d.cleanup()

    def case_idle(self):
        """lc_idle_clients: 100 clients with nothing to send, and 100 whose
        records the daemon does not acknowledge (RLIMIT_FSIZE 0 on it stands
        in for a full disk), 10 s each."""
        secs = 2 if self.args.quick else 10
        runs = 1 if self.args.quick else 3
        log(f"== idle clients: 100 idle, 100 waiting for withheld ACKs; {secs} s, {runs} runs")
        for r in range(runs):
            for label, build in self.builds():
                for case, records in (("idle", 0), ("acks withheld", 20)):
                    d = Daemon(self, tag="idlec")
                    try:
                        d.start()
                        if records:
                            subprocess.run(["prlimit", "--pid", str(d.pid), "--fsize=0:unlimited"],
                                           check=True)
                        exe = os.path.join(build, "tests", "drivers", "lc_idle_clients")
                        env = dict(os.environ, LOGCOLLECT_PORT_FILE=d.port_file,
                                   LOGCOLLECT_KEY_FILE=self.key)
                        out, _ = run_tool([exe, "--clients", "100", "--records", str(records),
                                           "--seconds", str(secs)], timeout=secs + 120, env=env)
                        kv = parse_kv(out.strip().splitlines()[-1])
                        kv["case"], kv["build"] = case, label
                        self.client_idle.append(kv)
                        log(f"  {label} {case}: {kv['cpu_s']} CPU-s in {kv['seconds']} s, "
                            f"{kv['wakeups_per_client_s']} wake-ups/s per client")
                    except Exception as e:
                        self.fail(("idle", f"{label} {case}", 100), e)
                    finally:
                        d.stop()
                        d.cleanup()

    def case_memory(self):
        runs = 1 if self.args.quick else 3
        n = 1000
        log(f"== memory: {n} idle authenticated connections, {runs} runs")
        for r in range(runs):
            d = Daemon(self, tag="idle")
            p = None
            try:
                d.start()
                time.sleep(0.2)
                before = status_kb(d.pid, "VmRSS")
                p = subprocess.Popen([self.bin("lc_idle"), "--port-file", d.port_file,
                                      "--key-file", self.key, "--conns", str(n)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                STARTED.append(p)
                line = p.stdout.readline()
                if not line.startswith("ready"):
                    raise RuntimeError("lc_idle: " + line)
                time.sleep(0.5)
                after = status_kb(d.pid, "VmRSS")
                hwm = status_kb(d.pid, "VmHWM")
                res = dict(conns=n, before_kb=before, after_kb=after, hwm_kb=hwm,
                           per_conn_kb=(after - before) / n)
                self.idle.append(res)
                log(f"  RSS {before / 1024:.1f} MB idle, {after / 1024:.1f} MB with {n} "
                    f"connections: {res['per_conn_kb']:.1f} KB each; peak {hwm / 1024:.1f} MB")
            except Exception as e:
                self.fail(("memory", "idle", n), e)
            finally:
                if p:
                    p.stdin.close()
                    p.wait(30)
                d.stop()
                d.cleanup()

    def syslog_setup(self):
        """Start a private rsyslog with imuxsock; return (proc, wrapper, how)."""
        exe, mods = rsyslog_paths()
        if not exe:
            return None, None, "rsyslog not found (run tests/bench/install_peers.sh)"
        d = os.path.join(self.run, "syslog")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        sock = os.path.join(d, "log.sock")
        with open(os.path.join(HERE, "rsyslog-syslog.conf")) as f:
            conf = (f.read().replace("@RUN@", d).replace("@SOCK@", sock)
                    .replace("@OUT@", os.path.join(d, "messages")))
        cpath = os.path.join(d, "rsyslog.conf")
        with open(cpath, "w") as f:
            f.write(conf)
        p = spawn([exe, "-n", "-f", cpath, "-i", os.path.join(d, "pid"), "-M", mods],
                  os.path.join(d, "rsyslog.log"))
        for _ in range(500):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
        else:
            stop(p)
            return None, None, "private rsyslog did not create its socket"
        if not os.path.lexists("/dev/log"):
            try:
                os.symlink(sock, "/dev/log")
                DEVLOG["link"] = sock
                return p, [], "/dev/log did not exist: a symlink to the private socket " \
                              "was made for the run and removed after"
            except OSError:
                pass
        if os.path.lexists("/dev/log") and shutil.which("unshare") and os.geteuid() == 0:
            wrap = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    f'mount --bind "{sock}" /dev/log && exec "$@"', "sh"]
            return p, wrap, "/dev/log bind-mounted onto the private socket in a private " \
                            "mount namespace (unshare -m)"
        stop(p)
        return None, None, "/dev/log could not be pointed at a private rsyslog (neither " \
               "a symlink nor a private mount namespace)"

    def syslog_teardown(self, p):
        remove_devlog()
        stop(p)

    def case_cost(self):
        runs = 1 if self.args.quick else 3
        calls = 50000 if self.args.quick else 100000
        rounds = 5 if self.args.quick else 7
        sp, wrap, how = (None, None, "not measured: --no-peers")
        if self.args.peers or rsyslog_paths()[0]:
            sp, wrap, how = self.syslog_setup()
        self.syslog_how = how
        self.cost_shape = (calls, rounds)
        log(f"== calling-thread cost: lc_log vs syslog(3), {calls:,} calls x {rounds} rounds, "
            f"{runs} runs; syslog: {how}")
        try:
            for r, (label, build) in [(r, b) for r in range(runs) for b in self.builds()]:
                d = Daemon(self, tag="cost")
                try:
                    d.start()
                    cmd = [self.bin("lc_cost", build), "--calls", str(calls), "--rounds",
                           str(rounds), "--port-file", d.port_file, "--key-file", self.key]
                    if sp is not None:
                        cmd = wrap + cmd + ["--syslog"]
                    out, _ = run_tool(cmd, timeout=300)
                    res = {}
                    for line in out.splitlines():
                        w = line.split()
                        if len(w) >= 2:
                            res.setdefault(w[0], {}).update(parse_kv(line))
                    res["build"] = label
                    self.cost.append(res)
                    lc = res.get("lc_log", {})
                    sl = res.get("syslog", {})
                    log(f"  lc_log per call p50 {lc.get('p50')} ns (mean over rounds, median "
                        f"{lc.get('median')} ns); syslog p50 {sl.get('p50', '-')} ns (mean "
                        f"{sl.get('median', '-')} ns)")
                except Exception as e:
                    self.fail(("cost", "lc_log", 1), e)
                finally:
                    d.stop()
                    d.cleanup()
        finally:
            if sp is not None:
                self.syslog_teardown(sp)

    def case_profile(self):
        perf = shutil.which("perf")
        log("== profile: logcollectord under the 8-process library run")
        d = Daemon(self, tag="prof")
        try:
            d.start()
            if perf:
                data = os.path.join(self.run, "perf.data")
                pr = spawn([perf, "record", "-e", "cpu-clock", "-F", "4999", "-g", "-p",
                            str(d.pid), "-o", data], os.path.join(self.run, "perf.log"))
                time.sleep(0.5)
                rate, records, _, _ = self.lib_loader(8, self.args.records)(d)
                pr.send_signal(signal.SIGINT)
                pr.wait(60)
                top, charged, total = perf_aggregate(perf, data)
                if not total:
                    raise RuntimeError("perf recorded nothing: " +
                                       tail(os.path.join(self.run, "perf.log")))
                self.profile = dict(tool="perf record -e cpu-clock -F 4999 -g",
                                    rate=rate, records=records, samples=total,
                                    top=top[:25], charged=charged[:15])
                log(f"  {total} samples; top: " +
                    ", ".join(f"{s} {p:.1f}%" for p, s, _ in top[:5]))
            else:
                self.notes.append("profile: perf not found (apt-get install linux-perf)")
        except Exception as e:
            self.fail(("profile", "perf", 8), e)
        finally:
            d.stop()
            d.cleanup()
        if perf:
            self.profile_client(perf)

    def profile_client(self, perf):
        """Where the library's time goes: the whole machine sampled while one
        lc_e2e process sends, then only lc_e2e's samples (its log calls and
        its sender thread)."""
        log("== profile: liblogcollect in the 1-process library run")
        d = Daemon(self, tag="cprof")
        try:
            d.start()
            data = os.path.join(self.run, "perf-client.data")
            pr = spawn([perf, "record", "-a", "-e", "cpu-clock", "-F", "2999", "-g",
                        "-o", data], os.path.join(self.run, "perf-client.log"))
            time.sleep(0.5)
            rate, records, _, _ = self.lib_loader(1, self.args.records)(d)
            pr.send_signal(signal.SIGINT)
            pr.wait(60)
            top, charged, total = perf_aggregate(perf, data, comm="lc_e2e")
            if not total:
                raise RuntimeError("perf recorded nothing for lc_e2e: " +
                                   tail(os.path.join(self.run, "perf-client.log")))
            self.client_profile = dict(tool="perf record -a -e cpu-clock -F 2999 -g",
                                       rate=rate, records=records, samples=total,
                                       top=top[:20], charged=charged[:12])
        except Exception as e:
            self.fail(("profile", "client", 1), e)
        finally:
            d.stop()
            d.cleanup()

    # -- report ----------------------------------------------------------------
    def vals(self, key, field):
        return [r[field] for r in self.results.get(key, [])]

    def med(self, key, field):
        s = summary(self.vals(key, field))
        return s[0] if s else None

    def best_peer(self, n, field="rate", best=max):
        cands = []
        for name in ("syslog-ng tuned", "rsyslog tuned (imptcp)"):
            v = self.med(("tput", name, n), field)
            if v is not None:
                cands.append((v, name))
        return best(cands) if cands else (None, None)

    def case_python(self):
        """tests/bench/py_bench.py, one run of its own cases; its section of
        the report is its own markdown."""
        out = os.path.join(self.run, "py_bench.json")
        cmd = [sys.executable, os.path.join(HERE, "py_bench.py"), "--build", self.args.build,
               "--json", out]
        log("python: " + " ".join(cmd))
        env = dict(os.environ, PY_BENCH_COMMAND=self.args.command, PYTHONDONTWRITEBYTECODE="1")
        try:
            subprocess.run(cmd, env=env, check=True, timeout=1800)
            sys.path.insert(0, HERE)
            import py_bench
            with open(out) as f:
                self.python_section = py_bench.markdown(json.load(f))
        except Exception as e:  # a failed case is reported, not fatal
            self.fail(("python", "py_bench", 1), e)

    def case_nats(self):
        """tests/bench/nats_bench.py (the forwarder to NATS JetStream, issue
        10), one run of its own cases; its section of the report is its own
        markdown."""
        need = [os.path.join(self.build, "bench", "nats_floor"),
                os.path.join(self.build, "tests", "drivers", "nats_dump"),
                shutil.which("nats-server") or "/usr/sbin/nats-server"]
        missing = [b for b in need if not os.access(b, os.X_OK)]
        if missing:
            self.notes.append("nats: skipped, %s missing (libnats-dev and nats-server: "
                              "make deps)" % ", ".join(missing))
            return
        out = os.path.join(self.run, "nats_bench.json")
        cmd = [sys.executable, os.path.join(HERE, "nats_bench.py"), "--build", self.args.build,
               "--json", out] + (["--quick"] if self.args.quick else [])
        log("nats: " + " ".join(cmd))
        env = dict(os.environ, NATS_BENCH_COMMAND=self.args.command, PYTHONDONTWRITEBYTECODE="1")
        try:
            subprocess.run(cmd, env=env, check=True, timeout=3600)
            sys.path.insert(0, HERE)
            import nats_bench
            with open(out) as f:
                self.nats_section = nats_bench.markdown(json.load(f))
        except Exception as e:  # a failed case is reported, not fatal
            self.fail(("nats", "nats_bench", 1), e)

    def fmt_format_cpu(self, k):
        v = [x["extra"].get("format_cpu_per_m") for x in self.results.get(k, [])
             if isinstance(x.get("extra"), dict)]
        v = [x for x in v if x]
        return fmt_range(v, '{:.2f}') if v else "–"

    def report_issue13_targets(self, w):
        """The client-side targets of issue 13, in the targets table."""
        for n, want in ((8, 2), (1, 3)):
            ours = self.med(("tput", "logcollect (library)", n), "rate")
            bp, bpn = self.best_peer(n)
            if ours and bp:
                w(f"| LC_FULL_BLOCK, {n} process{'es' if n > 1 else ''}: ≥ {want}x best peer | "
                  f"{ours:,.0f} rec/s = {ours / bp:.2f}x | {bpn} {bp:,.0f} rec/s | "
                  f"{'met' if ours >= want * bp else 'NOT met'} |")
        for n, want in ((1, 0.35), (8, 0.5)):
            k = ("tput", "logcollect (library)", n)
            c = self.med(k, "client_cpu_per_m")
            if c:
                f = [x["extra"].get("format_cpu_per_m") or 0 for x in self.results.get(k, [])]
                lib = c - statistics.median(f) if f else c
                w(f"| client CPU-s per 1M records, {n} process{'es' if n > 1 else ''}, "
                  f"formatting excluded: ≤ {want} | {lib:.2f} s ({c:.2f} with formatting) | "
                  f"– | {'met' if lib <= want else 'NOT met'} |")
        lc = [c["lc_log"] for c in self.cost if "lc_log" in c and c.get("build", "after") == "after"]
        if lc:
            for q, want in (("p50", 100), ("p99", 500), ("p999", 5000)):
                m = statistics.median(float(x[q]) for x in lc)
                w(f"| lc_log {q.replace('p999', 'p99.9')} ≤ {want:,} ns | {m:,.0f} ns | – | "
                  f"{'met' if m <= want else 'NOT met'} |")
        for pace in ("sleep", "spin"):
            xs = [x for x in self.latency if x.get("build", "after") == "after"
                  and x.get("pace", "sleep") == pace]
            if xs:
                p99 = statistics.median(float(x["p99"]) for x in xs)
                p999 = statistics.median(float(x["p999"]) for x in xs)
                w(f"| latency at 50k rec/s ({pace}-paced): p99 ≤ 500 µs, p99.9 ≤ 2 ms | "
                  f"p99 {p99:,.0f} µs, p99.9 {p999:,.0f} µs | – | "
                  f"{'met' if p99 <= 500 and p999 <= 2000 else 'NOT met'} |")
        for case, want in (("idle", 0.05), ("acks withheld", 0.2)):
            xs = [x for x in self.client_idle if x["build"] == "after" and x["case"] == case]
            if xs:
                cpu = statistics.median(float(x["cpu_s"]) for x in xs)
                wk = statistics.median(float(x["wakeups_per_client_s"]) for x in xs)
                secs = float(xs[0]["seconds"])
                w(f"| 100 clients {case}: client CPU over {secs:.0f} s ≤ {want} s | "
                  f"{cpu:.3f} s ({wk:.2f} wake-ups/s per client) | – | "
                  f"{'met' if cpu <= want else 'NOT met'} |")

    def report(self):
        a = self.args
        L = []
        w = L.append
        now = datetime.datetime.now(datetime.timezone.utc)
        cpu_model = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        commit = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %cd (%s)",
                                 "--date=short"], stdout=subprocess.PIPE, text=True).stdout.strip()
        st = subprocess.run(["git", "-C", ROOT, "status", "--porcelain"],
                            stdout=subprocess.PIPE, text=True).stdout.split("\n")
        dirty = [l[3:] for l in st if l.strip() and not l.startswith("??")]
        untracked = [l[3:] for l in st if l.startswith("??")]
        osname = ""
        try:
            with open("/etc/os-release") as f:
                osname = dict(l.rstrip().split("=", 1) for l in f if "=" in l) \
                    .get("PRETTY_NAME", "").strip('"')
        except FileNotFoundError:
            pass
        w("# Benchmarks" if not a.quick else "# Benchmarks (quick run)")
        w("")
        w("Written by tests/bench/bench.py (`make bench`); how to run it and what each "
          "case does: [tests/bench/README.md](../tests/bench/README.md). Every figure "
          "below comes from this one run, on this one machine: compare rows with each "
          "other, not with another run's.")
        w("")
        w(f"* Date: {now:%Y-%m-%d %H:%M} UTC, {time.time() - self.t_start:.0f} s")
        w(f"* Machine: {os.cpu_count()} CPUs (nproc), {cpu_model}, {mem_gb:.0f} GiB, "
          f"Linux {platform.release()}, {osname}; shared and noisy: read the ranges "
          f"(load average {self.load_start} at the start, {loadavg()} at the end)")
        w(f"* Command: `{a.command}`")
        w(f"* Measured: commit {commit}" +
          (f", plus uncommitted changes: {len(dirty)} tracked files modified "
           f"({', '.join(dirty[:8])}{', ...' if len(dirty) > 8 else ''})" if dirty else "") +
          (f", {len(untracked)} untracked files or folders "
           f"({', '.join(untracked[:8])}{', ...' if len(untracked) > 8 else ''})"
           if untracked else ""))
        pv = [v for v in (SyslogNg.version(), Rsyslog.version()) if v]
        if pv and self.args.peers:
            w(f"* Peers: {', '.join(pv)} (Debian packages, unpacked under tests/bench/peers/; "
              "configurations in tests/bench/*.conf)")
        w(f"* Each throughput case: {a.records:,} records of {RECORD_SIZE} bytes, "
          f"{a.runs} run(s), a fresh daemon/peer per run; figures are median (min–max)")
        w("")

        # targets
        w("## Targets")
        w("")
        w("| target | measured | against | verdict |")
        w("|---|---|---|---|")
        for n in (1, 8):
            ours = self.med(("tput", "logcollect (library)", n), "rate")
            bp, bpn = self.best_peer(n)
            if ours and bp:
                w(f"| throughput, {n} client process{'es' if n > 1 else ''}: ≥ 2x best peer | "
                  f"{ours:,.0f} rec/s = {ours / bp:.2f}x | {bpn} {bp:,.0f} rec/s | "
                  f"{'met' if ours >= 2 * bp else 'NOT met'} |")
            elif ours:
                w(f"| throughput, {n} client(s) | {ours:,.0f} rec/s | no peer measured | – |")
        for n in (1, 8):
            ours = self.med(("tput", "logcollect (library)", n), "cpu_per_m")
            bp, bpn = self.best_peer(n, "cpu_per_m", min)
            if ours and bp:
                w(f"| daemon CPU-s per 1M records ({n} client{'s' if n > 1 else ''}): ≤ 1/3 "
                  f"of best peer | {ours:.2f} s = {ours / bp:.2f}x | {bpn} {bp:.2f} s | "
                  f"{'met' if ours * 3 <= bp else 'NOT met'} |")
        if self.cost:
            lc = summary([float(c["lc_log"]["p50"]) for c in self.cost
                          if "lc_log" in c and c.get("build", "after") == "after"])
            sl = summary([float(c["syslog"]["p50"]) for c in self.cost if "syslog" in c])
            if lc:
                w(f"| lc_log median per call ≤ 200 ns | {lc[0]:.0f} ns | – | "
                  f"{'met' if lc[0] <= 200 else 'NOT met'} |")
            if lc and sl:
                w(f"| lc_log ≥ 10x cheaper than syslog(3) | {sl[0] / lc[0]:.1f}x | syslog(3) "
                  f"{sl[0]:.0f} ns | {'met' if sl[0] >= 10 * lc[0] else 'NOT met'} |")
        if self.latency:
            p99 = summary([float(x["p99"]) for x in self.latency if "p99" in x
                           and x.get("build", "after") == "after" and x.get("pace") != "spin"])
            if p99:
                w(f"| latency p99 at 50k rec/s < 1 ms | {p99[0]:,.0f} µs | – | "
                  f"{'met' if p99[0] < 1000 else 'NOT met'} |")
        hwm8 = self.vals(("tput", "logcollect (library)", 8), "hwm_kb")
        if hwm8:
            w(f"| daemon peak RSS, 8-process run ≤ 32 MB | {max(hwm8) / 1024:.1f} MB (max) | – |"
              f" {'met' if max(hwm8) <= 32 * 1024 else 'NOT met'} |")
        if self.idle:
            m = max(x["hwm_kb"] for x in self.idle)
            w(f"| daemon peak RSS, 1,000 idle connections ≤ 32 MB | {m / 1024:.1f} MB (max) | – |"
              f" {'met' if m <= 32 * 1024 else 'NOT met'} |")
        sc = {n: self.med(("tput", "logcollect (wire)", n), "rate") for n in (8, 64, 512)}
        if all(sc.values()):
            lo, hi = min(sc.values()), max(sc.values())
            w(f"| scaling 8 → 512 connections flat within 20% | spread {(hi - lo) / hi:.0%} "
              f"(min/max) | – | {'met' if lo >= 0.8 * hi else 'NOT met'} |")
        self.report_issue13_targets(w)
        lost = sum(r["lost"] for v in self.results.values() for r in v)
        failed = sum(len(v) for v in self.errors.values())
        w(f"| records lost, all cases | {lost}"
          f"{f' (and {failed} failed runs: see Notes)' if failed else ''} | – | "
          f"{'NOT met' if lost else 'unknown' if failed else 'met'} |")
        w("")

        # throughput table
        tput_keys = [k for k in self.results if k[0] == "tput"] + \
                    [k for k in self.errors if k[0] == "tput" and k not in self.results]
        if tput_keys:
            w("## End-to-end throughput")
            w("")
            w("Records sent until every one is a line in the output file (and, for "
              "logcollect, acknowledged), with authentication, validation, trusted fields "
              "and acks on (the daemon's defaults, `--fsync interval=1000`). *library*: "
              "`lc_e2e`, P processes each calling `lc_send_json` with the record, then "
              "`lc_flush`; *wire*: `lc_flood`, one process speaking the protocol directly "
              "on N connections (the daemon's cost without the library's); peers: "
              "`peer_load`, one process, N connections, the same records, the peer's "
              "framing, until the file has every line. CPU: the collector process's "
              "user+system seconds per million records (`/proc/PID/stat`), and the load "
              "generator's. Peak RSS: `VmHWM`. The peers do less: no authentication, no "
              "validation, no trusted fields, no acknowledgement; they append the record as "
              "received. rsyslog default and the raw sink are for reference, not targets.")
            w("")
            w("*client CPU-s / 1M*: the load generator's user+system time; for the library "
              "rows that is the library (calling thread and sender thread) plus `lc_e2e`'s "
              "own making of the records, which is measured on its own (before the clock) "
              "and shown as *of which formatting* (`–`: a build whose `lc_e2e` does not "
              "measure it). *library, 1 MiB queue*: the same with a 1 MiB queue, so that "
              "`LC_FULL_BLOCK` really blocks (with the default 64 MiB of `lc_e2e` no call "
              "ever waits). *before*: the `--base-build` binaries, same daemon.")
            w("")
            w("| collector | clients | records/s | vs best peer | collector CPU-s / 1M | "
              "client CPU-s / 1M | of which formatting | peak RSS MB | lost |")
            w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            order = ["logcollect (library)", "logcollect (library), before",
                     "logcollect (library, 1 MiB queue)", "logcollect (wire)", "syslog-ng tuned",
                     "rsyslog tuned (imptcp)", "rsyslog default (imtcp)", "raw epoll sink (floor)"]
            for name in order:
                for n in (1, 8):
                    k = ("tput", name, n)
                    if k in self.errors and k not in self.results:
                        w(f"| {name} | {n} | failed: {self.errors[k][0][:120]} | | | | | | |")
                        continue
                    if k not in self.results:
                        continue
                    bp, _ = self.best_peer(n)
                    rate = self.med(k, "rate")
                    vs = f"{rate / bp:.2f}x" if bp else "–"
                    w(f"| {name} | {n} | {fmt_range(self.vals(k, 'rate'))} | {vs} | "
                      f"{fmt_range(self.vals(k, 'cpu_per_m'), '{:.2f}')} | "
                      f"{fmt_range(self.vals(k, 'client_cpu_per_m'), '{:.2f}')} | "
                      f"{self.fmt_format_cpu(k)} | "
                      f"{fmt_range(self.vals(k, 'hwm_kb'), '{:.1f}', 1 / 1024)} | "
                      f"{sum(self.vals(k, 'lost'))}"
                      f"{f' ({len(self.errors[k])} runs failed)' if k in self.errors else ''} |")
            w("")

        if self.cost:
            w("## Cost in the calling thread")
            w("")
            w("`lc_cost`: `lc_log(c, LC_INFO, \"bench %ld\", i)` and, in the same process, "
              "`syslog(LOG_INFO, \"bench %ld\", i)` to a private rsyslog (imuxsock → file; "
              f"{getattr(self, 'syslog_how', '')}). *Per call*: {self.cost_shape[0]:,} calls "
              "timed one by one (clock cost subtracted); *mean*: "
              f"{self.cost_shape[1]} rounds of {self.cost_shape[0]:,} calls timed as a whole, "
              "the median round. Median (min–max) over runs.")
            w("")
            w("| call | per call p50 ns | p90 ns | p99 ns | p99.9 ns | mean ns/call |")
            w("|---|---:|---:|---:|---:|---:|")
            for name, label in (("lc_log", "after"), ("lc_log", "before"), ("syslog", None)):
                rows = [c[name] for c in self.cost if name in c and "p50" in c[name]
                        and (label is None or c.get("build", "after") == label)]
                if not rows:
                    continue
                f = lambda k: fmt_range([float(r[k]) for r in rows])
                tag = "(3)" if name == "syslog" else ", before" if label == "before" else ""
                w(f"| {name}{tag} | {f('p50')} | {f('p90')} | "
                  f"{f('p99')} | {f('p999')} | {f('median')} |")
            w("")

        if self.latency:
            w("## Latency")
            w("")
            w("`lc_latency`: one client calls `lc_log` at a steady 50,000 records/s; a "
              "thread of the same process follows the output file with inotify and notes "
              "when each record's line appears. Latency = that moment − the moment of the "
              "`lc_log` call (an upper bound: the reader's own wake-up is included). "
              "Median (min–max) over runs, in µs.")
            w("")
            w("*pace*: how the calling thread waits for the next record's time: `sleep` "
              "(`clock_nanosleep`, absolute deadline, timer slack 1 ns) or `spin` (reads the "
              "clock in a loop); *driver CPU-s*: the calling thread's CPU over the run.")
            w("")
            w("| build | pace | p50 | p90 | p99 | p99.9 | max | records | lost | "
              "calls made late (>1 ms) | driver CPU-s |")
            w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for label in ("after", "before"):
                for pace in ("sleep", "spin"):
                    xs = [x for x in self.latency if x.get("build", "after") == label
                          and x.get("pace", "sleep") == pace]
                    if not xs:
                        continue
                    g = lambda k: fmt_range([float(x[k]) for x in xs if k in x]) \
                        if any(k in x for x in xs) else "–"
                    w(f"| {label} | {pace} | {g('p50')} | {g('p90')} | {g('p99')} | "
                      f"{g('p999')} | {g('max')} | {sum(int(x['records']) for x in xs):,} | "
                      f"{sum(int(x['lost']) for x in xs)} | {g('late_calls')} | "
                      f"{g('driver_cpu_s')} |")
            w("")

        if self.client_idle:
            w("## Idle clients")
            w("")
            w("`lc_idle_clients` (tests/drivers): 100 clients in one process, connected; "
              "*idle*: nothing to send; *acks withheld*: each has sent 20 records that the "
              "daemon cannot write (RLIMIT_FSIZE 0 on it, as for a full disk), so it keeps "
              "them in flight and waits. Then the process does nothing for "
              f"{float(self.client_idle[0]['seconds']):.0f} s: its CPU time over that span "
              "(all threads) and the context switches of its sender threads "
              "(`/proc/self/task/*/status`), per client per second. Median (min–max) over runs.")
            w("")
            w("| build | case | client CPU-s over the span | wake-ups / s per client |")
            w("|---|---|---:|---:|")
            for label in ("after", "before"):
                for case in ("idle", "acks withheld"):
                    xs = [x for x in self.client_idle if x["build"] == label and x["case"] == case]
                    if xs:
                        w(f"| {label} | {case} | "
                          f"{fmt_range([float(x['cpu_s']) for x in xs], '{:.3f}')} | "
                          f"{fmt_range([float(x['wakeups_per_client_s']) for x in xs], '{:.2f}')} |")
            w("")

        if self.idle or hwm8:
            w("## Memory")
            w("")
            w("| what | daemon RSS |")
            w("|---|---:|")
            if hwm8:
                w(f"| peak (VmHWM) during the 8-process library run | "
                  f"{fmt_range(hwm8, '{:.1f}', 1 / 1024)} MB |")
            if self.idle:
                w(f"| idle, no connection | "
                  f"{fmt_range([x['before_kb'] for x in self.idle], '{:.1f}', 1 / 1024)} MB |")
                w(f"| with 1,000 idle authenticated connections (handshake + HELLO) | "
                  f"{fmt_range([x['after_kb'] for x in self.idle], '{:.1f}', 1 / 1024)} MB |")
                w(f"| per connection | "
                  f"{fmt_range([x['per_conn_kb'] for x in self.idle], '{:.1f}')} KB |")
                w(f"| peak (VmHWM) in that run | "
                  f"{fmt_range([x['hwm_kb'] for x in self.idle], '{:.1f}', 1 / 1024)} MB |")
            w("")
            w("Per connection is the daemon's resident memory only; the kernel's socket "
              "buffers come on top.")
            w("")

        sc_all = {n: self.vals(("tput", "logcollect (wire)", n), "rate") for n in (1, 8, 64, 512)}
        if any(len(v) for n, v in sc_all.items() if n in (64, 512)):
            w("## Scaling with connections")
            w("")
            w(f"`lc_flood` (wire level), {a.records:,} records spread over N connections, "
              "each connection keeping up to 100,000 records unacknowledged.")
            w("")
            w("| connections | records/s | daemon CPU-s / 1M | peak RSS MB | vs 8 |")
            w("|---:|---:|---:|---:|---:|")
            base = self.med(("tput", "logcollect (wire)", 8), "rate")
            for n, v in sc_all.items():
                k = ("tput", "logcollect (wire)", n)
                if not v:
                    continue
                w(f"| {n} | {fmt_range(v)} | {fmt_range(self.vals(k, 'cpu_per_m'), '{:.2f}')} | "
                  f"{fmt_range(self.vals(k, 'hwm_kb'), '{:.1f}', 1 / 1024)} | "
                  f"{(self.med(k, 'rate') / base if base else 0):.2f} |")
            w("")

        fs = [k for k in self.results if k[0] == "fsync"]
        if fs or any("fsync" in n for n in self.notes):
            w("## Durability: `--fsync`")
            w("")
            if fs:
                w("Library, 8 processes, same records. `never`: the daemon never calls "
                  "fsync; `batch`: fsync before every acknowledgement; `interval=MS` "
                  "(default 1000): at most every MS milliseconds.")
                w("")
                w("| --fsync | records/s | vs never | daemon CPU-s / 1M | lost |")
                w("|---|---:|---:|---:|---:|")
                base = self.med(("fsync", "never", 8), "rate")
                for k in sorted(fs, key=lambda k: ["never", "interval=1000", "interval=100",
                                                   "batch"].index(k[1])
                                if k[1] in ("never", "interval=1000", "interval=100", "batch")
                                else 9):
                    r = self.med(k, "rate")
                    w(f"| {k[1]} | {fmt_range(self.vals(k, 'rate'))} | "
                      f"{(r / base if base else 0):.2f} | "
                      f"{fmt_range(self.vals(k, 'cpu_per_m'), '{:.2f}')} | "
                      f"{sum(self.vals(k, 'lost'))} |")
                w("")

        hk = [k for k in self.results if k[0] == "http"]
        if hk:
            w("## The HTTP face: `--http` with /metrics scraped")
            w("")
            w(f"Library, 8 processes, {a.records:,} records per run, {a.runs} runs, the "
              "settings interleaved in the same run (each goes first in turn). *scraped*: a thread of the harness "
              "GETs `/metrics` at that interval for the whole run (Prometheus' usual "
              "interval is 15-60 s; 1 s is what the issue asks; 10 ms is a stress "
              "case). Target: on and scraped within 3% of off.")
            w("")
            w("*paired*: the median over runs of this setting's rate divided by the rate "
              "of `off` in the same run (back to back), which cancels the machine's "
              "slower drifts.")
            w("")
            w("| setting | records/s | vs off | paired | daemon CPU-s / 1M | scrapes per run | lost |")
            w("|---|---:|---:|---:|---:|---:|---:|")
            base = self.med(("http", "off", 8), "rate")
            for name, every in self.HTTP_MODES:
                k = ("http", name, 8)
                if k not in self.results:
                    continue
                r = self.med(k, "rate")
                sc = self.http_scrapes.get(every, [])
                scr = fmt_range([x[0] for x in sc], "{:.0f}") if sc else "–"
                fails = sum(x[1] for x in sc)
                offs, ons = self.vals(("http", "off", 8), "rate"), self.vals(k, "rate")
                pairs = [y / x for x, y in zip(offs, ons) if x]
                paired = f"{statistics.median(pairs):.3f}" if pairs else "–"
                w(f"| {name} | {fmt_range(self.vals(k, 'rate'))} | "
                  f"{(r / base if base else 0):.3f} | {paired} | "
                  f"{fmt_range(self.vals(k, 'cpu_per_m'), '{:.2f}')} | {scr}"
                  f"{f' ({fails} failed)' if fails else ''} | {sum(self.vals(k, 'lost'))} |")
            w("")
            if self.http_cost:
                c = self.http_cost
                w(f"The cost of one scrape, measured apart (less noisy than throughput on a "
                  f"shared machine): {c['n']:,} `GET /metrics` on one kept-alive connection "
                  f"to an idle daemon took {c['cpu_us']:.0f} µs of the daemon's CPU each "
                  f"({c['wall_us']:.0f} µs round trip; {c['size']:,} bytes). Scraped every "
                  f"second, that is {c['cpu_us'] / 1e4:.3f}% of one core taken from the "
                  f"record path.")
                w("")

        if self.profile:
            p = self.profile
            w("## Profile of the daemon (8-process library run)")
            w("")
            w(f"`{p['tool']}` on logcollectord while 8 `lc_e2e` processes sent "
              f"{p['records']:,} records ({p['rate']:,.0f} rec/s under the profiler; "
              f"{p['samples']:,} samples).")
            w("")
            w("Where the daemon's CPU time goes, by the function running when sampled "
              "(self time; `kernel` = inside a system call or interrupt):")
            w("")
            w("| self % | function | object |")
            w("|---:|---|---|")
            for pct, sym, dso in p["top"]:
                w(f"| {pct:.1f} | `{sym}` | {dso} |")
            w("")
            w("The same samples with kernel time charged to the user-space function that "
              "entered the kernel (for a system call, its libc wrapper: `__GI___writev` is "
              "`writev(2)`; `→ sock_write_iter`: on a socket (ACKs), `→ ext4_file_write_iter` "
              "or the like: on the output file):")
            w("")
            w("| % | user-space function | object |")
            w("|---:|---|---|")
            for pct, sym, dso in p["charged"]:
                w(f"| {pct:.1f} | `{sym}` | {dso} |")
            w("")

        if self.client_profile:
            p = self.client_profile
            w("## Profile of the client library (1-process library run)")
            w("")
            w(f"`{p['tool']}` while one `lc_e2e` process sent {p['records']:,} records "
              f"({p['rate']:,.0f} rec/s under the profiler); only the samples of `lc_e2e` "
              f"(its calling thread and its sender thread): {p['samples']:,}.  "
              "`lc_send_json` validates each record before queueing it "
              "(`lcp_jscan_object`, the same scanner as the daemon's), copies it into the "
              "queue, and the sender thread writes the queue to the socket.")
            w("")
            w("| self % | function | object |")
            w("|---:|---|---|")
            for pct, sym, dso in p["top"]:
                w(f"| {pct:.1f} | `{sym}` | {dso} |")
            w("")
            w("Charged to the user-space function that entered the kernel:")
            w("")
            w("| % | user-space function | object |")
            w("|---:|---|---|")
            for pct, sym, dso in p["charged"]:
                w(f"| {pct:.1f} | `{sym}` | {dso} |")
            w("")

        if self.python_section:
            L.extend(self.python_section.rstrip("\n").split("\n"))
            w("")

        if self.nats_section:
            L.extend(self.nats_section.rstrip("\n").split("\n"))
            w("")

        if self.notes or self.errors:
            w("## Notes")
            w("")
            for n in self.notes:
                w(f"* {n}")
            for k, e in self.errors.items():
                w(f"* {k[0]} / {k[1]} / {k[2]}: {len(e)} run(s) failed; first: {e[0][:300]}")
            w("")
        return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="build folder (default build)")
    ap.add_argument("--quick", action="store_true",
                    help="short run (under a minute): 1 run, fewer records")
    ap.add_argument("--doc", help="write the markdown report there (make bench: "
                                  "docs/benchmarks.md)")
    ap.add_argument("--runs", type=int, help="runs per case (default 5; quick 1)")
    ap.add_argument("--records", type=int,
                    help="records per throughput run (default 1,000,000; quick 200,000)")
    ap.add_argument("--cases",
                    default="tput,scaling,fsync,http,cost,latency,idle,memory,profile,python,nats",
                    help="comma-separated subset of tput,scaling,fsync,http,cost,latency,idle,"
                         "memory,profile,python,nats")
    ap.add_argument("--base-build",
                    help="a second build folder (e.g. of the previous commit) whose client "
                         "binaries run too, as the \"before\" rows of tput, cost, latency "
                         "and idle, against the same daemon")
    ap.add_argument("--no-peers", dest="peers", action="store_false",
                    help="leave out rsyslog, syslog-ng and the raw sink")
    a = ap.parse_args()
    a.command = "make " + ("bench-quick" if a.quick else "bench") \
        if os.environ.get("MAKELEVEL") else "python3 " + " ".join(sys.argv)
    if a.runs is None:
        a.runs = 1 if a.quick else 5
    if a.records is None:
        a.records = 200000 if a.quick else 1000000
    a.cases = [c.strip() for c in a.cases.split(",") if c.strip()]
    if a.quick:
        a.cases = [c for c in a.cases if c not in ("fsync", "profile", "python", "nats")]

    h = Harness(a)
    for b in [h.daemon, h.flood] + [h.bin(x) for x in ("lc_e2e", "lc_cost", "lc_latency",
                                                       "lc_idle", "peer_load", "raw_sink")]:
        if not os.access(b, os.X_OK):
            sys.exit(f"bench: {b} is missing: run make bench-build BUILD={a.build}")
    for c in a.cases:
        getattr(h, "case_" + c)()
    text = h.report()
    out = a.doc or os.path.join(h.build, "bench", "quick.md" if a.quick else "last.md")
    with open(out, "w") as f:
        f.write(text + "\n")
    print()
    print(text)
    print(f"\nbench: report written to {out}")
    cleanup()
    shutil.rmtree(h.run, ignore_errors=True)


if __name__ == "__main__":
    main()
