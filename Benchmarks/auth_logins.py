#!/usr/bin/env python3
"""Logins per second: the passwd-file against users in PostgreSQL (issue 10).

N client processes loop IMAP LOGIN + LOGOUT over implicit TLS (a new TLS connection each time)
for D seconds, first against Loft with a passwd-file, then against the same Loft with
`[auth] backend = "postgresql"` and the same users (same `$6$` hashes) in a private PostgreSQL 15
cluster (initdb into a temp directory, `postgres` on a free loopback port, stopped by PID; under
root it runs as the `postgres` user). Prints logins/s, the server's CPU seconds per login, and
the load average.

    python3 Benchmarks/auth_logins.py [--clients 8] [--seconds 15] [--users 100]

Needs Debian's postgresql-15. Uses `.build/release/loft` or `$LOFT_BIN`.
"""

import argparse
import multiprocessing
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loftbench import LoftUnderTest, machine, password_for  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"


def as_postgres(command, **kwargs):
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--"] + command
    return subprocess.run(command, check=True, **kwargs)


class PrivatePostgres:
    """A throw-away cluster with role/database `loft` (password `loftpass`) and etc/loft-users.sql."""

    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix="loft-bench-pg-")
        if os.getuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        data = os.path.join(self.directory, "data")
        as_postgres([f"{PG_BIN}/initdb", "-D", data, "-U", "postgres", "--no-sync", "--auth-local=trust",
                     "--auth-host=scram-sha-256"], stdout=subprocess.DEVNULL)
        log = os.path.join(self.directory, "postgres.log")
        command = [f"{PG_BIN}/postgres", "-D", data, "-p", str(self.port), "-k", self.directory,
                   "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        self.process = subprocess.Popen(command, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while "ready to accept connections" not in open(log, errors="replace").read():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("postgres did not start:\n" + open(log, errors="replace").read())
            time.sleep(0.05)
        self.psql("CREATE ROLE loft LOGIN PASSWORD 'loftpass'; CREATE DATABASE loft OWNER loft;", user="postgres", db="postgres")
        schema = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "etc", "loft-users.sql")
        self.psql(open(schema).read())
        return self

    def psql(self, sql, user="loft", db="loft"):
        as_postgres([f"{PG_BIN}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.directory, "-p", str(self.port),
                     "-U", user, "-d", db], input=sql.encode())

    def __exit__(self, *exc):
        pid_file = os.path.join(self.directory, "data", "postmaster.pid")
        try:
            os.kill(int(open(pid_file).readline()), signal.SIGINT)  # fast shutdown, by PID
        except (OSError, ValueError):
            pass
        self.process.wait(timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)
        return False


def client(port, users, seconds, start, counts):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    done = failed = 0
    index = os.getpid()
    while time.monotonic() < start:
        time.sleep(0.001)
    end = start + seconds
    while time.monotonic() < end:
        user = users[index % len(users)]
        index += 7
        with context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30)) as tls:
            reader = tls.makefile("rb")
            reader.readline()
            tls.sendall(f"a LOGIN {user} {password_for(user)}\r\nb LOGOUT\r\n".encode())
            while True:
                line = reader.readline()
                if line.startswith(b"a "):
                    if line.startswith(b"a OK"):
                        done += 1
                    else:
                        failed += 1
                if not line or line.startswith(b"b "):
                    break
    counts.put((done, failed))


def measure(loft, users, clients, seconds):
    port = loft.imap_ports["implicit"]
    counts = multiprocessing.Queue()
    start = time.monotonic() + 0.5
    cpu_before = loft.cpu_seconds()
    workers = [multiprocessing.Process(target=client, args=(port, users, seconds, start, counts)) for _ in range(clients)]
    for worker in workers:
        worker.start()
    results = [counts.get() for _ in workers]
    for worker in workers:
        worker.join()
    cpu = loft.cpu_seconds() - cpu_before
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    return done, failed, cpu


class PostgresLoft(LoftUnderTest):
    """`LoftUnderTest` with `[auth] backend = "postgresql"` instead of its passwd-file."""

    def __init__(self, users, port, **kwargs):
        super().__init__(users, **kwargs)
        self.pg_port = port

    def _write_config(self):
        super()._write_config()
        path = self.path("loft.toml")
        text = open(path).read().replace(f'passwd_file = "{self.path("passwd")}"', 'backend = "postgresql"')
        text += (f'\n[auth.postgresql]\nport = {self.pg_port}\ndatabase = "loft"\nuser = "loft"\n'
                 'password = "loftpass"\ntls = "disable"\n')
        open(path, "w").write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--users", type=int, default=100)
    args = parser.parse_args()
    users = [f"user{n}" for n in range(args.users)]
    print(machine())
    print(f"{args.clients} clients, {args.seconds:.0f} s each, {args.users} users with $6$ hashes, IMAP LOGIN+LOGOUT over implicit TLS")
    rows = []
    with LoftUnderTest(users, imap=True) as loft:
        hashes = dict(line.strip().split(":", 1) for line in open(loft.path("passwd")) if ":" in line)
        done, failed, cpu = measure(loft, users, args.clients, args.seconds)
        rows.append(("passwd-file", done, failed, cpu, os.getloadavg()[0], loft.log_counts()))
    with PrivatePostgres() as database:
        values = ",".join(f"('{name}', 'example.org', '{hashes[name]}')" for name in users)
        database.psql(f"INSERT INTO users (username, domain, password) VALUES {values};")
        with PostgresLoft(users, database.port, imap=True) as loft:
            done, failed, cpu = measure(loft, users, args.clients, args.seconds)
            rows.append(("postgresql", done, failed, cpu, os.getloadavg()[0], loft.log_counts()))
    print(f"{'backend':12} {'logins':>7} {'failed':>6} {'logins/s':>9} {'CPU ms/login':>13} {'load':>5}  log")
    for name, done, failed, cpu, load, log in rows:
        print(f"{name:12} {done:7d} {failed:6d} {done / args.seconds:9.1f} {1000 * cpu / max(done, 1):13.2f} {load:5.1f}  {log}")


if __name__ == "__main__":
    main()
