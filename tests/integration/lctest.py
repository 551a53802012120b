"""lctest - helpers for logcollect's integration scenarios.

Each scenario (t_*.py in this folder) is a plain script: it starts the real
build/logcollectord on port 0 in a temporary directory, drives it with the
real client library (through test drivers) and the CLI, checks what lands in
the output file, and exits 0 on success.  Anything it starts is killed when
it ends, whether it passes, fails or crashes (see cleanup()); the runner
also kills the scenario's whole process group afterwards.

LC_BUILD names the build folder to test (build or build/asan).
"""

import atexit
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("LC_BUILD", "build"))
DAEMON = os.path.join(BUILD, "logcollectord")
CLI = os.path.join(BUILD, "logcollect")
SANITIZED = "asan" in os.path.basename(BUILD)

_procs = []
_dirs = []
_mounts = []


def cleanup():
    for p in _procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                p.kill()
            p.wait()
    for m in reversed(_mounts):
        subprocess.call(["umount", "-l", m], stderr=subprocess.DEVNULL)
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


class Failure(Exception):
    pass


SKIP_EXIT = 77  # the runner counts a scenario that exits with this as skipped


class Skip(Exception):
    """Raise to report the scenario as skipped (never as passed)."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def free_port():
    """A loopback port free right now (for a server started later)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tmpdir():
    d = tempfile.mkdtemp(prefix="lctest-")
    _dirs.append(d)
    return d


def mount_tmpfs(path, size):
    """Mount a tmpfs of size bytes on path (unmounted at cleanup).  Returns
    False where mounting is not allowed (not root, no CAP_SYS_ADMIN)."""
    os.makedirs(path, exist_ok=True)
    rc = subprocess.call(["mount", "-t", "tmpfs", "-o", "size=%d,mode=0755" % size,
                          "tmpfs", path], stderr=subprocess.DEVNULL)
    if rc == 0:
        _mounts.append(path)
    return rc == 0


def resize_tmpfs(path, size):
    check(subprocess.call(["mount", "-o", "remount,size=%d" % size, path]) == 0,
          "cannot resize the tmpfs at " + path)


class FullDisk:
    """A small disk (512 KiB) under the test's directory for the daemon's
    output, "disk/out.jsonl": a tmpfs where mounting is allowed, else
    RLIMIT_FSIZE on the daemon's process stands in for it.  start() starts
    a daemon writing there; free() gives the disk room."""

    OUTPUT = "disk/out.jsonl"

    def __init__(self, t, size=512 * 1024):
        self.path = os.path.join(t, "disk")
        self.size = size
        self.tmpfs = mount_tmpfs(self.path, size)
        self.limited = []

    def start(self, t, *extra, **kw):
        d = Daemon(*extra, start=False, dir=t, output=self.OUTPUT, **kw)
        d.start()
        if not self.tmpfs:
            subprocess.check_call(["prlimit", "--pid", str(d.proc.pid),
                                   "--fsize=%d:unlimited" % self.size])
            self.limited.append(d.proc.pid)
        return d

    def free(self):
        if self.tmpfs:
            resize_tmpfs(self.path, 64 << 20)
            return
        for pid in self.limited:  # a daemon that has exited already is no matter
            subprocess.call(["prlimit", "--pid", str(pid), "--fsize=unlimited:unlimited"],
                            stderr=subprocess.DEVNULL)


def driver(name):
    return os.path.join(BUILD, "tests", "drivers", name)


def spawn(argv, **kw):
    """Start a process in its own process group, remembered for cleanup."""
    kw.setdefault("start_new_session", True)
    p = subprocess.Popen(argv, **kw)
    _procs.append(p)
    return p


def run(argv, env=None, timeout=60, check_rc=True, input=None):
    """Run a command to completion; returns CompletedProcess (text)."""
    p = spawn(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
              stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
              text=True)
    try:
        out, err = p.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise Failure("timed out after %ss: %s\nstdout: %s\nstderr: %s" %
                      (timeout, " ".join(argv), out[-2000:], err[-2000:]))
    cp = subprocess.CompletedProcess(argv, p.returncode, out, err)
    if check_rc and p.returncode != 0:
        raise Failure("exit %d: %s\nstdout: %s\nstderr: %s" %
                      (p.returncode, " ".join(argv), out[-2000:], err[-2000:]))
    return cp


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise Failure("timed out waiting for " + what)


