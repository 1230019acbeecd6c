#!/usr/bin/python3
"""A small SMTP server for the queue tests: accepts any sender and recipient on loopback and
writes every message it receives to a folder, so a test can count deliveries.

    counting_relay.py --port P --dir D [--defer-file F] [--data-delay MS] [--pid-file PATH]

Each message becomes D/<n>-<pid>.eml (n counts from 1 in this process; written to a
temporary name first, then renamed, so a reader never sees half a message), with three
lines in front of the message as received:
    X-Envelope-From: <sender>
    X-Envelope-To: a@x.test, b@x.test        (the accepted envelope recipients)
    X-Received-At: 1764453600.123456         (time.time() when the final "." arrived)
The same recipients, one per line, are in D/<n>-<pid>.rcpt.

RCPT TO a local part starting with "reject" gets 550 5.1.1; starting with "defer" gets
451 4.3.0 try later while the file F exists (so a test can have one recipient accepted and
a second deferred, then remove F). --data-delay holds the reply to the final "." back for
MS milliseconds AFTER the message was written (a real MTA's commit-then-reply order: a
client killed in that window has delivered the message without knowing it).

Prints "ready" on stdout (and writes --pid-file) once it listens; SIGTERM or SIGINT stop it.
Debian's /usr/bin/python3 with python3-aiosmtpd. Loopback only (127.0.0.1)."""
import argparse
import asyncio
import os
import signal
import sys
import time

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, folder, defer_file, data_delay):
        self.folder = folder
        self.defer_file = defer_file
        self.data_delay = data_delay
        self.n = 0
        self.pid = os.getpid()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: recipient refused (counting_relay)" % address
        if local.startswith("defer") and self.defer_file and os.path.exists(self.defer_file):
            return "451 4.3.0 try later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        at = time.time()
        self.n += 1
        name = "%d-%d" % (self.n, self.pid)
        head = ("X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Received-At: %.6f\r\n"
                % (envelope.mail_from, ", ".join(envelope.rcpt_tos), at)).encode()
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self._write(name + ".rcpt", "".join(r + "\n" for r in envelope.rcpt_tos).encode())
        self._write(name + ".eml", head + data)
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return "250 2.0.0 OK queued as %s" % name

    def _write(self, name, data):
        tmp = os.path.join(self.folder, ".tmp-" + name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.folder, name))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--defer-file")
    ap.add_argument("--data-delay", type=float, default=0.0, help="milliseconds")
    ap.add_argument("--pid-file")
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    handler = Handler(a.dir, a.defer_file, a.data_delay / 1000.0)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # hostname given: aiosmtpd would otherwise ask the resolver for this host's FQDN.
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="relay.test", ident="counting_relay", data_size_limit=0),
        host="127.0.0.1", port=a.port, reuse_address=True))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    if a.pid_file:
        with open(a.pid_file + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pid_file + ".tmp", a.pid_file)
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        if a.pid_file:
            try:
                os.unlink(a.pid_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
