#!/usr/bin/env python3
"""Outbound throughput: Loft's queue runner delivering to a local sink MX over STARTTLS.

The sink (`sink_mx.c`) listens on 127.0.0.11 .. 127.0.0.26; nsd serves an unsigned zone in which
16 domains d01..d16.bench.test each have their own MX host on one of those addresses, and
one.bench.test has one. Loft resolves through that nsd (libunbound, "insecure" answers, TLS policy
"may": STARTTLS with any certificate), connects to the MX port, and for each message makes one
connection: TLS handshake, EHLO, MAIL, RCPT, DATA pipelined, the message, QUIT.

Two ways in:
- `spool`: N entries (one recipient each, 4 KiB) are written into data_dir/queue in Loft's spool
  format before Loft starts: this isolates the outbound side. The rate is (N - 1) divided by the
  time from the first entry leaving the spool to the last.
- `submission`: Loft starts empty; C asyncio clients (implicit TLS on 465, AUTH PLAIN) submit N
  messages with MAIL, RCPT and DATA pipelined, while the queue delivers. Reported: the submission
  rate, and N divided by the time from the first MAIL to the empty spool (in and out).

Usage: Benchmarks/outbound_throughput.py [--mode spool|submission] [--destinations 16|1]
       [--messages N] [--concurrency K] [--clients C] [--runs R] [--dkim none|rsa|ed25519|both]
`--dkim` gives example.org (the sender's domain) DKIM keys that sign every message in the queue.
`--concurrency` is [delivery] destination_concurrency (Loft's default, 4, when not given).
Needs the release build (`LOFT_BIN`, default .build/release/loft), nsd, drill, cc and libssl-dev.
"""

import argparse
import asyncio
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import shutil
import time

from loftbench import LoftUnderTest, machine, disk, password_for
from outboundbench import (BenchDNS, SinkMX, DOMAINS, ONE_DOMAIN, free_port, message_bytes, outbound_config, queued,
                           write_spool)

MESSAGE_SIZE = 4096


def options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["spool", "submission"], default="spool")
    parser.add_argument("--destinations", type=int, choices=[1, 16], default=16)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dkim", choices=["none", "rsa", "ed25519", "both"], default="none")
    return parser.parse_args()


def recipients(count, destinations):
    domains = DOMAINS if destinations == 16 else [ONE_DOMAIN]
    return [f"user{index}@{domains[index % len(domains)]}" for index in range(count)]