class Daemon:
    """A logcollectord in a temporary directory, on a kernel-chosen port."""

    def __init__(self, *extra, dir=None, key=True, start=True, output="out.jsonl", wrapper=()):
        self.dir = dir or tmpdir()
        self.port_file = os.path.join(self.dir, "port")
        self.key_file = os.path.join(self.dir, "key")
        self.output = os.path.join(self.dir, output)
        self.stderr_path = os.path.join(self.dir, "daemon.stderr")
        self.extra = list(extra)
        self.wrapper = list(wrapper)   # e.g. valgrind and its options
        self.proc = None
        if key and not os.path.exists(self.key_file):
            run([DAEMON, "--gen-key", self.key_file])
        if start:
            self.start()

    def argv(self):
        root = ["--allow-root"] if os.geteuid() == 0 and "--user" not in self.extra else []
        return [DAEMON, "--port-file", self.port_file, "--key-file", self.key_file,
                "--output", self.output] + root + self.extra

    def start(self, wait=True):
        self._err = open(self.stderr_path, "ab")
        self.proc = spawn(self.wrapper + self.argv(), stdout=subprocess.DEVNULL, stderr=self._err)
        if wait:
            wait_for(self._published, 60 if self.wrapper else 10,
                     "port file from " + " ".join(self.argv()))
        return self

    def _published(self):
        if self.proc.poll() is not None:
            raise Failure("daemon exited with %d at start:\n%s" %
                          (self.proc.returncode, self.stderr()))
        try:
            info = json.load(open(self.port_file))
        except (OSError, ValueError):
            return None
        # (under a wrapper such as valgrind the pid is the wrapper's, too)
        return info if info.get("pid") == self.proc.pid else None

    @property
    def info(self):
        return json.load(open(self.port_file))

    @property
    def port(self):
        return self.info["port"]

    @property
    def key(self):
        return bytes.fromhex(open(self.key_file).read().split()[-1])

    def env(self, **more):
        e = dict(os.environ)
        e["LOGCOLLECT_PORT_FILE"] = self.port_file
        e["LOGCOLLECT_KEY_FILE"] = self.key_file
        e.update(more)
        return e

    def stderr(self):
        try:
            return open(self.stderr_path, errors="replace").read()
        except OSError:
            return ""

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def counters(self):
        """The daemon's counters, from a fresh SIGUSR1 line ("counters:
        connections.current=2 syncs=0 output_failing=no ..."): a dict, the
        numbers as int.  A condition to wait on, never a sleep."""
        before = self.stderr().count("counters:")
        self.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.stderr().count("counters:") > before, 10, "the counters line")
        line = [l for l in self.stderr().splitlines() if "counters:" in l][-1]
        out = {}
        for word in line.split("counters:", 1)[1].split():
            k, _, v = word.partition("=")
            out[k] = int(v) if v.lstrip("-").isdigit() else v
        return out

    def stop(self, sig=signal.SIGTERM, timeout=20, expect_rc=0):
        """Stop it and check it exited cleanly (sanitizers report through
        the exit status)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("daemon did not exit within %ss of signal %s" % (timeout, sig))
        err = self.stderr()
        if expect_rc is not None:
            check(rc == expect_rc, "daemon exit status %d, expected %d; stderr:\n%s" %
                  (rc, expect_rc, err[-4000:]))
        check("Sanitizer" not in err and "runtime error" not in err,
              "sanitizer report:\n" + err[-4000:])
        return rc

    def lines(self, path=None):
        """Parsed output lines; fails on a line that is not a JSON object."""
        out = []
        try:
            data = open(path or self.output, "rb").read()
        except FileNotFoundError:
            return out
        check(data == b"" or data.endswith(b"\n"), "output does not end with a newline")
        for n, raw in enumerate(data.splitlines(), 1):
            try:
                obj = json.loads(raw)
            except ValueError as e:
                raise Failure("output line %d is not JSON (%s): %r" % (n, e, raw[:200]))
            check(isinstance(obj, dict), "output line %d is not an object" % n)
            out.append(obj)
        return out

    def wait_lines(self, n, timeout=30, path=None):
        def enough():
            ls = self.lines(path)
            return ls if len(ls) >= n else None
        try:
            return wait_for(enough, timeout, "%d lines in %s" % (n, path or self.output))
        except Failure:
            raise Failure("expected %d lines, have %d" % (n, len(self.lines(path))))


# ---- the wire protocol, for scenarios that speak it directly ---------------

def send_frame(sock, payload):
    sock.sendall(struct.pack("!i", len(payload)) + payload)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def recv_frame(sock, cap=1 << 20):
    (n,) = struct.unpack("!i", recv_exact(sock, 4))
    if n < 0 or n > cap:
        raise Failure("bad frame length %d" % n)
    return recv_exact(sock, n)


def modern_client_handshake(sock, key):
    """CPython 3.12's answer_challenge + deliver_challenge, written out
    (Debian 12's Python 3.11 lacks them).  Returns the server's proof check
    result: True when the server proved it has the key."""
    import hmac
    msg = recv_frame(sock, 256)
    check(msg.startswith(b"#CHALLENGE#{sha256}"), "unexpected challenge %r" % msg[:40])
    chal = msg[len(b"#CHALLENGE#"):]
    check(len(chal) == len(b"{sha256}") + 40, "challenge nonce is not 40 bytes")
    send_frame(sock, b"{sha256}" + hmac.new(key, chal, "sha256").digest())
    if recv_frame(sock, 256) != b"#WELCOME#":
        return False
    mine = b"{sha256}" + os.urandom(40)
    send_frame(sock, b"#CHALLENGE#" + mine)
    resp = recv_frame(sock, 256)
    ok = resp.startswith(b"{sha256}") and hmac.compare_digest(
        resp[len(b"{sha256}"):], hmac.new(key, mine, "sha256").digest())
    send_frame(sock, b"#WELCOME#" if ok else b"#FAILURE#")
    return ok


def connect(d):
    info = d.info
    s = socket.create_connection((info["host"], info["port"]), timeout=10)
    return s


def main(fn):
    """Run a scenario function; print the failure and exit 1 on error."""
    try:
        fn()
    except Skip as e:
        cleanup()
        print("SKIP:", e)
        sys.exit(SKIP_EXIT)
    except Failure as e:
        print("FAIL:", e)
        sys.exit(1)
    except Exception:
        import traceback
        traceback.print_exc()
        sys.exit(1)
    finally:
        cleanup()
    print("ok")
    sys.exit(0)


# ---- control messages -------------------------------------------------------

HELLO, WELCOME, ACK, ERROR, STATUS_REQ, STATUS = 1, 2, 3, 4, 5, 6


def authed(d):
    """A connection that passed the modern handshake."""
    return authed_with(d, d.key)


def authed_with(d, key):
    s = connect(d)
    check(modern_client_handshake(s, key), "handshake failed")
    return s


def derive_sid(secret):
    """The public session id of a session secret (docs/protocol.md 6.1)."""
    import hashlib
    return hashlib.sha256(b"logcollect-sid:" + bytes.fromhex(secret)).hexdigest()[:32]


def hello(sock, secret=None, seq=1, app="lctest", pid=None, host="testhost"):
    """Send HELLO with a session secret (random unless given); returns
    WELCOME's fields, whose "sid" is checked to be derive_sid(secret)."""
    secret = secret or os.urandom(16).hex()
    body = json.dumps({"v": 1, "secret": secret, "seq": seq, "app": app,
                       "pid": os.getpid() if pid is None else pid, "host": host})
    send_frame(sock, bytes([HELLO]) + body.encode())
    msg = recv_frame(sock)
    check(msg[0] == WELCOME, "expected WELCOME, got type %d: %r" % (msg[0], msg[:80]))
    w = json.loads(msg[1:])
    check(w["sid"] == derive_sid(secret), "WELCOME for another session")
    return w


def parse_control(msg):
    """(type, fields) for ACK / ERROR / other."""
    t = msg[0]
    if t == ACK:
        check(len(msg) == 9, "ACK is %d bytes" % len(msg))
        return t, {"seq": struct.unpack("!Q", msg[1:9])[0]}
    if t == ERROR:
        seq, code = struct.unpack("!QH", msg[1:11])
        return t, {"seq": seq, "code": code, "text": msg[11:].decode()}
    return t, {"raw": msg[1:]}


def read_until_ack(sock, seq, timeout=10):
    """Read control messages until an ACK >= seq; returns the ERRORs seen."""
    errors = []
    sock.settimeout(timeout)
    while True:
        t, f = parse_control(recv_frame(sock))
        if t == ERROR:
            errors.append(f)
        elif t == ACK and f["seq"] >= seq:
            return errors


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ---- the --http face (/metrics, /healthz) -----------------------------------

def http_get(port, path, method="GET", timeout=10, host="127.0.0.1"):
    """(status, body text, headers dict lower-cased) of one request."""
    import http.client
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        return r.status, body, {k.lower(): v for k, v in r.getheaders()}
    finally:
        c.close()


def parse_metrics(text):
    """The samples of a Prometheus text exposition: {'name{labels}': float}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def metrics(port):
    status, body, _ = http_get(port, "/metrics")
    check(status == 200, "GET /metrics: %d %s" % (status, body[:200]))
    return parse_metrics(body)
