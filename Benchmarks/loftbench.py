"""Shared set-up for the Loft benchmarks (Python 3 standard library only).

`LoftUnderTest` builds a throw-away world in a temporary directory: an ECDSA P-256
self-signed certificate, a passwd-file with SHA512-CRYPT (`$6$`) hashes, Maildirs with
messages, and a config with two POP3 listeners on 127.0.0.1 port 0 (implicit TLS and STLS),
plus, with `submission=True`, two submission listeners (STARTTLS and implicit TLS) and
`example.org` as the local delivery domain, and with `imap=True` three IMAP listeners (implicit
TLS, STARTTLS, and `tls = "none"` with `allow_plaintext_auth = true`).
It starts the release `loft serve`, reads the bound ports from its log, and on exit sends
SIGTERM to that one PID and removes the directory.

The `$6$` hashes (5,000 rounds) are chosen so that creating and verifying thousands of
benchmark users is quick; production would use yescrypt, which costs more per login.
"""

import asyncio
import os
import platform
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOFT = os.environ.get("LOFT_BIN", os.path.join(REPO, ".build", "release", "loft"))
LISTENING = re.compile(r"listener=(pop3|submission|imap) (\S+):(\d+) tls=(\w+) .*listening")


def password_for(name):
    return "pw-" + name


def message_bytes(index, size):
    """An RFC 5322 message of exactly `size` bytes on disk, LF line endings as an MDA writes."""
    head = (
        "From: Bench Sender <sender@example.net>\n"
        "To: user@example.org\n"
        f"Subject: benchmark message {index}\n"
        f"Message-ID: <bench-{index}@example.net>\n"
        "Date: Mon, 01 Jan 2024 00:00:00 +0000\n"
        "\n"
    ).encode()
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\n"
    body = bytearray()
    while len(head) + len(body) < size:
        body += line
    data = (head + bytes(body))[:size - 1] + b"\n"
    assert len(data) == size
    return data


class LoftUnderTest:
    """Context manager: `with LoftUnderTest(users, messages_per_user, size) as loft: ...`.

    `ports` maps the POP3 listeners' tls mode ("implicit", "starttls") to their bound port;
    `submission_ports` does the same for the submission listeners (only with `submission=True`),
    `imap_ports` for the IMAP listeners ("implicit", "starttls", "none"; only with `imap=True`).
    `prepare(loft)`, if given, runs after the Maildirs are made and before the server starts
    (to fill Maildirs some other way); `extra_config` is appended to the config file, and
    `delivery_config` (keys only) to its [delivery] section.
    """

    def __init__(self, users, messages_per_user=0, message_size=4096, submission=False, imap=False,
                 prepare=None, extra_config="", delivery_config=""):
        self.users = list(users)
        self.messages_per_user = messages_per_user
        self.message_size = message_size
        self.submission = submission
        self.imap = imap
        self.prepare = prepare
        self.extra_config = extra_config
        self.delivery_config = delivery_config
        self.process = None
        self.directory = None
        self.ports = {}
        self.submission_ports = {}
        self.imap_ports = {}

    # -- set-up -------------------------------------------------------------

    def __enter__(self):
        if not os.access(LOFT, os.X_OK):
            sys.exit(f"{LOFT} not found: run `swift build -c release --product loft` in {REPO} first")
        self.directory = tempfile.mkdtemp(prefix="loft-bench-")
        try:
            self._make_certificate()
            self._make_passwd_file()
            self._make_maildirs()
            if self.prepare is not None:
                self.prepare(self)
            self._write_config()
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def path(self, *parts):
        return os.path.join(self.directory, *parts)

    def _make_certificate(self):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", self.path("key.pem"), "-out", self.path("cert.pem")],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _make_passwd_file(self):
        # One `openssl passwd -6` process hashes every password (one per input line, fresh salt each).
        passwords = "".join(password_for(name) + "\n" for name in self.users)
        hashes = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=passwords.encode(),
                                check=True, capture_output=True).stdout.decode().split()
        assert len(hashes) == len(self.users)
        with open(self.path("passwd"), "w") as passwd:
            for name, hashed in zip(self.users, hashes):
                passwd.write(f"{name}:{hashed}\n")

    def _make_maildirs(self):
        stamp = int(time.time())
        for name in self.users:
            maildir = self.path("data", "mail", "example.org", name, "Maildir")
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(maildir, sub))
            for index in range(self.messages_per_user):
                # Maildir delivery: write into tmp/, rename into new/ (no fsync: set-up only).
                unique = f"{stamp}.M{index}P{os.getpid()}.bench"
                temporary = os.path.join(maildir, "tmp", unique)
                with open(temporary, "wb") as message:
                    message.write(message_bytes(index, self.message_size))
                os.rename(temporary, os.path.join(maildir, "new", unique))

    def _write_config(self):
        with open(self.path("loft.toml"), "w") as config:
            config.write(f"""hostname = "mail.example.org"
domain = "example.org"
data_dir = "{self.path('data')}"
[tls]
certificate = "{self.path('cert.pem')}"
private_key = "{self.path('key.pem')}"
[auth]
passwd_file = "{self.path('passwd')}"
[limits]
# The benchmarks open thousands of connections from 127.0.0.1: measure capacity, not the limits.
max_connections = 100000
max_connections_per_ip = 100000
max_sessions_per_user_ip = 100000
[[listener]]
protocol = "pop3"
address = "127.0.0.1:0"
tls = "implicit"
[[listener]]
protocol = "pop3"
address = "127.0.0.1:0"
tls = "starttls"
""")
            if self.imap:
                config.write("""[[listener]]
protocol = "imap"
address = "127.0.0.1:0"
tls = "implicit"
[[listener]]
protocol = "imap"
address = "127.0.0.1:0"
tls = "starttls"
[[listener]]
protocol = "imap"
address = "127.0.0.1:0"
tls = "none"
allow_plaintext_auth = true
""")
            config.write(self.extra_config)
            if self.submission:
                config.write(f"""[delivery]
local_domains = ["example.org"]
{self.delivery_config}
[[listener]]
protocol = "submission"
address = "127.0.0.1:0"
tls = "starttls"
[[listener]]
protocol = "submission"
address = "127.0.0.1:0"
tls = "implicit"
""")
            elif self.delivery_config:
                config.write(f"[delivery]\n{self.delivery_config}\n")

    def _start(self):
        self.log_path = self.path("loft.log")
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen([LOFT, "serve", "--config", self.path("loft.toml")],
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.log_path, errors="replace") as text:
                for match in LISTENING.finditer(text.read()):
                    ports = {"pop3": self.ports, "submission": self.submission_ports,
                             "imap": self.imap_ports}[match.group(1)]
                    ports[match.group(4)] = int(match.group(3))
            if (len(self.ports) == 2 and len(self.submission_ports) == (2 if self.submission else 0)
                    and len(self.imap_ports) == (3 if self.imap else 0)):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("loft did not start; its log:\n" + open(self.log_path, errors="replace").read())

    def restart(self):
        """Stops the server (SIGTERM to its PID, then wait) and starts it again on the same data;
        the listeners get new ports."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.ports, self.submission_ports, self.imap_ports = {}, {}, {}
        self._start()

    # -- tear-down ----------------------------------------------------------

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"loft (pid {self.process.pid}) ignored SIGTERM for 30 s; killing it", file=sys.stderr)
                self.process.kill()
                self.process.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        return False

    # -- measuring ----------------------------------------------------------

    @property
    def pid(self):
        return self.process.pid

    def status(self, field):
        """A field of /proc/PID/status, e.g. "VmRSS" (in kB) or "Threads"."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def cpu_seconds(self):
        """User + system CPU time the server has used so far."""
        return sum(self.cpu_times())

    def cpu_times(self):
        """(user, system) CPU time the server has used so far, in seconds."""
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")

    def log_counts(self):
        """How often each notable event appears in the server log (errors, failed logins...)."""
        counts = {}
        with open(self.log_path, errors="replace") as text:
            for line in text:
                for level in ("warning", "error", "critical", "notice"):
                    if f" {level} " in line:
                        counts[level] = counts.get(level, 0) + 1
        return counts

    def maildir(self, name):
        """A user's Maildir (the INBOX; folders are `.Name` sub-directories, Maildir++)."""
        return self.path("data", "mail", "example.org", name, "Maildir")

    def maildir_new(self, name):
        """The `new/` folder of a user's Maildir, where delivered messages land."""
        return self.path("data", "mail", "example.org", name, "Maildir", "new")

    def client_context(self):
        """A client SSL context that trusts the benchmark certificate (made once, then shared)."""
        if getattr(self, "_context", None) is None:
            self._context = ssl.create_default_context(cafile=self.path("cert.pem"))
        return self._context


