"""The Makefile adds the user's CFLAGS, CPPFLAGS and LDFLAGS to its own
instead of replacing them: `make CFLAGS=-O0` still compiles with -std=c11,
the warnings and the hardening flags (and drops _FORTIFY_SOURCE, which
needs optimisation and would only warn); LDFLAGS keeps -z relro -z now
and -pie.  Warnings are errors in `make tests` (and check) but not in a
plain `make`, so a newer compiler's new warning does not break a user's
build; WERROR=0/1 decides either way.  Read from `make -n` (the commands
make would run), so nothing is built."""
import os
import re

from lctest import ROOT, check, main, run, tmpdir

HARDEN = ("-fstack-protector-strong", "-fstack-clash-protection", "-fcf-protection")


def commands(*args):
    out = tmpdir()
    cp = run(["make", "-n", "-B", "V=1", "BUILD=" + out] + list(args) +
             [out + "/obj/proto/frame.o", out + "/logcollectord"], env=dict(os.environ, MAKEFLAGS=""))
    lines = cp.stdout.splitlines()
    cc = [l for l in lines if "-c proto/frame.c" in l]
    ld = [l for l in lines if "-o " + out + "/logcollectord" in l]
    check(cc and ld, "make -n printed no compile or link line:\n" + cp.stdout[-3000:])
    return cc[0].split(), ld[0].split()


def last_opt(words):
    opts = [w for w in words if re.fullmatch(r"-O.?", w)]
    return opts[-1] if opts else None


def scenario():
    cc, ld = commands("CFLAGS=-O0 -g3", "CPPFLAGS=-DUSER_DEFINE=1", "LDFLAGS=-Wl,--as-needed")
    for flag in ("-std=c11", "-Wall", "-Wextra", "-D_GNU_SOURCE", "-DUSER_DEFINE=1", "-g3",
                 "-fPIC") + HARDEN:
        check(flag in cc, "make CFLAGS=-O0 CPPFLAGS=...: %s missing from %s" % (flag, " ".join(cc)))
    check(last_opt(cc) == "-O0", "the user's -O0 does not win: " + " ".join(cc))
    check(not any(w.startswith("-D_FORTIFY_SOURCE") for w in cc),
          "_FORTIFY_SOURCE at -O0 (it needs optimisation): " + " ".join(cc))
    check("-Werror" not in cc, "a plain make treats warnings as errors: " + " ".join(cc))
    for flag in ("-Wl,--as-needed", "-Wl,-z,relro,-z,now", "-pie"):
        check(flag in ld, "make LDFLAGS=...: %s missing from %s" % (flag, " ".join(ld)))

    cc, _ = commands()
    check(last_opt(cc) == "-O2" and "-D_FORTIFY_SOURCE=3" in cc and "-Werror" not in cc,
          "plain make: expected -O2, -D_FORTIFY_SOURCE=3 and no -Werror: " + " ".join(cc))
    cc, _ = commands("SAN=1")
    check(not any(w.startswith("-D_FORTIFY_SOURCE") for w in cc) and
          "-fsanitize=address,undefined" in cc and all(f in cc for f in HARDEN),
          "SAN=1: sanitizers and hardening, no FORTIFY expected: " + " ".join(cc))
    cc, _ = commands("WERROR=1")
    check("-Werror" in cc, "WERROR=1 without -Werror: " + " ".join(cc))

    # `make tests` turns -Werror on for everything it builds.
    out = tmpdir()
    cp = run(["make", "-n", "-B", "V=1", "BUILD=" + out, "tests"], env=dict(os.environ, MAKEFLAGS=""))
    cc = [l for l in cp.stdout.splitlines() if "-c proto/frame.c" in l]
    check(cc and "-Werror" in cc[0].split(), "make tests compiles without -Werror:\n%s" % cc[:1])
    cp = run(["make", "-n", "-B", "V=1", "BUILD=" + out, "WERROR=0", "tests"],
             env=dict(os.environ, MAKEFLAGS=""))
    cc = [l for l in cp.stdout.splitlines() if "-c proto/frame.c" in l]
    check(cc and "-Werror" not in cc[0].split(), "make WERROR=0 tests still has -Werror")


main(scenario)
