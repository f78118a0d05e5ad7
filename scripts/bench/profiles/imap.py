"""IMAP: Loft against Dovecot 2.3 (Benchmarks/imapbench.DovecotUnderTest, same RSA-2048 certificate),
reusing the clients and corpus of Benchmarks/imapbench.py and imap_mixed_load.py (imported read-only).
Every client here is Python; each Measurement carries the client's CPU and its share of one core
(`extra["client_core_share"]`) to show whether the client had headroom.

- imap-uid-fetch-flags-100k: one 100,000-message Maildir (10,000 with --quick; built once per run by
  imapbench.build_maildir, then copied to each server, whose first SELECT is done in setup). Each run:
  a new session, LOGIN, SELECT INBOX (warm), then the timed `UID FETCH 1:* (FLAGS)`; every message
  must answer. Value: milliseconds, client-side, from sending the command to its tagged OK.
- imap-mixed: imap_mixed_load.py's loop of whole sessions (connect, LOGIN, SELECT, FETCH envelopes,
  FETCH body, STORE, STORE \\Deleted, EXPUNGE, APPEND, LOGOUT) by 20 asyncio clients, each its own user
  with a 200-message INBOX, for 20 s (5 s with --quick). Value: sessions/s; any failure raises.
- imap-idle-memory: 1,000 sessions (200 with --quick), one user each with 3 messages, each TLS,
  LOGIN, SELECT INBOX, IDLE, then held. Value: KB of server memory per session = (memory with the
  sessions held, 3 s after the last IDLE - the same before, after one warm-up session) / sessions.
  Loft: VmRSS of its one process (restarted before each run, since it keeps freed memory for reuse).
  Dovecot: PSS (proportional set size, /proc/PID/smaps_rollup: shared pages divided among the
  processes sharing them) summed over every process of the instance, an imap-login (TLS proxy) and
  an imap process per session. The plain sum
  of RSS, which counts the shared libraries once per process, is in `extra["rss_sum_kb_per_session"]`.
  Dovecot warns that the inotify instance limit of the mail user (fs.inotify.max_user_instances,
  128 by default) is exceeded past 128 sessions and polls those mailboxes instead; the profile
  leaves the machine's limit alone.
"""

import asyncio
import os
import shutil
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import benchlib  # noqa: E402
import imapbench  # noqa: E402
import imap_mixed_load  # noqa: E402
import loftbench  # noqa: E402

contract = benchlib.contract()


def make_users(names):
    """[(name, password, hash)] with the passwords the Benchmarks/ IMAP clients log in with."""
    passwords = [loftbench.password_for(name) for name in names]
    hashes = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input="".join(p + "\n" for p in passwords).encode(),
                            check=True, capture_output=True).stdout.decode().split()
    return list(zip(names, passwords, hashes))


