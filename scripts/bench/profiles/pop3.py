"""POP3 profiles of the side-by-side comparison (issue 11), Loft against Dovecot's pop3d:

- `pop3s-retr-roundtrip`: one session over implicit TLS downloads 1,000 messages of 4 KiB, one
  `RETR n` round trip at a time (the latency a single client sees);
- `pop3s-retr-pipelined`: the same 1,000 `RETR` commands written at once (RFC 2449 PIPELINING;
  server capacity for one session). Once per server it also runs two such clients at the same
  time (two users, same mail) and notes whether the total rate rises — if it does, one client
  was not using all the server could give;
- `pop3s-idle-memory`: 1,000 logged-in, idle TLS sessions (one user each, one 2 KiB message);
  memory per session: Loft's RSS delta (one process), Dovecot's proportional set size (PSS,
  /proc/PID/smaps_rollup) summed over the master and every child.

Load comes from `loadgen` (C, OpenSSL), except for the idle sessions: Python asyncio, since only
memory is measured there.
"""

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import time

import servers
from profile import Measurement, Profile

MESSAGES = 1000
SIZE = 4096


def run_loadgen(env, arguments, timeout=600):
    completed = subprocess.run([os.path.join(env.tools_dir, "loadgen")] + arguments,
                               capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"loadgen {arguments[0]} failed: {completed.stderr.strip()[:400]}")
    return json.loads(completed.stdout)


