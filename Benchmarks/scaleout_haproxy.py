#!/usr/bin/env python3
"""Scale-out benchmark (issue 10): IMAP and submission throughput through Debian's HAProxy with one
Loft instance behind it versus two instances on the same data directory (one shared Maildir store,
one passwd-file), on this one machine. Runs as root (HAProxy is started as a child, never as a
service); needs the release binary (`swift build -c release --product loft`, or LOFT_BIN) and
`apt-get install haproxy gcc libssl-dev`.

Both instances listen with `proxy_protocol = true` (trusting 127.0.0.1); HAProxy (TCP mode,
`send-proxy-v2`, `balance roundrobin`) relays to the first instance only ("one") or to both ("two").
Rounds alternate one, two, one, two, ...; each round measures:

- submission: scripts/bench/smtpload.c, C connections over STARTTLS through HAProxy, AUTH PLAIN,
  then 4 KiB messages one after another for S seconds, each delivered durably into a local Maildir
  of the shared store. Value: messages/s.
- imap: Benchmarks/imap_mixed_load.py's session loop (connect, LOGIN, SELECT, FETCH envelopes, FETCH
  body, STORE, STORE \\Deleted, EXPUNGE, APPEND, LOGOUT) by C asyncio clients, each its own user with a
  200-message INBOX, over implicit TLS through HAProxy. Value: sessions/s.

Server CPU is summed over the Loft processes of the round. On one 2-core machine the two instances
share the same cores as the clients and HAProxy, so this measures what a second instance costs or
gains on the same hardware, not what a second machine would add.

Usage: Benchmarks/scaleout_haproxy.py [--rounds 3] [--seconds 10] [--connections 16] [--clients 20]
"""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

import imapbench
import imap_mixed_load
from loftbench import LOFT, REPO, machine, password_for

