"""TLS in the client library and the CLI, against a collector started with
--tls-cert/--tls-key (its port file says "tls":true).

* With the right CA (LOGCOLLECT_TLS_CA, logcollect --tls-ca) or the
  server certificate's pinned SHA-256 fingerprint (as openssl prints it,
  or lower case without colons), records sent by the library
  (lc_stream) and by logcollect send / pipe arrive, in order, once;
  logcollect status works over TLS.
* A CA that did not sign the server's certificate, a certificate that
  does not name the port file's address, or a wrong fingerprint: refused
  with a clear error, nothing written.  No TLS settings against a TLS
  port: refused ("requires TLS: set LOGCOLLECT_TLS_CA or
  LOGCOLLECT_TLS_FINGERPRINT"), before connecting, both fail-fast and in
  the background (lc_flush says why).  TLS settings against a plaintext
  port: refused (no downgrade).  Malformed settings: clear errors.
* --tls-client-ca: a client certificate signed by that CA is served;
  without one the client is refused with a hint.
* The sender's TLS path under load: 50,000 records, the collector
  stopped (SIGTERM) in the middle and started again: every record
  exactly once, in order.  Fork: the children of a client connected over
  TLS drop their copy of its TLS session and start their own; every
  record of every process arrives once, each in its own session."""
# LCTEST: timeout=240
import collections
import json
import os
import signal
import subprocess
import time

from lctest import (CLI, Daemon, check, driver, main, run, spawn, tmpdir, wait_for)

REQUIRES = "requires TLS: set LOGCOLLECT_TLS_CA or LOGCOLLECT_TLS_FINGERPRINT"


def openssl(*args, cwd):
    return subprocess.check_output(["openssl"] + list(args), cwd=cwd, stderr=subprocess.DEVNULL,
                                   text=True)


