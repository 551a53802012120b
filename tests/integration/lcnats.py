"""lcnats - a nats-server for the forwarding scenarios (issue 10).

    from lcnats import NatsServer, stream_messages
    ns = NatsServer()                 # nats-server -js on 127.0.0.1, a free port,
                                      # its store in the test's temporary directory
    ns.url                            # nats://127.0.0.1:PORT
    ns.stop() / ns.kill() / ns.restart()   # restart: same port, same store
    stream_messages(ns.url, "LOGS")   # [{"seq","subject","msgid","data"}, ...]
                                      # (None when the stream does not exist)
    w = Watch(ns.url, "logs.>")       # a plain core subscription that counts every
    w.messages()                      # publish, repeats included
    cl = NatsCluster()                # three JetStream nodes clustered on loopback, ready
                                      # for a stream of 3 replicas
    cl.url                            # every node's URL, comma-separated (clients fail over;
                                      # nats_dump, stream_messages take one URL: a node's)
    cl.nodes[1].kill() / .start()     # each node is a NatsServer (own port, store, log)
    publish(cl.url, "logs.x", lines, create="LOGS", replicas=3)   # nats_pub driver

The first start asks the server for a free port (-p -1) and reads it from the
ports file nats-server 2.9 writes (--ports_file_dir); restarts reuse that
port, so a daemon configured with ns.url reconnects to the same address.
Readiness is a condition: the ports file exists and the port accepts a TCP
connection (JetStream is up before nats-server opens its client port).

Every server is registered with lctest's cleanup, so it is killed when the
scenario ends, whether it passes, fails or crashes.  Raises lctest.Skip when
nats-server or the nats_dump driver (built only with libnats-dev) is absent.
"""

import glob
import json
import os
import shutil
import signal
import socket
import subprocess

import lctest
from lctest import Failure, Skip, check, driver, free_port, spawn, tmpdir, wait_for

NATS_SERVER = shutil.which("nats-server") or "/usr/bin/nats-server"
NATS_DUMP = driver("nats_dump")


