"""TLS settings for the client, the same rules as liblogcollect's tls.c.

This module exists because a TLS collector must never be trusted blindly:
the port file says whether the port speaks TLS, and the client connects
only when it can check the collector's certificate, with a CA file (the
certificate must also name the address in the port file) or a pinned SHA-256
fingerprint (for a self-signed certificate: nothing else is checked), or
both.  It refuses a TLS port without such settings and a plaintext port when
they are set (no silent downgrade).  Settings come from the Client's
arguments, else from LOGCOLLECT_TLS_CA / LOGCOLLECT_TLS_FINGERPRINT and
LOGCOLLECT_TLS_CERT / LOGCOLLECT_TLS_KEY, exactly as in the C library.
"""

import hashlib
import hmac
import os
import ssl

from .errors import TLSError


_HEX = frozenset("0123456789abcdefABCDEF")


def parse_fingerprint(text):
    """A SHA-256 fingerprint "sha256:AB:CD:..." (prefix and colons optional,
    any case; also "sha256 Fingerprint=AB:..." as openssl prints it) as 32
    bytes.  Raises ValueError saying why."""
    p = text
    low = p.lower()
    if low.startswith("sha256:"):
        p = p[7:]
    elif low.startswith("sha256 fingerprint="):
        p = p[19:]
    digits = []
    colon_ok = False
    for ch in p:
        if ch == ":":
            if not colon_ok:
                raise ValueError("a ':' out of place (colons go between bytes)")
            colon_ok = False
            continue
        if ch not in _HEX:
            raise ValueError("'%s' is not a hex digit (expected sha256:AB:CD:..., 32 bytes)"
                             % (ch if ch.isprintable() else "?"))
        if len(digits) == 64:
            raise ValueError("more than 32 bytes (a SHA-256 fingerprint has 64 hex digits)")
        digits.append(ch)
        colon_ok = len(digits) % 2 == 0
    if p.endswith(":"):
        raise ValueError("a ':' out of place (colons go between bytes)")
    if len(digits) != 64:
        raise ValueError("%d hex digits where a SHA-256 fingerprint has 64 (expected "
                         "sha256:AB:CD:..., as printed by openssl x509 -noout "
                         "-fingerprint -sha256)" % len(digits))
    return bytes.fromhex("".join(digits))


def format_fingerprint(fp):
    return "sha256:" + ":".join("%02X" % b for b in fp)


def _env(name):
    v = os.environ.get(name)
    return v if v else None


def _no_passphrase():
    raise TLSError("the TLS client key is encrypted: an unencrypted PEM key is needed "
                   "(the library never asks for a passphrase)")


