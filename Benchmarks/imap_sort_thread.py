#!/usr/bin/env python3
"""Benchmark 16: SORT and THREAD (RFC 5256) on 10,000 and 100,000 messages, Loft next to Dovecot 2.3
over a copy of the same Maildir (the corpus generator of benchmark 8: 35% replies whose parent is
not in the mailbox, list tags, encoded subjects).

Per server and size, one session over implicit TLS: LOGIN, SELECT INBOX (untimed: builds the index),
then, timed client-side with the server's CPU time:
  SORT (DATE) UTF-8 ALL                         twice (the first reads the headers)
  SORT (SUBJECT) UTF-8 ALL
  SORT RETURN (MIN MAX COUNT) (REVERSE ARRIVAL) UTF-8 ALL   (ESORT; index only)
  THREAD REFERENCES UTF-8 ALL                   twice
  THREAD ORDEREDSUBJECT UTF-8 ALL
Every SORT must list every message once; the SORT and THREAD answers of both servers are compared
and any difference is printed (the first differing position).

Usage: Benchmarks/imap_sort_thread.py [--sizes 10000,100000] [--corpus DIR] [--only loft|dovecot]
"""

import argparse
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time

import imapbench
from imapbench import IMAPClient, DovecotUnderTest
from loftbench import LoftUnderTest, machine, password_for, disk

USER = "bench"
COMMANDS = [
    ("SORT (DATE), 1st", "SORT (DATE) UTF-8 ALL"),
    ("SORT (DATE), 2nd", "SORT (DATE) UTF-8 ALL"),
    ("SORT (SUBJECT)", "SORT (SUBJECT) UTF-8 ALL"),
    ("ESORT (REVERSE ARRIVAL) MIN MAX COUNT", "SORT RETURN (MIN MAX COUNT) (REVERSE ARRIVAL) UTF-8 ALL"),
    ("THREAD REFERENCES, 1st", "THREAD REFERENCES UTF-8 ALL"),
    ("THREAD REFERENCES, 2nd", "THREAD REFERENCES UTF-8 ALL"),
    ("THREAD ORDEREDSUBJECT", "THREAD ORDEREDSUBJECT UTF-8 ALL"),
]


def answer(untagged):
    """The SORT / THREAD / ESEARCH line, without its name."""
    for line in untagged:
        for name in (b"* SORT", b"* THREAD", b"* ESEARCH"):
            if line.startswith(name):
                return line[len(name):].strip()
    return None


def measure(name, server, port, context, count):
    client = IMAPClient(port, context)
    client.command(f"LOGIN {USER} {password_for(USER)}")
    client.command("SELECT INBOX")
    rows, answers = [], {}
    for label, text in COMMANDS:
        cpu = server.cpu_seconds()
        started = time.monotonic()
        tagged, untagged = client.command(text, keep=True)
        seconds = time.monotonic() - started
        cpu = server.cpu_seconds() - cpu
        result = answer(untagged)
        answers[label] = result
        note = "" if b" OK " in tagged else f"!! {tagged[:80]!r}"
        if text.startswith("SORT (") and result is not None:
            numbers = result.split()
            if len(numbers) != count or len(set(numbers)) != count:
                note += f" !! {len(numbers)} numbers"
        rows.append((label, seconds, cpu))
        print(f"  {name:8} {count:7} {label:40} {seconds:8.3f} s   server CPU {cpu:7.2f} s {note}", flush=True)
    client.command("LOGOUT")
    client.close()
    return rows, answers


def first_difference(a, b):
    if a == b:
        return "same"
    if a is None or b is None:
        return "one is missing"
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"differ at byte {at} of {len(a)}/{len(b)}: {a[max(0, at - 40):at + 40]!r} / {b[max(0, at - 40):at + 40]!r}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--corpus", default="/tmp/loft-imap-corpus")
    parser.add_argument("--only", choices=("loft", "dovecot"))
    args = parser.parse_args()
    print(machine())
    print(disk())
    print(f"dovecot {imapbench.dovecot_version()}")
    work = tempfile.mkdtemp(prefix="loft-sort-")
    summary = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            corpus = os.path.join(args.corpus, f"Maildir-{size}")
            if not os.path.exists(corpus + ".json"):
                shutil.rmtree(corpus, ignore_errors=True)
                json.dump(imapbench.build_maildir(corpus, size), open(corpus + ".json", "w"))
            count = json.load(open(corpus + ".json"))["count"]
            results = {}
            if args.only != "dovecot":
                def fill(loft):
                    shutil.rmtree(loft.maildir(USER))
                    imapbench.copy_maildir(corpus, loft.maildir(USER))
                with LoftUnderTest([USER], imap=True, prepare=fill) as loft:
                    context = ssl.create_default_context(cafile=loft.path("cert.pem"))
                    results["loft"] = measure("loft", loft, loft.imap_ports["implicit"], context, count)
                    print(f"  loft log warnings/errors: {loft.log_counts() or 'none'}; "
                          f"VmHWM {loft.status('VmHWM') / 1024:.1f} MiB")
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
                    results["dovecot"] = measure("dovecot", dovecot, dovecot.imaps_port, context, count)
                    print(f"  dovecot log warnings/errors: {dovecot.log_counts() or 'none'}")
            if "loft" in results and "dovecot" in results:
                for label, _ in COMMANDS:
                    if "2nd" in label:
                        continue
                    print(f"  answers, {label}: {first_difference(results['loft'][1][label], results['dovecot'][1][label])}")
                for (label, l_s, l_cpu), (_, d_s, d_cpu) in zip(results["loft"][0], results["dovecot"][0]):
                    summary.append((size, label, l_s, d_s, l_cpu, d_cpu))
        if summary:
            print(f"\n{'messages':>8} {'command':40} {'Loft s':>8} {'Dovecot s':>10} {'ratio':>6} {'Loft CPU':>9} {'Dovecot CPU':>12}")
            for size, label, l_s, d_s, l_cpu, d_cpu in summary:
                print(f"{size:8} {label:40} {l_s:8.3f} {d_s:10.3f} {l_s / d_s if d_s else 0:6.1f} {l_cpu:9.2f} {d_cpu:12.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
