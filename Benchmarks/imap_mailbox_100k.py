#!/usr/bin/env python3
"""IMAP benchmark 8: one 100,000-message mailbox, Loft next to Dovecot 2.3 over a copy of the same Maildir.

The Maildir is built once (`imapbench.build_maildir`: realistic messages of 0.6–8 KB, written to
tmp/ and renamed into cur/ with `:2,` flags, ~80% `S`), then copied (`cp -a`) for each server, so
each starts from a Maildir no IMAP server has opened: no `dovecot-uidlist`, no `loft-index`/
`loft-cache`, no `dovecot.index*`. The servers run one after the other, never at the same time.
Per server, over implicit TLS (TLS 1.3, same certificate), timed client-side per command:

  session 1: LOGIN, SELECT INBOX (first SELECT: no index, no uidlist), LOGOUT
  session 2: LOGIN, SELECT INBOX (warm), UID FETCH 1:* (FLAGS), FETCH 1:* ENVELOPE (twice),
             UID SEARCH HEADER Subject <word>, UID SEARCH SUBJECT <word>, LOGOUT
  restart the server (SIGTERM, wait, start), delete its index files (`loft-index*`, `loft-cache*` /
  `dovecot.index*`; `dovecot-uidlist` stays): session 3: LOGIN, SELECT INBOX, LOGOUT
  restart again (index present): session 4: LOGIN, SELECT INBOX, LOGOUT

Server CPU per command: Loft from /proc/PID/stat; Dovecot summed over all processes of the
instance (master, auth, imap-login which does the TLS, imap). Every answer is checked (EXISTS, the
number of FETCH responses, the search result against the corpus).

Usage: Benchmarks/imap_mailbox_100k.py [--messages N] [--rounds R] [--corpus DIR] [--only loft|dovecot]
                                       [--perf DIR]
  --corpus DIR keeps the generated Maildir in DIR and reuses it on the next run (it is never changed).
  --perf DIR   records each timed command of Loft with `perf record -g -p PID` (499 Hz) into DIR and
               prints the top symbols (demangled with `swift demangle`); the timings of such a run
               include perf's overhead, so take the figures from a run without it.
"""

import argparse
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

import imapbench
from imapbench import IMAPClient, DovecotUnderTest, SEARCH_WORD
from loftbench import LoftUnderTest, machine, password_for, disk

USER = "bench"


PERF_DIR = None


def timed(server, client, text, keep=False):
    recorder = None
    if PERF_DIR and isinstance(server, LoftUnderTest):
        name = "".join(c if c.isalnum() else "_" for c in text)[:40] + f"-{client.counter + 1}"
        data = os.path.join(PERF_DIR, name + ".data")
        recorder = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(server.pid), "-o", data],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    cpu = server.cpu_seconds()
    started = time.monotonic()
    tagged, untagged = client.command(text, keep=keep)
    seconds = time.monotonic() - started
    cpu = server.cpu_seconds() - cpu
    if recorder is not None:
        recorder.send_signal(signal.SIGINT)
        recorder.wait()
        report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "-g", "none",
                                 "--sort", "dso,symbol", "--percent-limit", "1.5"], capture_output=True).stdout
        demangled = subprocess.run(["swift", "demangle", "--simplified"], input=report, capture_output=True).stdout
        lines = [line for line in demangled.decode(errors="replace").splitlines() if line and not line.startswith("#")]
        with open(os.path.join(PERF_DIR, name + ".txt"), "w") as out:
            out.write(demangled.decode(errors="replace"))
        print(f"  perf: {text}")
        for line in lines[:18]:
            print(f"    {line[:200]}")
    return seconds, cpu, tagged, untagged


def session(server, port, context):
    client = IMAPClient(port, context)
    client.command(f"LOGIN {USER} {password_for(USER)}")
    return client


def exists_of(untagged):
    for line in untagged:
        parts = line.split()
        if len(parts) >= 3 and parts[2] == b"EXISTS":
            return int(parts[1])
    return None


def search_result(untagged):
    for line in untagged:
        if line.startswith(b"* SEARCH"):
            return [int(x) for x in line[8:].split()]
    return None


