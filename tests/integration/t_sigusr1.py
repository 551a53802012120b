"""SIGUSR1 prints the counters on one line of stderr: connections, failed
handshakes, records accepted and rejected by reason, bytes written, write
errors, queue sizes, uptime."""
import re
import signal

from lctest import CLI, Daemon, check, connect, main, recv_frame, run, send_frame, wait_for, authed, hello, read_until_ack


def scenario():
    d = Daemon()
    for i in range(3):
        run([CLI, "send", "n%d" % i], env=d.env())
    s = authed(d)
    hello(s)
    send_frame(s, b'{"_x":1}')
    send_frame(s, b'{"bad json')
    read_until_ack(s, 2)
    bad = connect(d)
    recv_frame(bad, 256)
    send_frame(bad, b"{sha256}" + b"0" * 32)
    recv_frame(bad, 256)
    bad.close()
    d.send_signal(signal.SIGUSR1)
    line = wait_for(lambda: next((l for l in d.stderr().splitlines() if "counters:" in l), None),
                    5, "counters line")
    f = dict(re.findall(r"(\S+)=(\S+)", line))
    check(f.get("records.accepted") == "3", "accepted %r in %r" % (f.get("records.accepted"), line))
    check(f.get("records.rejected.uses a reserved field name") is None, "names with spaces")
    check(f.get("records.rejected.reserved") == "1" and f.get("records.rejected.invalid_json") == "1",
          "rejected counters wrong: %r" % line)
    check(f.get("handshakes_failed") == "1", "handshakes_failed %r" % f.get("handshakes_failed"))
    check(f.get("connections.current") == "1" and int(f.get("connections.total", 0)) == 5,
          "connections wrong: %r" % line)
    check(int(f.get("bytes_written", 0)) > 0 and f.get("write_errors") == "0", "bytes/errors: %r" % line)
    check("output_pending" in f and "uptime_s" in f, "missing fields: %r" % line)
    s.close()
    d.stop()


main(scenario)
