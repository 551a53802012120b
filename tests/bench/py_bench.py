#!/usr/bin/env python3
"""Benchmark of the Python package (client/python/logcollect) against the
ways a Python program ships its logs to one place today.  Not a test: it
prints figures (and checks that nothing was lost).

In one run, from one Python process, N records (default 200,000) each:

  Client.log            c.log("info", "bench record", i=i)         then flush()
  Client.send_json      c.send_json('{"msg":"bench record","i":%d}' % i), flush()
  Handler               logger.info("bench record %d", i, extra={"i": i})
                        into logcollect.Handler, then flush()
  SocketHandler         the same logging call into logging.handlers.SocketHandler
                        to a receiver process (the logging cookbook's: unpickle,
                        makeLogRecord, handle into a FileHandler)
  Manager queue         the same logging call into a QueueHandler on a
                        multiprocessing.Manager().Queue() (authkey), drained by
                        a QueueListener in another process into a FileHandler
  NullHandler           the same logging call into a NullHandler: the floor
  mp.connection         reference: the README's zero-install snippet
                        (multiprocessing.connection.Client, json.dumps,
                        send_bytes; no acks), against a daemon with
                        --allow-legacy-md5 where the Python needs it

plus 8 processes under spawn, each logging N/8 records through Handler at
full speed: records/s and that every record arrived exactly once.

*records/s* is end to end: from the first call until every record is
acknowledged (ours) or in the receiver's file (the others);  *µs/call* is the
calling loop alone, divided by N.  The targets are issue 9's.

usage: python3 tests/bench/py_bench.py [--build build] [--records N] [--runs R]
                                       [--python EXE] [--json FILE] [--doc FILE]
--doc replaces the "## Python client" section of that markdown file
(docs/benchmarks.md) and leaves the rest alone; tests/bench/bench.py (make
bench, case "python") runs this script and puts the same section in its report.
"""

import argparse
import collections
import json
import logging
import logging.handlers
import multiprocessing
import multiprocessing.connection
import os
import pickle
import platform
import shutil
import signal
import socket
import socketserver
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "client", "python"))

import logcollect  # noqa: E402

SECTION = "## Python client"
TARGETS = {"rate": 100000, "handler_us": 6.0, "vs_manager": 10.0}


# ---- the daemon --------------------------------------------------------------

