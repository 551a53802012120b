"""The output file is deleted, and later renamed, while a client streams,
with no SIGHUP either time.  The daemon notices (the open file's link count
is 0: checked after every write, before the acks it covers; the path names
another file or none: checked once a second), opens the path again, logs one
warning per event and counts it (output_reopened_missing).  Every record
ends up exactly once in the files: the deleted one (read here through a
descriptor kept open on it) holds a prefix of the stream and ends on a whole
line, the new file the rest; after the rename, the renamed file and the new
file together hold each record once.  Without the check, the daemon goes on
writing into the deleted file and acknowledging: at the path there is
nothing."""
import json
import os
import signal
import subprocess

from lctest import (CLI, Daemon, authed, check, driver, hello, main, read_until_ack, run,
                    send_frame, spawn, wait_for)

N = 20000
RATE = 20000


def stream(d, app, rate=RATE):
    return spawn([driver("lc_stream"), "--count", str(N), "--rate", str(rate), "--flush",
                  "--app", app], env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                 text=True)


def finish(p):
    out, err = p.communicate(timeout=60)
    check(p.returncode == 0 and out.split() == ["sent", str(N), "acked"], "driver: %r %r" % (out, err))


def seqs_of(lines, app):
    return [l["_seq"] for l in lines if l.get("_app") == app]


def parse(data, what):
    check(data == b"" or data.endswith(b"\n"), "%s does not end with a whole line" % what)
    return [json.loads(raw) for raw in data.splitlines()]


def counter(d):
    return json.loads(run([CLI, "status", "--json"], env=d.env()).stdout)


def acked_after_deletion(d):
    """Records acknowledged after the rm (well within the once-a-second
    path check) are all in the new file: the link count is checked before
    each ack."""
    s = authed(d)
    hello(s, app="raw")
    for i in range(1, 101):
        send_frame(s, b'{"msg":"r%d"}' % i)
    read_until_ack(s, 100)
    held = open(d.output, "rb")
    os.unlink(d.output)
    for i in range(101, 201):
        send_frame(s, b'{"msg":"r%d"}' % i)
    read_until_ack(s, 200)
    deleted = seqs_of(parse(held.read(), "the deleted file"), "raw")
    held.close()
    new = seqs_of(d.lines(), "raw")
    check(deleted == list(range(1, 101)) and new == list(range(101, 201)),
          "acknowledged records went to the deleted file: %d there, %d in the new file"
          % (len(deleted), len(new)))
    s.close()


def scenario():
    d = Daemon()
    acked_after_deletion(d)
    st = counter(d)
    check(st.get("output_reopened_missing") == 1, "counter after the first deletion: %r" % st)

    # 2. rm while streaming
    p = stream(d, "del")
    wait_for(lambda: os.path.exists(d.output) and os.path.getsize(d.output) > 200000,
             20, "the stream to be under way")
    held = open(d.output, "rb")
    os.unlink(d.output)
    finish(p)
    deleted = seqs_of(parse(held.read(), "the deleted file"), "del")
    held.close()
    new = seqs_of(d.lines(), "del")
    check(len(new) > 0, "nothing went to a new file at the path after the deletion")
    check(deleted + new == list(range(1, N + 1)),
          "records lost or repeated across the deletion: %d in the deleted file, %d in the new one"
          % (len(deleted), len(new)))
    err = d.stderr()
    check(err.count("was deleted while in use") == 2, "deletions not warned once each:\n" + err)
    st = counter(d)
    check(st.get("output_reopened_missing") == 2 and st["write_errors"] == 0,
          "counters after the deletion: %r" % st)

    # 3. mv while streaming, no SIGHUP
    # (long enough to outlast the once-a-second path check: 2.5 s)
    p = stream(d, "mv", rate=N * 2 // 5)
    start = os.path.getsize(d.output)
    wait_for(lambda: os.path.getsize(d.output) > start + 200000, 20, "the second stream")
    moved = d.output + ".moved"
    os.rename(d.output, moved)
    finish(p)
    old, new = seqs_of(d.lines(moved), "mv"), seqs_of(d.lines(), "mv")
    check(len(new) > 0, "nothing went to a new file at the path after the rename")
    check(old + new == list(range(1, N + 1)),
          "records lost or repeated across the rename: %d + %d" % (len(old), len(new)))
    err = d.stderr()
    check(err.count("renamed or replaced without SIGHUP") == 1, "rename not warned once:\n" + err)
    st = counter(d)
    check(st.get("output_reopened_missing") == 3 and st["write_errors"] == 0,
          "counters after the rename: %r" % st)
    human = run([CLI, "status"], env=d.env()).stdout
    check("reopened 3 time(s): the file was deleted or renamed without SIGHUP" in human,
          "logcollect status does not say it: %r" % human)
    d.send_signal(signal.SIGUSR1)
    wait_for(lambda: "output_reopened_missing=3" in d.stderr(), 5, "the counter in SIGUSR1's line")
    d.stop()


main(scenario)
