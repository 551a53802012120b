"""Session takeover (issue 11, hole 10).  Any key holder can read a victim's
_sid in the output file.  Before the session secret, HELLO named the public
id, so an attacker could claim the victim's session with seq 2^62, write a
line under its _sid and make the daemon skip every record the victim sent
afterwards (16,477 of 20,000 lost).  Now HELLO carries a secret and the
daemon derives the public id from it: presenting the victim's _sid (as a
secret, or in the old "sid" member) reaches some other session, and the
victim loses nothing."""
import json
import os
import subprocess

from lctest import (ERROR, Daemon, authed, check, derive_sid, driver, hello, main,
                    parse_control, read_until_ack, recv_frame, send_frame, spawn, wait_for)

N = 20000


def victim_lines(d):
    """The victim's whole lines so far (the file is being written)."""
    with open(d.output, "rb") as f:
        whole = f.read().rpartition(b"\n")[0]
    return [l for l in map(json.loads, whole.splitlines()) if l.get("_app") == "victim"]


def scenario():
    d = Daemon()
    victim = spawn([driver("lc_stream"), "--count", str(N), "--rate", "20000", "--app", "victim",
                    "--flush"], env=d.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   text=True)
    wait_for(lambda: os.path.exists(d.output) and len(victim_lines(d)) > 100, 30,
             "the victim's stream to be under way")
    vsid = victim_lines(d)[0]["_sid"]

    # 1. the public id used as a secret: another session, far from the victim's
    a = authed(d)
    w = hello(a, secret=vsid, seq=1 << 62, app="attacker")
    check(w["sid"] != vsid and w["sid"] == derive_sid(vsid), "WELCOME sid %r" % w["sid"])
    check(w["written"] == 0, "the attacker sees the victim's progress: %r" % w)
    send_frame(a, b'{"msg":"forged"}')
    read_until_ack(a, 1 << 62)
    a.close()

    # 2. the old form, HELLO naming the public id: refused, connection closed
    b = authed(d)
    send_frame(b, b"\x01" + json.dumps({"v": 1, "sid": vsid, "seq": 1 << 62}).encode())
    t, f = parse_control(recv_frame(b))
    check(t == ERROR and f["code"] == 101 and "secret" in f["text"], "old HELLO: %r" % (f,))
    b.settimeout(5)
    check(b.recv(1) == b"", "connection with the old HELLO not closed")
    b.close()

    out, err = victim.communicate(timeout=120)
    check(victim.returncode == 0 and out.split() == ["sent", str(N), "acked"],
          "victim: %r %r" % (out, err))
    d.stop()
    lines = d.lines()
    mine = [l for l in lines if l["_sid"] == vsid]
    seqs = [l["_seq"] for l in mine]
    check(seqs == list(range(1, N + 1)),
          "victim: %d lines, not 1..%d once each (lost %d)" % (len(seqs), N, N - len(set(seqs))))
    check(all(l["_app"] == "victim" for l in mine), "a line under the victim's _sid is not its own")
    forged = [l for l in lines if l.get("msg") == "forged"]
    check(len(forged) == 1 and forged[0]["_sid"] == derive_sid(vsid) and
          forged[0]["_seq"] == 1 << 62, "forged line: %r" % forged)
    print("victim: %d of %d written once; forged line under %s" % (len(seqs), N, forged[0]["_sid"]))


main(scenario)