class Daemon:
    def __init__(self, build, *extra):
        self.dir = tempfile.mkdtemp(prefix="py-bench-")
        self.port_file = os.path.join(self.dir, "port")
        self.key_file = os.path.join(self.dir, "key")
        self.output = os.path.join(self.dir, "out.jsonl")
        exe = os.path.join(ROOT, build, "logcollectord")
        subprocess.check_call([exe, "--gen-key", self.key_file])
        root = ["--allow-root"] if os.geteuid() == 0 else []
        self.proc = subprocess.Popen([exe, "--port-file", self.port_file, "--key-file",
                                      self.key_file, "--output", self.output] + root + list(extra),
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr"), "wb"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if json.load(open(self.port_file)).get("pid") == self.proc.pid:
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise SystemExit("py_bench: the daemon did not start: %s" % exe)

    @property
    def info(self):
        return json.load(open(self.port_file))

    @property
    def key(self):
        return bytes.fromhex(open(self.key_file).read().split()[-1])

    def lines(self):
        try:
            with open(self.output, "rb") as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0

    def truncate(self):
        open(self.output, "wb").close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(20)
        shutil.rmtree(self.dir, ignore_errors=True)


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def wait_lines(path, n, timeout=900):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count_lines(path) >= n:
            return True
        time.sleep(0.01)
    return False


def quiet_logger(name, handler):
    log = logging.getLogger(name)
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    return log


def finished(res, ok):
    """Mark a case whose delivery did not complete in time."""
    if not ok:
        res["note"] = "did not finish in time"
        res["name"] += " (did not finish in time)"
    return res


def result(name, n, t_start, t_calls, t_end, lost, note=""):
    return {"name": name, "records": n, "calls_s": t_calls - t_start, "e2e_s": t_end - t_start,
            "rate": n / (t_end - t_start) if t_end > t_start else 0.0,
            "us_call": (t_calls - t_start) * 1e6 / n,
            "lost": lost, "note": note}


# ---- our cases -----------------------------------------------------------------

def case_log(d, n):
    d.truncate()
    c = logcollect.Client(port_file=d.port_file, key_file=d.key_file, app="py-bench",
                          queue_bytes=256 << 20)
    c.flush(10)
    t0 = time.perf_counter()
    log = c.log
    for i in range(n):
        log("info", "bench record", i=i)
    t1 = time.perf_counter()
    ok = c.flush(300)
    t2 = time.perf_counter()
    c.close()
    return finished(result("Client.log", n, t0, t1, t2, n - d.lines()), ok)


def case_send_json(d, n):
    d.truncate()
    c = logcollect.Client(port_file=d.port_file, key_file=d.key_file, app="py-bench",
                          queue_bytes=256 << 20)
    c.flush(10)
    t0 = time.perf_counter()
    send = c.send_json
    for i in range(n):
        send('{"msg":"bench record","i":%d}' % i)
    t1 = time.perf_counter()
    ok = c.flush(300)
    t2 = time.perf_counter()
    c.close()
    return finished(result("Client.send_json", n, t0, t1, t2, n - d.lines()), ok)


def case_handler(d, n):
    d.truncate()
    c = logcollect.Client(port_file=d.port_file, key_file=d.key_file, app="py-bench",
                          queue_bytes=256 << 20)
    c.flush(10)
    h = logcollect.Handler(client=c)
    log = quiet_logger("bench.handler", h)
    t0 = time.perf_counter()
    for i in range(n):
        log.info("bench record %d", i, extra={"i": i})
    t1 = time.perf_counter()
    ok = c.flush(300)
    t2 = time.perf_counter()
    h.close()
    c.close()
    return finished(result("logging → logcollect.Handler", n, t0, t1, t2, n - d.lines()), ok)


def case_overhead(d, n, rounds=20):
    """The Handler's cost per call over the NullHandler floor, measured in
    alternating rounds (null, handler, null, ...) so that the load of a
    shared machine falls on both alike; the medians of the rounds."""
    d.truncate()
    c = logcollect.Client(port_file=d.port_file, key_file=d.key_file, app="py-bench",
                          queue_bytes=256 << 20)
    c.flush(10)
    hlog = quiet_logger("bench.overhead.handler", logcollect.Handler(client=c))
    nlog = quiet_logger("bench.overhead.null", logging.NullHandler())
    m = n // rounds
    per = {"null": [], "handler": []}
    for r in range(rounds):
        for name, log in (("null", nlog), ("handler", hlog)):
            t0 = time.perf_counter()
            for i in range(r * m, (r + 1) * m):
                log.info("bench record %d", i, extra={"i": i})
            per[name].append((time.perf_counter() - t0) * 1e6 / m)
        c.flush(300)   # (not timed: the next round starts from an empty queue)
    lost = m * rounds - d.lines()
    c.close()
    res = []
    for name, label in (("null", "alternating rounds: logging → NullHandler"),
                        ("handler", "alternating rounds: logging → logcollect.Handler")):
        r = result(label, m * rounds, 0.0, 0.0, 0.0, lost if name == "handler" else 0)
        r["us_call"] = statistics.median(per[name])
        r["rounds"] = per[name]
        res.append(r)
    return res


def case_null(n):
    log = quiet_logger("bench.null", logging.NullHandler())
    t0 = time.perf_counter()
    for i in range(n):
        log.info("bench record %d", i, extra={"i": i})
    t1 = time.perf_counter()
    return result("logging → NullHandler (floor)", n, t0, t1, t1, 0)


# ---- what a Python user does today -----------------------------------------------

class _LogRecordHandler(socketserver.StreamRequestHandler):
    """The logging cookbook's receiver: length-prefixed pickles."""

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.connection.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def handle(self):
        # (the cookbook's reads the 4-byte length with one recv(4), which can
        # return fewer bytes under load and then stop reading)
        logger = self.server.file_logger
        while True:
            head = self.recv_exact(4)
            if head is None:
                break
            body = self.recv_exact(struct.unpack(">L", head)[0])
            if body is None:
                break
            logger.handle(logging.makeLogRecord(pickle.loads(body)))


def socket_receiver(path, ready):
    fh = logging.FileHandler(path)
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _LogRecordHandler)
    srv.file_logger = quiet_logger("bench.received", fh)
    ready.send(srv.server_address[1])
    srv.serve_forever()


def case_sockethandler(n, tmp):
    path = os.path.join(tmp, "sockethandler.log")
    ctx = multiprocessing.get_context("spawn")
    a, b = ctx.Pipe()
    p = ctx.Process(target=socket_receiver, args=(path, b), daemon=True)
    p.start()
    port = a.recv()
    sh = logging.handlers.SocketHandler("127.0.0.1", port)
    log = quiet_logger("bench.socket", sh)
    t0 = time.perf_counter()
    for i in range(n):
        log.info("bench record %d", i, extra={"i": i})
    t1 = time.perf_counter()
    ok = wait_lines(path, n)
    t2 = time.perf_counter()
    sh.close()
    p.terminate()
    p.join()
    return finished(result("logging → SocketHandler → receiver process", n, t0, t1, t2,
                           n - count_lines(path)), ok)


