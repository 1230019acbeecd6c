#!/usr/bin/python3
"""A counting capture server for the engine tests (aiosmtpd, loopback, no TLS, no AUTH).

    capture_smtp.py PORT OUTDIR      # runs until killed; prints "ready" when listening

Every accepted message is written as OUTDIR/c<connection>-m<n>.eml (the bytes as received,
with "X-Envelope-To:" lines for the RCPT addresses in front), so a test can tell how many
SMTP connections a run used and which messages travelled on each. RCPT
reject@example.test is answered 550 5.1.1, so a BASIC test can see S.PARTIAL."""
import asyncio
import itertools
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

PORT, OUT = int(sys.argv[1]), sys.argv[2]
connections = itertools.count(1)


class CountingSMTP(SMTP):
    def connection_made(self, transport):
        self.connection_number = next(connections)
        self.message_number = 0
        with open(os.path.join(OUT, "connections.log"), "a") as log:
            log.write("%d\n" % self.connection_number)
        super().connection_made(transport)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, options):
        if address.lower() == "reject@example.test":
            return "550 5.1.1 <reject@example.test>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        server.message_number += 1
        name = "c%d-m%d.eml" % (server.connection_number, server.message_number)
        head = "".join("X-Envelope-To: %s\r\n" % r for r in envelope.rcpt_tos).encode()
        tmp = os.path.join(OUT, "." + name)
        with open(tmp, "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(tmp, os.path.join(OUT, name))
        return "250 2.0.0 OK queued as %s" % name


class CountingController(Controller):
    def factory(self):
        return CountingSMTP(self.handler, decode_data=False, enable_SMTPUTF8=True)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    controller = CountingController(Handler(), hostname="127.0.0.1", port=PORT)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()
