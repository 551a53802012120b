"""logcollect tail -f follows the file name across rotation (like tail -F):
records written before the rename, after it (to the old file, until the
daemon reopens), and to the new file all appear, once each."""
import os
import signal
import subprocess
import time

from lctest import CLI, Daemon, check, driver, main, run, spawn, wait_for


def scenario():
    d = Daemon()
    run([driver("lc_stream"), "--count", "100", "--flush", "--app", "before"], env=d.env())
    t = spawn([CLI, "tail", "-f", "-n", "0", "--json", d.output], stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    run([driver("lc_stream"), "--count", "100", "--flush", "--app", "old"], env=d.env())
    os.rename(d.output, d.output + ".1")
    run([driver("lc_stream"), "--count", "50", "--flush", "--app", "renamed"], env=d.env())
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(d.output), 5, "the reopened file")
    run([driver("lc_stream"), "--count", "100", "--flush", "--app", "new"], env=d.env())
    time.sleep(0.8)
    t.send_signal(signal.SIGTERM)
    out, err = t.communicate(timeout=10)
    import json
    apps = [json.loads(l)["_app"] for l in out.splitlines()]
    check(apps.count("before") == 0, "-n 0 showed old lines")
    for app, n in (("old", 100), ("renamed", 50), ("new", 100)):
        check(apps.count(app) == n, "%s: %d lines, expected %d" % (app, apps.count(app), n))
    check("following the new file" in err, "rotation not noticed: %r" % err)
    d.stop()


main(scenario)