def queue_listener(q, path, n, done):
    fh = logging.FileHandler(path)
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    listener = logging.handlers.QueueListener(q, fh)
    listener.start()
    done.recv()
    listener.stop()


def case_manager_queue(n, tmp):
    path = os.path.join(tmp, "manager.log")
    ctx = multiprocessing.get_context("spawn")
    mgr = ctx.Manager()
    q = mgr.Queue()
    a, b = ctx.Pipe()
    p = ctx.Process(target=queue_listener, args=(q, path, n, b), daemon=True)
    p.start()
    log = quiet_logger("bench.manager", logging.handlers.QueueHandler(q))
    t0 = time.perf_counter()
    for i in range(n):
        log.info("bench record %d", i, extra={"i": i})
    t1 = time.perf_counter()
    ok = wait_lines(path, n)
    t2 = time.perf_counter()
    a.send("stop")
    p.join(30)
    mgr.shutdown()
    return finished(result("logging → QueueHandler → Manager().Queue() → listener process", n,
                           t0, t1, t2, n - count_lines(path)), ok)


def case_mp_connection(build, n):
    d = Daemon(build, "--allow-legacy-md5")
    info = d.info
    try:
        conn = multiprocessing.connection.Client((info["host"], info["port"]), authkey=d.key)
        dumps = json.dumps
        t0 = time.perf_counter()
        for i in range(n):
            conn.send_bytes(dumps({"msg": "bench record", "i": i}).encode())
        t1 = time.perf_counter()
        conn.close()
        ok = wait_lines(d.output, n)
        t2 = time.perf_counter()
        lost = n - d.lines()
    finally:
        d.stop()
    return finished(result("reference: multiprocessing.connection.Client + json.dumps + "
                           "send_bytes (no acks)", n, t0, t1, t2, lost), ok)


# ---- 8 processes under spawn ----------------------------------------------------------

def spawn_worker(args):
    task, n = args
    h = logcollect.configure(level=logging.INFO)
    log = logging.getLogger("bench.pool")
    for i in range(n):
        log.info("bench record %d", i, extra={"task": task, "i": i})
    return h.client.flush(300)