class Pop3RetrProfile(Profile):
    unit = "msg/s"
    higher_is_better = True
    peers = ("loft", "dovecot")

    def __init__(self, name, pipelined):
        self.name = name
        self.pipelined = pipelined
        self.servers = {}
        self.two_clients_tried = set()

    def setup(self, env):
        self.env = env
        messages = [servers.message_bytes(index, SIZE) for index in range(MESSAGES)]
        self.wire_size = servers.wire_size(messages[0])
        template = servers.build_mail_template(env, f"mail-{self.name}", [("bench", messages), ("bench2", messages)])
        self.servers["loft"] = servers.LoftServer(env, f"loft-{self.name}", template)
        self.servers["loft"].start()
        self.servers["dovecot"] = servers.DovecotServer(env, f"dovecot-{self.name}", template, protocols=("pop3",))
        self.servers["dovecot"].start()
        # One short download each first: Dovecot builds its index and uidlist, and (its default,
        # pop3_no_flag_updates = no) marks the messages \Seen at QUIT by renaming them; later sessions
        # find that done. Loft reads its Maildir into memory the same way on the first login.
        for peer in self.peers:
            for user in ("bench", "bench2"):
                self._download(peer, user, min_seconds=0.2)

    def _download(self, peer, user, min_seconds):
        arguments = ["pop3-retr", "--port", str(self.servers[peer].ports["pop3s"]), "--user", user,
                     "--pass", servers.password_of(self.env, user), "--messages", str(MESSAGES),
                     "--expect-size", str(self.wire_size), "--min-seconds", str(min_seconds)]
        if self.pipelined:
            arguments.append("--pipelined")
        return run_loadgen(self.env, arguments)

    def run(self, peer):
        server = self.servers[peer]
        seconds = 1.0 if self.env.quick else 3.0
        cpu_before = server.cpu_seconds()
        result = self._download(peer, "bench", seconds)
        server_cpu = server.cpu_seconds() - cpu_before
        extra = {"ops": result["messages"] * result["passes"], "seconds": result["seconds"],
                 "passes": result["passes"], "MiB_per_s": round(result["octets"] / result["seconds"] / 2**20, 1),
                 "server_cpu_share": round(server_cpu / result["seconds"], 2), "tls": result["tls"]}
        problems = server.log_problems(1)
        if problems:
            extra["server_log"] = problems[0][:160]
        if self.pipelined and peer not in self.two_clients_tried:
            self.two_clients_tried.add(peer)
            extra["two_clients_msg_per_s"] = round(self._two_clients(peer, seconds))
        return Measurement(value=result["msg_per_s"], server_cpu_s=server_cpu,
                           client_cpu_s=result["client_cpu_s"], extra=extra)

    def _two_clients(self, peer, seconds):
        """Two load generators at once (users bench and bench2); their summed rate."""
        loadgen = os.path.join(self.env.tools_dir, "loadgen")
        port = str(self.servers[peer].ports["pop3s"])
        processes = [subprocess.Popen([loadgen, "pop3-retr", "--port", port, "--user", user,
                                       "--pass", servers.password_of(self.env, user), "--messages", str(MESSAGES),
                                       "--expect-size", str(self.wire_size), "--min-seconds", str(seconds),
                                       "--pipelined"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for user in ("bench", "bench2")]
        total = 0.0
        for process in processes:
            out, err = process.communicate(timeout=600)
            if process.returncode != 0:
                raise RuntimeError(f"loadgen (second client) failed: {err.strip()[:400]}")
            total += json.loads(out)["msg_per_s"]
        return total

    def teardown(self):
        for server in self.servers.values():
            server.stop()
        self.servers = {}


async def _expect_ok(reader, what):
    line = await reader.readline()
    if not line.startswith(b"+OK"):
        raise RuntimeError(f"{what}: expected +OK, got {line!r}")
    return line


async def _open_session(port, context, name, password, gate):
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost")
        await _expect_ok(reader, "greeting")
        writer.write(f"USER {name}\r\n".encode())
        await _expect_ok(reader, "USER")
        writer.write(f"PASS {password}\r\n".encode())
        await _expect_ok(reader, f"PASS {name}")
        writer.write(b"STAT\r\n")
        stat = await _expect_ok(reader, "STAT")
        if not stat.startswith(b"+OK 1 "):
            raise RuntimeError(f"{name}: STAT {stat!r}, expected one message")
        return reader, writer


async def _quit_session(reader, writer):
    writer.write(b"QUIT\r\n")
    try:
        await _expect_ok(reader, "QUIT")
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError, ssl.SSLError):
            pass


class Pop3IdleMemoryProfile(Profile):
    """Each measurement starts a fresh server (Loft keeps freed memory for reuse after QUIT, so a
    second round in the same process would measure ~0), opens one warm-up session, reads memory,
    opens N sessions (64 being opened at a time), waits 3 s, reads memory again, then QUITs all."""

    name = "pop3s-idle-memory"
    unit = "KB/session"
    higher_is_better = False
    peers = ("loft", "dovecot")
    SETTLE_SECONDS = 3
    IN_FLIGHT = 64

    def __init__(self):
        self.server = None
        self.round = 0

    def setup(self, env):
        self.env = env
        self.names = [name for name, _, _ in env.users if name.startswith("idle")]
        message = servers.message_bytes(0, 2048)
        self.template = servers.build_mail_template(env, "mail-idle", [(name, [message]) for name in self.names])
        self.context = ssl.create_default_context(cafile=env.cert_path)

    def run(self, peer):
        self.round += 1
        label = f"{peer}-idle-{self.round}"
        if peer == "loft":
            self.server = servers.LoftServer(self.env, label, self.template)
        else:
            self.server = servers.DovecotServer(self.env, label, self.template, protocols=("pop3",))
        try:
            self.server.start()
            return asyncio.run(self._measure(self.server))
        finally:
            self.server.stop()
            # 1,000 Maildirs and Dovecot's indexes per round: remove them now rather than all at the end
            shutil.rmtree(self.server.directory, ignore_errors=True)
            self.server = None

    async def _measure(self, server):
        port = server.ports["pop3s"]
        warm = await _open_session(port, self.context, self.names[0], servers.password_of(self.env, self.names[0]),
                                   asyncio.Semaphore(1))
        await _quit_session(*warm)
        await asyncio.sleep(1)
        rss_before, pss_before, processes_before = server.memory_kib()
        names = self.names[1:]
        gate = asyncio.Semaphore(self.IN_FLIGHT)
        cpu_before, client_before, started = server.cpu_seconds(), time.process_time(), time.monotonic()
        sessions = await asyncio.gather(*(_open_session(port, self.context, name,
                                                        servers.password_of(self.env, name), gate)
                                          for name in names))
        opening_seconds = time.monotonic() - started
        server_cpu, client_cpu = server.cpu_seconds() - cpu_before, time.process_time() - client_before
        await asyncio.sleep(self.SETTLE_SECONDS)
        rss_held, pss_held, processes_held = server.memory_kib()
        await asyncio.gather(*(_quit_session(reader, writer) for reader, writer in sessions))
        count = len(names)
        rss_per = (rss_held - rss_before) * 1.024 / count           # KiB -> KB (1,000 bytes)
        pss_per = None if pss_before is None or pss_held is None else (pss_held - pss_before) * 1.024 / count
        # One process (Loft): its RSS delta. PSS would move with every other process on the machine that
        # maps the same libraries (other builds and benchmarks), several MB against a 3-30 MB signal.
        # Many processes (Dovecot): the PSS sum, since summed RSS counts the shared libraries once per process.
        use_pss = processes_held > 1 and pss_per is not None
        extra = {"ops": count, "seconds": opening_seconds, "sessions": count,
                 "rss_KB_per_session": round(rss_per, 1),
                 "pss_KB_per_session": None if pss_per is None else round(pss_per, 1),
                 "processes": f"{processes_before}->{processes_held}", "measure": "PSS sum" if use_pss else "RSS"}
        return Measurement(value=pss_per if use_pss else rss_per, server_cpu_s=server_cpu,
                           client_cpu_s=client_cpu, extra=extra)

    def teardown(self):
        if self.server is not None:
            self.server.stop()


PROFILES = [
    Pop3RetrProfile("pop3s-retr-roundtrip", pipelined=False),
    Pop3RetrProfile("pop3s-retr-pipelined", pipelined=True),
    Pop3IdleMemoryProfile(),
]
