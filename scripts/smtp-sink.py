#!/usr/bin/env python3
"""A local SMTP server for tests: saves every message it receives as a .eml file.

    smtp-sink.py DIR PORT

Listens on 127.0.0.1:PORT (0 = any free port) and prints "ready PORT" once it
accepts connections. Each message is written to DIR/NNNNNN.eml with an
"X-Envelope-To" header naming the envelope recipients, and decoded to
DIR/NNNNNN.json: {"to": [...], "subject", "text", "html", "headers": {name: value}}
(header names in lower case). Stops on SIGTERM or when standard input closes. Recipients in the domain
bounce.test are refused with 550 (a bounce), so tests can cover refused addresses.
Needs aiosmtpd (Debian: python3-aiosmtpd).
"""

import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class SaveToDir:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().endswith("@bounce.test"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        tmp = os.path.join(self.directory, f".{n:06d}.tmp")
        final = os.path.join(self.directory, f"{n:06d}.eml")
        head = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        with open(tmp, "wb") as f:
            f.write(head + envelope.original_content)
        os.rename(tmp, final)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        decoded = {
            "to": list(envelope.rcpt_tos),
            "subject": str(msg.get("subject", "")),
            "text": text.get_content() if text is not None else "",
            "html": html.get_content() if html is not None else None,
            "headers": {k.lower(): str(v) for k, v in msg.items()},
        }
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(decoded, f)
        # The .json appears last and whole: readers wait for it.
        os.rename(tmp, os.path.join(self.directory, f"{n:06d}.json"))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    directory, port = sys.argv[1], int(sys.argv[2])
    os.makedirs(directory, exist_ok=True)
    port = port or free_port()
    controller = Controller(SaveToDir(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"ready {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin():  # the test process went away: so do we
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