def case_spawn_pool(d, n, procs=8):
    d.truncate()
    saved = dict(os.environ)
    os.environ.update(LOGCOLLECT_PORT_FILE=d.port_file, LOGCOLLECT_KEY_FILE=d.key_file,
                      LOGCOLLECT_APP="py-bench-pool")
    try:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(procs, initializer=_pool_init) as pool:
            pool.map(_noop, range(procs), chunksize=1)     # started and configured
            t0 = time.perf_counter()
            oks = pool.map(spawn_worker, [(t, n // procs) for t in range(procs)], chunksize=1)
            t2 = time.perf_counter()
            pool.close()
            pool.join()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    seen = collections.Counter()
    with open(d.output) as f:
        for line in f:
            o = json.loads(line)
            seen[(o["task"], o["i"])] += 1
    total = (n // procs) * procs
    exact = all(seen.get((t, i)) == 1 for t in range(procs) for i in range(n // procs))
    r = result("8 processes (spawn) → Handler", total, t0, t2, t2, total - len(seen),
               "every record exactly once" if exact and all(oks) and len(seen) == total
               else "NOT exactly once")
    r["us_call"] = None
    r["exact"] = exact and all(oks) and sum(seen.values()) == total
    return r


def _pool_init():
    logcollect.configure(level=logging.INFO)


def _noop(_):
    return os.getpid()


# ---- running and reporting --------------------------------------------------------------

def run_all(args):
    d = Daemon(args.build)
    tmp = tempfile.mkdtemp(prefix="py-bench-files-")
    n = args.records
    runs = []
    try:
        for r in range(args.runs):
            one = []
            print("run %d/%d" % (r + 1, args.runs), flush=True)
            cases = (lambda: case_null(n), lambda: case_log(d, n), lambda: case_send_json(d, n),
                     lambda: case_handler(d, n), lambda: case_overhead(d, n),
                     lambda: case_sockethandler(n, tmp), lambda: case_manager_queue(n, tmp),
                     lambda: case_mp_connection(args.build, n), lambda: case_spawn_pool(d, n))
            for res in (r for fn in cases for r in (lambda x: x if isinstance(x, list) else [x])(fn())):
                print("  %-70s %10s rec/s %8s us/call  lost %d" % (
                    res["name"], "{:,.0f}".format(res["rate"]) if res["e2e_s"] else "-",
                    "%.2f" % res["us_call"] if res["us_call"] is not None else "-", res["lost"]),
                    flush=True)
                one.append(res)
            runs.append(one)
    finally:
        d.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"runs": runs, "records": n, "python": platform.python_version(),
            "executable": sys.executable, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "command": args.command, "nproc": os.cpu_count(),
            "load": open("/proc/loadavg").read().split()[:3]}


def median_of(res, name, key):
    vals = [r[key] for run in res["runs"] for r in run if r["name"] == name and r[key] is not None]
    return statistics.median(vals) if vals else None


def fmt_vals(res, name, key, fmt):
    vals = [r[key] for run in res["runs"] for r in run if r["name"] == name and r[key] is not None]
    if not vals:
        return "–"
    s = fmt.format(statistics.median(vals))
    if len(vals) > 1:
        s += " (" + fmt.format(min(vals)) + "–" + fmt.format(max(vals)) + ")"
    return s


def markdown(res):
    names = [r["name"] for r in res["runs"][0]]
    find = lambda prefix: next(x for x in names if x.startswith(prefix))
    null, log_, handler = find("logging → NullHandler"), find("Client.log"), find("logging → logcollect")
    mgr, pool = find("logging → QueueHandler"), find("8 processes")
    L = [SECTION, "",
         "`tests/bench/py_bench.py`: the Python package (client/python/logcollect) against the "
         "ways a Python program ships logs to one place today, in one run, from one Python "
         "process, %s records per case; runs: %d (median (min–max) when more than one). "
         "*records/s*: end to end, from the first call until every record is acknowledged "
         "(logcollect) or is a line in the receiver's file (the others); *µs/call*: the calling "
         "loop alone / records (for the *alternating rounds*: the median over 20 rounds of N/20 "
         "calls, NullHandler and Handler in turn, which is what the Handler's target is "
         "measured with on a shared machine). The logging cases all make the same call, "
         "`logger.info(\"bench record %%d\", i, extra={\"i\": i})`." % ("{:,}".format(res["records"]), len(res["runs"])),
         "",
         "* Date: %s; Python %s (`%s`); %s CPUs, load average %s at the start" % (
             res["date"], res["python"], res["executable"], res["nproc"], " ".join(res["load"])),
         "* Command: `%s`" % res["command"], "",
         "| case | records/s | µs/call | lost |", "|---|---:|---:|---:|"]
    for name in names:
        no_rate = name == null or name.startswith("alternating")
        L.append("| %s | %s | %s | %s |" % (
            name, fmt_vals(res, name, "rate", "{:,.0f}") if not no_rate else "–",
            fmt_vals(res, name, "us_call", "{:.2f}"),
            sum(r["lost"] for run in res["runs"] for r in run if r["name"] == name)))
    alt_null, alt_handler = find("alternating rounds: logging → Null"), find("alternating rounds: logging → logcollect")
    rate = median_of(res, log_, "rate")
    extra_us = median_of(res, alt_handler, "us_call") - median_of(res, alt_null, "us_call")
    ratio = median_of(res, handler, "rate") / median_of(res, mgr, "rate")
    ratio_log = rate / median_of(res, mgr, "rate")
    exact = all(r.get("exact") for run in res["runs"] for r in run if r["name"] == pool)
    verdict = lambda ok: "met" if ok else "NOT met"
    L += ["", "| target (issue 9) | measured | verdict |", "|---|---|---|",
          "| `Client.log` ≥ 100,000 records/s end to end | %s records/s | %s |" % (
              "{:,.0f}".format(rate), verdict(rate >= TARGETS["rate"])),
          "| Handler adds ≤ 6 µs per call over the NullHandler floor (alternating rounds) | %+.2f µs (%.2f vs %.2f) | %s |" % (
              extra_us, median_of(res, alt_handler, "us_call"), median_of(res, alt_null, "us_call"),
              verdict(extra_us <= TARGETS["handler_us"])),
          "| ≥ 10x the Manager-queue design's throughput | Handler %.1fx, Client.log %.1fx | %s |" % (
              ratio, ratio_log, verdict(ratio >= TARGETS["vs_manager"])),
          "| 8 processes under spawn lose nothing at full speed | %s records/s, %s | %s |" % (
              fmt_vals(res, pool, "rate", "{:,.0f}"),
              "every record exactly once" if exact else "records lost or repeated", verdict(exact)),
          ""]
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
    ap.add_argument("--records", type=int, default=int(os.environ.get("PY_BENCH_RECORDS", 200000)),
                    help="records per case (default 200,000, or $PY_BENCH_RECORDS)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--json", help="also write the raw results there")
    ap.add_argument("--doc", help="replace the '%s' section of this markdown file" % SECTION)
    args = ap.parse_args()
    args.command = os.environ.get("PY_BENCH_COMMAND") or "python3 " + " ".join(
        [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    res = run_all(args)
    text = markdown(res)
    print()
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    if args.doc:
        replace_section(args.doc, text)
        print("py_bench: section written to %s" % args.doc)


if __name__ == "__main__":
    main()
