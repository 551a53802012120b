"""multiprocessing.Pool of 8 workers under each start method (spawn, fork,
forkserver), each of the 8 tasks logging 2,000 records through `logging`:
every record arrives exactly once (counted by task and number), every
worker process in a session of its own, never the parent's.

spawn and forkserver: the workers' pool initializer calls configure(),
which finds the collector from the environment (nothing is passed).
fork: the parent configured logging and logged before the fork; each
child notices it is a new process and starts its own session on its own
connection.  The fork pool is ended with terminate() after every task
flushed (nothing is lost), the others with close() + join().

And close() + join() without any flush in the tasks: each worker's exit
flushes its client (docs/python.md: what Pool.terminate() costs instead)."""
# LCTEST: plain-only
# LCTEST: timeout=300

import collections
import contextlib
import logging
import multiprocessing
import os
import signal
import unittest

from lcpy import Daemon

import logcollect
import poolwork

WORKERS, TASKS, N = 8, 8, 2000
N_NO_FLUSH, NF_WORKERS = 500, 4     # (not fixed by the issue: kept small)


@contextlib.contextmanager
def default_sigterm():
    """Forked workers inherit the parent's signal handlers; lctest's SIGTERM
    handler (sys.exit, for its clean-up) would make terminate() something
    else than what a program gets by default: SIGTERM kills the worker."""
    old = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


class Pools(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon()
        cls.saved_env = dict(os.environ)
        os.environ.update(cls.d.env(LOGCOLLECT_APP="pytest-pool"))

    @classmethod
    def tearDownClass(cls):
        os.environ.clear()
        os.environ.update(cls.saved_env)
        cls.d.stop()

    def run_pool(self, method, terminate=False):
        if method not in multiprocessing.get_all_start_methods():
            self.skipTest("no %s start method here" % method)
        ctx = multiprocessing.get_context(method)
        init = None if method == "fork" else poolwork.init
        with default_sigterm():
            pool = ctx.Pool(WORKERS, initializer=init)
            try:
                results = pool.map(poolwork.work, [(method, t, N) for t in range(TASKS)],
                                   chunksize=1)
            finally:
                if terminate:
                    pool.terminate()
                else:
                    pool.close()
                pool.join()
        self.assertTrue(all(ok for _, _, ok in results), "a worker's flush timed out: %r" % results)
        lines = [l for l in self.d.lines() if l.get("method") == method]
        seen = collections.Counter((l["task"], l["n"]) for l in lines)
        missing = [(t, i) for t in range(TASKS) for i in range(N) if (t, i) not in seen]
        repeated = [k for k, v in seen.items() if v > 1]
        self.assertEqual((len(missing), len(repeated), len(lines)), (0, 0, TASKS * N),
                         "%s: %d lines, missing e.g. %r, repeated e.g. %r" %
                         (method, len(lines), missing[:5], repeated[:5]))
        # one session per worker process, numbered 1, 2, ... in order
        sids = {}
        for l in lines:
            sids.setdefault(l["_sid"], []).append(l)
            self.assertEqual(l["_pid"], l["pid"])
            self.assertEqual(l["msg"], "task %d rec %d" % (l["task"], l["n"]))
        by_pid = collections.defaultdict(set)
        for sid, ls in sids.items():
            by_pid[ls[0]["_pid"]].add(sid)
            self.assertEqual(len({l["_pid"] for l in ls}), 1, "a session shared between processes")
            seqs = [l["_seq"] for l in ls]
            self.assertEqual(seqs, sorted(seqs))
        self.assertTrue(all(len(s) == 1 for s in by_pid.values()), "a process with two sessions")
        self.assertNotIn(os.getpid(), by_pid)
        self.assertEqual({(pid, sid) for pid, sid, _ in results},
                         {(pid, next(iter(s))) for pid, s in by_pid.items()})
        return lines, sids

    def no_flush(self, method):
        """Tasks that never flush; the pool closed and joined."""
        if method not in multiprocessing.get_all_start_methods():
            self.skipTest("no %s start method here" % method)
        tag = method + "-noflush"
        ctx = multiprocessing.get_context(method)
        # maxtasksperchild=1: each worker exits right after its task, while
        # its last records are still queued in it (only its exit flushes them)
        with default_sigterm():
            pool = ctx.Pool(NF_WORKERS, initializer=None if method == "fork" else poolwork.init,
                            maxtasksperchild=1)
            pool.map(poolwork.work_no_flush, [(tag, t, N_NO_FLUSH) for t in range(NF_WORKERS)],
                     chunksize=1)
            pool.close()
            pool.join()
        # joined: every worker has exited, so its records were acknowledged
        lines = [l for l in self.d.lines() if l.get("method") == tag]
        seen = collections.Counter((l["task"], l["n"]) for l in lines)
        self.assertEqual((len(lines), len(seen)), (NF_WORKERS * N_NO_FLUSH,) * 2,
                         "%s: %d lines, %d distinct" % (tag, len(lines), len(seen)))

    def test_no_flush_close_join_spawn(self):
        self.no_flush("spawn")

    def test_no_flush_close_join_fork(self):
        self.no_flush("fork")

    def test_no_flush_close_join_forkserver(self):
        self.no_flush("forkserver")

    def test_spawn(self):
        self.run_pool("spawn")

    def test_forkserver(self):
        self.run_pool("forkserver")

    def test_fork(self):
        """The parent logs before and after the pool; the children never
        use its session (nor its socket or lock)."""
        h = logcollect.configure(level=logging.INFO)
        log = logging.getLogger("pool.parent")
        log.info("parent before", extra={"method": "parent"})
        self.assertTrue(h.client.flush(30))
        _, sids = self.run_pool("fork", terminate=True)
        log.info("parent after", extra={"method": "parent"})
        self.assertTrue(h.client.flush(30))
        parent = [l for l in self.d.lines() if l.get("method") == "parent"]
        self.assertEqual([l["msg"] for l in parent], ["parent before", "parent after"])
        self.assertEqual([l["_seq"] for l in parent], [1, 2])
        self.assertEqual(parent[0]["_sid"], parent[1]["_sid"])
        self.assertNotIn(parent[0]["_sid"], sids)


if __name__ == "__main__":
    unittest.main()
