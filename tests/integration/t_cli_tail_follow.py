"""logcollect tail -f follows the file name across rotation (like tail -F):
records written before the rename, after it (to the old file, until the
daemon reopens), and to the new file all appear, once each."""
import json
import os
import signal
import time

from lctest import CLI, Daemon, check, driver, main, run, spawn, wait_for


def at_end_of(pid, path):
    """tail has path open and its offset is at the file's end (-n 0 done)."""
    path = os.path.realpath(path)
    size = os.path.getsize(path)
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) != path:
                continue
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                pos = int(f.readline().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        return pos == size
    return False


def scenario():
    d = Daemon()
    run([driver("lc_stream"), "--count", "100", "--flush", "--app", "before"], env=d.env())
    out_path, err_path = os.path.join(d.dir, "tail.out"), os.path.join(d.dir, "tail.err")
    with open(out_path, "w") as o, open(err_path, "w") as e:
        t = spawn([CLI, "tail", "-f", "-n", "0", "--json", d.output], stdout=o, stderr=e)
    wait_for(lambda: at_end_of(t.pid, d.output), 10, "tail -f to open the file and reach its end")
    run([driver("lc_stream"), "--count", "100", "--flush", "--app", "old"], env=d.env())
    os.rename(d.output, d.output + ".1")
    run([driver("lc_stream"), "--count", "50", "--flush", "--app", "renamed"], env=d.env())
    d.send_signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(d.output), 5, "the reopened file")
    run([driver("lc_stream"), "--count", "100", "--flush", "--app", "new"], env=d.env())

    def lines():
        return open(out_path).read().splitlines()
    wait_for(lambda: "following the new file" in open(err_path).read() and len(lines()) >= 250,
             10, "tail to show all 250 records and notice the rotation")
    # Nothing more may come (a repeat would): tail polls every 100 ms, so
    # 0.3 s without a new line is three of its rounds with nothing to show.
    n = len(lines())
    time.sleep(0.3)
    check(len(lines()) == n, "tail printed more after the last record")
    t.send_signal(signal.SIGTERM)
    t.wait(10)
    err = open(err_path).read()
    apps = [json.loads(l)["_app"] for l in lines()]
    check(apps.count("before") == 0, "-n 0 showed old lines")
    for app, n in (("old", 100), ("renamed", 50), ("new", 100)):
        check(apps.count(app) == n, "%s: %d lines, expected %d" % (app, apps.count(app), n))
    check(len(apps) == 250, "%d lines, expected 250" % len(apps))
    check("following the new file" in err, "rotation not noticed: %r" % err)
    d.stop()


main(scenario)
