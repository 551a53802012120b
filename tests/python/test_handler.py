"""logcollect.Handler and Client.log/send_json against the real daemon: the
fields each logging record arrives with (level, msg, logger, ts, pid,
thread, module/func/line, exc, stack, extra), values json cannot encode as
repr(), extra names that would collide with the collector's '_' fields or
the handler's own renamed (not dropped), and configure() idempotent."""

import datetime
import inspect
import logging
import os
import re
import threading
import unittest

from lcpy import DaemonTest

import logcollect

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def rfc3339(created):
    return datetime.datetime.fromtimestamp(created, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


class Unencodable(object):
    def __repr__(self):
        return "<Unencodable 42>"


class Capture(logging.Handler):
    """Keeps the LogRecords, to compare with what arrives."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


class HandlerFields(DaemonTest):
    def setUp(self):
        super().setUp()
        self.c = self.client(app="pytest-handler")
        self.h = logcollect.Handler(client=self.c)
        self.cap = Capture()
        self.log = logging.getLogger("lc.test.%s" % self._testMethodName)
        self.log.propagate = False
        self.log.setLevel(1)
        self.log.addHandler(self.h)
        self.log.addHandler(self.cap)

    def tearDown(self):
        self.log.removeHandler(self.h)
        self.log.removeHandler(self.cap)
        self.h.close()
        super().tearDown()

    def arrived(self, n):
        self.assertTrue(self.c.flush(30), "flush timed out: %r" % self.c.stats())
        lines = self.d.lines()
        self.assertEqual(len(lines), n, lines)
        return lines

    def test_fields(self):
        """Every field of the table, from a named thread; extra values
        arrive as is or as repr; '_'-names and the handler's own names in
        extra are renamed with an 'x' prefix, not dropped."""
        out = {}

        def emit():
            out["line"] = inspect.currentframe().f_lineno + 1
            self.log.warning("hello %s", "world", extra={
                "user": "alice", "n": 3, "ratio": 0.5, "ok": True, "none": None,
                "nested": {"a": [1, 2, {"b": "c"}]}, "obj": Unencodable(),
                "_sid": "forged", "_seq": 7, "ts": "not mine", "level": "fake", "xts": "taken"})
        t = threading.Thread(target=emit, name="worker-7")
        t.start()
        t.join()
        (l,) = self.arrived(1)
        rec = self.cap.records[0]
        self.assertEqual(l["level"], "warning")
        self.assertEqual(l["msg"], "hello world")
        self.assertEqual(l["logger"], self.log.name)
        self.assertRegex(l["ts"], TS)
        # record.created to the microsecond (rounded or truncated: either is right)
        ts = datetime.datetime.strptime(l["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        self.assertLess(abs(ts - rec.created), 1.5e-6, (l["ts"], rfc3339(rec.created)))
        self.assertEqual(l["pid"], os.getpid())
        self.assertEqual(l["thread"], "worker-7")
        self.assertEqual(l["module"], "test_handler")
        self.assertEqual(l["func"], "emit")
        self.assertEqual(l["line"], out["line"])
        self.assertEqual((l["user"], l["n"], l["ratio"], l["ok"], l["none"]), ("alice", 3, 0.5, True, None))
        self.assertEqual(l["nested"], {"a": [1, 2, {"b": "c"}]})
        self.assertEqual(l["obj"], "<Unencodable 42>")
        # renamed, never dropped, never able to forge the collector's fields
        self.assertEqual(l["x_sid"], "forged")
        self.assertEqual(l["x_seq"], 7)
        self.assertEqual(l["xlevel"], "fake")
        # "ts" and an extra already named "xts": both kept, under xts and xxts
        self.assertEqual({l.get("xts"), l.get("xxts")}, {"not mine", "taken"})
        self.assertRegex(l["_sid"], r"^[0-9a-f]{32}$")
        self.assertEqual(l["_sid"], self.c.sid)
        self.assertEqual(l["_seq"], 1)
        self.assertEqual(l["_app"], "pytest-handler")
        self.assertEqual(l["_pid"], os.getpid())
        self.assertNotIn("exc", l)
        self.assertNotIn("stack", l)

    def test_exception_traceback(self):
        """logger.exception: level error, the formatted traceback in exc."""
        def fail_here():
            return {}["missing"]
        try:
            fail_here()
        except KeyError:
            self.log.exception("lookup failed for %r", "missing")
        (l,) = self.arrived(1)
        self.assertEqual(l["level"], "error")
        self.assertEqual(l["msg"], "lookup failed for 'missing'")
        self.assertTrue(l["exc"].startswith("Traceback (most recent call last):"), l["exc"])
        self.assertIn("in fail_here", l["exc"])
        self.assertIn("KeyError: 'missing'", l["exc"])
        self.assertNotIn("Traceback", l["msg"])

    def test_stack_info(self):
        """stack_info=True: the stack in 'stack'."""
        def deep_caller():
            self.log.info("where am I", stack_info=True)
        deep_caller()
        (l,) = self.arrived(1)
        self.assertTrue(l["stack"].startswith("Stack (most recent call last):"), l["stack"])
        self.assertIn("in deep_caller", l["stack"])
        self.assertEqual(l["func"], "deep_caller")

    def test_levels(self):
        """logging levels map to the names the C library and `logcollect
        tail` use (between INFO and WARNING: notice)."""
        for lv in (logging.DEBUG, 5, logging.INFO, 25, logging.WARNING, logging.ERROR,
                   logging.CRITICAL, 60):
            self.log.log(lv, "level %d", lv)
        got = [(l["msg"], l["level"]) for l in self.arrived(8)]
        self.assertEqual(got, [("level 10", "debug"), ("level 5", "debug"), ("level 20", "info"),
                               ("level 25", "notice"), ("level 30", "warning"),
                               ("level 40", "error"), ("level 50", "critical"),
                               ("level 60", "critical")])
        # `logcollect tail --level warning` selects them by those names
        from lcpy import CLI, run
        cp = run([CLI, "tail", "--json", "-n", "100", "--level", "warning", self.d.output])
        self.assertEqual(len(cp.stdout.splitlines()), 4, cp.stdout)

    def test_formatter(self):
        """With a formatter set, msg is the formatted line."""
        self.h.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
        self.log.info("formatted %d", 1)
        (l,) = self.arrived(1)
        self.assertEqual(l["msg"], "[%s] formatted 1" % self.log.name)

    def test_app_selects(self):
        """Python records carry _app, so `logcollect tail --app` finds them."""
        self.log.info("mine")
        other = self.client(app="someone-else")
        other.log("info", "not mine")
        self.assertTrue(other.flush(30))
        self.arrived(2)
        from lcpy import CLI, run
        cp = run([CLI, "tail", "--json", "--app", "pytest-handler", self.d.output])
        self.assertEqual([l.count('"mine"') for l in cp.stdout.splitlines()], [1])


class ClientCalls(DaemonTest):
    def test_log_and_send_json(self):
        """Client.log: ts/level/msg and the fields; send_json: the bytes
        unchanged; refused input raises ValueError in the call and is never
        sent."""
        c = self.client(app="pytest-client")
        self.assertTrue(c.log("warn", "first", user="bob", n=1, obj=Unencodable()))
        self.assertTrue(c.log(logcollect.ERROR, "second"))
        self.assertTrue(c.log(logging.DEBUG, "third"))
        self.assertTrue(c.send_json('{"msg":"raw","k":[1,2]}'))
        self.assertTrue(c.send_json(b'{"msg":"raw bytes"}'))
        for bad in ('[1,2]', '"str"', '{"a":', '{"_sid":"x"}', b'\xff{}', '{"a":1} {"b":2}'):
            with self.assertRaises(ValueError, msg=repr(bad)):
                c.send_json(bad)
        for name in ("_x", "_sid", "ts"):
            with self.assertRaises(ValueError, msg=name):
                c.log("info", "bad field", **{name: 1})
        with self.assertRaises(ValueError):
            c.log("loud", "bad level")
        self.assertTrue(c.flush(30))
        lines = self.d.lines()
        self.assertEqual([l["msg"] for l in lines], ["first", "second", "third", "raw", "raw bytes"])
        self.assertEqual([l["level"] for l in lines[:3]], ["warning", "error", "debug"])
        self.assertEqual((lines[0]["user"], lines[0]["n"], lines[0]["obj"]), ("bob", 1, "<Unencodable 42>"))
        for l in lines[:3]:
            self.assertRegex(l["ts"], TS)
        self.assertEqual(lines[3]["k"], [1, 2])
        self.assertEqual([l["_seq"] for l in lines], [1, 2, 3, 4, 5])
        raw = open(self.d.output, "rb").read().splitlines()
        self.assertTrue(raw[3].startswith(b'{"msg":"raw","k":[1,2],"_rt":'), raw[3])
        st = c.stats()
        self.assertEqual((st["records"], st["acked"], st["dropped"], st["rejected"]), (5, 5, 0, 0))
        self.assertEqual(st["sid"], lines[0]["_sid"])

    def test_context_manager_and_closed(self):
        with self.client(app="pytest-with") as c:
            c.log("info", "inside")
        with self.assertRaises(logcollect.ClosedError):
            c.log("info", "after close")
        self.assertEqual([l["msg"] for l in self.d.lines()], ["inside"])


class Configure(DaemonTest):
    def test_configure_idempotent(self):
        """configure() from the environment attaches one Handler to the
        root logger; a second call returns it and only changes the level."""
        root = logging.getLogger()
        saved = (root.level, list(root.handlers), dict(os.environ))
        os.environ.update(self.d.env(LOGCOLLECT_APP="pytest-configure"))
        try:
            h1 = logcollect.configure(level=logging.INFO)
            h2 = logcollect.configure(level=logging.WARNING)
            self.assertIs(h1, h2)
            self.assertEqual(sum(isinstance(h, logcollect.Handler) for h in root.handlers), 1)
            self.assertEqual(root.level, logging.WARNING)
            logging.getLogger("cfg").info("filtered out")
            logging.getLogger("cfg").warning("through the root")
            self.assertTrue(h1.client.flush(30) if hasattr(h1, "client") else True)
            l = self.d.wait_lines(1)
            self.assertEqual([(x["msg"], x["_app"], x["logger"]) for x in l],
                             [("through the root", "pytest-configure", "cfg")])
        finally:
            for h in root.handlers[:]:
                if h not in saved[1]:
                    root.removeHandler(h)
                    h.close()
            root.setLevel(saved[0])
            os.environ.clear()
            os.environ.update(saved[2])


if __name__ == "__main__":
    unittest.main()
