"""The worker side of test_pools.py (a module of its own, so that spawn and
forkserver children import nothing but logging and logcollect)."""

import logging
import os

import logcollect


def init():
    """Pool initializer for spawn and forkserver: configure() from the
    environment, nothing passed from the parent."""
    logcollect.configure(level=logging.INFO)


def work(args):
    """Log n records through logging, then flush; returns what the parent
    checks the output against."""
    method, task, n = args
    h = logcollect.configure(level=logging.INFO)   # idempotent; after fork: the inherited one
    log = logging.getLogger("pool.%s" % method)
    for i in range(n):
        log.info("task %d rec %d", task, i, extra={"method": method, "task": task, "n": i})
    ok = h.client.flush(120)
    return os.getpid(), h.client.sid, ok


def work_no_flush(args):
    """The same without the flush: what close() + join() must deliver (the
    exit of a multiprocessing worker flushes, with the client's close
    timeout)."""
    method, task, n = args
    logcollect.configure(level=logging.INFO)
    log = logging.getLogger("pool.%s" % method)
    for i in range(n):
        log.info("task %d rec %d", task, i, extra={"method": method, "task": task, "n": i})
    return os.getpid()
