#!/usr/bin/env python3
"""Authenticated SMTP submission throughput and latency, STARTTLS port then implicit-TLS port.

C connections (default 16), each logged in as its own user (AUTH PLAIN), send 4 KiB messages to
another local user one after another for S seconds (default 12), one command at a time as
`smtplib` does (no pipelining): MAIL FROM, RCPT TO, DATA, the message, ".". The latency of one
message is measured by the client from writing MAIL FROM to reading the 250 after the final
".": a 250 there means Loft has fsynced the message into the recipient's Maildir. Logins happen
before the timed part. Afterwards every recipient's `Maildir/new/` must hold exactly as many
messages as got a 250, and every `tmp/` must be empty.

Usage: Benchmarks/submission_throughput.py [S] [C] [MODES]   (defaults 12, 16, starttls,implicit)
"""

import asyncio
import base64
import math
import os
import shutil
import sys
import tempfile
import time

from loftbench import LoftUnderTest, disk, machine, password_for

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 12
CONNECTIONS = int(sys.argv[2]) if len(sys.argv) > 2 else 16
MODES = sys.argv[3].split(",") if len(sys.argv) > 3 else ["starttls", "implicit"]
MESSAGE_SIZE = 4096
SUBJECT = b"Subject: submission benchmark"


def address(name):
    return f"{name}@example.org"


def message(sender, recipient, connection, index):
    """A message of exactly MESSAGE_SIZE bytes on the wire (CRLF line endings), no line starting with "."."""
    head = (
        f"From: {address(sender)}\r\nTo: {address(recipient)}\r\n"
        f"{SUBJECT.decode()} {connection}-{index}\r\n"
        f"Message-ID: <bench-{connection}-{index}-{time.time_ns()}@example.org>\r\n"
        "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\n"
    ).encode()
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    body = line * ((MESSAGE_SIZE - len(head)) // len(line) + 1)
    data = (head + body)[:MESSAGE_SIZE - 2] + b"\r\n"
    assert len(data) == MESSAGE_SIZE and b"\n." not in data and b"\r\r" not in data
    return data


async def reply(reader, what):
    """Reads one (possibly multi-line) SMTP reply; returns (code, text of the last line)."""
    while True:
        line = await reader.readline()
        if len(line) < 4:
            raise RuntimeError(f"{what}: connection closed or short reply {line!r}")
        if line[3:4] != b"-":
            return int(line[:3]), line.decode(errors="replace").strip()


async def expect(reader, code, what):
    got, text = await reply(reader, what)
    if got != code:
        raise RuntimeError(f"{what}: expected {code}, got {text!r}")


async def log_in(loft, mode, name):
    port = loft.submission_ports[mode]
    if mode == "implicit":
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=loft.client_context(), server_hostname="localhost")
    else:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await expect(reader, 220, "greeting")
    writer.write(b"EHLO bench.example.org\r\n")
    await expect(reader, 250, "EHLO")
    if mode == "starttls":
        writer.write(b"STARTTLS\r\n")
        await expect(reader, 220, "STARTTLS")
        await writer.start_tls(loft.client_context(), server_hostname="localhost")
        writer.write(b"EHLO bench.example.org\r\n")
        await expect(reader, 250, "EHLO after STARTTLS")
    token = base64.b64encode(f"\0{name}\0{password_for(name)}".encode())
    writer.write(b"AUTH PLAIN " + token + b"\r\n")
    await expect(reader, 235, f"AUTH {name}")
    return reader, writer


async def submit_loop(reader, writer, connection, sender, recipient, start, deadline, results):
    """Sends messages until `deadline`; appends (latency, recipient, accepted, reply) per message."""
    await start.wait()
    index = 0
    while time.monotonic() < deadline:
        data = message(sender, recipient, connection, index)
        began = time.perf_counter()
        writer.write(f"MAIL FROM:<{address(sender)}>\r\n".encode())
        await expect(reader, 250, "MAIL")
        writer.write(f"RCPT TO:<{address(recipient)}>\r\n".encode())
        await expect(reader, 250, "RCPT")
        writer.write(b"DATA\r\n")
        await expect(reader, 354, "DATA")
        writer.write(data + b".\r\n")
        code, text = await reply(reader, "end of DATA")
        results.append((time.perf_counter() - began, recipient, code == 250, text))
        index += 1
    writer.write(b"QUIT\r\n")
    await expect(reader, 221, "QUIT")
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