class TLSSettings(object):
    """The TLS context made once when the client is created (files are read
    then, so a file that does not load fails at once), and the checks made
    on each connection."""

    def __init__(self, ca=None, fingerprint=None, cert=None, key=None):
        # The CA and the fingerprint come from the arguments if either is
        # given, else from the environment; the certificate and key likewise.
        self.from_env = ca is None and fingerprint is None
        if self.from_env:
            ca, fingerprint = _env("LOGCOLLECT_TLS_CA"), _env("LOGCOLLECT_TLS_FINGERPRINT")
        self.fp = None
        if fingerprint is not None:
            try:
                self.fp = parse_fingerprint(fingerprint)
            except ValueError as e:
                raise ValueError('%s="%.100s" is not a SHA-256 fingerprint: %s' % (
                    "LOGCOLLECT_TLS_FINGERPRINT" if self.from_env else "tls_fingerprint",
                    fingerprint, e)) from None
        cert_env = cert is None
        if cert_env:
            if key is not None:
                raise ValueError("tls_key is given without tls_cert")
            cert, key = _env("LOGCOLLECT_TLS_CERT"), _env("LOGCOLLECT_TLS_KEY")
            if cert is None and key is not None:
                raise ValueError("LOGCOLLECT_TLS_KEY is set but LOGCOLLECT_TLS_CERT is "
                                 "not: set both for a TLS client certificate")
        self.ca = ca
        self.have_cert = cert is not None
        self.context = None
        if ca is None and self.fp is None and cert is None:
            return
        venv = " (from the environment)" if self.from_env else ""
        cenv = " (from the environment)" if cert_env else ""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if ca is not None:
            try:
                ctx.load_verify_locations(cafile=ca)
            except (OSError, ssl.SSLError) as e:
                raise TLSError("cannot load the TLS CA file %s%s: %s (it must hold PEM "
                               "certificates)" % (ca, venv, e)) from None
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.check_hostname = True
        if cert is not None:
            try:
                ctx.load_cert_chain(cert, key, password=_no_passphrase)
            except TLSError:
                raise
            except (OSError, ssl.SSLError) as e:
                what = "key %s" % key if key else "certificate %s" % cert
                if "KEY_VALUES_MISMATCH" in str(e) or "key values mismatch" in str(e):
                    raise TLSError("the TLS client key %s%s does not match the certificate %s"
                                   % (key or cert, cenv, cert)) from None
                raise TLSError("cannot load the TLS client %s%s: %s%s" % (
                    what, cenv, e, "" if key else " (no key file given: the key must "
                    "follow the certificate in the same file)")) from None
        self.context = ctx

    @property
    def verifies(self):
        return self.ca is not None or self.fp is not None

    def describe(self):
        env = ", from the environment" if self.from_env else ""
        if self.ca and self.fp:
            return "CA file %s and pinned fingerprint %s%s" % (
                self.ca, format_fingerprint(self.fp), env)
        if self.ca:
            return "CA file %s%s" % (self.ca, env)
        if self.fp:
            return "pinned fingerprint %s%s" % (format_fingerprint(self.fp), env)
        return "no CA file or fingerprint"

    def policy(self, pi, port_file):
        """Refuse, before connecting, a TLS port we cannot check and a
        plaintext port when TLS is configured."""
        if pi.tls and not self.verifies:
            raise TLSError(
                "the collector at %s requires TLS: set LOGCOLLECT_TLS_CA or "
                "LOGCOLLECT_TLS_FINGERPRINT (Client(tls_ca=...) or tls_fingerprint=...) so "
                "that its certificate can be checked (port file %s); nothing was sent to it"
                % (pi.peer, port_file))
        if not pi.tls and self.verifies:
            raise TLSError(
                "TLS is configured (%s) but the collector at %s does not speak TLS (port "
                "file %s has no \"tls\":true): refusing to send in plaintext (start "
                "logcollectord with --tls-cert and --tls-key, or unset the TLS settings)"
                % (self.describe(), pi.peer, port_file))

    def wrap(self, sock, host):
        """An SSLSocket for sock (not yet handshaken)."""
        name = host.split("%", 1)[0]
        return self.context.wrap_socket(sock, server_hostname=name if self.ca else None,
                                        do_handshake_on_connect=False)

    def check_peer(self, ssock, peer):
        """After the TLS handshake: the pinned fingerprint, if any."""
        if self.fp is None:
            return
        der = ssock.getpeercert(binary_form=True)
        if not der:
            raise TLSError("logcollectord at %s showed no TLS certificate to check against "
                           "the pinned fingerprint; nothing was sent to it" % peer)
        got = hashlib.sha256(der).digest()
        if not hmac.compare_digest(got, self.fp):
            raise TLSError(
                "the TLS certificate of logcollectord at %s has fingerprint %s, not the "
                "pinned %s%s: not the collector we trust (or its certificate changed); "
                "nothing was sent to it" % (
                    peer, format_fingerprint(got), format_fingerprint(self.fp),
                    " (LOGCOLLECT_TLS_FINGERPRINT)" if self.from_env else ""))

    def handshake_error(self, e, peer):
        """A TLSError for an SSLError raised by the handshake."""
        if isinstance(e, ssl.SSLCertVerificationError):
            hint = ""
            msg = (getattr(e, "verify_message", "") or str(e)).rstrip(".")
            if "mismatch" in msg.lower():
                hint = ": the certificate does not name the address in the port file"
            return TLSError("the TLS certificate of logcollectord at %s is not trusted: "
                            "%s%s (checked with %s); nothing was sent to it"
                            % (peer, msg, hint, self.describe()))
        reason = getattr(e, "reason", None) or str(e)
        hint = ""
        if reason in ("TLSV13_ALERT_CERTIFICATE_REQUIRED", "SSLV3_ALERT_HANDSHAKE_FAILURE") \
                and not self.have_cert:
            hint = (" (the collector requires a client certificate: set LOGCOLLECT_TLS_CERT "
                    "and LOGCOLLECT_TLS_KEY)")
        elif reason in ("SSLV3_ALERT_BAD_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
                        "TLSV1_ALERT_UNKNOWN_CA") and self.have_cert:
            hint = " (the collector refused our client certificate: is it signed by its " \
                   "--tls-client-ca?)"
        elif reason == "WRONG_VERSION_NUMBER":
            hint = " (the port file says the collector speaks TLS: does it?)"
        return TLSError("TLS handshake with logcollectord at %s failed: %s%s"
                        % (peer, reason, hint))