def dkim_config(directory, which):
    """[[dkim]] entries for example.org with keys made by openssl: RSA 2048, Ed25519, or both."""
    algorithms = {"rsa": [("rsa-sha256", "RSA")], "ed25519": [("ed25519-sha256", "ED25519")],
                  "both": [("rsa-sha256", "RSA"), ("ed25519-sha256", "ED25519")]}.get(which, [])
    config = ""
    for index, (algorithm, openssl) in enumerate(algorithms):
        path = os.path.join(directory, f"dkim{index}.key")
        options = ["-pkeyopt", "rsa_keygen_bits:2048"] if openssl == "RSA" else []
        subprocess.run(["openssl", "genpkey", "-algorithm", openssl, *options, "-out", path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        config += (f'\n[[dkim]]\ndomain = "example.org"\nselector = "bench{index}"\nalgorithm = "{algorithm}"\n'
                   f'key_file = "{path}"\n')
    return config


def make_certificate(directory):
    certificate, key = os.path.join(directory, "sink.pem"), os.path.join(directory, "sink.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "30", "-subj", "/CN=mx.bench.test", "-keyout", key, "-out", certificate],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return certificate, key


async def expect(reader, code, what):
    while True:
        line = await reader.readline()
        if len(line) < 4:
            raise RuntimeError(f"{what}: connection closed")
        if line[3:4] != b"-":
            if int(line[:3]) != code:
                raise RuntimeError(f"{what}: expected {code}, got {line!r}")
            return


async def submit(loft, addresses, started):
    """One connection: log in as alice, then per message MAIL, RCPT, DATA in one write, the message."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", loft.submission_ports["implicit"], ssl=loft.client_context(), server_hostname="localhost")
    await expect(reader, 220, "greeting")
    writer.write(b"EHLO bench.example.org\r\n")
    await expect(reader, 250, "EHLO")
    token = base64.b64encode(f"\0alice\0{password_for('alice')}".encode())
    writer.write(b"AUTH PLAIN " + token + b"\r\n")
    await expect(reader, 235, "AUTH")
    await started.wait()
    for index, address in addresses:
        writer.write(f"MAIL FROM:<alice@example.org>\r\nRCPT TO:<{address}>\r\nDATA\r\n".encode())
        await expect(reader, 250, "MAIL")
        await expect(reader, 250, "RCPT")
        await expect(reader, 354, "DATA")
        writer.write(message_bytes(index, MESSAGE_SIZE) + b".\r\n")
        await expect(reader, 250, "end of DATA")
    writer.write(b"QUIT\r\n")
    await expect(reader, 221, "QUIT")
    writer.close()


async def submit_all(loft, addresses, clients):
    started = asyncio.Event()
    shares = [[(i, a) for i, a in enumerate(addresses) if i % clients == c] for c in range(clients)]
    tasks = [asyncio.create_task(submit(loft, share, started)) for share in shares]
    await asyncio.sleep(0.5)  # every client logged in
    began = time.monotonic()
    started.set()
    await asyncio.gather(*tasks)
    return began, time.monotonic()


def wait_until_empty(data, total, timeout=900):
    """Polls the spool every 10 ms; returns (time the first entry left, time the spool emptied)."""
    first = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = queued(data)
        now = time.monotonic()
        if first is None and left < total:
            first = now
        if left == 0:
            return first, now
        time.sleep(0.01)
    raise RuntimeError(f"the spool still holds {queued(data)} entries after {timeout} s")


def one_run(arguments, number):
    addresses = recipients(arguments.messages, arguments.destinations)
    directory = tempfile.mkdtemp(prefix="loft-bench-outbound-")
    try:
        certificate, key = make_certificate(directory)
        sink = None
        for _ in range(5):  # a port free on 127.0.0.1 may still be taken on one of the sink's addresses
            port = free_port()
            try:
                sink = SinkMX(certificate, key, port).__enter__()
                break
            except RuntimeError:
                continue
        if sink is None:
            raise RuntimeError("sink_mx did not start on 5 ports")
        with BenchDNS() as dns, sink:
            delivery_keys, dns_section = outbound_config(dns.port, port, arguments.concurrency)
            spool = arguments.mode == "spool"
            launched = []

            def prepare(loft):
                if spool:
                    write_spool(loft.path("data"), addresses, MESSAGE_SIZE)
                launched.append(time.monotonic())  # Loft is started right after this
            with LoftUnderTest(["alice"], submission=True, prepare=prepare,
                               extra_config=dns_section + dkim_config(directory, arguments.dkim),
                               delivery_config=delivery_keys) as loft:
                data = loft.path("data")
                queued_at_start = queued(data)
                load = os.getloadavg()[0]
                loft_cpu, sink_cpu = loft.cpu_seconds(), sink.cpu_seconds()
                if spool:
                    first, empty = wait_until_empty(data, len(addresses))
                    # Normally the first entry leaves the spool after this loop started polling; if it had
                    # left earlier, count from Loft's start instead.
                    began = first if queued_at_start == len(addresses) else launched[0]
                    submitted = None
                else:
                    began, submitted = asyncio.run(submit_all(loft, addresses, arguments.clients))
                    _, empty = wait_until_empty(data, len(addresses) + 1)
                loft_cpu, sink_cpu = loft.cpu_seconds() - loft_cpu, sink.cpu_seconds() - sink_cpu
                log = open(loft.log_path, errors="replace").read()
                counts = loft.log_counts()
                rss = loft.status("VmRSS")
        stats = sink.stats  # the sink's final counters, printed when it stopped
        elapsed = empty - began
        delivered_n = len(addresses) - 1 if spool else len(addresses)
        rate = delivered_n / elapsed
        attempts = log.count("delivery attempt")
        deferred = log.count("queue entry deferred")
        signed = log.count("DKIM-signed")
        print(f"run {number}: {len(addresses)} messages, {arguments.destinations} destination(s), "
              f"destination_concurrency {arguments.concurrency or 'default (4)'}, mode {arguments.mode}, "
              f"DKIM {arguments.dkim} ({signed} signed), "
              f"load average at start {load:.2f}")
        if submitted is not None:
            print(f"  submission: {len(addresses)} in {submitted - began:.2f} s = {len(addresses) / (submitted - began):.0f} msg/s"
                  f" ({arguments.clients} clients)")
        print(f"  delivered: {delivered_n} in {elapsed:.2f} s = {rate:.0f} msg/s; sink accepted {stats['messages']} "
              f"over {stats['connections']} connections ({stats['tls']} with TLS)")
        print(f"  loft CPU {loft_cpu:.2f} s = {loft_cpu / len(addresses) * 1e6:.0f} µs/msg ({loft_cpu / elapsed * 100:.0f}% of a core); "
              f"sink CPU {sink_cpu:.2f} s = {sink_cpu / len(addresses) * 1e6:.0f} µs/msg ({sink_cpu / elapsed * 100:.0f}% of a core)")
        print(f"  delivery attempts logged {attempts}, deferrals {deferred}, loft RSS at the end {rss} kB, "
              f"log warnings/errors: {counts or 'none'}")
        notable = [line for line in log.splitlines() if any(f" {level} " in line for level in ("warning", "error", "critical"))]
        for line in notable[:5]:
            print(f"    {line[:300]}")
        if int(stats["messages"]) != len(addresses) or deferred:
            print("  WARNING: not every message was delivered at the first attempt")
        return rate, (len(addresses) / (submitted - began) if submitted else None)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main():
    arguments = options()
    print(machine())
    print(disk())
    rates = [one_run(arguments, number) for number in range(1, arguments.runs + 1)]
    delivered = [r[0] for r in rates]
    print(f"delivery rate over {len(rates)} runs: median {statistics.median(delivered):.0f} msg/s, "
          f"min {min(delivered):.0f}, max {max(delivered):.0f}")
    if rates[0][1] is not None:
        submitted = [r[1] for r in rates]
        print(f"submission rate: median {statistics.median(submitted):.0f} msg/s, min {min(submitted):.0f}, max {max(submitted):.0f}")


if __name__ == "__main__":
    sys.exit(main())
