"""webtest - helpers for the `logcollect web` scenarios (t_web_*.py): start
it on a file, read the URL it prints, make requests with urllib (no
automatic redirects, so the 303 and its cookie can be checked), and read
its Server-Sent Events."""
import http.client
import json
import os
import subprocess
import urllib.parse

from lctest import CLI, check, spawn, wait_for


class Web:
    """A `logcollect web FILE` process and the URL it printed."""

    def __init__(self, path, *args, env=None, dir=None):
        self.err_path = os.path.join(dir or os.path.dirname(path), "web.err")
        self.err = open(self.err_path, "w")
        self.proc = spawn([CLI, "web"] + list(args) + [path], stdout=subprocess.PIPE,
                          stderr=self.err, text=True, env=env)
        self.url = self.proc.stdout.readline().strip()
        check(self.url.startswith("http://"), "no URL printed: %r, stderr %r" %
              (self.url, open(self.err_path).read()))
        u = urllib.parse.urlsplit(self.url)
        self.host, self.port = u.hostname, u.port
        self.token = urllib.parse.parse_qs(u.query)["token"][0]
        self.cookie = "lcweb_%d=%s" % (self.port, self.token)

    def request(self, path, cookie=True, method="GET", headers=None, timeout=10):
        """(status, headers as a dict of lists, body bytes)."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        h = dict(headers or {})
        if cookie:
            h["Cookie"] = self.cookie if cookie is True else cookie
        c.request(method, path, headers=h)
        r = c.getresponse()
        hdrs = {}
        for k, v in r.getheaders():
            hdrs.setdefault(k.lower(), []).append(v)
        body = r.read()
        c.close()
        return r.status, hdrs, body

    def json(self, path):
        status, _, body = self.request(path)
        check(status == 200, "%s: %d %r" % (path, status, body[:200]))
        return json.loads(body)

    def events(self, query="", timeout=10):
        """An open /events stream."""
        return Events(self, query, timeout)

    def stderr(self):
        return open(self.err_path).read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Events:
    """A Server-Sent Events stream, read event by event."""

    def __init__(self, web, query, timeout):
        self.conn = http.client.HTTPConnection(web.host, web.port, timeout=timeout)
        self.conn.request("GET", "/events" + ("?" + query if query else ""),
                          headers={"Cookie": web.cookie})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.headers = {k.lower(): v for k, v in self.resp.getheaders()}

    def next(self):
        """(type, data as JSON) of the next event; comments are skipped."""
        typ, data = "message", []
        while True:
            line = self.resp.fp.readline()
            check(line != b"", "the event stream ended")
            line = line.decode().rstrip("\r\n")
            if line == "":
                if data:
                    return typ, json.loads("\n".join(data))
                typ = "message"
                continue
            if line.startswith(":"):
                continue
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "event":
                typ = v
            elif k == "data":
                data.append(v)

    def until(self, typ):
        while True:
            t, d = self.next()
            if t == typ:
                return d

    def close(self):
        self.conn.close()


def write_lines(path, recs, mode="a"):
    with open(path, mode) as f:
        for r in recs:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
