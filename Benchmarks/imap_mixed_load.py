#!/usr/bin/env python3
"""IMAP benchmark 10: mixed load, C concurrent clients for S seconds (default 20 clients, 30 s), Loft and
then Dovecot 2.3 on the same machine with the same client (the servers never run at the same time).

Each client has its own user whose INBOX starts as a copy of the same 200-message Maildir
(`imapbench.build_maildir`), and loops over one whole session, over implicit TLS:

  connect (TCP + TLS 1.3 handshake + greeting), LOGIN, SELECT INBOX,
  FETCH <last 10> (UID FLAGS RFC822.SIZE ENVELOPE), FETCH <random> BODY[] (sets \\Seen),
  STORE <random> +FLAGS (\\Flagged), STORE 1 +FLAGS (\\Deleted), EXPUNGE,
  APPEND INBOX (\\Seen) {~3 KB}  (so the mailbox stays at 200 messages), LOGOUT

All clients run in one asyncio process. Reported per server: sessions/s and IMAP commands/s,
p50/p99 latency per step (client-side), server CPU seconds (Loft: its process; Dovecot: every
process of the instance), client CPU seconds. Every tagged answer must be OK; anything else is
printed with the command.

Usage: Benchmarks/imap_mixed_load.py [--clients C] [--seconds S] [--only loft|dovecot]
"""

import argparse
import asyncio
import os
import random
import shutil
import ssl
import subprocess
import tempfile
import time

import imapbench
from imapbench import AsyncIMAP, DovecotUnderTest, crlf
from loftbench import LoftUnderTest, machine, password_for

STEPS = ("connect", "LOGIN", "SELECT", "FETCH envelopes", "FETCH body", "STORE flagged", "STORE deleted",
         "EXPUNGE", "APPEND", "LOGOUT")
MAILBOX = 200


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def client(port, context, name, deadline, latencies, failures, seed):
    rng = random.Random(seed)
    sessions = 0
    while time.monotonic() < deadline and len(failures) < 50:
        step = "connect"
        text = ""
        session = None
        try:
            started = time.monotonic()
            session = await AsyncIMAP.open(port, context)
            latencies["connect"].append(time.monotonic() - started)

            async def run(label, coroutine):
                nonlocal step
                step = label
                began = time.monotonic()
                result = await coroutine
                latencies[label].append(time.monotonic() - began)
                return result

            await run("LOGIN", session.command(f"LOGIN {name} {password_for(name)}"))
            _, untagged = await run("SELECT", session.command("SELECT INBOX", keep=True))
            exists = next(int(line.split()[1]) for line in untagged if line.split()[2:3] == [b"EXISTS"])
            if exists < 2:
                raise imapbench.IMAPError(f"SELECT INBOX: only {exists} messages")
            await run("FETCH envelopes", session.command(
                f"FETCH {max(1, exists - 9)}:* (UID FLAGS RFC822.SIZE ENVELOPE)"))
            await run("FETCH body", session.command(f"FETCH {rng.randint(1, exists)} BODY[]"))
            await run("STORE flagged", session.command(f"STORE {rng.randint(1, exists)} +FLAGS (\\Flagged)"))
            await run("STORE deleted", session.command("STORE 1 +FLAGS (\\Deleted)"))
            await run("EXPUNGE", session.command("EXPUNGE"))
            data, _, _ = imapbench.make_message(rng, rng.randint(0, 1 << 30), int(time.time()))
            await run("APPEND", session.append("INBOX", "\\Seen", crlf(data)))
            step = "LOGOUT"
            began = time.monotonic()
            await session.logout()
            latencies["LOGOUT"].append(time.monotonic() - began)
            sessions += 1
        except Exception as error:  # noqa: BLE001 - every failure is reported, the loop goes on
            failures.append(f"{name} {step}: {error!r}"[:300])
            if session is not None:
                session.abort()
            await asyncio.sleep(0.1)
    return sessions


async def load(port, context, names, seconds):
    latencies = {step: [] for step in STEPS}
    failures = []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    counts = await asyncio.gather(*(client(port, context, name, deadline, latencies, failures, number)
                                    for number, name in enumerate(names)))
    return sum(counts), time.monotonic() - started, latencies, failures


def report(name, server_cpu, client_cpu, sessions, elapsed, latencies, failures, log):
    commands = sum(len(latencies[step]) for step in STEPS if step != "connect")
    print(f"{name}: {sessions} sessions in {elapsed:.1f} s = {sessions / elapsed:.1f} sessions/s, "
          f"{commands / elapsed:.0f} IMAP commands/s; server CPU {server_cpu:.1f} s "
          f"({server_cpu / max(sessions, 1) * 1000:.1f} ms per session), client CPU {client_cpu:.1f} s")
    print(f"  {'step':16} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for step in STEPS:
        values = latencies[step]
        print(f"  {step:16} {len(values):7} {percentile(values, .5) * 1000:8.1f} {percentile(values, .99) * 1000:8.1f} "
              f"{(max(values) if values else float('nan')) * 1000:8.1f}")
    print(f"  failures: {len(failures)}")
    for failure in failures[:10]:
        print(f"    {failure}")
    print(f"  server log warnings/errors: {log or 'none'}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--only", choices=("loft", "dovecot"))
    args = parser.parse_args()
    imapbench.raise_open_files()
    names = [f"m{i:03d}" for i in range(args.clients)]
    print(machine())
    print(f"dovecot {imapbench.dovecot_version()}")
    work = tempfile.mkdtemp(prefix="loft-imapmixed-")
    try:
        corpus = os.path.join(work, "Maildir")
        imapbench.build_maildir(corpus, MAILBOX, seed=11)
        os.chmod(work, 0o755)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", os.path.join(work, "key.pem"), "-out", os.path.join(work, "cert.pem")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def fill(server):
            for name in names:
                shutil.rmtree(server.maildir(name), ignore_errors=True)
                imapbench.copy_maildir(corpus, server.maildir(name))

        for kind in ("loft", "dovecot"):
            if args.only and kind != args.only:
                continue
            print(f"{kind}: {args.clients} clients, {args.seconds:.0f} s, load average {os.getloadavg()[0]:.2f}", flush=True)
            if kind == "loft":
                server = LoftUnderTest(names, imap=True, prepare=fill)
            else:
                server = DovecotUnderTest(names, os.path.join(work, "cert.pem"), os.path.join(work, "key.pem"),
                                          prepare=fill)
            with server:
                if kind == "loft":
                    port, context = server.imap_ports["implicit"], server.client_context()
                else:
                    port = server.imaps_port
                    context = ssl.create_default_context(cafile=os.path.join(work, "cert.pem"))
                time.sleep(1)
                cpu, client_cpu = server.cpu_seconds(), time.process_time()
                sessions, elapsed, latencies, failures = asyncio.run(load(port, context, names, args.seconds))
                server_cpu, client_cpu = server.cpu_seconds() - cpu, time.process_time() - client_cpu
                report(kind, server_cpu, client_cpu, sessions, elapsed, latencies, failures, server.log_counts())
                if kind == "dovecot":
                    for line in server.log_problems():
                        print(f"    {line}")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