MAILBOX = 200


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Store:
    """The shared world: certificate, passwd-file, Maildirs, and two loft processes on them."""

    def __init__(self, work, users):
        self.work = work
        self.users = users
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", self.path("key.pem"), "-out", self.path("cert.pem")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        passwords = "".join(password_for(name) + "\n" for name in users)
        hashes = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=passwords.encode(),
                                check=True, capture_output=True).stdout.decode().split()
        with open(self.path("passwd"), "w") as passwd:
            passwd.writelines(f"{name}:{hashed}\n" for name, hashed in zip(users, hashes))
        with open(self.path("users"), "w") as listing:
            listing.writelines(f"{name} {password_for(name)}\n" for name in users)
        corpus = self.path("corpus")
        imapbench.build_maildir(corpus, MAILBOX, seed=11)
        for name in users:
            imapbench.copy_maildir(corpus, self.path("data", "mail", "example.org", name, "Maildir"))
        self.instances = []

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def start_instance(self, number):
        ports = {"imap": free_port(), "submission": free_port()}
        config = self.path(f"loft{number}.toml")
        with open(config, "w") as text:
            text.write(f"""hostname = "mail.example.org"
domain = "example.org"
data_dir = "{self.path('data')}"
[tls]
certificate = "{self.path('cert.pem')}"
private_key = "{self.path('key.pem')}"
[auth]
passwd_file = "{self.path('passwd')}"
[limits]
max_connections = 100000
max_connections_per_ip = 100000
max_sessions_per_user_ip = 100000
[delivery]
local_domains = ["example.org"]
[[listener]]
protocol = "imap"
address = "127.0.0.1:{ports['imap']}"
tls = "implicit"
proxy_protocol = true
proxy_trusted = ["127.0.0.1"]
[[listener]]
protocol = "submission"
address = "127.0.0.1:{ports['submission']}"
tls = "starttls"
proxy_protocol = true
proxy_trusted = ["127.0.0.1"]
""")
        log = open(self.path(f"loft{number}.log"), "wb")
        process = subprocess.Popen([LOFT, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.path(f"loft{number}.log"), errors="replace") as text:
                if text.read().count(" listening") >= 2:
                    break
            if process.poll() is not None:
                sys.exit(open(self.path(f"loft{number}.log")).read())
            time.sleep(0.05)
        self.instances.append((process, ports))

    def stop(self):
        for process, _ in self.instances:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


class HAProxy:
    def __init__(self, work, backends):
        self.ports = {"imap": free_port(), "submission": free_port()}
        config = "global\n    maxconn 4000\ndefaults\n    mode tcp\n    timeout connect 5s\n" \
                 "    timeout client 60s\n    timeout server 60s\n"
        for service in ("imap", "submission"):
            config += f"frontend {service}\n    bind 127.0.0.1:{self.ports[service]}\n    default_backend {service}\n" \
                      f"backend {service}\n    balance roundrobin\n"
            for index, ports in enumerate(backends):
                config += f"    server loft{index} 127.0.0.1:{ports[service]} send-proxy-v2\n"
        path = os.path.join(work, "haproxy.cfg")
        with open(path, "w") as text:
            text.write(config)
        self.process = subprocess.Popen(["/usr/sbin/haproxy", "-db", "-f", path],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def submission_round(store, smtpload, port, args):
    result = subprocess.run([smtpload, "--port", str(port), "--mode", "starttls", "--users", store.path("users"),
                             "--cafile", store.path("cert.pem"), "--connections", str(args.connections),
                             "--seconds", str(args.seconds)], check=True, capture_output=True, text=True)
    return json.loads(result.stdout)


def imap_round(store, port, args):
    context = ssl.create_default_context(cafile=store.path("cert.pem"))
    names = store.users[:args.clients]
    sessions, elapsed, _, failures = asyncio.run(imap_mixed_load.load(port, context, names, args.seconds))
    if failures:
        print(f"  imap failures: {failures[:3]}", flush=True)
    return sessions / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    if not os.access(LOFT, os.X_OK):
        sys.exit(f"{LOFT} not found: run `swift build -c release --product loft` first")
    imapbench.raise_open_files()
    print(machine())
    work = tempfile.mkdtemp(prefix="loft-scaleout-")
    store = None
    try:
        smtpload = os.path.join(work, "smtpload")
        subprocess.run(["cc", "-O2", "-pthread", "-o", smtpload, os.path.join(REPO, "scripts", "bench", "smtpload.c"),
                       "-lssl", "-lcrypto"], check=True)
        users = [f"s{i:03d}" for i in range(max(args.clients, args.connections) + 1)]
        store = Store(work, users)
        store.start_instance(1)
        store.start_instance(2)
        results = {"one": {"submission": [], "imap": [], "cpu": []}, "two": {"submission": [], "imap": [], "cpu": []}}
        for round_number in range(args.rounds):
            for mode in ("one", "two"):
                backends = [ports for _, ports in store.instances[: 1 if mode == "one" else 2]]
                haproxy = HAProxy(work, backends)
                try:
                    cpu = sum(cpu_seconds(process.pid) for process, _ in store.instances)
                    smtp = submission_round(store, smtpload, haproxy.ports["submission"], args)
                    imap = imap_round(store, haproxy.ports["imap"], args)
                    used = sum(cpu_seconds(process.pid) for process, _ in store.instances) - cpu
                finally:
                    haproxy.stop()
                results[mode]["submission"].append(smtp["msg_per_s"])
                results[mode]["imap"].append(imap)
                results[mode]["cpu"].append(used)
                print(f"round {round_number + 1} {mode}: submission {results[mode]['submission'][-1]:.0f} msg/s, "
                      f"imap {imap:.1f} sessions/s, loft CPU {used:.1f} s", flush=True)
        print("\n| behind HAProxy | submission msg/s (median, min–max) | IMAP sessions/s (median, min–max) |")
        print("| --- | --- | --- |")
        for mode in ("one", "two"):
            row = results[mode]
            cells = [f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})" if key == "submission"
                     else f"{statistics.median(v):.1f} ({min(v):.1f}–{max(v):.1f})"
                     for key, v in (("submission", row["submission"]), ("imap", row["imap"]))]
            print(f"| {mode} instance{'s' if mode == 'two' else ''} | {cells[0]} | {cells[1]} |")
    finally:
        if store is not None:
            store.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
