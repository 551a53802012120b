"""A request head over LCD_HTTP_MAX_HEADERS (8 KiB) -- here 4 MiB of one
header, and separately 20,000 small headers -- is refused (the connection
answered with an error or closed) long before it is all read, and the
daemon's memory does not grow by it."""
import socket

from lctest import Daemon, check, http_get, main, rss_kb


def send_head(hp, head):
    """Send head (as much as the daemon takes); returns the status line or b''."""
    s = socket.create_connection(("127.0.0.1", hp), timeout=10)
    sent = 0
    try:
        while sent < len(head):
            sent += s.send(head[sent:sent + 65536])
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        reply = s.recv(4096)
    except ConnectionResetError:
        reply = b""
    s.close()
    return reply.split(b"\r\n")[0]


def scenario():
    d = Daemon("--http", "127.0.0.1:0")
    hp = d.info["http_port"]
    rss0 = rss_kb(d.proc.pid)
    one = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (4 << 20) + b"\r\n\r\n"
    many = b"GET /metrics HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(20000)) + b"\r\n"
    long_uri = b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n"
    for head in (one, many, long_uri):
        line = send_head(hp, head)
        check(not line.startswith(b"HTTP/1.1 200"), "an oversized head was served: %r" % line)
    check(http_get(hp, "/healthz")[0] == 200, "healthz after the oversized heads")
    grew = rss_kb(d.proc.pid) - rss0
    check(grew < 8 * 1024, "RSS grew by %d KiB" % grew)
    d.stop()


main(scenario)
