"""The client's challenge to the daemon (docs/protocol.md §3.1): its
payload after "#CHALLENGE#" may be 21 to 245 bytes starting with
"{sha256}", "{sha384}", "{sha3_256}" or "{sha3_384}", and the daemon
answers "{name}" + HMAC-name(key, the whole payload); exactly 20 bytes is
Python 3.11's legacy form, refused without --allow-legacy-md5; shorter
payloads, an unknown digest, "{md5}", or a message over 256 bytes close
the connection without an answer."""
import hashlib
import hmac
import os

from lctest import Daemon, check, connect, main, recv_frame, send_frame


def after_first_half(d):
    """A connection where the daemon's challenge is answered; returns it."""
    s = connect(d)
    s.settimeout(5)
    chal = recv_frame(s, 256)[len(b"#CHALLENGE#"):]
    send_frame(s, b"{sha256}" + hmac.new(d.key, chal, "sha256").digest())
    check(recv_frame(s, 256) == b"#WELCOME#", "daemon refused our answer")
    return s


def answered(d, payload):
    """The daemon's answer to our challenge, or None if it closed."""
    s = after_first_half(d)
    send_frame(s, b"#CHALLENGE#" + payload)
    try:
        return recv_frame(s, 256)
    except (EOFError, ConnectionResetError):
        return None
    finally:
        s.close()


def scenario():
    d = Daemon()
    for name, n in (("sha256", 21), ("sha256", 48), ("sha384", 48), ("sha3_256", 100),
                    ("sha3_384", 245)):
        prefix = b"{" + name.encode() + b"}"
        payload = prefix + os.urandom(n - len(prefix))
        got = answered(d, payload)
        want = prefix + hmac.new(d.key, payload, getattr(hashlib, name)).digest()
        check(got == want, "%s challenge of %d bytes: answer %r" % (name, n, got and got[:20]))
    for what, payload in (("20 bytes (legacy)", b"{sha256}" + os.urandom(12)),
                          ("19 bytes", b"{sha256}" + os.urandom(11)),
                          ("246 bytes (message over 256)", b"{sha256}" + os.urandom(238)),
                          ("unknown digest", b"{sha1}" + os.urandom(40)),
                          ("md5", b"{md5}" + os.urandom(40)),
                          ("no prefix", os.urandom(40))):
        check(answered(d, payload) is None, "a %s challenge was answered" % what)
    d.stop()


main(scenario)
