#!/usr/bin/env python3
"""Benchmark 1: resident memory of `loft serve` holding N idle, logged-in POP3 sessions over
implicit TLS (default N = 2000, one user per session since POP3 allows one session per user).

RSS (VmRSS of /proc/PID/status) is read before any connection, after one warm-up session,
while all N sessions sit logged in and idle, after they all QUIT, and for two more rounds of
the same N sessions (held, then QUIT) to tell a leak from memory the allocator keeps.
Usage: Benchmarks/rss_idle_sessions.py [N]
"""

import asyncio
import sys
import time

from loftbench import LoftUnderTest, machine, password_for

SESSIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
LOGINS_IN_FLIGHT = 64   # the client opens sessions at most this many at a time (listen backlog is 256)
SETTLE_SECONDS = 3
EXTRA_ROUNDS = 2


async def expect_ok(reader, what):
    line = await reader.readline()
    if not line.startswith(b"+OK"):
        raise RuntimeError(f"{what}: expected +OK, got {line!r}")
    return line


async def open_session(loft, name, gate):
    async with gate:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", loft.ports["implicit"], ssl=loft.client_context(), server_hostname="localhost")
        await expect_ok(reader, "greeting")
        writer.write(f"USER {name}\r\n".encode())
        await expect_ok(reader, "USER")
        writer.write(f"PASS {password_for(name)}\r\n".encode())
        await expect_ok(reader, f"PASS {name}")
        writer.write(b"STAT\r\n")
        stat = await expect_ok(reader, "STAT")
        if not stat.startswith(b"+OK 1 "):
            raise RuntimeError(f"{name}: STAT {stat!r}, expected one message")
        return reader, writer


async def quit_session(reader, writer):
    writer.write(b"QUIT\r\n")
    await expect_ok(reader, "QUIT")
    writer.close()
    try:
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


async def main():
    names = [f"u{i:04d}" for i in range(SESSIONS)]
    with LoftUnderTest(["warmup"] + names, messages_per_user=1, message_size=2048) as loft:
        time.sleep(1)
        rss_start = loft.status("VmRSS")
        threads_start = loft.status("Threads")

        reader, writer = await open_session(loft, "warmup", asyncio.Semaphore(1))
        await quit_session(reader, writer)
        time.sleep(1)
        rss_warm = loft.status("VmRSS")

        gate = asyncio.Semaphore(LOGINS_IN_FLIGHT)
        started = time.monotonic()
        cpu_before = loft.cpu_seconds()
        sessions = await asyncio.gather(*(open_session(loft, name, gate) for name in names))
        login_seconds = time.monotonic() - started
        login_cpu = loft.cpu_seconds() - cpu_before

        await asyncio.sleep(SETTLE_SECONDS)
        rss_held = loft.status("VmRSS")
        threads_held = loft.status("Threads")
        hwm_held = loft.status("VmHWM")

        await asyncio.gather(*(quit_session(r, w) for r, w in sessions))
        await asyncio.sleep(SETTLE_SECONDS)
        rss_after = loft.status("VmRSS")

        # More rounds with the same users tell a leak (RSS grows round after round) from memory
        # the allocator keeps for reuse (RSS stays put).
        rounds = []
        for _ in range(EXTRA_ROUNDS):
            sessions = await asyncio.gather(*(open_session(loft, name, gate) for name in names))
            await asyncio.sleep(SETTLE_SECONDS)
            held = loft.status("VmRSS")
            await asyncio.gather(*(quit_session(r, w) for r, w in sessions))
            await asyncio.sleep(SETTLE_SECONDS)
            rounds.append(f"{mib(held)} / {mib(loft.status('VmRSS'))}")
        log = loft.log_counts()

    per_session_start = (rss_held - rss_start) * 1024 / SESSIONS
    per_session_warm = (rss_held - rss_warm) * 1024 / SESSIONS
    print(machine())
    print(f"sessions held                : {SESSIONS} (implicit TLS, USER/PASS, STAT; then idle)")
    print(f"opened + logged in in        : {login_seconds:.1f} s ({SESSIONS / login_seconds:.0f} sessions/s, "
          f"{LOGINS_IN_FLIGHT} in flight; server CPU {login_cpu:.1f} s)")
    print(f"RSS before any connection    : {mib(rss_start)} ({threads_start} threads)")
    print(f"RSS after 1 warm-up session  : {mib(rss_warm)}")
    print(f"RSS with the sessions held   : {mib(rss_held)} ({threads_held} threads, VmHWM {mib(hwm_held)})")
    print(f"RSS after all QUIT           : {mib(rss_after)}")
    for number, text in enumerate(rounds, 2):
        print(f"RSS, round {number} held / QUIT    : {text}")
    print(f"bytes per session            : {per_session_start:,.0f} (from start), "
          f"{per_session_warm:,.0f} (from warm-up)")
    print(f"server log warnings/errors   : {log or 'none'}")


if __name__ == "__main__":
    asyncio.run(main())
