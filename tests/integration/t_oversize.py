"""A record longer than --max-record is never buffered: the daemon discards
its bytes as they arrive, sends an ERROR naming it, and the stream stays in
sync, so the next record is accepted.  The daemon's memory does not grow by
the size of the refused record."""
import time

from lctest import (SANITIZED, Daemon, authed, check, hello, main, read_until_ack, rss_kb,
                    send_frame)


def scenario():
    d = Daemon("--max-record", "4K")
    s = authed(d)
    hello(s)
    send_frame(s, b'{"msg":"before"}')
    limit_exact = b'{"msg":"' + b"x" * (4096 - 11) + b'"}'
    check(len(limit_exact) == 4096 - 1, "test bug")
    send_frame(s, limit_exact + b" ")                      # exactly at the limit: accepted
    send_frame(s, b'{"msg":"' + b"y" * 4087 + b'"}')        # one byte over: refused
    rss0 = rss_kb(d.proc.pid)
    big = 64 << 20                                          # 64 MiB frame, streamed
    s.sendall(big.to_bytes(4, "big"))
    chunk = b"z" * (1 << 20)
    for _ in range(64):
        s.sendall(chunk)
    rss1 = rss_kb(d.proc.pid)
    send_frame(s, b'{"msg":"after"}')
    errors = read_until_ack(s, 5)
    check([e["seq"] for e in errors] == [3, 4], "errors for %r" % errors)
    check(all(e["code"] == 6 for e in errors), "code is not TOO_LARGE: %r" % errors)
    check("4097 bytes" in errors[0]["text"] and "67108864" in errors[1]["text"],
          "error texts do not name the sizes: %r" % errors)
    lines = d.wait_lines(3)
    check([l["_seq"] for l in lines] == [1, 2, 5], "seqs %r" % [l["_seq"] for l in lines])
    check(lines[2]["msg"] == "after", "stream out of sync after the oversize frame")
    # (ASan's quarantine keeps freed memory resident: no RSS check there.)
    check(SANITIZED or rss1 - rss0 < 16 * 1024, "RSS grew by %d KiB while discarding 64 MiB" % (rss1 - rss0))
    s.close()
    d.stop()


main(scenario)
