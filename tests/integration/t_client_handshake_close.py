"""The client says what really happened when a handshake ends early.

A daemon that refuses a key answers #FAILURE#: `logcollect status` then
says the key was refused.  A peer that sends a challenge, reads the answer
and hangs up without a verdict (an overloaded daemon closing its oldest
unauthenticated connection, a handshake timeout) is not a key mismatch,
and the message must not blame the keys."""
import os
import socket
import threading

from lctest import CLI, Daemon, check, main, recv_frame, run, send_frame


def hang_up_after_answer(sock):
    c, _ = sock.accept()
    send_frame(c, b"#CHALLENGE#{sha256}" + os.urandom(40))
    try:
        recv_frame(c, 256)
    finally:
        c.close()


def scenario():
    # a real daemon, a wrong key: refused, and said so
    d = Daemon()
    wrong = os.path.join(d.dir, "wrong.key")
    run([d.argv()[0], "--gen-key", wrong])
    cp = run([CLI, "status", "--timeout", "2000"], env=d.env(LOGCOLLECT_KEY_FILE=wrong),
             check_rc=False)
    print("wrong key:", cp.stderr.strip())
    check(cp.returncode == 1 and "refused our key" in cp.stderr, "wrong key: %r" % cp.stderr)
    d.stop()

    # a peer that hangs up after our answer, without a verdict
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    port_file = os.path.join(d.dir, "fake.port")
    with open(port_file, "w") as f:
        f.write('{"host":"127.0.0.1","port":%d,"pid":%d,"proto":1}\n' %
                (sock.getsockname()[1], os.getpid()))
    t = threading.Thread(target=hang_up_after_answer, args=(sock,), daemon=True)
    t.start()
    cp = run([CLI, "status", "--timeout", "2000"], env=d.env(LOGCOLLECT_PORT_FILE=port_file),
             check_rc=False)
    t.join(10)
    print("hang-up:", cp.stderr.strip())
    check(cp.returncode == 1, "status succeeded against a peer that hung up")
    check("different keys" not in cp.stderr, "a hang-up blamed on the keys: %r" % cp.stderr)
    check("without answering our proof" in cp.stderr and "--max-handshakes" in cp.stderr,
          "the message does not say what happened: %r" % cp.stderr)


main(scenario)
