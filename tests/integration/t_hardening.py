"""Hardening of the built binaries, as distributions build them: for
logcollectord, logcollect and liblogcollect.so, full RELRO (a GNU_RELRO
segment and BIND_NOW), a non-executable stack, the stack protector
(__stack_chk_fail referenced), and for the plain build _FORTIFY_SOURCE
(some __*_chk function referenced; the sanitizer build leaves FORTIFY out,
ASan checks those calls itself).  The two programs are PIE: ELF type DYN
with a program interpreter; the library is DYN without one.  The
library's dynamic symbol table exports lc_* only (the version script),
lc_version and lc_version_string among them."""
import shutil

from lctest import BUILD, SANITIZED, Skip, check, main, run


def readelf(*args):
    return run(["readelf", "-W"] + list(args)).stdout


def dynsyms(path, defined=False):
    out = run(["nm", "-D"] + (["--defined-only"] if defined else []) + [path]).stdout
    return [l.split()[-1].split("@")[0] for l in out.splitlines() if l.strip()]


def check_binary(path, executable):
    header = readelf("-h", path)
    check("Type:                              DYN" in header,
          "%s is not ELF type DYN (not PIE / not a shared object):\n%s" % (path, header))
    segments = readelf("-l", path)
    check(("INTERP" in segments) == executable,
          "%s: program interpreter %s" % (path, "missing (not a PIE executable)" if executable
                                          else "present in a library"))
    check("GNU_RELRO" in segments, "%s has no GNU_RELRO segment (-z relro)" % path)
    stack = [l for l in segments.splitlines() if "GNU_STACK" in l]
    check(stack and " RWE " not in stack[0] and " RW " in stack[0],
          "%s: the stack is executable or unmarked: %r" % (path, stack))
    dynamic = readelf("-d", path)
    check("BIND_NOW" in dynamic or "Flags: NOW" in dynamic,
          "%s is not linked -z now (no BIND_NOW):\n%s" % (path, dynamic))
    if executable:
        check("PIE" in dynamic, "%s: FLAGS_1 lacks PIE:\n%s" % (path, dynamic))
    syms = dynsyms(path)
    check("__stack_chk_fail" in syms, "%s does not reference __stack_chk_fail "
          "(built without -fstack-protector-strong?)" % path)
    chk = sorted(s for s in syms if s.startswith("__") and s.endswith("_chk")
                 and s != "__stack_chk_fail")
    if SANITIZED:
        print("%s: ok (sanitizer build: FORTIFY not expected; %d _chk)" % (path, len(chk)))
    else:
        check(chk, "%s references no __*_chk function (built without _FORTIFY_SOURCE?)" % path)
        print("%s: ok (%s)" % (path, " ".join(chk)))


def scenario():
    if not shutil.which("readelf") or not shutil.which("nm"):
        raise Skip("readelf or nm (binutils) is not installed")
    check_binary(BUILD + "/logcollectord", True)
    check_binary(BUILD + "/logcollect", True)
    lib = BUILD + "/liblogcollect.so"
    check_binary(lib, False)
    exported = dynsyms(lib, defined=True)
    bad = [s for s in exported if not s.startswith("lc_")]
    check(not bad, "liblogcollect.so exports more than lc_*: %r" % bad[:20])
    for s in ("lc_version", "lc_version_string", "lc_open", "lc_query_status"):
        check(s in exported, s + " is not exported")


main(scenario)
