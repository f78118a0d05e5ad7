#!/usr/bin/env python3
"""Benchmark 17: what the quota costs an APPEND, on the 100,000-message mailbox of benchmark 8.

Two runs of `loft serve`, the same Maildir copied in for each: without `[quota]`, and with one
(limits far above the usage, so every APPEND is checked and taken). Per run, one session over
implicit TLS: `GETQUOTA ""` first (with a quota: the one recount of 100,000 file names that creates
`maildirsize`), then 1,000 APPENDs of 2 KiB (LITERAL+), timed one by one at the client, and the
server's CPU time for the 1,000. With a quota, `maildirsize` is then deleted and `GETQUOTA ""` timed
again (a recount with the directory entries in the page cache).

Usage: Benchmarks/imap_quota_append.py [--corpus DIR] [--appends N]
"""

import argparse
import json
import os
import shutil
import ssl
import statistics
import time

import imapbench
from imapbench import IMAPClient
from loftbench import LoftUnderTest, machine, password_for, disk

USER = "bench"
QUOTA = '[quota]\nstorage = "100G"\nmessages = 10000000\n'


def run(corpus, appends, quota):
    def fill(loft):
        shutil.rmtree(loft.maildir(USER))
        imapbench.copy_maildir(corpus, loft.maildir(USER))
    with LoftUnderTest([USER], imap=True, prepare=fill, extra_config=QUOTA if quota else "") as loft:
        context = ssl.create_default_context(cafile=loft.path("cert.pem"))
        client = IMAPClient(loft.imap_ports["implicit"], context)
        client.command(f"LOGIN {USER} {password_for(USER)}")
        started = time.monotonic()
        client.command('GETQUOTA ""', expect=b"OK" if quota else b"NO")
        first = time.monotonic() - started
        body = ("Subject: quota bench\r\n\r\n" + "x" * 2000 + "\r\n").encode()
        text = f"APPEND INBOX {{{len(body)}+}}\r\n" + body.decode()
        cpu_before = imapbench.tree_cpu_seconds(loft.process.pid)
        times = []
        for _ in range(appends):
            started = time.monotonic()
            client.command(text)
            times.append(time.monotonic() - started)
        cpu = imapbench.tree_cpu_seconds(loft.process.pid) - cpu_before
        recount = None
        if quota:
            os.unlink(os.path.join(loft.maildir(USER), "maildirsize"))
            started = time.monotonic()
            line, _ = client.command('GETQUOTA ""', keep=True)
            recount = time.monotonic() - started
        client.command("LOGOUT", expect=b"OK")
        client.close()
        times.sort()
        label = "quota   " if quota else "no quota"
        print(f"  {label} first GETQUOTA {first * 1000:8.1f} ms   APPEND p50 {statistics.median(times) * 1000:6.2f} ms"
              f"  p99 {times[int(len(times) * 0.99) - 1] * 1000:6.2f} ms   server CPU {cpu / appends * 1000:.3f} ms/APPEND"
              + (f"   recount {recount * 1000:.1f} ms" if recount is not None else ""))
        print(f"  loft log warnings/errors: {loft.log_counts() or 'none'}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="/tmp/loft-imap-corpus")
    parser.add_argument("--appends", type=int, default=1000)
    args = parser.parse_args()
    print(machine())
    print(disk())
    corpus = os.path.join(args.corpus, "Maildir-100000")
    if not os.path.exists(corpus + ".json"):
        shutil.rmtree(corpus, ignore_errors=True)
        json.dump(imapbench.build_maildir(corpus, 100_000), open(corpus + ".json", "w"))
    for quota in (False, True):
        run(corpus, args.appends, quota)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