def percentile(sorted_values, fraction):
    """Nearest-rank percentile."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def fsync_probe(count=200):
    """What the disk costs by itself: `count` times, write a 4 KiB file, fsync it, rename it into
    another directory and fsync that directory, one after another (what one delivery asks of the
    disk). Returns the sorted latencies in seconds."""
    directory = tempfile.mkdtemp(prefix="loft-bench-fsync-")
    try:
        os.mkdir(os.path.join(directory, "new"))
        new = os.open(os.path.join(directory, "new"), os.O_RDONLY | os.O_DIRECTORY)
        data = b"x" * MESSAGE_SIZE
        latencies = []
        for index in range(count):
            began = time.perf_counter()
            path = os.path.join(directory, f"m{index}")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, data)
            os.fsync(fd)
            os.close(fd)
            os.rename(path, os.path.join(directory, "new", f"m{index}"))
            os.fsync(new)
            latencies.append(time.perf_counter() - began)
        os.close(new)
        return sorted(latencies)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def count_delivered(loft, names):
    counts = {}
    for name in names:
        new = loft.maildir_new(name)
        counts[name] = len(os.listdir(new))
        leftovers = os.listdir(os.path.join(os.path.dirname(new), "tmp"))
        if leftovers:
            raise RuntimeError(f"{name}: {len(leftovers)} files left in Maildir/tmp")
    return counts


def check_files(loft, names):
    """Every delivered file holds a benchmark message (its Subject) and is at least 4 KiB."""
    for name in names:
        new = loft.maildir_new(name)
        for entry in os.listdir(new):
            with open(os.path.join(new, entry), "rb") as file:
                content = file.read()
            if SUBJECT not in content or len(content) < MESSAGE_SIZE - 200:
                raise RuntimeError(f"{name}: {entry} is not a whole benchmark message ({len(content)} bytes)")


async def run(loft, mode, names):
    before = count_delivered(loft, names)
    sessions = await asyncio.gather(*(log_in(loft, mode, name) for name in names))
    start = asyncio.Event()
    results = []
    user, system = loft.cpu_times()
    cpu_client = time.process_time()
    load = os.getloadavg()[0]
    began = time.monotonic()
    deadline = began + SECONDS
    tasks = [asyncio.create_task(submit_loop(reader, writer, number, names[number],
                                             names[(number + 1) % len(names)], start, deadline, results))
             for number, (reader, writer) in enumerate(sessions)]
    start.set()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    user, system = (now - then for now, then in zip(loft.cpu_times(), (user, system)))
    cpu_server = user + system
    cpu_client = time.process_time() - cpu_client

    accepted = [r for r in results if r[2]]
    refused = [r for r in results if not r[2]]
    after = count_delivered(loft, names)
    expected = {name: before[name] + sum(1 for r in accepted if r[1] == name) for name in names}
    mismatched = {name: (after[name], expected[name]) for name in names if after[name] != expected[name]}

    latencies = sorted(r[0] for r in accepted)
    ms = lambda seconds: f"{seconds * 1000:.1f} ms"
    print(f"--- submission, {mode} port: {len(names)} connections, {SECONDS:.0f} s, "
          f"{MESSAGE_SIZE}-byte messages (load average at start {load:.2f})")
    print(f"messages accepted (250)   : {len(accepted)} in {elapsed:.1f} s = {len(accepted) / elapsed:.0f} msg/s")
    print(f"refused                   : {len(refused)}" + (f" (first: {refused[0][3]})" if refused else ""))
    if latencies:
        print(f"latency MAIL..250         : p50 {ms(percentile(latencies, 0.5))}, p90 {ms(percentile(latencies, 0.9))}, "
              f"p99 {ms(percentile(latencies, 0.99))}, max {ms(latencies[-1])}, "
              f"mean {ms(sum(latencies) / len(latencies))}")
        print(f"server CPU                : {cpu_server:.2f} s (user {user:.2f} s, system {system:.2f} s) = "
              f"{cpu_server / len(accepted) * 1e6:.0f} µs per message")
        print(f"client CPU                : {cpu_client:.2f} s = {cpu_client / len(accepted) * 1e6:.0f} µs per message")
    print(f"Maildir check             : {sum(after.values()) - sum(before.values())} new files in new/, "
          + ("matches the 250s, tmp/ empty" if not mismatched else f"MISMATCH (found, expected): {mismatched}"))
    return not mismatched and not refused


async def main():
    print(machine())
    print(disk())
    probe = fsync_probe()
    print(f"disk alone, write 4 KiB + fsync + rename + fsync dir, 200 in a row: p50 "
          f"{percentile(probe, 0.5) * 1000:.2f} ms, p99 {percentile(probe, 0.99) * 1000:.2f} ms")
    names = [f"s{i:02d}" for i in range(CONNECTIONS)]
    good = True
    with LoftUnderTest(names, submission=True) as loft:
        await asyncio.sleep(1)
        for mode in MODES:
            good = await run(loft, mode, names) and good
        check_files(loft, names)
        print(f"RSS at the end            : {loft.status('VmRSS') / 1024:.1f} MiB")
        print(f"server log warnings/errors: {loft.log_counts() or 'none'}")
    if not good:
        sys.exit(1)


if __name__ == "__main__":
    asyncio.run(main())
