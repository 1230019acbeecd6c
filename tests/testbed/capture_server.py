#!/usr/bin/python3
"""Capture SMTP server of the mvsmtp test rig (started by tests/testbed/rig.sh).

  127.0.0.1:8025  STARTTLS required before anything else, then AUTH (PLAIN, LOGIN) required
  127.0.0.1:8465  implicit TLS, AUTH (PLAIN, LOGIN) required

Unlike Postfix (which stores lines with LF endings), every accepted message is written
byte for byte as it arrived after DATA (dot-unstuffed, CRLF kept, bare LF/CR kept) into the
Maildir $MVSMTP_TESTBED/aiosmtpd-maildir/new, preceded by a few CRLF-terminated
"X-Capture-*" trace headers that record the envelope and the session.

aiosmtpd's AUTH LOGIN challenges are "User Name\\0" and "Password\\0" rather than the usual
base64 "Username:"/"Password:" -- clients must not depend on the challenge text.

Run with Debian's /usr/bin/python3 (python3-aiosmtpd 1.4.3).
"""
import itertools
import logging
import os
import signal
import ssl
import sys
import threading
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

STATE = os.environ.get("MVSMTP_TESTBED", "/tmp/mvsmtp-testbed")
MAILDIR = os.path.join(STATE, "aiosmtpd-maildir")
ACCOUNTS = {
    b"testuser@example.test": b"testpass",
    b"alice@example.test": b"alicepass",
}
SIZE_LIMIT = 52428800  # same as the rig's Postfix


def check_credentials(server, session, envelope, mechanism, auth_data):
    good = (isinstance(auth_data, LoginPassword)
            and ACCOUNTS.get(auth_data.login) == auth_data.password)
    login = auth_data.login.decode("utf-8", "replace") if good else None
    # auth_data ends up in session.auth_data -> X-Capture-Auth: <mechanism> <login>
    return AuthResult(success=good, handled=False, auth_data="%s %s" % (mechanism, login))


class RawMaildirHandler:
    """Stores the DATA bytes unchanged; envelope/session go into X-Capture-* headers."""

    def __init__(self, listener):
        self.listener = listener
        self.sequence = itertools.count(1)
        self.lock = threading.Lock()
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(MAILDIR, sub), exist_ok=True)

    @staticmethod
    def _tls_description(server):
        try:
            tls = server.transport.get_extra_info("ssl_object")
        except Exception:
            tls = None
        if tls is None:
            return "none"
        return "%s %s" % (tls.version(), tls.cipher()[0])

    @staticmethod
    def _clean(text):
        # keep the trace headers one line each whatever the client sent
        return "".join(c if c.isprintable() else "?" for c in str(text))

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data if session.authenticated else ""
        trace = [
            ("X-Capture-Listener", self.listener),
            ("X-Capture-Peer", "%s:%s" % tuple(session.peer[:2]) if session.peer else "?"),
            ("X-Capture-Helo", session.host_name or ""),
            ("X-Capture-TLS", self._tls_description(server)),
            ("X-Capture-Auth", login or ""),
            ("X-Capture-Mail-From", "<%s>" % (envelope.mail_from or "")),
            ("X-Capture-Mail-Options", " ".join(envelope.mail_options or [])),
        ]
        trace += [("X-Capture-Rcpt-To", "<%s>" % r) for r in envelope.rcpt_tos]
        head = "".join("%s: %s\r\n" % (k, self._clean(v)) for k, v in trace).encode("utf-8")
        body = envelope.original_content
        if isinstance(body, str):  # only if decode_data were enabled
            body = body.encode("utf-8", "surrogateescape")

        with self.lock:
            n = next(self.sequence)
        name = "%.6f.P%dQ%d.capture.example.test" % (time.time(), os.getpid(), n)
        tmp_path = os.path.join(MAILDIR, "tmp", name)
        with open(tmp_path, "wb") as f:
            f.write(head)
            f.write(body)
        # rename is atomic: a reader polling new/ never sees a partial message
        os.rename(tmp_path, os.path.join(MAILDIR, "new", name))
        print("captured %s from=<%s> rcpt=%s bytes=%d" % (
            name, envelope.mail_from, ",".join(envelope.rcpt_tos), len(body)), flush=True)
        return "250 2.0.0 Ok: captured as %s" % name


def main():
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The 8465 listener is implicit TLS, so "AUTH without TLS" (below) is a false alarm.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    # ...and aiosmtpd itself still sets the deprecated Session.login_data on every AUTH.
    noise = ("auth_require_tls == False", "login_data is deprecated")
    logging.getLogger("mail.log").addFilter(
        lambda record: not any(n in record.getMessage() for n in noise))
    warnings.filterwarnings("ignore", message=".*login_data is deprecated")
    cert = os.path.join(STATE, "tls", "server.crt")
    key = os.path.join(STATE, "tls", "server.key")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    common = dict(
        hostname="127.0.0.1",
        server_hostname="capture.example.test",  # otherwise aiosmtpd asks DNS (getfqdn)
        authenticator=check_credentials,
        auth_required=True,
        data_size_limit=SIZE_LIMIT,
        enable_SMTPUTF8=True,
    )
    starttls = Controller(RawMaildirHandler("127.0.0.1:8025 starttls"), port=8025,
                          tls_context=tls, require_starttls=True, auth_require_tls=True,
                          **common)
    # Implicit TLS: aiosmtpd 1.4 does not notice that the socket is already encrypted
    # (aio-libs/aiosmtpd#281) and would hide AUTH if auth_require_tls were left on.
    smtps = Controller(RawMaildirHandler("127.0.0.1:8465 smtps"), port=8465,
                       ssl_context=tls, auth_require_tls=False, **common)

    # Block the stop signals before the server threads exist so only sigwait() sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
    try:
        starttls.start()
        smtps.start()
    except Exception as e:  # e.g. port already in use
        print("capture_server: cannot start: %r" % (e,), file=sys.stderr, flush=True)
        os._exit(1)
    print("capture_server: listening on 127.0.0.1:8025 (STARTTLS) and 127.0.0.1:8465 (TLS), "
          "maildir %s" % MAILDIR, flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
    # Controller.stop() may hang on Python 3.11; each message is already complete on disk.
    os._exit(0)


if __name__ == "__main__":
    main()
