#!/usr/bin/env python3
"""Run every test suite of logcollect and print one summary line.

Suites, each against the plain build (build/) and the sanitizer build
(build/asan/, ASan + UBSan):
  unit         the Check binaries in BUILD/tests/unit/ (one count per check)
  integration  the scenarios tests/integration/t_*.py (one count each)
  python       the unittest modules tests/python/test_*.py, each run with
               "PY -m unittest -v" for every interpreter PY found among
               python3.8 .. python3.13 and python3 (one count per unittest
               test; an interpreter that is not installed is one SKIP line;
               LC_PYTHONS="python3 ..." replaces the search); against the
               sanitizer build only with Debian's python3 and only the
               modules not marked "# LCTEST: plain-only"
and once:
  fuzz         each libFuzzer target of tests/fuzz/ for 30 s, from its seed
               corpus and what earlier runs added (tests/fuzz/run.sh; one
               count per target, two targets at a time), when clang can
               build libFuzzer targets

Every scenario runs in its own process group with a time limit; the group is
killed afterwards, so nothing a test starts can outlive it.

usage: tests/run.py [-k PATTERN] [--build DIR ...] [--jobs N] [--fuzz-seconds N]
The last line printed is "N passed, N failed, N skipped".  A scenario that
exits with status 77 (lctest.Skip) is skipped: reported as SKIP, never
counted as passed.
"""

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK_SUMMARY = re.compile(r"(\d+)%: Checks: (\d+), Failures: (\d+), Errors: (\d+)")
DEFAULT_TIMEOUT = 180
SKIP_EXIT = 77


def run_group(argv, env, timeout):
    """Run argv in a new session; kill the whole group when done."""
    start = time.monotonic()
    p = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
    try:
        os.killpg(p.pid, signal.SIGKILL)  # anything left behind
    except ProcessLookupError:
        pass
    return p.returncode, out.decode(errors="replace"), timed_out, time.monotonic() - start


def unit_suite(build, env):
    results = []
    for binary in sorted(glob.glob(os.path.join(ROOT, build, "tests", "unit", "test_*"))):
        if binary.endswith(".d") or not os.access(binary, os.X_OK):
            continue
        name = "%s unit/%s" % (build, os.path.basename(binary))
        rc, out, timed_out, secs = run_group([binary], env, 300)
        m = CHECK_SUMMARY.search(out)
        if m and not timed_out:
            checks, fails, errs = int(m.group(2)), int(m.group(3)), int(m.group(4))
            passed, failed = checks - fails - errs, fails + errs
            if rc != 0 and failed == 0:
                failed = 1  # the summary says fine but the process did not
        else:
            passed, failed = 0, 1
        results.append((name, passed, failed, out, secs))
    return results


def scenario(path, build, env):
    name = "%s %s" % (build, os.path.relpath(path, os.path.join(ROOT, "tests")))
    text = open(path).read()
    if build != "build" and "LCTEST: plain-only" in text:
        return None
    m = re.search(r"LCTEST: timeout=(\d+)", text)
    timeout = int(m.group(1)) if m else DEFAULT_TIMEOUT
    e = dict(env, LC_BUILD=build, PYTHONDONTWRITEBYTECODE="1")
    rc, out, timed_out, secs = run_group([sys.executable, path], e, timeout)
    if timed_out:
        out += "\n[killed after %ds]" % timeout
    if rc == SKIP_EXIT and not timed_out:
        return (name, 0, 0, out, secs, 1)
    ok = rc == 0 and not timed_out
    return (name, 1 if ok else 0, 0 if ok else 1, out, secs)


PY_VERSIONS = ["python3.%d" % m for m in range(8, 14)]
# "test_x (mod.Class.test_x)" (3.11+) or "test_x (mod.Class)" (older); the
# result follows " ... " on that line or, after a docstring line, a later one
# (or starts a line of its own when the test printed something after " ... ").
PY_TEST = re.compile(r"^(\w+) \(([\w.]+)\)")
PY_RESULT = re.compile(r"(?: \.\.\. |^)(ok|FAIL|ERROR|skipped|expected failure|unexpected success)(.*)$")
PY_RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)


def _runs_as(exe, version):
    """True when exe starts and is Python `version` (a pyenv shim for a
    version that is not selected fails here)."""
    try:
        out = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.decode().strip() == version


def _find_python(name):
    """python3.X on PATH, else in a pyenv installation; None when absent."""
    version = name[len("python"):]
    path = shutil.which(name)
    if path and _runs_as(path, version):
        return path
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    versions = glob.glob(os.path.join(pyenv_root, "versions", version + ".*", "bin", name))
    key = lambda p: [int(x) if x.isdigit() else 0 for x in p.split(os.sep)[-3].split(".")]
    for path in sorted(versions, key=key, reverse=True):
        if _runs_as(path, version):
            return path
    return None


