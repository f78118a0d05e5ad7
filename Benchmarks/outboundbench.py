"""Shared set-up for the outbound (queue runner) benchmarks, Python 3 standard library only.

- `BenchDNS`: Debian's nsd on 127.0.0.1 serving an unsigned zone `bench.test` in which
  `d01` .. `d16` each have an MX `mxNN` at 127.0.0.(10+NN), `one` has `mx01`, and `down` has an MX
  at 127.0.0.200 where nothing listens (connection refused).
- `SinkMX`: `sink_mx.c` (built here with the system `cc` and OpenSSL) on those addresses: ESMTP,
  PIPELINING, STARTTLS, and every message thrown away.
- `write_spool`: queue entries written straight into `data_dir/queue` in Loft's spool format
  (`messages/<id>` and `envelopes/<id>.json`, see Sources/Delivery/Spool.swift), before Loft starts.
- `outbound_config`: the Loft config that sends mail for `bench.test` through that nsd to port
  `port` of the MX hosts.

Every process here is started by the benchmark and stopped by its PID.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAINS = [f"d{n:02}.bench.test" for n in range(1, 17)]
ONE_DOMAIN = "one.bench.test"
DOWN_DOMAIN = "down.bench.test"
SINK_ADDRESSES = [f"127.0.0.{10 + n}" for n in range(1, 17)]


def free_port():
    """A port free on 127.0.0.1 for TCP and UDP when asked."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                    udp.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


class BenchDNS:
    """nsd serving `bench.test` (unsigned) on 127.0.0.1:port; a context manager."""

    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix="loft-bench-dns-")
        records = ["$ORIGIN bench.test.", "$TTL 3600",
                   "@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 3600", "@ IN NS ns"]
        for n in range(1, 17):
            records += [f"d{n:02} IN MX 10 mx{n:02}", f"mx{n:02} IN A 127.0.0.{10 + n}"]
        records += ["one IN MX 10 mx01", "down IN MX 10 mxdown", "mxdown IN A 127.0.0.200"]
        with open(os.path.join(self.directory, "bench.test.zone"), "w") as zone:
            zone.write("\n".join(records) + "\n")
        self.port = free_port()
        d = self.directory
        with open(os.path.join(d, "nsd.conf"), "w") as config:
            config.write(f"""server:
  ip-address: 127.0.0.1
  port: {self.port}
  username: ""
  chroot: ""
  database: ""
  zonesdir: "{d}"
  pidfile: "{d}/nsd.pid"
  zonelistfile: "{d}/zone.list"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  logfile: "{d}/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: "bench.test"
  zonefile: "bench.test.zone"
""")
        self.process = subprocess.Popen(["/usr/sbin/nsd", "-d", "-c", os.path.join(d, "nsd.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            answer = subprocess.run(["drill", "-t", "-p", str(self.port), "@127.0.0.1", "d01.bench.test", "MX"],
                                    capture_output=True, text=True).stdout
            if "rcode: NOERROR" in answer and "mx01.bench.test" in answer:
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("nsd did not serve bench.test")

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
        return False


def build_sink():
    """Compiles sink_mx.c (once per source version) and returns the executable's path."""
    source = os.path.join(HERE, "sink_mx.c")
    stamp = int(os.stat(source).st_mtime)
    binary = os.path.join(tempfile.gettempdir(), f"loft-bench-sink_mx-{stamp}")
    if not os.access(binary, os.X_OK):
        subprocess.run(["cc", "-O2", "-o", binary + ".tmp", source, "-lssl", "-lcrypto", "-lpthread"], check=True)
        os.rename(binary + ".tmp", binary)
    return binary


class SinkMX:
    """`sink_mx` on `addresses`:`port` with STARTTLS (certificate and key PEM files); a context manager.
    After exit, `stats` holds its final counters: messages, connections, tls, user, system."""

    def __init__(self, certificate, key, port, addresses=SINK_ADDRESSES):
        self.arguments = [build_sink(), certificate, key, str(port)] + list(addresses)
        self.stats = None

    def __enter__(self):
        if getattr(self, "process", None) is not None:  # already started
            return self
        self.process = subprocess.Popen(self.arguments, stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            self.process.wait()
            self.process = None
            raise RuntimeError("sink_mx did not start")
        return self

    @property
    def pid(self):
        return self.process.pid

    def cpu_seconds(self):
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            line = self.process.stdout.readline().strip()
            self.process.wait(timeout=10)
            self.stats = dict(item.split("=") for item in line.split())
        return False


def outbound_config(dns_port, smtp_port, destination_concurrency=None):
    """(keys for Loft's [delivery] section, a [dns] section) that send mail for bench.test through the
    nsd on `dns_port` to port `smtp_port` of the MX hosts."""
    concurrency = f"destination_concurrency = {destination_concurrency}\n" if destination_concurrency else ""
    return (f"smtp_port = {smtp_port}\n{concurrency}",
            f"""
[dns]
forwarders = ["127.0.0.1@{dns_port}"]
# bench.test is unsigned. The only trust anchor is for a zone that is never asked about (its digest is
# made up), so there is no root anchor and every answer from nsd is "insecure": TLS policy "may".
trust_anchors = ["anchor.invalid. IN DS 1 13 2 {'00' * 32}"]
transparent_zones = ["bench.test."]
""")


def message_bytes(index, size):
    """A message of exactly `size` bytes with CRLF line endings, as a submission client sends it."""
    head = (f"From: alice@example.org\r\nTo: user@bench.test\r\nSubject: outbound benchmark {index}\r\n"
            f"Message-ID: <outbound-{index}@example.org>\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\n").encode()
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    body = line * ((size - len(head)) // len(line) + 1)
    data = (head + body)[:size - 2] + b"\r\n"
    assert len(data) == size
    return data


def iso8601(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def write_spool(data_directory, recipients, size=4096, next_attempt=None):
    """Writes one queue entry per recipient address (sender alice@example.org) into
    `data_directory/queue`, as `Spool.add` leaves them but without fsync (set-up only).
    `next_attempt` (seconds since 1970) makes the entries not due before then."""
    queue = os.path.join(data_directory, "queue")
    for sub in ("tmp", "messages", "envelopes"):
        os.makedirs(os.path.join(queue, sub), mode=0o700, exist_ok=True)
    arrival = iso8601(time.time())
    for index, recipient in enumerate(recipients):
        queue_id = f"bench{index:07}"
        with open(os.path.join(queue, "messages", queue_id), "wb") as message:
            message.write(message_bytes(index, size))
        envelope = {
            "id": queue_id, "sender": "alice@example.org", "recipients": [{"address": recipient}],
            "authenticated_user": "alice", "arrival": arrival, "body_type": "7BIT", "smtputf8": False,
            "attempts": 0, "delay_notice_sent": False, "bounce_requested": False,
        }
        if next_attempt is not None:
            envelope["next_attempt"] = iso8601(next_attempt)
        with open(os.path.join(queue, "envelopes", queue_id + ".json"), "w") as file:
            json.dump(envelope, file)


def queued(data_directory):
    """How many entries are in the spool (envelope files)."""
    try:
        with os.scandir(os.path.join(data_directory, "queue", "envelopes")) as entries:
            return sum(1 for entry in entries if entry.name.endswith(".json"))
    except FileNotFoundError:
        return 0