def measure(name, server, port_of, context, summary, problems, memory):
    port = port_of()
    rows = []
    expected = summary["count"]

    def record(label, seconds, cpu, note=""):
        rows.append((label, seconds, cpu, note))
        print(f"  {name:8} {label:38} {seconds:9.3f} s   server CPU {cpu:8.2f} s  {note}", flush=True)

    def check(condition, what):
        if not condition:
            problems.append(f"{name}: {what}")
            print(f"  !! {name}: {what}", flush=True)

    leftovers = [f for f in os.listdir(server.maildir(USER)) if f.startswith(("loft-index", "loft-cache", "dovecot"))]
    check(not leftovers, f"Maildir not fresh: {leftovers}")

    client = session(server, port, context)
    seconds, cpu, tagged, untagged = timed(server, client, "SELECT INBOX", keep=True)
    check(exists_of(untagged) == expected, f"first SELECT: EXISTS {exists_of(untagged)}, expected {expected}")
    record("SELECT INBOX, first (no index)", seconds, cpu)
    client.command("LOGOUT")
    client.close()
    time.sleep(1)

    client = session(server, port, context)
    seconds, cpu, tagged, untagged = timed(server, client, "SELECT INBOX", keep=True)
    check(exists_of(untagged) == expected, f"warm SELECT: EXISTS {exists_of(untagged)}")
    record("SELECT INBOX, warm (2nd session)", seconds, cpu)

    seconds, cpu, _, count = timed(server, client, "UID FETCH 1:* (FLAGS)")
    check(count == expected, f"UID FETCH 1:* (FLAGS): {count} responses")
    record("UID FETCH 1:* (FLAGS)", seconds, cpu, f"{client.received / 1e6:.0f} MB read so far")

    for attempt in ("1st", "2nd"):
        before = client.received
        seconds, cpu, _, count = timed(server, client, "FETCH 1:* ENVELOPE")
        check(count == expected, f"FETCH 1:* ENVELOPE: {count} responses")
        record(f"FETCH 1:* ENVELOPE ({attempt})", seconds, cpu, f"{(client.received - before) / 1e6:.1f} MB")

    want = summary["subject_matches"]
    for text in (f"UID SEARCH HEADER Subject {SEARCH_WORD}", f"UID SEARCH SUBJECT {SEARCH_WORD}"):
        seconds, cpu, _, untagged = timed(server, client, text, keep=True)
        found = search_result(untagged)
        # Both Maildirs are listed in the same (file name = date) order, so UIDs = 1..N in that order.
        check(found is not None and len(found) == len(want), f"{text}: {len(found or [])} hits, expected {len(want)}")
        record(text, seconds, cpu, f"{len(found or [])} hits")
    print(f"  {name:8} memory with the session still open: {memory()}", flush=True)
    client.command("LOGOUT")
    client.close()

    # The server restarted: nothing in memory. First with its index files deleted (the uidlist
    # stays, so UIDs are known), then once more with the index it just rebuilt.
    for label, delete in (("SELECT after restart, index deleted", True), ("SELECT after restart, index present", False)):
        server.restart()
        if delete:
            removed = [f for f in os.listdir(server.maildir(USER)) if f.startswith(("loft-index", "loft-cache", "dovecot.index"))]
            for f in removed:
                os.unlink(os.path.join(server.maildir(USER), f))
            print(f"  {name:8} deleted {removed}")
        time.sleep(1)
        client = session(server, port_of(), context)
        seconds, cpu, tagged, untagged = timed(server, client, "SELECT INBOX", keep=True)
        check(exists_of(untagged) == expected, f"{label}: EXISTS {exists_of(untagged)}")
        record(label, seconds, cpu)
        client.command("LOGOUT")
        client.close()
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--corpus")
    parser.add_argument("--only", choices=("loft", "dovecot"))
    parser.add_argument("--perf")
    args = parser.parse_args()
    global PERF_DIR
    if args.perf:
        PERF_DIR = os.path.abspath(args.perf)
        os.makedirs(PERF_DIR, exist_ok=True)

    print(machine())
    print(disk())
    print(f"dovecot {imapbench.dovecot_version()}")
    work = tempfile.mkdtemp(prefix="loft-imap100k-")
    corpus = os.path.join(args.corpus or work, f"Maildir-{args.messages}")
    problems, results = [], {}
    try:
        import json
        marker = corpus + ".json"
        if os.path.exists(marker):
            summary = json.load(open(marker))
            print(f"corpus: reusing {corpus}")
        else:
            shutil.rmtree(corpus, ignore_errors=True)
            started = time.monotonic()
            summary = imapbench.build_maildir(corpus, args.messages)
            json.dump(summary, open(marker, "w"))
            print(f"corpus: built {corpus} in {time.monotonic() - started:.0f} s")
        print(f"corpus: {summary['count']} messages, {summary['bytes'] / 2**20:.0f} MiB, "
              f"{summary['bytes'] / summary['count']:.0f} bytes average, {summary['seen']} with S, "
              f"{len(summary['subject_matches'])} with '{SEARCH_WORD}' in the Subject")

        def fill_loft(loft):
            shutil.rmtree(loft.maildir(USER))
            imapbench.copy_maildir(corpus, loft.maildir(USER))

        def fill_dovecot(dovecot):
            imapbench.copy_maildir(corpus, dovecot.maildir(USER))

        for round_number in range(1, args.rounds + 1):
            for name in ("loft", "dovecot"):
                if args.only and name != args.only:
                    continue
                print(f"round {round_number}, {name}: copying the Maildir ... (load {os.getloadavg()[0]:.2f})", flush=True)
                if name == "loft":
                    with LoftUnderTest([USER], imap=True, prepare=fill_loft) as loft:
                        context = ssl.create_default_context(cafile=loft.path("cert.pem"))
                        rows = measure(name, loft, lambda: loft.imap_ports["implicit"], context, summary, problems,
                                       lambda: f"VmRSS {loft.status('VmRSS') / 1024:.1f} MiB, VmHWM {loft.status('VmHWM') / 1024:.1f} MiB")
                        print(f"  loft log warnings/errors: {loft.log_counts() or 'none'}")
                        sizes = {f: os.path.getsize(os.path.join(loft.maildir(USER), f))
                                 for f in os.listdir(loft.maildir(USER)) if os.path.isfile(os.path.join(loft.maildir(USER), f))}
                        print(f"  loft files in the Maildir: {sizes}")
                else:
                    # The certificate comes from a Loft set-up dir made just for it (same kind: ECDSA P-256).
                    certs = tempfile.mkdtemp(prefix="dovecot-cert-", dir=work)
                    os.chmod(work, 0o755)
                    os.chmod(certs, 0o755)
                    subprocess.run(
                        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                         "-nodes", "-days", "30", "-subj", "/CN=localhost", "-addext",
                         "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", os.path.join(certs, "key.pem"),
                         "-out", os.path.join(certs, "cert.pem")],
                        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    with DovecotUnderTest([USER], os.path.join(certs, "cert.pem"), os.path.join(certs, "key.pem"),
                                          prepare=fill_dovecot) as dovecot:
                        context = ssl.create_default_context(cafile=os.path.join(certs, "cert.pem"))
                        rows = measure(name, dovecot, lambda: dovecot.imaps_port, context, summary, problems,
                                       lambda: f"RSS of the imap process {dovecot.rss_kib(('imap',)) / 1024:.1f} MiB, "
                                               f"of all processes {dovecot.rss_kib() / 1024:.1f} MiB")
                        print(f"  dovecot log warnings/errors: {dovecot.log_counts() or 'none'}")
                        for line in dovecot.log_problems():
                            print(f"    {line}")
                        sizes = {f: os.path.getsize(os.path.join(dovecot.maildir(USER), f))
                                 for f in os.listdir(dovecot.maildir(USER)) if os.path.isfile(os.path.join(dovecot.maildir(USER), f))}
                        print(f"  dovecot files in the Maildir: {sizes}")
                    shutil.rmtree(certs, ignore_errors=True)
                results.setdefault(name, []).append(rows)

        if "loft" in results and "dovecot" in results:
            print(f"\nsummary ({args.messages} messages; wall seconds client-side, server CPU seconds; ratio = Loft / Dovecot)")
            print(f"{'command':40} {'round':>5} {'Loft s':>9} {'Dovecot s':>10} {'ratio':>7} {'Loft CPU':>9} {'Dovecot CPU':>12}")
            for number, (loft_rows, dovecot_rows) in enumerate(zip(results["loft"], results["dovecot"]), 1):
                for (label, l_s, l_cpu, _), (_, d_s, d_cpu, _) in zip(loft_rows, dovecot_rows):
                    ratio = l_s / d_s if d_s > 0 else float("inf")
                    print(f"{label:40} {number:5} {l_s:9.3f} {d_s:10.3f} {ratio:7.1f} {l_cpu:9.2f} {d_cpu:12.2f}")
        print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("problems: " + ("; ".join(problems) if problems else "none"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
