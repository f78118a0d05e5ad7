#!/usr/bin/env python3
"""Benchmark: server memory while IMAP clients ask for a whole mailbox and read nothing.

Each client logs in over implicit TLS, selects its INBOX (MESSAGES messages of MESSAGE_MIB MiB),
sends `FETCH 1:* BODY.PEEK[]` REPEAT times in one go, then reads nothing for HOLD seconds.
FETCH responses are made in 64 KiB chunks only as the client reads, so the server's RSS must
stay a few MB above idle whatever was asked for. First one client, then CLIENTS clients (one
user each). RSS (VmRSS) is sampled every second.
Usage: Benchmarks/imap_fetch_unread_rss.py [CLIENTS] [HOLD] [MESSAGES] [MESSAGE_MIB] [REPEAT]
"""

import re
import socket
import sys
import time

from loftbench import LoftUnderTest, machine, password_for

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
HOLD = int(sys.argv[2]) if len(sys.argv) > 2 else 20
MESSAGES = int(sys.argv[3]) if len(sys.argv) > 3 else 20
MESSAGE_MIB = int(sys.argv[4]) if len(sys.argv) > 4 else 1
REPEAT = int(sys.argv[5]) if len(sys.argv) > 5 else 10


def read_until(tls, tag):
    """Reads until the tagged response of `tag` has arrived; returns everything read."""
    done = re.compile(rb"(^|\r\n)" + tag + rb" [^\r\n]*\r\n")
    data = b""
    while not done.search(data):
        chunk = tls.recv(65536)
        if not chunk:
            raise RuntimeError(f"connection closed after {data[-200:]!r}")
        data += chunk
    return data


def open_client(loft, name):
    """A session that has asked for its whole mailbox REPEAT times and will never read."""
    raw = socket.create_connection(("127.0.0.1", loft.imap_ports["implicit"]))
    tls = loft.client_context().wrap_socket(raw, server_hostname="localhost")
    tls.recv(4096)  # greeting
    tls.sendall(f"l LOGIN {name} {password_for(name)}\r\n".encode())
    if b"l OK" not in read_until(tls, b"l"):
        raise RuntimeError(f"{name}: login failed")
    tls.sendall(b"s SELECT INBOX\r\n")
    read_until(tls, b"s")
    tls.sendall(b"".join(b"f%d FETCH 1:* BODY.PEEK[]\r\n" % i for i in range(REPEAT)))
    return tls


def hold(loft, clients, label, idle_rss):
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < HOLD:
        samples.append(loft.status("VmRSS"))
        time.sleep(1)
    asked = len(clients) * REPEAT * MESSAGES * MESSAGE_MIB
    print(f"{label:>12}: RSS max {max(samples) / 1024:.1f} MiB, last {samples[-1] / 1024:.1f} MiB "
          f"= idle + {(samples[-1] - idle_rss) / 1024:.1f} MiB (VmHWM {loft.status('VmHWM') / 1024:.1f} MiB); "
          f"{len(clients)} client(s) asked for {asked:,} MiB and read none of it")
    for tls in clients:
        tls.close()


def main():
    names = [f"u{i:03d}" for i in range(CLIENTS + 1)]
    print(machine())
    with LoftUnderTest(names, messages_per_user=MESSAGES, message_size=MESSAGE_MIB * 1024 * 1024, imap=True) as loft:
        time.sleep(1)
        idle = loft.status("VmRSS")
        print(f"{'idle':>12}: RSS {idle / 1024:.1f} MiB")
        hold(loft, [open_client(loft, names[0])], "1 client", idle)
        time.sleep(2)
        hold(loft, [open_client(loft, name) for name in names[1:]], f"{CLIENTS} clients", idle)
        time.sleep(2)
        print(f"{'after close':>12}: RSS {loft.status('VmRSS') / 1024:.1f} MiB; "
              f"server log warnings/errors: {loft.log_counts() or 'none'}")


if __name__ == "__main__":
    main()
