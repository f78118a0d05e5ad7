#!/usr/bin/env python3
"""Benchmark 2: one client downloads M messages of 4 KiB with RETR over implicit TLS, in one
session (default M = 1000). Two clients, each in its own session on a fresh login:

  poplib     Python's poplib.POP3_SSL, one RETR at a time (send, read the whole answer, repeat).
  pipelined  a raw ssl socket that keeps WINDOW RETR commands in flight (RFC 2449 PIPELINING).

Only the RETR loop is timed (not the login); each client runs it PASSES times in its session. The client's and the server's CPU seconds are
printed beside the figures: both share the same 2 cores, and Python may be the bottleneck.
Usage: Benchmarks/retr_throughput.py [M]
"""

import poplib
import socket
import sys
import time

from loftbench import LoftUnderTest, machine, password_for

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
SIZE = 4096
PASSES = 3    # each client runs the whole RETR loop this many times in its session
WINDOW = 32   # 32 "RETR nnnn\r\n" lines stay far below the server's 64 KiB pipelining limit
USER = "reader"


def poplib_run(loft):
    client = poplib.POP3_SSL("127.0.0.1", loft.ports["implicit"], context=loft.client_context())
    client.user(USER)
    client.pass_(password_for(USER))
    count, _ = client.stat()
    assert count == MESSAGES, f"STAT says {count} messages, expected {MESSAGES}"
    capabilities = client.capa()
    results = []
    for _ in range(PASSES):
        octets = 0
        started, cpu, server_cpu = time.monotonic(), time.process_time(), loft.cpu_seconds()
        for number in range(1, MESSAGES + 1):
            _, lines, size = client.retr(number)
            octets += size
            # poplib strips CRLF and undoes dot-stuffing; the last body line must be ours.
            assert lines[-1].startswith(b"The quick brown fox"), lines[-1]
        elapsed = time.monotonic() - started
        results.append((elapsed, time.process_time() - cpu, loft.cpu_seconds() - server_cpu, octets))
    client.quit()
    return results, capabilities


def pipelined_run(loft):
    raw = socket.create_connection(("127.0.0.1", loft.ports["implicit"]))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = loft.client_context().wrap_socket(raw, server_hostname="localhost")
    buffer = bytearray()

    def read_line():
        while b"\r\n" not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                raise RuntimeError("server closed the connection")
            buffer.extend(chunk)
        end = buffer.index(b"\r\n") + 2
        line = bytes(buffer[:end])
        del buffer[:end]
        return line

    def command(text):
        conn.sendall(text.encode() + b"\r\n")
        line = read_line()
        if not line.startswith(b"+OK"):
            raise RuntimeError(f"{text.split()[0]}: {line!r}")
        return line

    read_line()  # greeting
    command(f"USER {USER}")
    command(f"PASS {password_for(USER)}")

    def one_pass():
        octets = 0
        sent = received = 0
        started, cpu, server_cpu = time.monotonic(), time.process_time(), loft.cpu_seconds()
        while received < MESSAGES:
            if sent < MESSAGES and sent - received <= WINDOW // 2:  # refill in batches
                batch = range(sent + 1, min(MESSAGES, received + WINDOW) + 1)
                conn.sendall(b"".join(f"RETR {n}\r\n".encode() for n in batch))
                sent = batch[-1]
            status = read_line()
            if not status.startswith(b"+OK"):
                raise RuntimeError(f"RETR {received + 1}: {status!r}")
            # The answer ends at CRLF "." CRLF; dot-stuffing guarantees the body never contains it.
            search_from = 0
            while True:
                end = buffer.find(b"\r\n.\r\n", search_from)
                if end >= 0 or buffer.startswith(b".\r\n"):
                    break
                search_from = max(0, len(buffer) - 4)
                chunk = conn.recv(65536)
                if not chunk:
                    raise RuntimeError("server closed the connection")
                buffer.extend(chunk)
            end = 3 if buffer.startswith(b".\r\n") else end + 5
            octets += end - 3  # message octets on the wire, CRLF line endings, before the "." line
            del buffer[:end]
            received += 1
        elapsed = time.monotonic() - started
        return (elapsed, time.process_time() - cpu, loft.cpu_seconds() - server_cpu, octets)

    results = [one_pass() for _ in range(PASSES)]
    command("QUIT")
    conn.close()
    return results


def report(label, result):
    elapsed, client_cpu, server_cpu, octets = result
    print(f"{label:16} {MESSAGES / elapsed:8.0f} msg/s {octets / elapsed / 2**20:7.1f} MiB/s "
          f"({elapsed:.2f} s wall; client CPU {client_cpu:.2f} s, server CPU {server_cpu:.2f} s = "
          f"{server_cpu * 1e6 / MESSAGES:.0f} us per RETR; "
          f"{octets:,} octets)")


def main():
    with LoftUnderTest([USER], messages_per_user=MESSAGES, message_size=SIZE) as loft:
        plain, capabilities = poplib_run(loft)
        pipelined = pipelined_run(loft)
        log = loft.log_counts()
    print(machine())
    print(f"{MESSAGES} messages of {SIZE} bytes on disk, RETR over implicit TLS, one session each; "
          f"server advertises PIPELINING: {'PIPELINING' in capabilities}")
    for number, result in enumerate(plain, 1):
        report(f"poplib    pass {number}", result)
    for number, result in enumerate(pipelined, 1):
        report(f"pipelined pass {number}", result)
    print(f"server log warnings/errors: {log or 'none'}")


if __name__ == "__main__":
    main()
