"""Authenticated submission with durable delivery: Loft against Postfix → Dovecot LMTP.

16 connections (one user each, sending to the next user), 4 KiB messages, one command at a time,
driven by the compiled `smtpload` (scripts/bench/smtpload.c) for S seconds (10; 3 with --quick).
`submission-587` uses STARTTLS, `submission-465` implicit TLS; same RSA-2048 certificate on both
servers.

Value: messages per second that got a `250` after ".". What a 250 means differs:
- Loft: the message is fsynced into the recipient's Maildir (`new/`).
- Postfix: the message is fsynced into Postfix's queue; qmgr then delivers it through Dovecot's LMTP
  (mail_fsync = optimized, Dovecot's default) into the Maildir. The run waits until every accepted
  message is in a Maildir; `extra["delivered_msg_per_s"]` is accepted / (time until the last one
  landed), and the server CPU covers that whole time.
Server CPU is the whole process tree (Loft: one process; Postfix master and children + Dovecot
master and children). Afterwards each recipient's `Maildir/new` must have grown by exactly the
number of 250s addressed to it.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import benchlib  # noqa: E402
from postfix_peer import PostfixPeer, versions  # noqa: E402

contract = benchlib.contract()

CONNECTIONS = 16
MESSAGE_SIZE = 4096
DELIVERY_TIMEOUT = 300


def cpu_by_process(roots):
    """CPU seconds (user + system) of the processes under `roots`, summed by "<root's name>/<process name>"
    (Postfix's LMTP client and Dovecot's LMTP server are both called lmtp). What processes that ended
    used is in their parent's reaped-children times, counted under "<root>/<parent> (reaped children)"."""
    totals = {}
    for root in roots:
        processes = benchlib.imapbench.tree_processes(root)
        if root not in processes:
            continue
        top = processes[root][0]
        for name, _, times, _ in processes.values():
            key = f"{top}/{name}"
            totals[key] = totals.get(key, 0) + (times[0] + times[1]) / benchlib.imapbench.CLK_TCK
            if times[2] + times[3]:
                key = f"{top}/{name} (reaped children)"
                totals[key] = totals.get(key, 0) + (times[2] + times[3]) / benchlib.imapbench.CLK_TCK
    return totals