def require():
    """Skip the scenario unless nats-server and the nats_dump driver exist."""
    if not os.access(NATS_SERVER, os.X_OK):
        raise Skip("nats-server is not installed (make deps installs Debian's nats-server)")
    if not os.access(NATS_DUMP, os.X_OK):
        raise Skip("%s is missing: this build has no libnats-dev (make deps installs it)"
                   % NATS_DUMP)


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class NatsServer:
    """nats-server -js on 127.0.0.1 with its store in a temporary directory."""

    def __init__(self, js=True, port=0, store_dir=None, extra=(), start=True):
        require()
        self.dir = tmpdir()
        self.store_dir = store_dir or os.path.join(self.dir, "store")
        self.js = js
        # 0: the server picks a free one at first start (or, when not
        # started now, one is picked so that .url is known before it runs)
        self.port = port or (0 if start else free_port())
        self.extra = list(extra)
        self.log_path = os.path.join(self.dir, "nats-server.log")
        self.proc = None
        if start:
            self.start()

    @property
    def url(self):
        check(self.port, "the nats-server has not started yet")
        return "nats://127.0.0.1:%d" % self.port

    def argv(self):
        a = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port or -1),
             "--ports_file_dir", self.dir, "-l", self.log_path]
        if self.js:
            a += ["-js", "-sd", self.store_dir]
        return a + self.extra

    def start(self, timeout=15):
        for f in glob.glob(os.path.join(self.dir, "*.ports")):
            os.unlink(f)
        self.proc = spawn(self.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ports = os.path.join(self.dir, "nats-server_%d.ports" % self.proc.pid)

        def ready():
            if self.proc.poll() is not None:
                raise Failure("nats-server exited with %d at start:\n%s" %
                              (self.proc.returncode, self.log()[-3000:]))
            try:
                urls = json.load(open(ports))["nats"]
            except (OSError, ValueError, KeyError):
                return False
            port = int(urls[0].rsplit(":", 1)[1])
            return port if _accepts(port) else False

        self.port = wait_for(ready, timeout, "nats-server to accept connections")
        return self

    def log(self):
        try:
            return open(self.log_path, errors="replace").read()
        except OSError:
            return ""

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM (nats-server's clean shutdown: the store is flushed)."""
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self):
        """SIGKILL: a crash."""
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def restart(self, timeout=15):
        """Stop it (if running) and start it again on the same port and store."""
        self.stop()
        return self.start(timeout)


def _dump(url, args, timeout=30):
    p = spawn([NATS_DUMP, "--url", url] + args, stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise Failure("nats_dump %s timed out: %s" % (" ".join(args), err[-1000:]))
    return p.returncode, out, err


def stream_messages(url, stream="LOGS"):
    """Every message of the stream, in stream order, as dicts {"seq",
    "subject", "msgid", "data"}; None when the stream does not exist."""
    require()
    rc, out, err = _dump(url, ["--stream", stream])
    if rc == 2:
        return None
    check(rc == 0, "nats_dump --stream %s failed (%d): %s" % (stream, rc, err.strip()))
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def stream_info(url, stream="LOGS"):
    """{"msgs","bytes","first_seq","last_seq"}; None when the stream does not exist."""
    require()
    rc, out, err = _dump(url, ["--stream", stream, "--info"])
    if rc == 2:
        return None
    check(rc == 0, "nats_dump --info %s failed (%d): %s" % (stream, rc, err.strip()))
    return json.loads(out)


class Watch:
    """A plain core subscription (nats_dump --subscribe) that records every
    message published on the subject, repeats included."""

    def __init__(self, url, subject):
        require()
        self.path = os.path.join(tmpdir(), "watch.jsonl")
        self._out = open(self.path, "w")
        self.proc = spawn([NATS_DUMP, "--url", url, "--subscribe", subject],
                          stdout=self._out, stderr=subprocess.STDOUT)
        wait_for(lambda: self._ready(), 10, "the core subscription to " + subject)

    def _ready(self):
        if self.proc.poll() is not None:
            raise Failure("nats_dump --subscribe exited: " + open(self.path).read()[-1000:])
        return open(self.path).read().startswith("ready\n")

    def messages(self):
        out = []
        for l in open(self.path).read().splitlines()[1:]:
            try:
                out.append(json.loads(l))
            except ValueError:
                pass    # a line being written
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


NATS_PUB = driver("nats_pub")


class NatsCluster:
    """Three (size) nats-server -js on 127.0.0.1 clustered with -cluster /
    -routes: each its own client port, cluster port, server name (n1..n3),
    store directory and log.  Ready once JetStream elected a metadata leader
    (a node's log says so), so a replicated stream can be created at once.
    Each node is a NatsServer: kill() one, start() it again (same ports,
    same store) and it rejoins.  Every node is killed at the scenario's end
    (lctest cleanup)."""

    def __init__(self, size=3, name="lctest", timeout=30):
        require()
        cports = [free_port() for _ in range(size)]   # routes name them before start
        routes = ",".join("nats://127.0.0.1:%d" % p for p in cports)
        self.nodes = []
        for i in range(size):
            extra = ["-n", "n%d" % (i + 1), "--cluster_name", name,
                     "--cluster", "nats://127.0.0.1:%d" % cports[i], "--routes", routes]
            self.nodes.append(NatsServer(extra=extra, start=False))
        for n in self.nodes:
            n.start()
        self.wait_ready(timeout)

    @property
    def url(self):
        return ",".join(n.url for n in self.nodes)

    def survivors(self):
        return [n for n in self.nodes if n.running()]

    def wait_ready(self, timeout=30, replicas=None):
        """Until JetStream can place a stream of replicas (default: as many
        as nodes run) on the running nodes: a metadata leader is elected and
        knows its peers (nats_pub --probe creates and deletes such a stream)."""
        if not os.access(NATS_PUB, os.X_OK):
            raise Skip("%s is missing: this build has no libnats-dev" % NATS_PUB)
        r = replicas or len(self.survivors())
        url = ",".join(n.url for n in self.survivors())

        def placeable():
            if not any("metadata leader" in n.log() for n in self.survivors()):
                return False
            p = subprocess.run([NATS_PUB, "--url", url, "--probe", str(r)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
            return p.returncode == 0
        wait_for(placeable, timeout, "the JetStream cluster to place a stream of %d replicas" % r)

    def stop(self):
        for n in self.nodes:
            n.stop()


def publish(url, subject, lines, create=None, replicas=1, timeout=30):
    """Publish each line on subject (acknowledged by JetStream) with the
    nats_pub driver; create: a stream name to add first when missing
    (subjects logs.>, R=replicas).  Returns how many were published."""
    if not os.access(NATS_PUB, os.X_OK):
        raise Skip("%s is missing: this build has no libnats-dev" % NATS_PUB)
    argv = [NATS_PUB, "--url", url, "--subject", subject]
    if create:
        argv += ["--stream", create, "--create", "--replicas", str(replicas)]
    cp = lctest.run(argv, input="".join(l + "\n" for l in lines), timeout=timeout)
    return int(cp.stdout.split()[-1])


def cluster_info(url, stream="LOGS"):
    """The stream's replicas as the cluster sees them (nats_pub
    --cluster-info): {"msgs","last_seq","leader","replicas":[{"name",
    "current","offline","lag"}]}; None while the stream has no leader (just
    after its leader was killed), a condition to wait on."""
    if not os.access(NATS_PUB, os.X_OK):
        raise Skip("%s is missing: this build has no libnats-dev" % NATS_PUB)
    cp = lctest.run([NATS_PUB, "--url", url, "--cluster-info", stream], timeout=30,
                    check_rc=False)
    return json.loads(cp.stdout) if cp.returncode == 0 else None
