"""File modes: the output file is created 0640 and the port file 0644 (so
clients can read it); the daemon warns when the output file or its
directory is writable by others."""
import os
import stat

from lctest import Daemon, check, main, tmpdir


def scenario():
    old = os.umask(0)
    try:
        d = Daemon()
        check(stat.S_IMODE(os.stat(d.output).st_mode) == 0o640,
              "output mode %o" % stat.S_IMODE(os.stat(d.output).st_mode))
        check(stat.S_IMODE(os.stat(d.port_file).st_mode) == 0o644,
              "port file mode %o" % stat.S_IMODE(os.stat(d.port_file).st_mode))
        check("writable by others" not in d.stderr(), "spurious warning: " + d.stderr())
        d.stop()

        t = tmpdir()
        os.chmod(t, 0o777)                     # world-writable, not sticky
        d2 = Daemon(dir=t)
        check("directory %s of the output file is writable by others" % t in d2.stderr(),
              "no warning for a world-writable directory: " + d2.stderr())
        d2.stop()
        os.chmod(t, 0o755)
        os.chmod(d2.output, 0o646)
        d3 = Daemon(dir=t)
        check("output file %s is writable by others" % d3.output in d3.stderr(),
              "no warning for a world-writable output: " + d3.stderr())
        d3.stop()
    finally:
        os.umask(old)


main(scenario)
