"""SIGTERM while a client streams: the daemon stops accepting, tells the
client to stop (ERROR 102), reads and writes everything already sent, sends
the last acks, removes the port file and exits 0.  Every record the client
library accepted is in the file, exactly once."""
import os
import signal
import subprocess

from lctest import Daemon, check, driver, main, spawn, wait_for


def scenario():
    d = Daemon()
    # paced: the stop must land mid-stream however fast the machine is
    p = spawn([driver("lc_stream"), "--count", "300000", "--rate", "100000", "--flush"], env=d.env(),
              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: os.path.exists(d.output) and os.path.getsize(d.output) > 200000,
             20, "the stream to be under way")
    d.stop(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    words = out.split()
    check(len(words) >= 2 and words[0] == "sent", "driver said %r / %r" % (out, err))
    sent = int(words[1])
    check(0 < sent < 300000, "the stream was not interrupted (sent %d)" % sent)
    check("acked" in words, "records sent before the stop were not all acknowledged: %r %r" % (out, err))
    lines = d.lines()
    seqs = [l["_seq"] for l in lines]
    check(seqs == list(range(1, sent + 1)),
          "sent %d, file has %d lines (first gap near %s)" %
          (sent, len(seqs), next((i for i, s in enumerate(seqs, 1) if s != i), None)))
    check(not os.path.exists(d.port_file), "port file left behind")


main(scenario)
