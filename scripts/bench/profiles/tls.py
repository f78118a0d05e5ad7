"""TLS profile of the side-by-side comparison (issue 11):

- `tls-connect`: new connections per second with a full handshake each (no session resumption),
  from `loadgen tls-connect` with 4 threads, on the same RSA-2048 certificate and key everywhere:
  Loft's and Dovecot's POP3S ports (handshake, read the greeting, QUIT, +OK, close), and
  `openssl s_server` as the reference for the TLS work alone (handshake, close_notify, close;
  it speaks no POP3, and serves one connection at a time in one process).
"""

import json
import os
import subprocess

import servers
from profile import Measurement, Profile

THREADS = 4


class TLSConnectProfile(Profile):
    name = "tls-connect"
    unit = "conn/s"
    higher_is_better = True
    peers = ("loft", "dovecot", "s_server")

    def __init__(self):
        self.servers = {}
        self.more_threads_tried = set()

    def setup(self, env):
        self.env = env
        self.servers["loft"] = servers.LoftServer(env, "loft-tls")
        self.servers["loft"].start()
        self.servers["dovecot"] = servers.DovecotServer(env, "dovecot-tls", protocols=("pop3",))
        self.servers["dovecot"].start()
        self.servers["s_server"] = servers.OpenSSLServer(env, "s_server-tls")
        self.servers["s_server"].start()

    def _connect(self, peer, threads, seconds):
        server = self.servers[peer]
        port = server.ports["tls" if peer == "s_server" else "pop3s"]
        cpu_before = server.cpu_seconds()
        completed = subprocess.run([os.path.join(self.env.tools_dir, "loadgen"), "tls-connect", "--port", str(port),
                                    "--threads", str(threads), "--seconds", str(seconds),
                                    "--proto", "none" if peer == "s_server" else "pop3"],
                                   capture_output=True, text=True, timeout=seconds + 120)
        # Dovecot's login processes are counted once the master has reaped them.
        server_cpu = server.cpu_seconds() - cpu_before
        if completed.returncode != 0:
            raise RuntimeError(f"loadgen tls-connect failed: {completed.stderr.strip()[:400]}")
        result = json.loads(completed.stdout)
        if result["connections"] == 0 or result["failed"] > result["connections"] // 100:
            raise RuntimeError(f"{peer}: {result['connections']} connections, {result['failed']} failed "
                               f"({result['first_error']})")
        return result, server_cpu

    def run(self, peer):
        seconds = 2 if self.env.quick else 5
        result, server_cpu = self._connect(peer, THREADS, seconds)
        extra = {"ops": result["connections"], "seconds": result["seconds"], "failed": result["failed"],
                 "server_cpu_share": round(server_cpu / result["seconds"], 2)}
        problems = self.servers[peer].log_problems(1)
        if problems:
            extra["server_log"] = problems[0][:160]
        # Once per server: twice the client threads. If the rate rises, 4 threads left the server idle
        # part of the time (latency-bound, not CPU-bound); if not, the 4-thread figure is its capacity here.
        if peer not in self.more_threads_tried:
            self.more_threads_tried.add(peer)
            extra[f"{2 * THREADS}_threads_conn_per_s"] = round(self._connect(peer, 2 * THREADS, seconds)[0]["conn_per_s"])
        return Measurement(value=result["conn_per_s"], server_cpu_s=server_cpu, client_cpu_s=result["client_cpu_s"],
                           extra=extra)

    def teardown(self):
        for server in self.servers.values():
            server.stop()
        self.servers = {}


PROFILES = [TLSConnectProfile()]
