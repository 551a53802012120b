"""Every repository path a comment or a document names exists: a
newcomer who reads "see daemon/publish.c" finds that file (proto/portfile.h
named a portfile.c in daemon/ that never existed).  Paths of the form
daemon/..., client/..., proto/..., tests/..., docs/..., systemd/...
ending in a source or document suffix, in every tracked source file,
document, man page and Makefile; relative to the repository or to the
naming file's folder.  System headers (#include <systemd/...>) are not
repository paths."""
import os
import re
import subprocess

from lctest import ROOT, check, main

PATH = re.compile(r"(?<![\w/.<-])((?:daemon|client|proto|tests|docs|systemd)/[\w./-]*\w"
                  r"\.(?:c|h|py|md|sh|in|map|[138]))\b")
SCANNED = re.compile(r"(\.(c|h|py|md|sh|in|map|[138])|(^|/)Makefile)$")


def scenario():
    files = subprocess.check_output(["git", "ls-files"], cwd=ROOT, text=True).split()
    missing, seen = [], 0
    for f in files:
        if not SCANNED.search(f):
            continue
        with open(os.path.join(ROOT, f), errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                for m in PATH.finditer(line):
                    seen += 1
                    p = m.group(1)
                    if not (os.path.exists(os.path.join(ROOT, p)) or
                            os.path.exists(os.path.join(ROOT, os.path.dirname(f), p))):
                        missing.append("%s:%d names %s" % (f, n, p))
    check(seen > 50, "only %d paths found: the pattern is broken" % seen)
    check(not missing, "paths that do not exist:\n" + "\n".join(missing))
    print("%d path references checked" % seen)


main(scenario)
