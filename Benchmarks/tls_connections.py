#!/usr/bin/env python3
"""Benchmark 3: new TLS connections per second on the implicit-TLS POP3 port.

Each connection: TCP connect, full TLS handshake (no session resumption), read the greeting,
QUIT, read +OK, close. P client processes (default 3) loop for S seconds (default 10), first
with the client's default (TLS 1.3), then with the client capped at TLS 1.2. Clients and
server share the machine's cores, so the figure is a floor for the server alone.
Usage: Benchmarks/tls_connections.py [P] [S]
"""

import multiprocessing
import os
import socket
import ssl
import subprocess
import sys
import time

from loftbench import LoftUnderTest, machine

PROCESSES = int(sys.argv[1]) if len(sys.argv) > 1 else 3
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0


def make_context(cafile, tls12):
    context = ssl.create_default_context(cafile=cafile)
    if tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def one_connection(context, port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            reader = conn.makefile("rb")
            greeting = reader.readline()
            if not greeting.startswith(b"+OK"):
                raise RuntimeError(f"greeting {greeting!r}")
            conn.sendall(b"QUIT\r\n")
            if not reader.readline().startswith(b"+OK"):
                raise RuntimeError("QUIT not answered with +OK")
            reader.close()
            return conn.version(), conn.cipher()[0]


def worker(cafile, port, tls12, start_at, stop_at, results):
    context = make_context(cafile, tls12)
    done = failed = 0
    errors = {}
    while time.time() < start_at:
        time.sleep(0.001)
    while time.time() < stop_at:
        try:
            one_connection(context, port)
            done += 1
        except (OSError, RuntimeError, ssl.SSLError) as error:
            failed += 1
            text = type(error).__name__ + ": " + str(error)[:80]
            errors[text] = errors.get(text, 0) + 1
    results.put((done, failed, errors, time.process_time()))


def run(loft, tls12):
    cafile, port = loft.path("cert.pem"), loft.ports["implicit"]
    version, cipher = one_connection(make_context(cafile, tls12), port)
    results = multiprocessing.Queue()
    start_at = time.time() + 0.5
    stop_at = start_at + SECONDS
    server_cpu = loft.cpu_seconds()
    workers = [multiprocessing.Process(target=worker, args=(cafile, port, tls12, start_at, stop_at, results))
               for _ in range(PROCESSES)]
    for process in workers:
        process.start()
    outcomes = [results.get(timeout=SECONDS + 60) for _ in workers]
    for process in workers:
        process.join()
    server_cpu = loft.cpu_seconds() - server_cpu
    done = sum(outcome[0] for outcome in outcomes)
    failed = sum(outcome[1] for outcome in outcomes)
    client_cpu = sum(outcome[3] for outcome in outcomes)
    errors = {}
    for outcome in outcomes:
        for text, count in outcome[2].items():
            errors[text] = errors.get(text, 0) + count
    print(f"{version} {cipher}: {done / SECONDS:7.0f} connections/s ({done} in {SECONDS:.0f} s, "
          f"{PROCESSES} client processes; {failed} failed; "
          f"server CPU {server_cpu:.1f} s = {server_cpu * 1000 / max(done, 1):.2f} ms per connection, clients CPU {client_cpu:.1f} s of {SECONDS * os.cpu_count():.0f} s on {os.cpu_count()} cores)")
    if errors:
        print(f"  client errors: {errors}")


def main():
    with LoftUnderTest(["nobody"]) as loft:
        key = subprocess.run(["openssl", "x509", "-in", loft.path("cert.pem"), "-noout", "-text"],
                             capture_output=True, text=True).stdout
        curve = next((line.strip() for line in key.splitlines() if "NIST CURVE" in line or "ASN1 OID" in line), "?")
        print(machine())
        print(f"server certificate: ECDSA, {curve}, self-signed; full handshakes, no resumption")
        run(loft, tls12=False)
        run(loft, tls12=True)
        # Cross-check with OpenSSL's own client: handshakes only (no greeting, no QUIT), one process.
        for flag in ("-tls1_3", "-tls1_2"):
            timed = subprocess.run(["openssl", "s_time", "-connect", f"127.0.0.1:{loft.ports['implicit']}",
                                    "-new", "-time", str(int(SECONDS)), flag], capture_output=True, text=True)
            lines = [line for line in timed.stdout.splitlines() if "connections in" in line]
            print(f"openssl s_time {flag}: {' / '.join(lines) or timed.stderr.strip()[:200]}")
        print(f"server log warnings/errors: {loft.log_counts() or 'none'}")


if __name__ == "__main__":
    main()
