"""Wrong or missing options and unsafe key files: one line saying what to
fix, exit status 1, nothing left running or half-created."""
import os

from lctest import DAEMON, check, main, run, tmpdir


def fails(argv, expect):
    cp = run([DAEMON] + argv, check_rc=False, timeout=10)
    check(cp.returncode == 1, "%r: exit %d, expected 1 (stderr %r)" % (argv, cp.returncode, cp.stderr))
    lines = cp.stderr.strip().splitlines()
    check(len(lines) >= 1 and expect in lines[-1], "%r: stderr %r lacks %r" % (argv, cp.stderr, expect))
    return cp


def scenario():
    t = tmpdir()
    key = os.path.join(t, "key")
    run([DAEMON, "--gen-key", key])
    check(os.stat(key).st_mode & 0o777 == 0o600, "generated key is not mode 0600")
    check(len(open(key).read().strip()) == 64, "generated key is not 32 bytes of hex")
    fails(["--gen-key", key], "File exists")
    root = ["--allow-root"] if os.geteuid() == 0 else []
    base = ["--port-file", os.path.join(t, "port"), "--output", os.path.join(t, "out")] + root

    fails(["--bogus"], "unknown option '--bogus'")
    fails(["--port"], "needs a value")
    fails(["--port", "70000"], "--port must be a number from 0 to 65535")
    fails(["--max-record", "12Q"], "--max-record")
    fails(["extra-arg"], "unexpected argument")
    fails(base + ["--key-file", os.path.join(t, "missing")], "cannot open key file")
    os.chmod(key, 0o644)
    fails(base + ["--key-file", key], "readable by others")
    os.chmod(key, 0o620)
    fails(base + ["--key-file", key], "writable by group")
    os.chmod(key, 0o600)
    short = os.path.join(t, "short")
    with open(short, "w") as f:
        f.write("00112233445566778899aabbccddee\n")   # 15 bytes
    os.chmod(short, 0o600)
    fails(base + ["--key-file", short], "at least 16 are needed")
    fails(base + ["--key-file", key, "--bind", "not-an-ip"], "--bind not-an-ip is not an IP address")
    fails(root + ["--key-file", key, "--port-file", "/nonexistent/dir/port", "--output", os.path.join(t, "o")],
          "cannot open lock file /nonexistent/dir/port.lock")
    fails(root + ["--key-file", key, "--port-file", os.path.join(t, "p2"), "--output", "/nonexistent/dir/out"],
          "cannot open output file /nonexistent/dir/out")
    check(not os.path.exists(os.path.join(t, "p2")), "port file published by a daemon that failed")
    cp = run([DAEMON, "--help"])
    check("--max-record" in cp.stdout and "--allow-legacy-md5" in cp.stdout, "--help incomplete")
    cp = run([DAEMON, "--version"])
    check(cp.stdout.startswith("logcollectord "), "--version output %r" % cp.stdout)


main(scenario)
