"""The HTTP face answers GET and HEAD on /metrics and /healthz only: other
paths 404, other methods 405 with "Allow: GET, HEAD"; HEAD has no body."""
from lctest import Daemon, check, http_get, main


def scenario():
    d = Daemon("--http", "127.0.0.1:0")
    hp = d.info["http_port"]
    for path in ("/", "/metricsx", "/metrics/", "/../etc/passwd", "/healthz?x=1#y"):
        status, body, _ = http_get(hp, path)
        want = 200 if path.startswith("/healthz") else 404
        check(status == want, "GET %s: %d, expected %d" % (path, status, want))
    for method in ("POST", "PUT", "DELETE", "OPTIONS", "PATCH"):
        for path in ("/metrics", "/healthz"):
            status, body, hdr = http_get(hp, path, method)
            check(status == 405 and hdr.get("allow") == "GET, HEAD",
                  "%s %s: %d %r" % (method, path, status, hdr))
    status, body, hdr = http_get(hp, "/metrics", "HEAD")
    check(status == 200 and body == "", "HEAD /metrics: %d, %d bytes" % (status, len(body)))
    d.stop()


main(scenario)
