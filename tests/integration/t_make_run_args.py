"""`make run ARGS='...'` passes the options to the daemon it starts (a
Python 3.11 user needs --allow-legacy-md5).  Read from `make -n run`,
the commands make would run: nothing is started."""
import os

from lctest import check, main, run


def scenario():
    env = dict(os.environ, MAKEFLAGS="")
    cp = run(["make", "-n", "run", "ARGS=--allow-legacy-md5 --fsync batch"], env=env)
    text = cp.stdout.replace("\\\n", " ")   # make -n keeps the recipe's continued lines
    starts = [l for l in text.splitlines() if "logcollectord --port-file var/port" in l]
    check(len(starts) == 1, "make -n run does not start the daemon once:\n" + cp.stdout[-2000:])
    check(starts[0].rstrip().endswith("--allow-legacy-md5 --fsync batch"),
          "ARGS not passed to the daemon: " + starts[0])
    check("--port-file var/port" in starts[0] and "--output var/collected.jsonl" in starts[0],
          "the usual options are gone: " + starts[0])


main(scenario)
