"""Packaging of liblogcollect: the shared library has soname
liblogcollect.so.1 and exports only lc_ symbols (nm -D); the header compiles
as C++ and a C++ program links against the static library; and, laid out
as "make install" would (header, libraries, logcollect.pc from
client/logcollect.pc.in), the library lets a user build
client/examples/multiproc.c with its Makefile (pkg-config --cflags --libs
logcollect).  The example, a parent forking 4 workers that each log 300
records, delivers every record, each worker in its own session.  The
build-and-link part needs the plain build (a sanitizer build's library
needs the sanitizer runtime)."""
import collections
import os
import re
import shutil
import subprocess

from lctest import BUILD, ROOT, SANITIZED, Daemon, check, main, run, tmpdir


def scenario():
    so = os.path.join(BUILD, "liblogcollect.so.1")
    check(os.path.exists(so) and os.path.exists(os.path.join(BUILD, "liblogcollect.a")),
          "libraries missing in " + BUILD)
    syms = run(["nm", "-D", "--defined-only", so]).stdout.split("\n")
    names = [l.split()[-1] for l in syms if l.strip()]
    check(len(names) >= 25, "only %d exported symbols" % len(names))
    bad = [n for n in names if not n.startswith("lc_")]
    check(not bad, "symbols exported without the lc_ prefix: %r" % bad[:20])
    for fn in ("lc_open", "lc_open_opts", "lc_log", "lc_flush", "lc_close", "lc_init",
               "lc_options_set_fail_fast", "lc_get_stats"):
        check(fn in names, fn + " is not exported")
    dyn = run(["readelf", "-d", so]).stdout
    check("Library soname: [liblogcollect.so.1]" in dyn, "soname wrong:\n" + dyn)
    if SANITIZED:
        print("sanitizer build: build-and-link checks skipped")
        return

    t = tmpdir()
    # C++: the header compiles (extern "C") and links against the .a.
    cxx = shutil.which("g++") or shutil.which("clang++")
    if cxx:
        src = os.path.join(t, "cxx.cc")
        with open(src, "w") as f:
            f.write('#include "logcollect.h"\n#include <cstdio>\n'
                    'int main() {\n'
                    '    lc_options *o = lc_options_new();\n'
                    '    lc_options_set_fail_fast(o, 1);\n'
                    '    lc_options_free(o);\n'
                    '    std::printf("%s %s\\n", lc_strerror(LC_EDROPPED), lc_level_name(LC_INFO));\n'
                    '    return lc_default() == nullptr ? 0 : 1;\n'
                    '}\n')
        libs = run(["pkg-config", "--libs", "jansson", "libssl", "libcrypto"]).stdout.split()
        exe = os.path.join(t, "cxx")
        run([cxx, "-std=c++11", "-Wall", "-Wextra", "-pedantic", "-Werror",
             "-I" + os.path.join(ROOT, "client"), "-o", exe, src,
             os.path.join(BUILD, "liblogcollect.a")] + libs + ["-lpthread"])
        out = run([exe]).stdout
        check(out.startswith("the queue is full") and out.strip().endswith("info"), "C++ program said %r" % out)

    # An installed layout, and the example built with pkg-config.
    prefix = os.path.join(t, "prefix")
    inc, lib = os.path.join(prefix, "include"), os.path.join(prefix, "lib")
    pc_dir = os.path.join(lib, "pkgconfig")
    os.makedirs(inc)
    os.makedirs(pc_dir)
    shutil.copy(os.path.join(ROOT, "client", "logcollect.h"), inc)
    real = os.path.realpath(so)
    shutil.copy(real, lib)
    os.symlink(os.path.basename(real), os.path.join(lib, "liblogcollect.so.1"))
    os.symlink("liblogcollect.so.1", os.path.join(lib, "liblogcollect.so"))
    header = open(os.path.join(ROOT, "client", "logcollect.h")).read()
    version = ".".join(re.search(r"#define LC_VERSION_%s (\d+)" % part, header).group(1)
                       for part in ("MAJOR", "MINOR", "PATCH"))
    pc = open(os.path.join(ROOT, "client", "logcollect.pc.in")).read()
    pc = pc.replace("@PREFIX@", prefix).replace("@LIBDIR@", lib).replace("@VERSION@", version)
    check("@" not in pc, "unfilled placeholder in logcollect.pc.in")
    with open(os.path.join(pc_dir, "logcollect.pc"), "w") as f:
        f.write(pc)
    env = dict(os.environ, PKG_CONFIG_PATH=pc_dir)
    check(run(["pkg-config", "--modversion", "logcollect"], env=env).stdout.strip() == version,
          "pkg-config --modversion")
    ex = os.path.join(t, "examples")
    shutil.copytree(os.path.join(ROOT, "client", "examples"), ex)
    for junk in ("multiproc",):
        if os.path.exists(os.path.join(ex, junk)):
            os.unlink(os.path.join(ex, junk))
    run(["make", "-C", ex, "CFLAGS=-O2 -Wall -Wextra -Werror"], env=env)

    d = Daemon()
    renv = d.env(LD_LIBRARY_PATH=lib)
    cp = run([os.path.join(ex, "multiproc"), "4", "300"], env=renv, timeout=60)
    check("4 workers x 300 records delivered" in cp.stdout, "example said %r %r" % (cp.stdout, cp.stderr))
    lines = d.lines()
    check(len(lines) == 4 * 300 + 2, "%d lines" % len(lines))
    by_sid = collections.defaultdict(list)
    for l in lines:
        by_sid[l["_sid"]].append(l)
    check(len(by_sid) == 5, "%d sessions, expected 5 (parent + 4 workers)" % len(by_sid))
    workers = [ls for ls in by_sid.values() if ls[0]["msg"] == "item done"]
    check(len(workers) == 4, "worker sessions: %d" % len(workers))
    for ls in workers:
        check([int(l["item"]) for l in ls] == list(range(1, 301)) and len({l["worker"] for l in ls}) == 1
              and len({l["_pid"] for l in ls}) == 1, "a worker's records are wrong")
    d.stop()


main(scenario)