def quoted(text):
    """An IMAP quoted string (RFC 9051 section 4.3)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def process_memory_kb(pids, field):
    """Sum over `pids` of VmRSS (/proc/PID/status) or Pss (/proc/PID/smaps_rollup), in kB."""
    total = 0
    for pid in pids:
        try:
            if field == "Pss":
                with open(f"/proc/{pid}/smaps_rollup") as file:
                    total += next(int(line.split()[1]) for line in file if line.startswith("Pss:"))
            else:
                with open(f"/proc/{pid}/status") as file:
                    total += next(int(line.split()[1]) for line in file if line.startswith(field + ":"))
        except (OSError, StopIteration):
            pass   # a process that ended meanwhile
    return total


class IMAPProfile(contract.Profile):
    peers = ("loft", "dovecot")

    def __init__(self):
        self.loft = None
        self.dovecot = None

    def _start(self, env, users, loft_options=None, dovecot_options=None):
        self.env = env
        benchlib.reachable(env.workdir)
        self.directory = os.path.join(env.workdir, self.name)
        os.makedirs(self.directory)
        benchlib.reachable(self.directory)
        self.context = ssl.create_default_context(cafile=env.cert_path)
        self.loft = benchlib.LoftInstance(env, self.directory, users, imap=True, **(loft_options or {})).__enter__()
        self.dovecot = benchlib.DovecotInstance(env, self.directory, users, **(dovecot_options or {})).__enter__()
        print(f"{self.name}: dovecot {imapbench.dovecot_version()}", flush=True)

    def port(self, peer):
        return self.loft.imap_ports["implicit"] if peer == "loft" else self.dovecot.imaps_port

    def server_cpu(self, peer):
        return self.loft.cpu_seconds() if peer == "loft" else self.dovecot.cpu_seconds()

    def teardown(self):
        problems = []
        if self.dovecot is not None:
            lines = self.dovecot.log_problems(limit=100000)
            inotify = [line for line in lines if "Inotify instance limit" in line]
            problems += [line for line in lines if line not in inotify][:5]
            if inotify:
                print(f"{self.name}: dovecot: {len(inotify)} sessions without inotify (instance limit of uid nobody; "
                      f"they poll instead)", flush=True)
            self.dovecot.__exit__(None, None, None)
            self.dovecot = None
        if self.loft is not None:
            counts = self.loft.log_counts()
            if counts.get("error") or counts.get("warning") or counts.get("critical"):
                problems.append(f"loft log: {counts}")
            self.loft.__exit__(None, None, None)
            self.loft = None
        if problems:
            print(f"{self.name}: server log problems: {problems}", flush=True)


def uid_fetch_flags(client):
    """`UID FETCH 1:* (FLAGS)` on an imapbench.IMAPClient, read in large chunks until the tagged reply and
    counted afterwards: the answer to FLAGS has no literals, so this needs no parsing per line, and the
    Python client (imapbench's reads every line through a regular expression) is not what is timed.
    Returns the number of FETCH responses; raises unless the tagged reply is OK."""
    if client.position != len(client.buffer):
        raise RuntimeError("unread data before UID FETCH")
    client.counter += 1
    tag = f"B{client.counter:04d}".encode()
    client.sock.sendall(tag + b" UID FETCH 1:* (FLAGS)\r\n")
    chunks, tail, marker = [], b"", b"\r\n" + tag + b" "
    while True:
        data = client.sock.recv(1 << 20)
        if not data:
            raise imapbench.IMAPError("connection closed during UID FETCH")
        chunks.append(data)
        tail = (tail + data)[-512:]
        at = tail.rfind(marker)
        if at >= 0 and tail.endswith(b"\r\n"):
            break
    client.received += sum(len(chunk) for chunk in chunks)
    answer = b"".join(chunks)
    status = answer[answer.rfind(marker) + len(marker):]
    if not status.startswith(b"OK"):
        raise imapbench.IMAPError(f"UID FETCH 1:* (FLAGS) -> {status[:200]!r}")
    return answer.count(b" FETCH (")


class UIDFetchFlags(IMAPProfile):
    name = "imap-uid-fetch-flags-100k"
    unit = "ms"
    higher_is_better = False

    def setup(self, env):
        count = 10_000 if env.quick else 100_000
        corpus_parent = os.path.join(env.workdir, self.name + "-corpus")
        os.makedirs(corpus_parent)
        corpus = os.path.join(corpus_parent, "Maildir")
        began = time.monotonic()
        self.summary = imapbench.build_maildir(corpus, count)
        print(f"{self.name}: corpus of {count} messages ({self.summary['bytes'] / 2**20:.0f} MiB) built in "
              f"{time.monotonic() - began:.0f} s", flush=True)
        self.user, self.password, _ = users = benchlib.ensure_users(env, 1, "b")[0]

        def fill(server):
            shutil.rmtree(server.maildir(self.user), ignore_errors=True)
            imapbench.copy_maildir(corpus, server.maildir(self.user))

        self._start(env, [users], loft_options={"prepare": fill}, dovecot_options={"prepare": fill})
        shutil.rmtree(corpus_parent, ignore_errors=True)
        for peer in self.peers:   # the first SELECT builds each server's index; the runs measure warm ones
            began = time.monotonic()
            client = self._session(peer)
            client.command("LOGOUT")
            client.close()
            print(f"{self.name}: {peer} first SELECT {time.monotonic() - began:.1f} s", flush=True)

    def _session(self, peer):
        client = imapbench.IMAPClient(self.port(peer), self.context)
        client.command(f"LOGIN {quoted(self.user)} {quoted(self.password)}")
        _, untagged = client.command("SELECT INBOX", keep=True)
        exists = next((int(line.split()[1]) for line in untagged if line.split()[2:3] == [b"EXISTS"]), None)
        if exists != self.summary["count"]:
            raise RuntimeError(f"{peer}: SELECT INBOX gave {exists} EXISTS, expected {self.summary['count']}")
        return client

    def run(self, peer):
        client = self._session(peer)
        load = benchlib.load_average()
        cpu, client_cpu = self.server_cpu(peer), time.process_time()
        began = time.monotonic()
        responses = uid_fetch_flags(client)
        seconds = time.monotonic() - began
        cpu, client_cpu = self.server_cpu(peer) - cpu, time.process_time() - client_cpu
        received = client.received
        client.command("LOGOUT")
        client.close()
        if responses != self.summary["count"]:
            raise RuntimeError(f"{peer}: UID FETCH 1:* (FLAGS) gave {responses} responses, expected {self.summary['count']}")
        return contract.Measurement(value=seconds * 1000, server_cpu_s=cpu, client_cpu_s=client_cpu, extra={
            "messages": responses, "msg_per_s": round(responses / seconds), "client_core_share": round(client_cpu / seconds, 2),
            "mb_read_in_session": round(received / 1e6, 1), "load": round(load, 2)})


class MixedLoad(IMAPProfile):
    name = "imap-mixed"
    unit = "sessions/s"
    higher_is_better = True
    clients = 20

    def setup(self, env):
        self.seconds = 5 if env.quick else 20
        corpus = os.path.join(env.workdir, self.name + "-corpus", "Maildir")
        imapbench.build_maildir(corpus, imap_mixed_load.MAILBOX, seed=11)
        users = make_users([f"m{i:03d}" for i in range(self.clients)])
        self.names = [name for name, _, _ in users]

        def fill(server):
            for name in self.names:
                shutil.rmtree(server.maildir(name), ignore_errors=True)
                imapbench.copy_maildir(corpus, server.maildir(name))

        self._start(env, users, loft_options={"prepare": fill}, dovecot_options={"prepare": fill})
        shutil.rmtree(os.path.dirname(corpus), ignore_errors=True)

    def run(self, peer):
        imapbench.raise_open_files()
        load = benchlib.load_average()
        cpu, client_cpu = self.server_cpu(peer), time.process_time()
        sessions, elapsed, latencies, failures = asyncio.run(
            imap_mixed_load.load(self.port(peer), self.context, self.names, self.seconds))
        cpu, client_cpu = self.server_cpu(peer) - cpu, time.process_time() - client_cpu
        if failures:
            raise RuntimeError(f"{peer}: {len(failures)} failed sessions, e.g. {failures[:3]}")
        commands = sum(len(latencies[step]) for step in imap_mixed_load.STEPS if step != "connect")
        ms = lambda step, fraction: round(imap_mixed_load.percentile(latencies[step], fraction) * 1000, 1)
        return contract.Measurement(value=sessions / elapsed, server_cpu_s=cpu, client_cpu_s=client_cpu, extra={
            "sessions": sessions, "commands_per_s": round(commands / elapsed),
            "server_cpu_ms_per_session": round(cpu / max(sessions, 1) * 1000, 2),
            "client_core_share": round(client_cpu / elapsed, 2),
            "connect_p50_ms": ms("connect", .5), "login_p50_ms": ms("LOGIN", .5), "append_p99_ms": ms("APPEND", .99),
            "load": round(load, 2)})


class IdleMemory(IMAPProfile):
    name = "imap-idle-memory"
    unit = "KB/session"
    higher_is_better = False
    in_flight = 64
    settle_seconds = 3

    def setup(self, env):
        self.count = 200 if env.quick else 1000
        users = make_users(["warmup"] + [f"i{i:05d}" for i in range(self.count)])
        self.names = [name for name, _, _ in users[1:]]

        def fill_dovecot(dovecot):   # the same 3 messages of 2 KiB that LoftUnderTest writes for Loft
            for name, _, _ in users:
                maildir = dovecot.maildir(name)
                for sub in ("cur", "new", "tmp"):
                    os.makedirs(os.path.join(maildir, sub))
                for index in range(3):
                    with open(os.path.join(maildir, "new", f"1700000000.M{index}P1.bench"), "wb") as file:
                        file.write(loftbench.message_bytes(index, 2048))

        # Dovecot's defaults allow 100 imap-login processes (one per TLS connection, kept for the
        # session to proxy TLS) and 1,000 clients per service (log, anvil...); raised to hold the sessions.
        limit = self.count + 100
        extra = (f"default_client_limit = {4 * limit}\nservice imap-login {{\n  process_limit = {limit}\n}}\n"
                 f"service imap {{\n  process_limit = {limit}\n}}\n")
        self._start(env, users, loft_options={"messages_per_user": 3, "message_size": 2048},
                    dovecot_options={"prepare": fill_dovecot, "extra_config": extra})
        imapbench.raise_open_files()

    def _memory(self, peer, field):
        if peer == "loft":
            return process_memory_kb([self.loft.pid], field)
        return process_memory_kb(list(imapbench.tree_processes(self.dovecot.pid)), field)

    async def _open(self, peer, name, gate):
        async with gate:
            session = await imapbench.AsyncIMAP.open(self.port(peer), self.context)
            await session.command(f"LOGIN {name} {loftbench.password_for(name)}")
            _, untagged = await session.command("SELECT INBOX", keep=True)
            if not any(line.split()[1:3] == [b"3", b"EXISTS"] for line in untagged):
                raise imapbench.IMAPError(f"{name}: SELECT INBOX gave {untagged!r}")
            return session, await session.idle()

    async def _round(self, peer):
        warm, tag = await self._open(peer, "warmup", asyncio.Semaphore(1))
        await warm.done(tag)
        await warm.logout()
        await asyncio.sleep(1)
        before = {field: self._memory(peer, field) for field in ("VmRSS", "Pss")}
        cpu, client_cpu, began = self.server_cpu(peer), time.process_time(), time.monotonic()
        gate = asyncio.Semaphore(self.in_flight)
        results = await asyncio.gather(*(self._open(peer, name, gate) for name in self.names), return_exceptions=True)
        opened = time.monotonic() - began
        cpu, client_cpu = self.server_cpu(peer) - cpu, time.process_time() - client_cpu
        sessions = [r for r in results if not isinstance(r, BaseException)]
        failures = [r for r in results if isinstance(r, BaseException)]
        await asyncio.sleep(self.settle_seconds)
        held = {field: self._memory(peer, field) for field in ("VmRSS", "Pss")}
        processes = len(imapbench.tree_processes(self.loft.pid if peer == "loft" else self.dovecot.pid))
        closing = await asyncio.gather(*(self._close(session, tag) for session, tag in sessions), return_exceptions=True)
        failures += [r for r in closing if isinstance(r, BaseException)]
        return before, held, len(sessions), failures, opened, cpu, client_cpu, processes

    @staticmethod
    async def _close(session, tag):
        await session.done(tag)
        await session.logout()

    def run(self, peer):
        if peer == "loft":
            self.loft.restart()   # Loft keeps freed memory for reuse: start each run from a fresh process
            time.sleep(1)
        load = benchlib.load_average()
        before, held, count, failures, opened, cpu, client_cpu, processes = asyncio.run(self._round(peer))
        if failures or count != self.count:
            raise RuntimeError(f"{peer}: {count} of {self.count} sessions in IDLE; failures: {[repr(f)[:160] for f in failures[:3]]}")
        # Loft: one process, whose per-session memory is all private: RSS. (Its PSS also moves when other
        # processes mapping the same executable come and go.) Dovecot: PSS, not to count shared libraries per process.
        field = "VmRSS" if peer == "loft" else "Pss"
        per_session = (held[field] - before[field]) / count
        extra = {"sessions": count, "pss_before_kb": before["Pss"], "pss_held_kb": held["Pss"],
                 "rss_sum_kb_per_session": round((held["VmRSS"] - before["VmRSS"]) / count, 1),
                 "processes_held": processes, "open_s": round(opened, 1),
                 "server_cpu_ms_per_open": round(cpu / count * 1000, 2),
                 "client_core_share": round(client_cpu / opened, 2), "load": round(load, 2)}
        return contract.Measurement(value=per_session, server_cpu_s=cpu, client_cpu_s=client_cpu, extra=extra)


PROFILES = [UIDFetchFlags(), MixedLoad(), IdleMemory()]
