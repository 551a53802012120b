"""logcollect web in a real headless Chromium (Selenium): the page is
refused without the token and loads with it; a record sent with
`logcollect send` appears within 1 s; each filter (level, app, pid, field,
msg regex, time range) narrows the rows to exactly the expected ones; a
hostile record (<script>, <img onerror>, javascript: URLs, ANSI escapes in
msg, fields and names) shows as text and runs nothing (a flag its payload
would set stays unset; the console has no error); pause holds new rows
and resume shows them; the stream goes on across a rotation; the chart
shows the error spike this test makes.  A screenshot is saved to
BUILD/test-artifacts/web.png.

Selenium is installed for Debian's /usr/bin/python3 only: the scenario
re-runs itself there when its own python has no selenium."""
# LCTEST: timeout=120
import os
import shutil
import signal
import subprocess
import sys
import time

try:
    import selenium  # noqa: F401
except ImportError:
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3" and \
            subprocess.call(["/usr/bin/python3", "-c", "import selenium"],
                            stderr=subprocess.DEVNULL) == 0:
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)

from lctest import BUILD, CLI, Daemon, Skip, check, main, run, wait_for  # noqa: E402
from webtest import Web  # noqa: E402

EVIL_MSG = ("<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">"
            "<a href=\"javascript:window.pwned=3\">x</a> \x1b[31mred\x1b]0;title\x07")
EVIL_FIELDS = ["html=<img src=x onerror=window.pwned=4>", "url=javascript:window.pwned=5",
               "<svg onload=window.pwned=6>=v"]


def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise Skip("python3-selenium is not installed (make check installs it)")
    for exe in ("/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(exe):
            raise Skip("%s is not installed (make check installs chromium, chromium-driver)" % exe)
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1400,900"):
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)


def scenario():
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    d = Daemon()

    def send(msg, level="info", app="a", *fields):
        run([CLI, "send", "--level", level, "--app", app, msg] + list(fields), env=d.env())
    send("old one", "info", "alpha", "k=1")
    send("old two", "error", "beta", "k=2")
    w = Web(d.output, dir=d.dir)
    b = browser()
    try:
        base = "http://%s:%d" % (w.host, w.port)
        b.get(base + "/")
        check("403 Forbidden" in b.page_source, "without the token: %r" % b.page_source[:200])
        time.sleep(0.3)          # (its favicon request, refused too)
        b.get_log("browser")     # those two 403s were expected; clear them
        b.get(w.url)
        check(b.current_url == base + "/", "the token stays in the URL: " + b.current_url)

        def msgs():
            return [e.text for e in b.find_elements(By.CSS_SELECTOR, "#rows tr.row td.msg")]
        wait_for(lambda: msgs() == ["old one", "old two"], 10, "the history rows")

        send("live one", "warning", "gamma", "k=3")
        t0 = time.monotonic()
        wait_for(lambda: "live one" in msgs(), 1.0, "the live row within 1 s")
        print("live row after %.3f s" % (time.monotonic() - t0))

        send(EVIL_MSG, "notice", "evil\x1b[2J", *EVIL_FIELDS)
        wait_for(lambda: any("<script>" in m for m in msgs()), 2, "the hostile row")
        row = [e for e in b.find_elements(By.CSS_SELECTOR, "#rows tr.row") if "<script>" in e.text][0]
        check("\\x1b[31mred" in row.text and "\x1b" not in row.text, "ANSI shown as %r" % row.text)
        check("onerror=window.pwned=4" in row.text and "javascript:window.pwned=5" in row.text,
              "fields: %r" % row.text)
        check(len(b.find_elements(By.CSS_SELECTOR, "#rows img, #rows a, #rows svg, #rows script")) == 0,
              "the record made elements")
        row.click()
        detail = b.find_element(By.ID, "detail").text
        check("<script>window.pwned=1</script>" in detail and "\\u001b[31m" in detail, "detail %r" % detail)

        # filters: each narrows the rows to exactly the expected ones
        pid = str(d.lines()[2]["_pid"])

        def apply(**f):
            for name in ("app", "pid", "field", "grep", "since", "until"):
                e = b.find_element(By.NAME, name)
                e.clear()
                if f.get(name):
                    e.send_keys(f[name])
            Select(b.find_element(By.NAME, "level")).select_by_value(f.get("level", ""))
            b.find_element(By.ID, "apply").click()
            time.sleep(0.3)
        cases = [({"level": "warning"}, ["old two", "live one"]),
                 ({"app": "alpha"}, ["old one"]),
                 ({"pid": pid}, ["live one"]),
                 ({"field": "k=2"}, ["old two"]),
                 ({"grep": "^(old|live) (one|two)$", "level": "error"}, ["old two"]),
                 ({"since": "2000-01-01 00:00", "until": "2000-01-02 00:00"}, []),
                 ({"since": "1h"}, ["old one", "old two", "live one", EVIL_MSG[:10]])]
        for f, want in cases:
            apply(**f)
            if want and want[-1] == EVIL_MSG[:10]:
                want = want[:-1]
                wait_for(lambda: msgs()[:3] == want and len(msgs()) == 4, 5, "filter %r" % f)
            else:
                wait_for(lambda: msgs() == want, 5, "filter %r gives %r (has %r)" % (f, want, msgs()))
        apply(level="warning")
        wait_for(lambda: msgs() == ["old two", "live one"], 5, "level=warning again")
        send("filtered out", "info", "a")
        send("error live", "error", "a")
        wait_for(lambda: msgs()[-1:] == ["error live"], 2, "a live row through the filter")
        check("filtered out" not in msgs(), "the live filter let an info row through")
        apply()

        # pause holds rows, resume shows them
        wait_for(lambda: "error live" in msgs(), 5, "all rows")
        b.find_element(By.ID, "pause").click()
        send("while paused", "info", "a")
        time.sleep(0.5)
        check("while paused" not in msgs(), "a row appeared while paused")
        b.find_element(By.ID, "pause").click()
        wait_for(lambda: msgs()[-1:] == ["while paused"], 2, "the held row after resume")

        # an error spike in the chart
        run([CLI, "pipe", "--level", "error", "--app", "spike"], env=d.env(),
            input="".join("spike %d\n" % i for i in range(40)))
        wait_for(lambda: msgs().count("spike 39") == 1, 5, "the spike rows")

        def spike():
            return max([int(r.get_attribute("data-n"))
                        for r in b.find_elements(By.CSS_SELECTOR, "#chart rect.err")] or [0])
        wait_for(lambda: spike() >= 40, 5, "the chart's error spike (max %d)" % spike())

        # rotation while viewing
        os.rename(d.output, d.output + ".1")
        d.send_signal(signal.SIGHUP)
        send("after rotation", "info", "a")
        wait_for(lambda: "after rotation" in msgs(), 3, "a row after the rotation")
        notes = [e.text for e in b.find_elements(By.CSS_SELECTOR, "#rows tr.note")]
        check(any("following the new file" in n for n in notes), "no rotation note: %r" % notes)

        check(b.execute_script("return typeof window.pwned") == "undefined", "a payload ran")
        logs = b.get_log("browser")
        bad = [l for l in logs if l["level"] in ("SEVERE", "WARNING")]
        check(not bad, "browser console: %r" % bad)
        art = os.path.join(BUILD, "test-artifacts")
        os.makedirs(art, exist_ok=True)
        b.save_screenshot(os.path.join(art, "web.png"))
    finally:
        b.quit()
    w.stop()
    d.stop()


main(scenario)
