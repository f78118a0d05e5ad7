#!/usr/bin/env python3
"""Memory after closed submission connections: R rounds of N short connections (greeting,
EHLO, QUIT, close; no login), first in plaintext on the STARTTLS port (no TLS at all), then on
the implicit-TLS port. RSS is read after each round, once every connection of the round is
closed. The SMTP counterpart of connection_churn_rss.py (POP3).

If RSS keeps rising by the same amount every round, each closed connection leaves memory
behind (a leak); memory kept by the allocator for reuse would level off after the first round.
Usage: Benchmarks/submission_churn_rss.py [N] [R]   (defaults 2000, 6)
"""

import asyncio
import sys

from loftbench import churn

CONNECTIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 6


async def expect(reader, code, what):
    """Reads one (possibly multi-line) SMTP reply and checks its code."""
    while True:
        line = await reader.readline()
        if not line.startswith(str(code).encode()):
            raise RuntimeError(f"{what}: expected {code}, got {line!r}")
        if line[3:4] != b"-":
            return


async def ehlo_and_quit(loft, port_kind, gate):
    async with gate:
        if port_kind == "implicit":
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", loft.submission_ports["implicit"], ssl=loft.client_context(), server_hostname="localhost")
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", loft.submission_ports["starttls"])
        await expect(reader, 220, "greeting")
        writer.write(b"EHLO churn.example.org\r\n")
        await expect(reader, 250, "EHLO")
        writer.write(b"QUIT\r\n")
        await expect(reader, 221, "QUIT")
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


if __name__ == "__main__":
    asyncio.run(churn(ehlo_and_quit, CONNECTIONS, ROUNDS, submission=True))
