"""One version, everywhere: the LC_VERSION_MAJOR/MINOR/PATCH macros of
client/logcollect.h are the only place it is written.  A program built
against the build tree (build/logcollect-uninstalled.pc) sees
LC_VERSION_NUMBER == MAJOR*10000 + MINOR*100 + PATCH, LC_VERSION ==
"MAJOR.MINOR.PATCH", and the library it runs with says the same through
lc_version() and lc_version_string(); pkg-config --modversion,
`logcollect --version` and `logcollectord --version` print that string,
and the man pages quote it."""
import glob
import os
import re
import shutil

from lctest import BUILD, CLI, DAEMON, ROOT, SANITIZED, Skip, check, main, run, tmpdir

PROGRAM = r'''
#include <stdio.h>
#include <string.h>
#include <logcollect.h>
int main(void)
{
    printf("%d %d %d %d %s %d %s\n", LC_VERSION_MAJOR, LC_VERSION_MINOR, LC_VERSION_PATCH,
           LC_VERSION_NUMBER, LC_VERSION, lc_version(), lc_version_string());
    return 0;
}
'''


def scenario():
    header = open(os.path.join(ROOT, "client", "logcollect.h")).read()
    parts = [int(re.search(r"^#define LC_VERSION_%s (\d+)$" % p, header, re.M).group(1))
             for p in ("MAJOR", "MINOR", "PATCH")]
    text = "%d.%d.%d" % tuple(parts)
    number = parts[0] * 10000 + parts[1] * 100 + parts[2]
    check(not re.search(r'"\d+\.\d+\.\d+"', header), "a version string literal in the header")
    check(not re.search(r"^VERSION\s*:?=\s*\d", open(os.path.join(ROOT, "Makefile")).read(), re.M),
          "the Makefile writes the version itself")

    # The man pages' headers (and their --version examples) quote the
    # release: they must follow the header's macros.
    for page in glob.glob(os.path.join(ROOT, "docs", "*.[138]")):
        quoted = re.findall(r"logcollect(?:ord)? (\d+\.\d+\.\d+)", open(page).read())
        check(quoted and all(v == text for v in quoted),
              "%s quotes version(s) %r, the header says %s" % (page, quoted, text))

    env = dict(os.environ, PKG_CONFIG_PATH=BUILD)
    if not shutil.which("pkg-config"):
        raise Skip("pkg-config is not installed")
    check(run(["pkg-config", "--modversion", "logcollect"], env=env).stdout.strip() == text,
          "pkg-config --modversion (build/logcollect-uninstalled.pc) is not " + text)
    check(run([CLI, "--version"]).stdout.strip() == "logcollect " + text, "logcollect --version")
    check(run([DAEMON, "--version"]).stdout.startswith("logcollectord %s " % text),
          "logcollectord --version")

    t = tmpdir()
    src, exe = os.path.join(t, "v.c"), os.path.join(t, "v")
    with open(src, "w") as f:
        f.write(PROGRAM)
    flags = run(["pkg-config", "--cflags", "--libs", "logcollect"], env=env).stdout.split()
    cc = ["clang", "-fsanitize=address,undefined"] if SANITIZED else ["cc"]
    run(cc + ["-std=c11", "-Wall", "-Werror", "-o", exe, src] + flags)
    got = run([exe]).stdout.split()
    want = [str(p) for p in parts] + [str(number), text, str(number), text]
    check(got == want, "version program printed %r, expected %r" % (got, want))


main(scenario)