def python_interpreters():
    """[(label, path or None)]: one interpreter for each of python3.8 ..
    python3.13, None when absent; Debian's /usr/bin/python3 stands for its
    own version (the one the issue requires), or is added when it is none
    of those.  LC_PYTHONS="python3 /opt/py/bin/python3.14 ..." replaces the
    search."""
    if os.environ.get("LC_PYTHONS"):
        return [(os.path.basename(p) if os.sep not in p else p, shutil.which(p))
                for p in os.environ["LC_PYTHONS"].split()]
    found = [(name, _find_python(name)) for name in PY_VERSIONS]
    debian = "/usr/bin/python3"
    if os.access(debian, os.X_OK):
        for i, (name, _) in enumerate(found):
            if _runs_as(debian, name[len("python"):]):
                found[i] = ("%s=%s" % (name, debian), debian)
                break
        else:
            found.append((debian, debian))
    return found


def parse_unittest(out):
    """[(test id, "PASS"|"FAIL"|"SKIP", detail)] from unittest -v output."""
    results, current = [], None
    for line in out.splitlines():
        t = PY_TEST.match(line)
        if t:
            cls = t.group(2)
            current = cls if cls.endswith("." + t.group(1)) else cls + "." + t.group(1)
        r = PY_RESULT.search(line)
        if r and current and (r.start() > 0 or not r.group(2) or r.group(1) == "skipped"):
            word = r.group(1)
            state = {"ok": "PASS", "skipped": "SKIP", "expected failure": "PASS"}.get(word, "FAIL")
            results.append((current, state, r.group(2).strip(" '\"")))
            current = None
    return results