def make_pki(t):
    """A CA, a server cert for 127.0.0.1 (and one for another address),
    a client cert, and an unrelated CA with a client cert of its own."""
    for ca in ("ca", "otherca"):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=" + ca, cwd=t)
    for name, ca, ext in (("server", "ca", "subjectAltName=IP:127.0.0.1"),
                          ("elsewhere", "ca", "subjectAltName=IP:192.0.2.1"),
                          ("client", "ca", "extendedKeyUsage=clientAuth"),
                          ("otherclient", "otherca", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name, cwd=t)
        with open(os.path.join(t, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext", cwd=t)
    for k in os.listdir(t):
        if k.endswith(".key"):
            os.chmod(os.path.join(t, k), 0o600)
    with open(os.path.join(t, "client-both.pem"), "w") as f:   # key and cert in one file
        f.write(open(os.path.join(t, "client.pem")).read() + open(os.path.join(t, "client.key")).read())


def fingerprint(t, cert):
    out = openssl("x509", "-in", cert, "-noout", "-fingerprint", "-sha256", cwd=t)
    return out.strip().split("=", 1)[1]          # AB:CD:...


def one_line(cp):
    return cp.stderr.strip().count("\n") == 0


def stream(d, n, *extra, env=None, check_rc=True):
    return run([driver("lc_stream"), "--count", str(n), "--flush"] + list(extra),
               env=env if env is not None else d.env(), check_rc=check_rc, timeout=120)


def scenario():
    t = tmpdir()
    make_pki(t)
    p = lambda n: os.path.join(t, n)
    fp = fingerprint(t, "server.pem")
    fp_plain = "sha256:" + fp.replace(":", "").lower()
    wrong_fp = "sha256:" + ("00" if not fp.startswith("00") else "11") + fp.replace(":", "")[2:]

    d = Daemon("--tls-cert", p("server.pem"), "--tls-key", p("server.key"))
    check(d.info.get("tls") is True, "port file does not say tls: %r" % d.info)
    sent = []   # the msgs that must arrive, in order

    # ---- right CA / pinned fingerprint: records arrive -----------------------
    ca_env = d.env(LOGCOLLECT_TLS_CA=p("ca.pem"))
    cp = stream(d, 3000, "--app", "lib-ca", env=ca_env)
    check(cp.stdout.split() == ["sent", "3000", "acked"], "lc_stream with the CA: %r %r" % (cp.stdout, cp.stderr))
    sent += ["rec %d" % i for i in range(1, 3001)]
    cp = stream(d, 500, "--kv", "--app", "lib-fp", env=d.env(LOGCOLLECT_TLS_FINGERPRINT=fp))
    check(cp.stdout.split() == ["sent", "500", "acked"], "lc_stream pinned: %r %r" % (cp.stdout, cp.stderr))
    sent += ["rec %d" % i for i in range(1, 501)]
    run([CLI, "send", "--tls-ca", p("ca.pem"), "cli over tls", "k=v"], env=d.env())
    run([CLI, "send", "--tls-fingerprint", fp_plain, "cli pinned"], env=d.env())
    run([CLI, "send", "cli from env"], env=d.env(LOGCOLLECT_TLS_FINGERPRINT=fp))
    run([CLI, "send", "--tls-ca", p("ca.pem"), "--tls-fingerprint", fp, "cli both"], env=d.env())
    run([CLI, "pipe", "--tls-ca", p("ca.pem")], env=d.env(), input="piped 1\npiped 2\npiped 3\n")
    sent += ["cli over tls", "cli pinned", "cli from env", "cli both", "piped 1", "piped 2", "piped 3"]
    # the command line wins over the environment (a wrong CA there is not used)
    run([CLI, "send", "--tls-fingerprint", fp, "cli option wins"],
        env=d.env(LOGCOLLECT_TLS_CA=p("otherca.pem")))
    sent.append("cli option wins")

    cp = run([CLI, "status", "--tls-ca", p("ca.pem")], env=d.env())
    check(cp.stdout.startswith("logcollectord pid %d" % d.proc.pid), "status over TLS: %r" % cp.stdout)
    cp = run([CLI, "status", "--json"], env=d.env(LOGCOLLECT_TLS_FINGERPRINT=fp))
    st = json.loads(cp.stdout)
    check(st["records"]["accepted"] == len(sent), "status says %r records" % st["records"])

    # ---- refused: wrong CA, wrong name, wrong fingerprint, no TLS settings ---
    # (a collector of their own: failed TLS handshakes raise 127.0.0.1's
    # score, which would delay the next connections to d)
    db = Daemon("--tls-cert", p("server.pem"), "--tls-key", p("server.key"))
    bad = [
        ([CLI, "send", "--tls-ca", p("otherca.pem"), "intruder"], {}, "is not trusted"),
        ([driver("lc_stream"), "--fail-fast", "--count", "1"], {"LOGCOLLECT_TLS_CA": p("otherca.pem")},
         "is not trusted"),
        ([CLI, "send", "--tls-fingerprint", wrong_fp, "intruder"], {}, "not the pinned"),
        ([driver("lc_stream"), "--fail-fast", "--count", "1"], {"LOGCOLLECT_TLS_FINGERPRINT": wrong_fp},
         "not the pinned"),
        ([CLI, "send", "--tls-ca", p("ca.pem"), "--tls-fingerprint", wrong_fp, "intruder"], {},
         "not the pinned"),
        ([CLI, "send", "intruder"], {}, REQUIRES),
        ([CLI, "pipe"], {}, REQUIRES),
        ([CLI, "status"], {}, REQUIRES),
        ([CLI, "status", "--tls-ca", p("otherca.pem")], {}, "is not trusted"),
        ([driver("lc_stream"), "--fail-fast", "--count", "1"], {}, REQUIRES),
        ([driver("lc_stream"), "--count", "1", "--flush", "--flush-ms", "300"], {}, REQUIRES),
        ([driver("lc_stream"), "--fail-fast", "--count", "1"], {"LOGCOLLECT_TLS_FINGERPRINT": "sha256:12:34"},
         "LOGCOLLECT_TLS_FINGERPRINT"),
        ([driver("lc_stream"), "--fail-fast", "--count", "1"], {"LOGCOLLECT_TLS_CA": p("nope.pem")},
         "cannot load the TLS CA file " + p("nope.pem")),
        ([driver("lc_stream"), "--fail-fast", "--count", "1"],
         {"LOGCOLLECT_TLS_CA": p("ca.pem"), "LOGCOLLECT_TLS_KEY": p("client.key")}, "LOGCOLLECT_TLS_CERT is not"),
        ([CLI, "send", "--tls-ca", p("ca.pem"), "--tls-cert", p("client.pem"), "--tls-key", p("server.key"), "x"],
         {}, "does not match"),
    ]
    for argv, extra, want in bad:
        cp = run(argv, env=db.env(**extra), check_rc=False, input="intruder\n" if argv[1:2] == ["pipe"] else None)
        check(cp.returncode == 1 and want in cp.stderr,
              "%s %r: exit %d, stderr %r (wanted %r)" % (" ".join(argv[-3:]), extra, cp.returncode, cp.stderr, want))
        check(argv[0] != CLI or one_line(cp), "more than one line: %r" % cp.stderr)
    cp = run([CLI, "send", "--tls-fingerprint", "sha256:xyz", "intruder"], env=db.env(), check_rc=False)
    check(cp.returncode == 2 and "not a SHA-256 fingerprint" in cp.stderr, "bad fingerprint: %r" % cp.stderr)
    cp = run([CLI, "send", "--tls-key", p("client.key"), "intruder"], env=db.env(), check_rc=False)
    check(cp.returncode == 2 and "--tls-key needs --tls-cert" in cp.stderr, "key alone: %r" % cp.stderr)
    db.stop()
    check(db.lines() == [], "a refused client's record was written: %r" % db.lines()[:3])

    # the certificate must name the port file's address
    d_else = Daemon("--tls-cert", p("elsewhere.pem"), "--tls-key", p("elsewhere.key"))
    cp = run([CLI, "send", "--tls-ca", p("ca.pem"), "intruder"], env=d_else.env(), check_rc=False)
    check(cp.returncode == 1 and "does not name the address" in cp.stderr, "wrong address: %r" % cp.stderr)
    run([CLI, "send", "--tls-fingerprint", fingerprint(t, "elsewhere.pem"), "pinned, any name"], env=d_else.env())
    d_else.stop()
    check([l["msg"] for l in d_else.lines()] == ["pinned, any name"], "elsewhere: %r" % d_else.lines())

    # ---- under load, with a restart in the middle ----------------------------
    N = 50000
    # paced: the stop must land mid-stream however fast the machine is
    s = spawn([driver("lc_stream"), "--count", str(N), "--rate", "20000", "--queue", str(1 << 20),
               "--app", "load",
               "--block-ms", "60000", "--flush", "--flush-ms", "120000", "--stats"],
              env=ca_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    before = os.path.getsize(d.output)
    wait_for(lambda: os.path.getsize(d.output) > before + 1000000, 60, "the TLS stream to be under way")
    d.stop(signal.SIGTERM)
    first = d.lines()
    # Downtime, not synchronisation: no check depends on the pause.
    time.sleep(0.2)
    d2 = Daemon("--tls-cert", p("server.pem"), "--tls-key", p("server.key"), dir=d.dir, output="out2.jsonl")
    out, err = s.communicate(timeout=120)
    check(s.returncode == 0 and out.split()[:3] == ["sent", str(N), "acked"], "load: %r %r" % (out, err))
    stats = [l for l in out.splitlines() if l.startswith("stats ")][-1]
    check("connects=1 " not in stats, "no reconnect? %r" % stats)

    msgs = [l["msg"] for l in first if l["_app"] != "load"]
    check(msgs == sent, "records over TLS: %d lines, expected %d; first difference near %r" %
          (len(msgs), len(sent), next((m for m, w in zip(msgs, sent) if m != w), None)))
    load = [l for l in first + d2.lines() if l["_app"] == "load"]
    check([l["_seq"] for l in load] == list(range(1, N + 1)) and len({l["_sid"] for l in load}) == 1,
          "load over TLS: %d lines, records lost, repeated or reordered" % len(load))
    check(all(l["msg"] == "rec %d" % l["_seq"] for l in load), "load: contents changed")

    # ---- fork: each process its own TLS session --------------------------------
    supp = os.path.join(tmpdir(), "lsan.supp")
    with open(supp, "w") as f:
        f.write("leak:CRYPTO_zalloc\n")       # see t_client_fork.py
    # (--settle: the parent's sender is idle at the forks; see lc_fork.c)
    cp = run([driver("lc_fork"), "--children", "3", "--count", "1000", "--pre", "300", "--post", "300",
              "--grandchild", "100", "--settle", "200"], env=d2.env(LOGCOLLECT_TLS_CA=p("ca.pem"), LSAN_OPTIONS="suppressions=" + supp),
             timeout=120)
    check("done" in cp.stdout.split("\n"), "lc_fork: %r %r" % (cp.stdout, cp.stderr))
    d2.stop()
    by_sid = collections.defaultdict(list)
    for l in d2.lines():
        if l["_app"] != "load":
            by_sid[l["_sid"]].append(l["_seq"])
    check(len(by_sid) == 5 and all(v == list(range(1, len(v) + 1)) for v in by_sid.values()) and
          sum(len(v) for v in by_sid.values()) == 300 + 300 + 3 * 1000 + 100,
          "fork over TLS: sessions %r" % {k: len(v) for k, v in by_sid.items()})

    # ---- a plaintext collector: TLS settings refuse it (no downgrade) ------------
    dp = Daemon()
    for argv, extra in (([CLI, "send", "--tls-ca", p("ca.pem"), "downgrade"], {}),
                        ([CLI, "status", "--tls-fingerprint", fp], {}),
                        ([driver("lc_stream"), "--fail-fast", "--count", "1"], {"LOGCOLLECT_TLS_CA": p("ca.pem")})):
        cp = run(argv, env=dp.env(**extra), check_rc=False)
        check(cp.returncode == 1 and "does not speak TLS" in cp.stderr and "refusing" in cp.stderr,
              "downgrade %r: exit %d %r" % (argv[-1], cp.returncode, cp.stderr))
    # a client certificate alone does not ask for TLS: plaintext still works
    run([CLI, "send", "plain", "--tls-cert", p("client.pem"), "--tls-key", p("client.key")], env=dp.env())
    dp.stop()
    check([l["msg"] for l in dp.lines()] == ["plain"], "plaintext collector got %r" % dp.lines())

    # ---- client certificates required ----------------------------------------------
    dm = Daemon("--tls-cert", p("server.pem"), "--tls-key", p("server.key"), "--tls-client-ca", p("ca.pem"))
    run([CLI, "send", "--tls-ca", p("ca.pem"), "--tls-cert", p("client.pem"), "--tls-key", p("client.key"),
         "mutual cli"], env=dm.env())
    run([CLI, "send", "--tls-ca", p("ca.pem"), "--tls-cert", p("client-both.pem"), "mutual one file"], env=dm.env())
    cp = stream(dm, 200, "--app", "mutual", env=dm.env(LOGCOLLECT_TLS_FINGERPRINT=fp,
                                                      LOGCOLLECT_TLS_CERT=p("client.pem"),
                                                      LOGCOLLECT_TLS_KEY=p("client.key")))
    check(cp.stdout.split() == ["sent", "200", "acked"], "mutual lc_stream: %r %r" % (cp.stdout, cp.stderr))
    cp = run([CLI, "status", "--tls-ca", p("ca.pem"), "--tls-cert", p("client.pem"), "--tls-key", p("client.key")],
             env=dm.env())
    check(cp.stdout.startswith("logcollectord pid"), "mutual status: %r" % cp.stdout)
    cp = run([CLI, "send", "--tls-ca", p("ca.pem"), "no cert"], env=dm.env(), check_rc=False)
    check(cp.returncode == 1 and "client certificate" in cp.stderr and one_line(cp), "no client cert: %r" % cp.stderr)
    cp = run([driver("lc_stream"), "--fail-fast", "--count", "1"], env=dm.env(LOGCOLLECT_TLS_CA=p("ca.pem")),
             check_rc=False)
    check(cp.returncode == 1 and "client certificate" in cp.stderr, "lib, no client cert: %r" % cp.stderr)
    cp = run([CLI, "send", "--tls-ca", p("ca.pem"), "--tls-cert", p("otherclient.pem"), "--tls-key",
              p("otherclient.key"), "wrong cert"], env=dm.env(), check_rc=False)
    check(cp.returncode == 1 and "client certificate" in cp.stderr, "other CA's client cert: %r" % cp.stderr)
    dm.stop()
    msgs = [l["msg"] for l in dm.lines()]
    check(msgs == ["mutual cli", "mutual one file"] + ["rec %d" % i for i in range(1, 201)],
          "mutual TLS: %r" % msgs[:5])


main(scenario)
