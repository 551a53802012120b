"""Fork safety, with the process-wide default client (lc_init, LC_LOG_INFO,
lc_shutdown).  The parent logs 20,000 records and, without flushing, forks
8 children that each log 10,000 records (half of them end with lc_shutdown,
half just exit() and rely on the atexit flush; child 0 also forks a
grandchild); meanwhile the parent logs 20,000 more.  Every record arrives
exactly once; each process has its own session (_sid) with its own _pid,
numbered from 1 without gaps; the records the parent queued before forking
are sent by the parent only.

Under LeakSanitizer one OpenSSL allocation is suppressed: OpenSSL 3.0
never frees the per-thread error state of a thread that used it in a fork
child while a thread that had used it in the parent was alive at the fork
(reproducible without liblogcollect); LSan's stack stops at CRYPTO_zalloc
(libcrypto has no frame pointers).  t_client_valgrind checks the children
with an exact suppression."""
# LCTEST: timeout=300
import collections
import os

from lctest import Daemon, check, driver, main, run, tmpdir

CHILDREN, COUNT, PRE, POST, GRAND = 8, 10000, 20000, 20000, 500


def scenario():
    d = Daemon()
    supp = os.path.join(tmpdir(), "lsan.supp")
    with open(supp, "w") as f:
        f.write("leak:CRYPTO_zalloc\n")
    cp = run([driver("lc_fork"), "--children", str(CHILDREN), "--count", str(COUNT),
              "--pre", str(PRE), "--post", str(POST), "--grandchild", str(GRAND)],
             env=d.env(LSAN_OPTIONS="suppressions=" + supp), timeout=240)
    out = cp.stdout.split("\n")
    check("done" in out, "driver: %r %r" % (cp.stdout, cp.stderr))
    child_pid = {}
    grand_pid = parent_pid = parent_sid = None
    for line in out:
        w = line.split()
        if w[:1] == ["child"]:
            child_pid[int(w[1])] = int(w[3])
        elif w[:2] == ["grandchild", "pid"]:
            grand_pid = int(w[2])
        elif w[:2] == ["parent", "pid"]:
            parent_pid, parent_sid = int(w[2]), w[4]
    check(len(child_pid) == CHILDREN and grand_pid and parent_pid, "driver said %r" % out)

    lines = d.lines()
    by_sid = collections.defaultdict(list)
    for l in lines:
        by_sid[l["_sid"]].append(l)
    check(len(by_sid) == CHILDREN + 2, "%d sessions, expected %d" % (len(by_sid), CHILDREN + 2))
    pid_of = {}
    for sid, ls in by_sid.items():
        pids = {l["_pid"] for l in ls}
        check(len(pids) == 1, "session %s has pids %r" % (sid, pids))
        pid_of[sid] = pids.pop()
        seqs = [l["_seq"] for l in ls]
        check(seqs == list(range(1, len(ls) + 1)),
              "session %s (pid %d): records missing, repeated or out of order" % (sid, pid_of[sid]))
    check(len(set(pid_of.values())) == len(pid_of), "two sessions share a pid")
    sid_of = {pid: sid for sid, pid in pid_of.items()}

    check(sid_of.get(parent_pid) == parent_sid, "the parent's session is not its own")
    pl = by_sid[parent_sid]
    want = ["parent pre %d" % i for i in range(1, PRE + 1)]
    check([l["msg"] for l in pl[:PRE]] == want, "parent's pre-fork records wrong")
    check(sorted(l["msg"] for l in pl[PRE:]) == sorted("parent post %d" % i for i in range(1, POST + 1))
          and len(pl) == PRE + POST, "parent's post-fork records wrong")
    check([l["msg"] for l in pl[PRE:]] == ["parent post %d" % i for i in range(1, POST + 1)],
          "parent's post-fork records out of order")
    for k, pid in child_pid.items():
        sid = sid_of.get(pid)
        check(sid, "child %d (pid %d) has no session" % (k, pid))
        msgs = [l["msg"] for l in by_sid[sid]]
        check(msgs == ["child %d %d" % (k, i) for i in range(1, COUNT + 1)],
              "child %d: %d records, first %r" % (k, len(msgs), msgs[:1]))
    gs = sid_of.get(grand_pid)
    check(gs and [l["msg"] for l in by_sid[gs]] == ["grandchild %d" % i for i in range(1, GRAND + 1)],
          "grandchild's records wrong")
    check(len(lines) == PRE + POST + CHILDREN * COUNT + GRAND, "%d lines" % len(lines))
    d.stop()


main(scenario)