def python_module(path, build, interp, env, timeout):
    """Run one module; a list of result tuples like the other suites'."""
    mod = os.path.splitext(os.path.basename(path))[0]
    label, exe = interp
    base = "%s python/%s [%s]" % (build, mod, label)
    e = dict(env, LC_BUILD=build, PYTHONDONTWRITEBYTECODE="1",
             PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "tests", "python"),
                                         os.path.join(ROOT, "tests", "integration"),
                                         os.path.join(ROOT, "client", "python")]))
    # (lctest leaves files to the garbage collector: no ResourceWarning noise)
    argv = [exe, "-W", "ignore::ResourceWarning", "-m", "unittest", "-v", mod]
    start = time.monotonic()
    p = subprocess.Popen(argv, env=e, cwd=os.path.join(ROOT, "tests", "python"),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        # SIGTERM first: lctest's handler exits through its clean-up, which
        # stops the daemons the tests started (in sessions of their own, so
        # killing this group would leave them running)
        timed_out = True
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    out = out.decode(errors="replace")
    secs = time.monotonic() - start
    results = []
    for test, state, detail in parse_unittest(out):
        name = "%s python/%s [%s]" % (build, test, label)
        if state == "SKIP":
            results.append((name, 0, 0, "SKIP " + detail, 0.0, 1))
        else:
            results.append((name, int(state == "PASS"), int(state == "FAIL"), out, 0.0))
    ran = PY_RAN.search(out)
    problem = None
    if timed_out:
        problem = "killed after %ds" % timeout
    elif not ran or int(ran.group(1)) != len(results):
        problem = "unittest output not understood (%d results parsed)" % len(results)
    elif p.returncode != 0 and not any(r[2] for r in results):
        problem = "exit status %d with no failing test" % p.returncode
    if problem:
        results.append((base, 0, 1, out + "\n[%s]" % problem, secs))
    return results, secs


def python_suite(builds, env, pattern, jobs):
    modules = sorted(glob.glob(os.path.join(ROOT, "tests", "python", "test_*.py")))
    interps = python_interpreters()
    # The sanitizer build checks the daemon, which does not depend on the
    # client's Python version: one interpreter is enough there (Debian's).
    present = [i for i in interps if i[1]]
    san_interp = next((i for i in present if i[1] == "/usr/bin/python3"), present[:1] and present[0])
    results, work = [], []
    for label, exe in interps:
        for b in builds:
            if b != "build" and (label, exe) != san_interp:
                continue
            for path in modules:
                text = open(path).read()
                mod = os.path.splitext(os.path.basename(path))[0]
                if pattern not in "%s python/%s [%s]" % (b, mod, label):
                    continue
                if b != "build" and "LCTEST: plain-only" in text:
                    continue
                m = re.search(r"LCTEST: timeout=(\d+)", text)
                work.append((path, b, (label, exe), int(m.group(1)) if m else DEFAULT_TIMEOUT))
    absent = sorted({w[2][0] for w in work if w[2][1] is None})
    for label in absent:
        print("SKIP python/* [%s] (%s is not installed)" % (label, label), flush=True)
        results.append(("python/* [%s]" % label, 0, 0, "", 0.0, 1))
    work = [w for w in work if w[2][1] is not None]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        futs = [ex.submit(python_module, path, b, interp, env, t) for path, b, interp, t in work]
        for f in futs:
            rs, secs = f.result()
            for r in rs:
                results.append(r)
                if len(r) > 5:
                    print("SKIP %s (%s)" % (r[0], r[3][5:] or "skipped"), flush=True)
                    continue
                print("%-4s %s" % ("PASS" if r[2] == 0 else "FAIL", r[0]), flush=True)
            failed = [r for r in rs if len(r) == 5 and r[2]]
            if failed:
                print("     " + failed[0][3][-6000:].replace("\n", "\n     "))
            if rs:
                print("     (%s: %.1fs)" % (rs[0][0].split(" [")[0].rsplit(".", 2)[0], secs), flush=True)
    return results


FUZZ_TARGETS = ("record", "frame", "handshake")
FUZZ_RESULT = re.compile(r"fuzz \S+: OK, (\S+) executions")
# what a target depends on, e.g. "oracle is jansson 2.14 (built against 2.14)"
UNIT_INFO = re.compile(r"^test_\w+: (oracle is [^\n]*)", re.M)
FUZZ_INFO = re.compile(r"fuzz \S+: .*?; (oracle is [^\n]*)")


def fuzz_suite(env, pattern, seconds, jobs):
    """One result per fuzz target; [] when libFuzzer is not available."""
    targets = [t for t in FUZZ_TARGETS if pattern in "fuzz/" + t]
    if not targets or seconds <= 0:
        return []
    run_sh = os.path.join(ROOT, "tests", "fuzz", "run.sh")
    rc, _, _, _ = run_group(["sh", run_sh, "--probe"], env, 120)
    if rc != 0:
        print("SKIP fuzz (clang cannot build libFuzzer targets)", flush=True)
        return [("fuzz/%s" % t, 0, 0, "", 0.0, 1) for t in targets]

    def one(target):
        # build time on top of the fuzzing time, and a margin
        rc, out, timed_out, secs = run_group(
            ["sh", run_sh, "-t", str(seconds), target], env, seconds + 600)
        ok = rc == 0 and not timed_out
        if timed_out:
            out += "\n[killed after %ds]" % (seconds + 600)
        return ("fuzz/%s" % target, 1 if ok else 0, 0 if ok else 1, out, secs)

    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        for r in ex.map(one, targets):
            m = FUZZ_RESULT.search(r[3])
            info = FUZZ_INFO.search(r[3])
            print("%-4s %s (%s executions, %.1fs%s)" % ("PASS" if r[2] == 0 else "FAIL", r[0],
                                                        m.group(1) if m else "?", r[4],
                                                        "; " + info.group(1) if info else ""),
                  flush=True)
            if r[2]:
                print("     " + r[3][-6000:].replace("\n", "\n     "))
            results.append(r)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default="", help="only tests whose name contains this")
    ap.add_argument("--build", action="append", help="build folder(s) to test")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--fuzz-seconds", type=int, default=30,
                    help="time per fuzz target (0: skip the fuzz suite)")
    args = ap.parse_args()
    builds = args.build or ["build", "build/asan"]

    env = dict(os.environ)
    # Leaks and errors fail the run; halt_on_error keeps reports short.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")

    results = []
    for b in builds:
        for r in unit_suite(b, env):
            if args.k in r[0]:
                results.append(r)
                info = UNIT_INFO.search(r[3])
                print("%-4s %s (%d checks, %.1fs%s)" % ("PASS" if r[2] == 0 else "FAIL",
                                                        r[0], r[1] + r[2], r[4],
                                                        "; " + info.group(1) if info else ""),
                      flush=True)
                if r[2]:
                    print(r[3][-6000:])

    scenarios = sorted(glob.glob(os.path.join(ROOT, "tests", "integration", "t_*.py")))
    jobs = [(p, b) for b in builds for p in scenarios if args.k in b + " " + p]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = [ex.submit(scenario, p, b, env) for p, b in jobs]
        for f in futs:
            r = f.result()
            if r is None:
                continue
            results.append(r)
            if len(r) > 5:
                why = [l for l in r[3].splitlines() if l.startswith("SKIP")]
                print("SKIP %s (%s)" % (r[0], why[-1][5:].strip() if why else "skipped"), flush=True)
                continue
            print("%-4s %s (%.1fs)" % ("PASS" if r[2] == 0 else "FAIL", r[0], r[4]), flush=True)
            if r[2]:
                print("     " + r[3][-6000:].replace("\n", "\n     "))

    results += python_suite(builds, env, args.k, args.jobs)
    results += fuzz_suite(env, args.k, args.fuzz_seconds, args.jobs)

    passed = sum(r[1] for r in results)
    failed = sum(r[2] for r in results)
    skipped = sum(1 for r in results if len(r) > 5)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 0 if failed == 0 and passed else 1


if __name__ == "__main__":
    sys.exit(main())
