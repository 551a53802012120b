"""The shipped unit file passes systemd-analyze verify without a single
warning (with ExecStart pointing at the built daemon), and keeps the
properties the daemon relies on: Type=notify, a watchdog, the runtime and
logs directories, and the hardening options."""
import os
import shutil

from lctest import BUILD, ROOT, check, Skip, main, run, tmpdir


def scenario():
    text = open(os.path.join(ROOT, "systemd", "logcollectord.service.in")).read()
    for needed in ("Type=notify", "WatchdogSec=", "RuntimeDirectory=logcollectord",
                   "LogsDirectory=logcollectord", "ConfigurationDirectory=logcollectord",
                   "StateDirectory=logcollectord", "NoNewPrivileges=yes", "ProtectSystem=strict",
                   "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
                   "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                   "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n",
                   "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID"):
        check(needed in text, "unit lacks %r" % needed)
    if not shutil.which("systemd-analyze"):
        raise Skip("systemd-analyze not installed")
    t = tmpdir()
    unit = os.path.join(t, "logcollectord.service")
    with open(unit, "w") as f:
        f.write(text.replace("@BINDIR@", os.path.abspath(BUILD)))
    cp = run(["systemd-analyze", "verify", "--man=no", unit], check_rc=False)
    check(cp.returncode == 0 and cp.stderr.strip() == "",
          "systemd-analyze verify: exit %d\n%s" % (cp.returncode, cp.stderr))
    # and it does complain about a broken unit (so the check above can fail)
    with open(unit, "w") as f:
        f.write(text.replace("@BINDIR@", "/nonexistent").replace("Type=notify", "Type=notify\nNoSuchKey=1"))
    cp = run(["systemd-analyze", "verify", "--man=no", unit], check_rc=False)
    check(cp.returncode != 0 or cp.stderr.strip(), "systemd-analyze accepted a broken unit")


main(scenario)
