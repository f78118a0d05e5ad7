#!/usr/bin/env python3
"""Benchmark: server memory while clients pipeline RETRs of a large message and read nothing.

Each client logs in over implicit TLS, writes `RETR 1` PIPELINED times in one go (the message
is MESSAGE_MIB MiB), then reads nothing for HOLD seconds. The server must stop producing
output once the client's socket is full and stop reading further commands, so its RSS stays
a few MB above idle whatever is queued. First with one client, then with CLIENTS clients
(one user each: POP3 allows one session per user). RSS (VmRSS) is sampled every second.
Usage: Benchmarks/retr_unread_rss.py [CLIENTS] [HOLD] [PIPELINED] [MESSAGE_MIB]
"""

import socket
import ssl
import sys
import time

from loftbench import LoftUnderTest, machine, password_for

CLIENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
HOLD = int(sys.argv[2]) if len(sys.argv) > 2 else 30
PIPELINED = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
MESSAGE_MIB = int(sys.argv[4]) if len(sys.argv) > 4 else 1


def read_line(tls):
    line = b""
    while not line.endswith(b"\r\n"):
        byte = tls.recv(1)
        if not byte:
            raise RuntimeError(f"connection closed after {line!r}")
        line += byte
    return line


def open_client(loft, name):
    """A logged-in session that has sent PIPELINED RETRs and will never read."""
    raw = socket.create_connection(("127.0.0.1", loft.ports["implicit"]))
    tls = loft.client_context().wrap_socket(raw, server_hostname="localhost")
    for command in (None, f"USER {name}", f"PASS {password_for(name)}"):
        if command:
            tls.sendall(command.encode() + b"\r\n")
        line = read_line(tls)
        if not line.startswith(b"+OK"):
            raise RuntimeError(f"{name} {command}: {line!r}")
    tls.setblocking(False)
    pending = b"RETR 1\r\n" * PIPELINED
    return tls, pending


def push(clients):
    """Sends what each client still has to send, as far as the server takes it (never blocks)."""
    for client in clients:
        tls, pending = client
        while pending:
            try:
                sent = tls.send(pending[:16384])
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                break
            pending = pending[sent:]
        client[1] = pending


def hold(loft, clients, label, idle_rss):
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < HOLD:
        push(clients)
        samples.append(loft.status("VmRSS"))
        time.sleep(1)
    unsent = sum(len(pending) for _, pending in clients)
    print(f"{label:>12}: RSS min {samples[0] / 1024:.1f} MiB, max {max(samples) / 1024:.1f} MiB, "
          f"last {samples[-1] / 1024:.1f} MiB = idle + {(samples[-1] - idle_rss) / 1024:.1f} MiB "
          f"(VmHWM {loft.status('VmHWM') / 1024:.1f} MiB); {len(clients)} client(s), "
          f"{PIPELINED} RETR each, {unsent:,} command bytes the server has not read yet")
    for tls, _ in clients:
        tls.close()


def main():
    names = [f"u{i:03d}" for i in range(CLIENTS + 1)]
    print(machine())
    with LoftUnderTest(names, messages_per_user=1, message_size=MESSAGE_MIB * 1024 * 1024) as loft:
        time.sleep(1)
        idle = loft.status("VmRSS")
        print(f"{'idle':>12}: RSS {idle / 1024:.1f} MiB")
        hold(loft, [list(open_client(loft, names[0]))], "1 client", idle)
        time.sleep(2)
        clients = [list(open_client(loft, name)) for name in names[1:]]
        hold(loft, clients, f"{CLIENTS} clients", idle)
        time.sleep(2)
        print(f"{'after close':>12}: RSS {loft.status('VmRSS') / 1024:.1f} MiB; "
              f"server log warnings/errors: {loft.log_counts() or 'none'}")


if __name__ == "__main__":
    main()
