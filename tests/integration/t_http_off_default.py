"""Without --http the daemon serves no HTTP: the port file has no
"http_port" and the process listens on exactly one TCP socket (the
record port)."""
import os

from lctest import Daemon, check, main


def listening_inodes():
    """Inodes of the sockets in state LISTEN (0A) on this machine."""
    out = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[3] == "0A":
                out.add(cols[9])
    return out


def scenario():
    d = Daemon()
    check("http_port" not in d.info, "port file names an http_port: %r" % d.info)
    mine = set()
    fd_dir = "/proc/%d/fd" % d.proc.pid
    for fd in os.listdir(fd_dir):
        target = os.readlink(os.path.join(fd_dir, fd))
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    listening = mine & listening_inodes()
    check(len(listening) == 1, "the daemon listens on %d sockets, expected 1" % len(listening))
    d.stop()


main(scenario)
