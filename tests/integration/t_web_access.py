"""logcollect web lets in only whoever has the token it printed: without
it, with a wrong one (same length) or a wrong cookie, every path is 403;
with it, a 303 to the same path without the token sets an HttpOnly,
SameSite=Strict cookie named for the port, which then opens every path.
Every answer, 403 included, carries the Content-Security-Policy (no inline
script, nothing from elsewhere), nosniff and no-referrer.  A listen address
that is not loopback is refused without --allow-remote."""
import os

from lctest import CLI, check, main, run, tmpdir
from webtest import Web, write_lines

PATHS = ["/", "/app.js", "/app.css", "/events", "/history?n=5", "/stats", "/nothing"]
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:")


def headers_ok(h, what):
    csp = h.get("content-security-policy", [""])[0]
    check(csp.startswith(CSP) and "unsafe" not in csp, "%s: CSP %r" % (what, csp))
    check(h.get("x-content-type-options") == ["nosniff"], "%s: no nosniff" % what)
    check(h.get("referrer-policy") == ["no-referrer"], "%s: no Referrer-Policy" % what)


def scenario():
    d = tmpdir()
    path = os.path.join(d, "out.jsonl")
    write_lines(path, [{"msg": "hello %d" % i, "level": "info"} for i in range(10)], "w")
    w = Web(path)
    check(len(w.token) == 32 and int(w.token, 16) >= 0, "token %r is not 128 bits in hex" % w.token)
    wrong = ("0" if w.token[0] != "0" else "1") + w.token[1:]
    for p in PATHS:
        for cookie in (False, "lcweb_%d=%s" % (w.port, wrong), "lcweb_1=%s" % w.token,
                       "lcweb_%d=%s" % (w.port, w.token[:-1])):
            status, h, body = w.request(p, cookie=cookie)
            check(status == 403, "%s with cookie %r: %d" % (p, cookie, status))
            headers_ok(h, "403 of " + p)
            check(w.token.encode() not in body, "the 403 shows the token")
        sep = "&" if "?" in p else "?"
        status, h, _ = w.request(p + sep + "token=" + wrong, cookie=False)
        check(status == 403 and "set-cookie" not in h, "%s with a wrong token: %d" % (p, status))

    status, h, _ = w.request("/?token=" + w.token, cookie=False)
    check(status == 303 and h["location"] == ["/"], "token: %d %r" % (status, h.get("location")))
    headers_ok(h, "303")
    sc = h["set-cookie"][0]
    attrs = [a.strip() for a in sc.split(";")]
    check(attrs[0] == w.cookie, "cookie %r" % sc)
    check("HttpOnly" in attrs and "SameSite=Strict" in attrs and "Path=/" in attrs,
          "cookie flags: %r" % sc)

    status, h, body = w.request("/")
    check(status == 200 and b'<script src="/app.js"' in body, "page: %d" % status)
    check(b"<script>" not in body and b"style=" not in body, "inline script or style in the page")
    headers_ok(h, "page")
    check(h["content-type"][0].startswith("text/html"), "page type %r" % h["content-type"])
    status, h, body = w.request("/app.js")
    check(status == 200 and h["content-type"][0].startswith("text/javascript"), "app.js")
    check(b"innerHTML" not in body, "app.js uses innerHTML")
    status, h, _ = w.request("/app.css")
    check(status == 200 and h["content-type"][0].startswith("text/css"), "app.css")
    check(w.request("/nothing")[0] == 404, "unknown path")
    check(w.request("/", method="POST")[0] >= 400, "POST accepted")
    status, _, body = w.request("/history?level=loud")
    check(status == 400 and b"unknown level 'loud'" in body, "bad filter: %d %r" % (status, body))
    w.stop()

    cp = run([CLI, "web", "--listen", "0.0.0.0:0", path], check_rc=False, timeout=10)
    check(cp.returncode == 2 and "--allow-remote" in cp.stderr, "non-loopback: %r" % cp.stderr)


main(scenario)
