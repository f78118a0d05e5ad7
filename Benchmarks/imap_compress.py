#!/usr/bin/env python3
"""IMAP benchmark 15: what COMPRESS=DEFLATE (RFC 4978) saves and costs on one session.

One user with 2,000 messages from the generator of benchmark 8 (`imapbench.build_maildir`: varied
senders, subjects, Received/DKIM headers, multipart and attachments, ~4.5 KB average). Over
implicit TLS, with and without `COMPRESS DEFLATE` after LOGIN, alternating, 3 sessions each, every
command 10 times per session:
- a header listing as mail clients make it: `UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)`;
- 200 whole messages: `FETCH 1:200 BODY.PEEK[]`.
Reports the IMAP bytes the client received per command (after TLS, before decompression: what
crosses the network, less TLS framing), and the median wall and server CPU time per command.

Usage: Benchmarks/imap_compress.py
"""

import asyncio
import shutil
import time

import imapbench
from imapbench import AsyncIMAP
from loftbench import LoftUnderTest, machine, password_for

MESSAGES = 2000
REPEAT = 10
COMMANDS = [
    ("header listing (ENVELOPE) of 2,000", "UID FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)"),
    ("200 whole messages", "FETCH 1:200 BODY.PEEK[]"),
]


class Counting:
    """Wraps a StreamReader and counts the bytes read from it."""

    def __init__(self, reader):
        self.inner, self.count = reader, 0

    async def read(self, n):
        data = await self.inner.read(n)
        self.count += len(data)
        return data

    async def readline(self):
        data = await self.inner.readline()
        self.count += len(data)
        return data

    async def readexactly(self, n):
        data = await self.inner.readexactly(n)
        self.count += len(data)
        return data


async def run(loft, compress):
    session = await AsyncIMAP.open(loft.imap_ports["implicit"], loft.client_context())
    await session.command(f"LOGIN user {password_for('user')}")
    counter = Counting(session.reader)
    session.reader = counter
    if compress:
        await session.compress()  # wraps the counter: the count stays on the wire side
    await session.command("SELECT INBOX")
    results = []
    for _, command in COMMANDS:
        before_bytes, cpu, began = counter.count, loft.cpu_seconds(), time.monotonic()
        for _ in range(REPEAT):
            await session.command(command)
        results.append(((counter.count - before_bytes) / REPEAT, (time.monotonic() - began) / REPEAT,
                        (loft.cpu_seconds() - cpu) / REPEAT))
    await session.logout()
    return results


async def main():
    imapbench.raise_open_files()
    print(machine())
    def corpus(loft):
        maildir = loft.path("data", "mail", "example.org", "user", "Maildir")
        shutil.rmtree(maildir)
        summary = imapbench.build_maildir(maildir, MESSAGES)
        print(f"corpus: {summary['count']} messages, {summary['bytes'] / summary['count']:.0f} bytes average")

    with LoftUnderTest(["user"], imap=True, prepare=corpus) as loft:
        await run(loft, False)  # warm-up: index and cache built
        rounds = {False: [], True: []}
        for _ in range(3):
            for compress in (False, True):
                rounds[compress].append(await run(loft, compress))
    for index, (name, _) in enumerate(COMMANDS):
        print(name)
        for compress in (False, True):
            runs = [r[index] for r in rounds[compress]]
            size = runs[0][0]
            wall = sorted(r[1] for r in runs)[1]
            cpu = sorted(r[2] for r in runs)[1]
            print(f"  {'COMPRESS' if compress else 'plain   '}: {size:>10,.0f} bytes received, median {wall * 1000:.1f} ms, "
                  f"server CPU {cpu * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
