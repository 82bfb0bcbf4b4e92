#!/usr/bin/env python3
"""A real SMTP server on loopback for the test suite (aiosmtpd). Every accepted message is
written to DIR as NNNNNN.eml with an X-Envelope-To header; recipients can be made to fail:

  tempfail-N-...@  answered 451 (try later) for the first N deliveries, then accepted
  bounce...@       answered 550 (no such user) every time

Prints "ready PORT" once listening, and stops when its standard input closes.
"""
import argparse, itertools, os, socket, sys, threading
from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.seq = itertools.count(1)
        self.tries = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if local.startswith("tempfail-"):
            limit = int(local.split("-")[1])
            with self.lock:
                n = self.tries.get(address, 0) + 1
                self.tries[address] = n
            if n <= limit:
                return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = next(self.seq)
        path = os.path.join(self.folder, f"{n:06d}.eml")
        head = "X-Envelope-To: " + ", ".join(envelope.rcpt_tos) + "\r\n"
        with open(path + ".part", "wb") as f:
            f.write(head.encode() + envelope.original_content)
        os.rename(path + ".part", path)
        return "250 Message accepted"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    port = args.port
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"ready {controller.port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
