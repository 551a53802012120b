"""The library's contract, call by call (tests/drivers/lc_api.c): options
refused with LC_EINVAL and a message (TLS ones too: fingerprints in their
accepted spellings and malformed ones, a key without a certificate; a CA
file that does not load fails lc_open_opts with LC_ETLS); bad log calls refused synchronously
(NULL client, bad level, reserved or repeated field names, JSON that is not
an object or uses '_' names, a record larger than the queue); lc_open
works with the collector down; a record queued before the collector's
WELCOME but over its --max-record is refused by the collector and lc_flush
reports it once as LC_EREJECTED; once WELCOME is known, such a record is
LC_ETOOBIG at once; lc_get_stats copies only the size asked for; the
process-wide client (lc_init twice, LC_LOG_* without one, lc_shutdown)."""
import subprocess

from lctest import Daemon, check, driver, main, spawn


def scenario():
    d = Daemon("--max-record", "1024", start=False)
    p = spawn([driver("lc_api")], env=d.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
              stderr=subprocess.PIPE, text=True)
    got = []
    while True:
        line = p.stdout.readline()
        check(line, "driver stopped early: %r" % got)
        if line.strip() == "ready":
            break
        got.append(line)
    d.start()
    out, err = p.communicate("go\n", timeout=60)
    out = "".join(got) + out
    fails = [l for l in out.splitlines() if l.startswith("FAIL")]
    check(not fails and p.returncode == 0 and "all ok" in out, "\n".join(fails) or out + err)
    lines = d.lines()
    check([l["msg"] for l in lines] == ["small 1", "via the default client 42"],
          "written: %r" % [l.get("msg") for l in lines])
    check(lines[0]["_seq"] == 2 and lines[0]["level"] == "notice", "first line %r" % lines[0])
    d.stop()


main(scenario)