class SubmissionProfile(contract.Profile):
    unit = "msg/s"
    higher_is_better = True
    peers = ("loft", "postfix")

    def __init__(self, name, mode):
        self.name = name
        self.mode = mode
        self.loft = None
        self.postfix = None

    def setup(self, env):
        self.env = env
        self.seconds = 3 if env.quick else 10
        self.tool = benchlib.build_tool(env, "smtpload")
        benchlib.reachable(env.workdir)
        self.directory = os.path.join(env.workdir, self.name)
        os.makedirs(self.directory)
        benchlib.reachable(self.directory)
        self.users = benchlib.ensure_users(env, CONNECTIONS, "s")
        self.names = [name for name, _, _ in self.users]
        self.users_file = os.path.join(self.directory, "users")
        with open(self.users_file, "w") as file:
            file.writelines(f"{name} {password}\n" for name, password, _ in self.users)
        self.loft = benchlib.LoftInstance(env, self.directory, self.users, submission=True).__enter__()
        self.postfix = PostfixPeer(os.path.join(self.directory, "postfix-peer"), env.cert_path, env.key_path,
                                   self.users).__enter__()
        print(f"{self.name}: {versions()}; smtpload {CONNECTIONS} connections, {self.seconds} s, "
              f"{MESSAGE_SIZE}-byte messages", flush=True)

    def _count(self, peer):
        if peer == "loft":
            return {name: len(os.listdir(self.loft.maildir_new(name))) for name in self.names}
        return self.postfix.delivered(self.names)

    def run(self, peer):
        if peer == "loft":
            port, pids = self.loft.submission_ports[self.mode], [self.loft.pid]
        else:
            port, pids = self.postfix.port(self.mode), self.postfix.pids
        before = self._count(peer)
        load = benchlib.load_average()
        cpu = benchlib.tree_cpu_seconds(*pids)
        by_process = cpu_by_process(pids)
        started = time.monotonic()
        completed = subprocess.run(
            [self.tool, "--port", str(port), "--mode", self.mode, "--users", self.users_file,
             "--cafile", self.env.cert_path, "--connections", str(CONNECTIONS), "--seconds", str(self.seconds),
             "--size", str(MESSAGE_SIZE)], capture_output=True, text=True, timeout=self.seconds + 120)
        ended = time.monotonic()
        try:
            result = json.loads(completed.stdout)
        except ValueError:
            raise RuntimeError(f"smtpload against {peer}: exit {completed.returncode}, {completed.stdout!r} {completed.stderr!r}")
        if completed.returncode != 0 or result["errors"]:
            raise RuntimeError(f"smtpload against {peer}: {result['errors'][:3]}")
        expected = {name: before[name] + result["accepted_by_recipient"].get(name, 0) for name in self.names}

        # Loft's 250 means "in the Maildir" already; Postfix's means "in the queue": wait for the deliveries.
        backlog_at_end = sum(expected.values()) - sum(self._count(peer).values())
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            now = self._count(peer)
            if all(now[name] >= expected[name] for name in self.names) or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        delivered_at = time.monotonic()
        cpu = benchlib.tree_cpu_seconds(*pids) - cpu
        by_process = {name: seconds - by_process.get(name, 0) for name, seconds in cpu_by_process(pids).items()}
        if now != expected:
            wrong = {name: (now[name], expected[name]) for name in self.names if now[name] != expected[name]}
            raise RuntimeError(f"{peer}: Maildir counts (found, expected) differ: {wrong}; "
                               f"{(self.postfix.problems() if peer == 'postfix' else self.loft.log_counts())}")
        # The load ran from `started + (login time)` for result["elapsed_s"]; deliveries end at delivered_at.
        load_began = ended - result["elapsed_s"]
        accepted = result["accepted"]
        extra = {
            "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"], "p90_ms": result["p90_ms"],
            "max_ms": result["max_ms"], "accepted": accepted, "refused": result["refused"],
            "delivered_msg_per_s": round(accepted / max(delivered_at - load_began, 1e-9), 1),
            "backlog_at_end": backlog_at_end,
            "server_cpu_us_per_msg": round(cpu / max(accepted, 1) * 1e6),
            "client_cpu_us_per_msg": round(result["client_cpu_s"] / max(accepted, 1) * 1e6),
            "client_core_share": round(result["client_cpu_s"] / max(result["elapsed_s"], 1e-9), 2),
            "load": round(load, 2),
        }
        if peer == "postfix":
            extra["cpu_s_by_process"] = {name: round(seconds, 2) for name, seconds in
                                         sorted(by_process.items(), key=lambda item: -item[1]) if seconds >= 0.05}
        if result["refused"]:
            raise RuntimeError(f"{peer}: {result['refused']} messages refused: {result['errors'][:3]}")
        return contract.Measurement(value=result["msg_per_s"], server_cpu_s=cpu, client_cpu_s=result["client_cpu_s"],
                                    extra=extra)

    def teardown(self):
        problems = []
        if self.postfix is not None:
            problems += self.postfix.problems()
            self.postfix.stop()
            self.postfix = None
        if self.loft is not None:
            counts = self.loft.log_counts()
            if counts.get("error") or counts.get("warning") or counts.get("critical"):
                problems.append(f"loft log: {counts}")
            self.loft.__exit__(None, None, None)
            self.loft = None
        if problems:
            print(f"{self.name}: server log problems: {problems}", flush=True)


PROFILES = [SubmissionProfile("submission-587", "starttls"), SubmissionProfile("submission-465", "implicit")]
