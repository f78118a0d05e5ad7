#!/usr/bin/env python3
"""Benchmark 12: resynchronising a 100,000-message mailbox after 1,000 flag changes, with QRESYNC
(RFC 7162) against a full `UID FETCH 1:* (FLAGS)`, Loft next to Dovecot 2.3 over a copy of the same
Maildir (the corpus of benchmark 8).

Per server: session 1 enables QRESYNC, selects INBOX (remembering UIDVALIDITY and HIGHESTMODSEQ)
and logs out; session 2 flags 1,000 messages (`UID STORE` of every 100th UID, `+FLAGS (\\Flagged)`)
and expunges 10 of them; session 3 comes back with `SELECT INBOX (QRESYNC (v m))`, and session 4
does what a client without QRESYNC does, `SELECT INBOX` then `UID FETCH 1:* (FLAGS)`. Time
(client-side) and bytes received for sessions 3 and 4, and the changes session 3 was told about.

Usage: Benchmarks/imap_qresync_100k.py [--corpus DIR] [--only loft|dovecot]
"""

import argparse
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time

import imapbench
from imapbench import IMAPClient, DovecotUnderTest
from loftbench import LoftUnderTest, machine, password_for, disk

USER = "bench"


def visit(port, context, commands):
    """One session: LOGIN, the commands; returns [(tagged, untagged lines, seconds, bytes)]."""
    client = IMAPClient(port, context)
    client.command(f"LOGIN {USER} {password_for(USER)}")
    results = []
    for text in commands:
        before, started = client.received, time.monotonic()
        tagged, untagged = client.command(text, keep=True)
        results.append((tagged, untagged, time.monotonic() - started, client.received - before))
    client.command("LOGOUT", expect=b"OK")
    client.close()
    return results


def measure(name, port, context, count):
    first = visit(port, context, ["ENABLE QRESYNC", "SELECT INBOX"])
    select = b"".join(first[1][1])
    validity = int(re.search(rb"\[UIDVALIDITY (\d+)\]", select).group(1))
    modseq = int(re.search(rb"\[HIGHESTMODSEQ (\d+)\]", select).group(1))
    flagged = ",".join(str(uid) for uid in range(100, count + 1, 100))  # 1,000 UIDs
    expunged = ",".join(str(uid) for uid in range(100, 1100, 100))      # 10 of them
    visit(port, context, ["SELECT INBOX", f"UID STORE {flagged} +FLAGS.SILENT (\\Flagged)",
                          f"UID STORE {expunged} +FLAGS.SILENT (\\Deleted)", "EXPUNGE"])
    resync = visit(port, context, ["ENABLE QRESYNC", f"SELECT INBOX (QRESYNC ({validity} {modseq}))"])[1]
    full = visit(port, context, ["SELECT INBOX", "UID FETCH 1:* (FLAGS)"])
    fetches = sum(1 for line in resync[1] if b" FETCH " in line)
    vanished = [line for line in resync[1] if line.startswith(b"* VANISHED")]
    print(f"  {name:8} SELECT (QRESYNC ...)        {resync[2]:7.3f} s {resync[3] / 1024:9.1f} KiB  "
          f"{fetches} FETCH, VANISHED: {vanished[0][:80] if vanished else b'-'}")
    print(f"  {name:8} SELECT + UID FETCH 1:* FLAGS {full[0][2] + full[1][2]:7.3f} s "
          f"{(full[0][3] + full[1][3]) / 1024:9.1f} KiB")
    return fetches


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="/tmp/loft-imap-corpus")
    parser.add_argument("--only", choices=("loft", "dovecot"))
    args = parser.parse_args()
    print(machine())
    print(disk())
    print(f"dovecot {imapbench.dovecot_version()}")
    corpus = os.path.join(args.corpus, "Maildir-100000")
    if not os.path.exists(corpus + ".json"):
        shutil.rmtree(corpus, ignore_errors=True)
        json.dump(imapbench.build_maildir(corpus, 100_000), open(corpus + ".json", "w"))
    count = json.load(open(corpus + ".json"))["count"]
    work = tempfile.mkdtemp(prefix="loft-qresync-")
    try:
        if args.only != "dovecot":
            def fill(loft):
                shutil.rmtree(loft.maildir(USER))
                imapbench.copy_maildir(corpus, loft.maildir(USER))
            with LoftUnderTest([USER], imap=True, prepare=fill) as loft:
                context = ssl.create_default_context(cafile=loft.path("cert.pem"))
                measure("loft", loft.imap_ports["implicit"], context, count)
                print(f"  loft log warnings/errors: {loft.log_counts() or 'none'}")
        if args.only != "loft":
            certs = tempfile.mkdtemp(prefix="dovecot-cert-", dir=work)
            os.chmod(work, 0o755)
            os.chmod(certs, 0o755)
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                 "-keyout", os.path.join(certs, "key.pem"), "-out", os.path.join(certs, "cert.pem")],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with DovecotUnderTest([USER], os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem"),
                                  prepare=lambda d: imapbench.copy_maildir(corpus, d.maildir(USER))) as dovecot:
                context = ssl.create_default_context(cafile=os.path.join(certs, "cert.pem"))
                measure("dovecot", dovecot.imaps_port, context, count)
                print(f"  dovecot log warnings/errors: {dovecot.log_counts() or 'none'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
