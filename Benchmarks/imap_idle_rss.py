#!/usr/bin/env python3
"""IMAP benchmark 9: resident memory of `loft serve` holding N IMAP sessions in IDLE over implicit TLS
(default N = 5000).

Each session: TLS handshake (certificate verified), greeting, LOGIN, SELECT INBOX, IDLE (up to the
`+` continuation), then nothing. By default each session has its own user with a small INBOX
(3 messages of 2 KiB); with --shared all N sessions log in as one user and select the same INBOX
(`[limits] max_sessions_per_user_ip` is raised to 100000 by `loftbench.py`).
VmRSS (/proc/PID/status) is read before any connection, after one warm-up session, 3 s after the
N sessions are in IDLE, 3 s after they all sent DONE + LOGOUT, and for a second round of the same
N sessions (held, then closed), to tell a leak from memory the allocator keeps.

With --compress each session turns on COMPRESS DEFLATE (RFC 4978) right after LOGIN, to measure
what the zlib state of an idle compressed session costs.

Usage: Benchmarks/imap_idle_rss.py [N] [--shared] [--compress]
"""

import argparse
import asyncio
import os
import time

import imapbench
from imapbench import AsyncIMAP, IMAPError
from loftbench import LoftUnderTest, machine, password_for

LOGINS_IN_FLIGHT = 64
SETTLE_SECONDS = 3


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


COMPRESS = False


async def open_idle(loft, name, gate, expected):
    async with gate:
        session = await AsyncIMAP.open(loft.imap_ports["implicit"], loft.client_context())
        await session.command(f"LOGIN {name} {password_for(name)}")
        if COMPRESS:
            await session.compress()
        _, untagged = await session.command("SELECT INBOX", keep=True)
        if not any(line.split()[1:3] == [str(expected).encode(), b"EXISTS"] for line in untagged):
            raise IMAPError(f"{name}: SELECT INBOX gave {untagged!r}, expected {expected} EXISTS")
        tag = await session.idle()
        return session, tag


async def close_idle(session, tag):
    await session.done(tag)
    await session.logout()


async def round_of(loft, names, gate, expected):
    results = await asyncio.gather(*(open_idle(loft, name, gate, expected) for name in names),
                                   return_exceptions=True)
    sessions = [r for r in results if not isinstance(r, BaseException)]
    failures = [r for r in results if isinstance(r, BaseException)]
    return sessions, failures


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sessions", type=int, nargs="?", default=5000)
    parser.add_argument("--shared", action="store_true", help="all sessions log in as one user")
    parser.add_argument("--compress", action="store_true", help="COMPRESS DEFLATE after LOGIN")
    args = parser.parse_args()
    global COMPRESS
    COMPRESS = args.compress
    limit = imapbench.raise_open_files()
    count = args.sessions
    names = ["shared"] * count if args.shared else [f"i{i:05d}" for i in range(count)]
    users = ["warmup"] + sorted(set(names))
    print(machine())
    print(f"client RLIMIT_NOFILE {limit}")
    started = time.monotonic()
    # Every session may compress: measure memory, not the cap.
    extra = "[imap]\nmax_compressed_sessions = 100000\n" if COMPRESS else ""
    with LoftUnderTest(users, messages_per_user=3, message_size=2048, imap=True, extra_config=extra) as loft:
        print(f"set-up: {len(users)} users, 3 messages each, in {time.monotonic() - started:.0f} s")
        time.sleep(1)
        rss_start, threads_start = loft.status("VmRSS"), loft.status("Threads")
        warm, tag = await open_idle(loft, "warmup", asyncio.Semaphore(1), 3)
        await close_idle(warm, tag)
        await asyncio.sleep(1)
        rss_warm = loft.status("VmRSS")

        gate = asyncio.Semaphore(LOGINS_IN_FLIGHT)
        cpu = loft.cpu_seconds()
        began = time.monotonic()
        sessions, failures = await round_of(loft, names, gate, 3)
        open_seconds = time.monotonic() - began
        open_cpu = loft.cpu_seconds() - cpu
        await asyncio.sleep(SETTLE_SECONDS)
        rss_held, threads_held, hwm = loft.status("VmRSS"), loft.status("Threads"), loft.status("VmHWM")
        fds = len(os.listdir(f"/proc/{loft.pid}/fd"))
        held = len(sessions)
        cpu = loft.cpu_seconds()
        close_results = await asyncio.gather(*(close_idle(s, t) for s, t in sessions), return_exceptions=True)
        close_failures = [r for r in close_results if isinstance(r, BaseException)]
        close_cpu = loft.cpu_seconds() - cpu
        await asyncio.sleep(SETTLE_SECONDS)
        rss_closed = loft.status("VmRSS")

        cpu = loft.cpu_seconds()
        began = time.monotonic()
        sessions2, failures2 = await round_of(loft, names, gate, 3)
        open_seconds2 = time.monotonic() - began
        open_cpu2 = loft.cpu_seconds() - cpu
        await asyncio.sleep(SETTLE_SECONDS)
        rss_held2 = loft.status("VmRSS")
        close2 = await asyncio.gather(*(close_idle(s, t) for s, t in sessions2), return_exceptions=True)
        await asyncio.sleep(SETTLE_SECONDS)
        rss_closed2 = loft.status("VmRSS")
        log = loft.log_counts()

    print(f"sessions in IDLE             : {held} of {count} ({'one shared user' if args.shared else 'one user each'}; "
          f"implicit TLS, LOGIN, {'COMPRESS DEFLATE, ' if COMPRESS else ''}SELECT INBOX, IDLE)")
    if failures or close_failures or failures2:
        every = failures + close_failures + failures2 + [r for r in close2 if isinstance(r, BaseException)]
        kinds = {}
        for failure in every:
            kinds[repr(failure)[:160]] = kinds.get(repr(failure)[:160], 0) + 1
        print(f"FAILURES                     : {len(every)}: {kinds}")
    print(f"opened + in IDLE in          : {open_seconds:.1f} s ({held / open_seconds:.0f} sessions/s, "
          f"{LOGINS_IN_FLIGHT} in flight; server CPU {open_cpu:.1f} s = {open_cpu / max(held, 1) * 1000:.2f} ms per session)")
    print(f"round 2, opened in           : {open_seconds2:.1f} s, server CPU {open_cpu2:.1f} s = "
          f"{open_cpu2 / max(len(sessions2), 1) * 1000:.2f} ms per session (Maildirs opened before: index present)")
    print(f"DONE + LOGOUT of all         : server CPU {close_cpu:.1f} s")
    print(f"RSS before any connection    : {mib(rss_start)} ({threads_start} threads)")
    print(f"RSS after 1 warm-up session  : {mib(rss_warm)}")
    print(f"RSS with the sessions in IDLE: {mib(rss_held)} ({threads_held} threads, {fds} open fds, VmHWM {mib(hwm)})")
    print(f"RSS after all LOGOUT         : {mib(rss_closed)}")
    print(f"round 2 held / after LOGOUT  : {mib(rss_held2)} / {mib(rss_closed2)} ({len(sessions2)} sessions)")
    print(f"bytes per session            : {(rss_held - rss_start) * 1024 / max(held, 1):,.0f} (from start), "
          f"{(rss_held - rss_warm) * 1024 / max(held, 1):,.0f} (from warm-up)")
    print(f"server log warnings/errors   : {log or 'none'}")
    print(f"load average at the end      : {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    asyncio.run(main())