def disk(path=None):
    """One line describing the file system under `path` (default: the temporary directory)."""
    path = path or tempfile.gettempdir()
    found = subprocess.run(["findmnt", "-n", "-o", "SOURCE,FSTYPE,OPTIONS", "-T", path],
                           capture_output=True, text=True).stdout.split()
    source, fstype, options = (found + ["?", "?", "?"])[:3]
    device = os.path.basename(source)
    def sysfs(name):
        try:
            with open(f"/sys/block/{device}/queue/{name}") as value:
                return value.read().strip()
        except OSError:
            return "?"
    usage = shutil.disk_usage(path)
    return (f"{path}: {source} {fstype} ({options}), {usage.total / 2**30:.0f} GiB, "
            f"rotational={sysfs('rotational')} write_cache={sysfs('write_cache')}")


def machine():
    """One line describing where the figures come from."""
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
    swift = next((line for line in swift if "Swift version" in line), "swift ?")
    return (f"nproc={os.cpu_count()} kernel={platform.release()} {openssl} | {swift} | "
            f"Python {platform.python_version()} | {time.strftime('%Y-%m-%d %H:%M %Z')} | "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


async def churn(connect_and_quit, connections, rounds, submission=False, in_flight=64, settle_seconds=2):
    """Rounds of `connections` short connections, first in plaintext on the STARTTLS port, then on
    the implicit-TLS port; prints RSS after each round once every connection of it is closed.
    `connect_and_quit(loft, port_kind, gate)` runs one connection under the semaphore `gate`."""
    print(machine())
    with LoftUnderTest(["nobody"], submission=submission) as loft:
        gate = asyncio.Semaphore(in_flight)
        await asyncio.sleep(1)
        print(f"RSS at start: {loft.status('VmRSS')} kB")
        for port_kind in ("starttls", "implicit"):
            previous = loft.status("VmRSS")
            for number in range(1, rounds + 1):
                await asyncio.gather(*(connect_and_quit(loft, port_kind, gate) for _ in range(connections)))
                await asyncio.sleep(settle_seconds)
                rss = loft.status("VmRSS")
                print(f"{port_kind:8} round {number}: {connections} connections closed, RSS {rss} kB "
                      f"(+{rss - previous} kB = {(rss - previous) * 1024 / connections:,.0f} bytes per connection)")
                previous = rss
        print(f"server log warnings/errors: {loft.log_counts() or 'none'}")
