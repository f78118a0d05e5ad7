#!/usr/bin/env python3
"""Memory per queued message and start-up time of `loft serve` with 100,000 queued messages.

Every entry has one recipient at down.bench.test, whose MX (127.0.0.200) refuses connections; the
entries (4 KiB messages) are written into data_dir/queue in Loft's spool format before Loft starts.
Three kinds of run, each `--runs` times:

- `empty`: no entry. RSS once Loft is idle (its CPU time unchanged for 2 s), and its CPU use over
  `--watch` seconds after that.
- `waiting`: N entries whose next attempt is a day away, so the queue reads them all and then idles.
  Times from exec to the "listening" log lines and to idle; RSS when idle; then the CPU it uses over
  `--watch` seconds while idle. Memory per queued message = (RSS waiting - RSS empty) / N.
- `due`: N entries due now. Times from exec to "listening" and to the first "delivery attempt" log
  line; then for `--watch` seconds the rate of attempts (each: connection refused, the envelope
  rewritten durably) and Loft's CPU use; RSS at the end.

Usage: Benchmarks/outbound_queue_100k.py [--entries N] [--runs R] [--watch S] [--kinds empty,waiting,due]
Needs the release build (`LOFT_BIN`), nsd and drill.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from loftbench import LOFT, machine, disk
from outboundbench import BenchDNS, DOWN_DOMAIN, free_port, outbound_config, queued, write_spool


def options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--watch", type=float, default=30)
    parser.add_argument("--kinds", default="empty,waiting,due")
    return parser.parse_args()


def certificate(directory):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "30", "-subj", "/CN=localhost", "-keyout", os.path.join(directory, "key.pem"),
                    "-out", os.path.join(directory, "cert.pem")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    open(os.path.join(directory, "passwd"), "w").close()


def config(directory, dns_port):
    delivery_keys, dns_section = outbound_config(dns_port, free_port())
    with open(os.path.join(directory, "loft.toml"), "w") as file:
        file.write(f"""hostname = "mail.example.org"
domain = "example.org"
data_dir = "{directory}/data"
[tls]
certificate = "{directory}/cert.pem"
private_key = "{directory}/key.pem"
[auth]
passwd_file = "{directory}/passwd"
[[listener]]
protocol = "submission"
address = "127.0.0.1:0"
tls = "implicit"
[delivery]
{delivery_keys}
{dns_section}""")


def proc_stat(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise KeyError("VmRSS")


def log_has(path, text):
    with open(path, errors="replace") as log:
        return text in log.read()


def wait_idle(pid, quiet=2.0, timeout=900):
    """Waits until the process's CPU time stays unchanged for `quiet` seconds; returns when that began."""
    last, since = proc_stat(pid), time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = proc_stat(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return since
    raise RuntimeError("loft never went idle")


def one_run(kind, arguments, dns):
    directory = tempfile.mkdtemp(prefix="loft-bench-queue-")
    process = None
    try:
        certificate(directory)
        config(directory, dns.port)
        data = os.path.join(directory, "data")
        count = 0 if kind == "empty" else arguments.entries
        began = time.monotonic()
        write_spool(data, [f"user{index}@{DOWN_DOMAIN}" for index in range(count)], 4096,
                    next_attempt=time.time() + 86400 if kind == "waiting" else None)
        written = time.monotonic() - began
        subprocess.run(["sync"], check=True)  # the spool is on disk before the clock starts
        log_path = os.path.join(directory, "loft.log")
        log = open(log_path, "wb")
        started = time.monotonic()
        process = subprocess.Popen([LOFT, "serve", "--config", os.path.join(directory, "loft.toml")],
                                   stdout=log, stderr=subprocess.STDOUT)
        log.close()
        listening = first_attempt = None
        while listening is None or (kind == "due" and first_attempt is None):
            if process.poll() is not None:
                raise RuntimeError("loft exited: " + open(log_path, errors="replace").read()[-2000:])
            now = time.monotonic()
            if listening is None and log_has(log_path, "listening"):
                listening = now - started
            if kind == "due" and first_attempt is None and log_has(log_path, "delivery attempt"):
                first_attempt = now - started
            if now - started > 900:
                raise RuntimeError("timed out")
            time.sleep(0.005)
        result = {"kind": kind, "entries": count, "write_s": written, "listening_s": listening}
        if kind == "due":
            result["first_attempt_s"] = first_attempt
            cpu, attempts_before = proc_stat(process.pid), open(log_path, errors="replace").read().count("delivery attempt")
            time.sleep(arguments.watch)
            text = open(log_path, errors="replace").read()
            result["attempts_per_s"] = (text.count("delivery attempt") - attempts_before) / arguments.watch
            result["cpu_share"] = (proc_stat(process.pid) - cpu) / arguments.watch
            result["rss_kb"] = rss_kb(process.pid)
            result["left"] = queued(data)
        else:
            idle = wait_idle(process.pid)
            result["idle_s"] = idle - started
            result["rss_kb"] = rss_kb(process.pid)
            result["cpu_s"] = proc_stat(process.pid)
            # Idle with entries queued, the queue still rereads the spool directory every 10 s.
            time.sleep(arguments.watch)
            result["idle_cpu_share"] = (proc_stat(process.pid) - result["cpu_s"]) / arguments.watch
        return result
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def main():
    arguments = options()
    print(machine())
    print(disk())
    results = {}
    with BenchDNS() as dns:
        for number in range(1, arguments.runs + 1):
            for kind in arguments.kinds.split(","):
                result = one_run(kind, arguments, dns)
                results.setdefault(kind, []).append(result)
                print(f"run {number} {kind}: " + ", ".join(
                    f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}"
                    for key, value in result.items() if key != "kind"), flush=True)
    if "empty" in results and "waiting" in results:
        per_entry = [(w["rss_kb"] - e["rss_kb"]) * 1024 / w["entries"]
                     for e, w in zip(results["empty"], results["waiting"])]
        print(f"memory per queued entry: " + ", ".join(f"{x:,.0f}" for x in per_entry)
              + f" bytes (median {statistics.median(per_entry):,.0f})")


if __name__ == "__main__":
    sys.exit(main())
