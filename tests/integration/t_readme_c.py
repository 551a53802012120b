"""The README's C program, as a new user copies it: extracted from
README.md between its example markers, compiled with the README's own
compile line (pkg-config and build/logcollect-uninstalled.pc, no `make
install`), run against a real daemon: exit 0 and its two records written
exactly once.  With the daemon down it must not exit 0 in silence: exit 1
and a message saying the records were not acknowledged.  (Under the
sanitizer build the same line is used with clang -fsanitize added, and
points at build/asan.)"""
import os
import re
import shutil
import subprocess

from lctest import BUILD, ROOT, SANITIZED, Daemon, Skip, check, main, run, tmpdir


def between(text, name):
    m = re.search(r"<!-- example:%s begin -->\s*```\w*\n(.*?)```\s*<!-- example:%s end -->"
                  % (re.escape(name), re.escape(name)), text, re.S)
    check(m, "README.md has no example %s between markers" % name)
    return m.group(1)


def scenario():
    if not shutil.which("pkg-config"):
        raise Skip("pkg-config is not installed")
    readme = open(os.path.join(ROOT, "README.md")).read()
    program, line = between(readme, "myapp.c"), between(readme, "compile").strip()
    check(line.startswith("cc ") and "PKG_CONFIG_PATH=build pkg-config" in line,
          "unexpected compile line: " + line)
    line = line.replace("PKG_CONFIG_PATH=build", "PKG_CONFIG_PATH=" + BUILD)
    if SANITIZED:
        line = "clang -fsanitize=address,undefined" + line[2:]
    t = tmpdir()
    with open(os.path.join(t, "myapp.c"), "w") as f:
        f.write(program)
    cp = subprocess.run(["sh", "-c", line + " -Wall -Wextra -Werror"], cwd=t,
                        capture_output=True, text=True)
    check(cp.returncode == 0, "the README's compile line failed:\n%s\n%s" % (line, cp.stderr))
    exe = os.path.join(t, "myapp")

    d = Daemon()
    cp = run([exe], env=d.env(), timeout=30)
    check(cp.stderr == "", "stderr with the daemon up: %r" % cp.stderr)
    d.stop()
    lines = d.lines()
    check([(l["msg"], l["level"], l["_app"]) for l in lines] ==
          [("started with 4 workers", "info", "myapp"), ("slow request", "warning", "myapp")],
          "records written: %r" % lines)
    check(lines[1]["path"] == "/x" and lines[1]["ms"] == "1200", "fields: %r" % lines[1])

    # The daemon is gone (its port file too): no silent success.
    cp = run([exe], env=d.env(), timeout=30, check_rc=False)
    check(cp.returncode == 1, "exit %d with the daemon down" % cp.returncode)
    check("2 record(s) not acknowledged" in cp.stderr and "port file" in cp.stderr,
          "message with the daemon down: %r" % cp.stderr)
    check(len(d.lines()) == 2, "records written after the daemon stopped")


main(scenario)
