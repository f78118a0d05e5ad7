#!/usr/bin/env python3
"""Memory after closed connections: R rounds of N short POP3 connections (greeting, QUIT,
close; no login), first in plaintext on the STLS port (no TLS at all), then on the implicit-TLS
port. RSS is read after each round, once every connection of the round is closed.

If RSS keeps rising by the same amount every round, each closed connection leaves memory
behind (a leak); memory kept by the allocator for reuse would level off after the first round.
Usage: Benchmarks/connection_churn_rss.py [N] [R]   (defaults 2000, 6)
"""

import asyncio
import sys

from loftbench import churn

CONNECTIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 6


async def greet_and_quit(loft, port_kind, gate):
    async with gate:
        if port_kind == "implicit":
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", loft.ports["implicit"], ssl=loft.client_context(), server_hostname="localhost")
        else:
            reader, writer = await asyncio.open_connection("127.0.0.1", loft.ports["starttls"])
        for command in (None, b"QUIT\r\n"):
            if command:
                writer.write(command)
            line = await reader.readline()
            if not line.startswith(b"+OK"):
                raise RuntimeError(f"expected +OK, got {line!r}")
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError):
            pass


if __name__ == "__main__":
    asyncio.run(churn(greet_and_quit, CONNECTIONS, ROUNDS))
