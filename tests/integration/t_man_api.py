"""logcollect(3) documents the whole public API: every function the header
declares (LC_API) is in the man page's NAME list and in its SYNOPSIS, and
every one of them is exported by the shared library (lc_query_status was
in neither man page section)."""
import os
import re

from lctest import BUILD, ROOT, check, main, run


def scenario():
    header = open(os.path.join(ROOT, "client", "logcollect.h")).read()
    funcs = sorted(set(re.findall(r"^LC_API\b[^;(]*?\b(lc_\w+)\s*\(", header, re.M)))
    check(len(funcs) >= 30, "only %d functions found in the header" % len(funcs))
    man = open(os.path.join(ROOT, "docs", "logcollect.3")).read()
    name = man.split(".SH NAME", 1)[1].split(".SH", 1)[0]
    synopsis = man.split(".SH SYNOPSIS", 1)[1].split(".SH", 1)[0]
    named = set(re.findall(r"\blc_\w+", name))
    declared = set(re.findall(r"\b(lc_\w+)\(", synopsis))
    check(not [f for f in funcs if f not in named],
          "missing from logcollect(3) NAME: %r" % [f for f in funcs if f not in named])
    check(not [f for f in funcs if f not in declared],
          "missing from logcollect(3) SYNOPSIS: %r" % [f for f in funcs if f not in declared])
    check(not sorted(named - set(funcs)), "NAME lists what the header does not declare: %r"
          % sorted(named - set(funcs)))
    out = run(["nm", "-D", "--defined-only", os.path.join(BUILD, "liblogcollect.so")]).stdout
    exported = {l.split()[-1] for l in out.splitlines() if l.strip()}
    check(not [f for f in funcs if f not in exported],
          "declared but not exported: %r" % [f for f in funcs if f not in exported])
    print("%d functions documented and exported" % len(funcs))


main(scenario)
