#!/usr/bin/env python3
"""IMAP `LIST "" "*"` over 950 folders (plus their 25 parent levels): median of 7, one session, implicit TLS.

    LOFT_BIN=.build/release/loft python3 Benchmarks/imap_list_folders.py

The folders are `Folder00.Sub0000` ... `Folder18.Sub0949` (50 under each parent, the parents themselves
not created, so LIST shows them `\\NonExistent`); every LIST computes `\\HasChildren`/`\\HasNoChildren`.
"""

import os
import ssl
import time
import imaplib

from loftbench import LoftUnderTest, machine, password_for

FOLDERS = 950


def prepare(loft):
    root = loft.path("data", "mail", "example.org", "u1", "Maildir")
    for index in range(FOLDERS):
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(root, f".Folder{index // 50:02d}.Sub{index:04d}", sub), exist_ok=True)


def main():
    print(machine())
    with LoftUnderTest(["u1"], imap=True, prepare=prepare) as loft:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        session = imaplib.IMAP4_SSL("127.0.0.1", loft.imap_ports["implicit"], ssl_context=context)
        session.login("u1", password_for("u1"))
        times = []
        for _ in range(7):
            started = time.monotonic()
            _, data = session.list('""', '"*"')
            times.append(time.monotonic() - started)
        session.logout()
        times.sort()
        print(f"{len(data)} mailboxes listed; LIST median {times[3] * 1000:.1f} ms, min {times[0] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
