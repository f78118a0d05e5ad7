"""Servers under test for the side-by-side comparison (issue 11): private Loft, Dovecot and
`openssl s_server` instances on 127.0.0.1, started from an `Environment` (profile.py), each
stopped by its own PID. Python 3 standard library only.

- `build_mail_template(env, name, mailboxes)`: a directory of `<user>/Maildir` trees, written once
  per profile; every server gets a `cp -a` copy, so all start from the same files (and mtimes).
- `LoftServer`: `loft serve` with the shared RSA certificate, the same users, listeners on port 0
  (the bound ports are read from its log).
- `DovecotServer`: Debian's Dovecot run as root in the foreground (`dovecot -F`) with a throw-away
  config; its processes use Debian's users (`dovecot`, `dovenull`) and the mail belongs to `nobody`.
- `OpenSSLServer`: `openssl s_server` on the same certificate and key (handshakes only).
- `tree_cpu_seconds`, `tree_memory_kib`: CPU and memory of a process and all its descendants.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
NOBODY = 65534
DOMAIN = "example.org"


# -- processes -----------------------------------------------------------------------------------

def _stat(pid):
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text.rsplit(")", 1)[1].split()
    # fields[1] = ppid; utime, stime, cutime, cstime = fields[11:15]; rss in pages = fields[21]
    return int(fields[1]), [int(x) for x in fields[11:15]], int(fields[21])


def tree_pids(root):
    """`root` and every live descendant, found through the parent PIDs in /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = _stat(int(entry))[0]
            except (OSError, ValueError, IndexError):
                pass
    members, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        if pid in parents and pid not in members:
            members.append(pid)
            frontier += [child for child, parent in parents.items() if parent == pid]
    return members


def tree_cpu_seconds(root):
    """User + system CPU of `root` and its live descendants, each with its reaped children
    (cutime/cstime), so processes that have exited (Dovecot's per-connection login processes)
    still count once their parent has waited for them."""
    total = 0
    for pid in tree_pids(root):
        try:
            total += sum(_stat(pid)[1])
        except (OSError, ValueError, IndexError):
            pass
    return total / CLK_TCK


def tree_memory_kib(root):
    """(RSS sum, PSS sum or None, process count) of `root` and its descendants, in KiB. PSS comes
    from /proc/PID/smaps_rollup (shared pages divided among the processes that map them); it is
    None when any of those files cannot be read."""
    rss = pss = count = 0
    for pid in tree_pids(root):
        try:
            rss += _stat(pid)[2] * PAGE_KIB
            count += 1
        except (OSError, ValueError, IndexError):
            continue
        if pss is not None:
            try:
                with open(f"/proc/{pid}/smaps_rollup") as rollup:
                    pss += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            except (OSError, StopIteration, ValueError):
                pss = None
    return rss, pss, count


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(process, port, what, logs, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    text = ""
    for path in logs:
        if os.path.exists(path):
            text += open(path, errors="replace").read()[-4000:]
    raise RuntimeError(f"{what} did not start on port {port}; its log:\n{text}")


def _stop(process, what, seconds=30):
    """SIGTERM to that one PID, wait; SIGKILL to the same PID if it does not go."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        print(f"{what} (pid {process.pid}) ignored SIGTERM for {seconds} s; killing it", file=sys.stderr)
        process.kill()
        process.wait()


# -- mail ----------------------------------------------------------------------------------------

def message_bytes(index, size):
    """An RFC 5322 message of exactly `size` bytes on disk, LF line endings as an MDA writes them,
    no line starting with "." (so its wire size is size + number of lines)."""
    head = (
        "From: Bench Sender <sender@example.net>\n"
        f"To: bench@{DOMAIN}\n"
        f"Subject: benchmark message {index}\n"
        f"Message-ID: <compare-{index}@example.net>\n"
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


def wire_size(data):
    """Octets of the message on the wire with CRLF line endings (what POP3 LIST reports)."""
    return len(data) + data.count(b"\n") - data.count(b"\r\n")


def build_mail_template(env, name, mailboxes):
    """Writes `<workdir>/<name>/<user>/Maildir` for each `(user, [message bytes])` in `mailboxes`
    (files written in tmp/ and renamed into new/, as an MDA delivers) and returns `<workdir>/<name>`."""
    root = os.path.join(env.workdir, name)
    stamp = 1_700_000_000
    for user, messages in mailboxes:
        maildir = os.path.join(root, user, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(maildir, sub))
        for index, data in enumerate(messages):
            unique = f"{stamp + index}.M{index}P1.compare"
            temporary = os.path.join(maildir, "tmp", unique)
            with open(temporary, "wb") as message:
                message.write(data)
            os.utime(temporary, (stamp + index, stamp + index))
            os.rename(temporary, os.path.join(maildir, "new", unique))
    return root


def _copy_template(template, destination):
    """`cp -a template destination`: the same files, modes and mtimes for every server."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    subprocess.run(["cp", "-a", template, destination], check=True)


def password_of(env, name):
    return next(password for user, password, _ in env.users if user == name)


# -- Loft ------------------------------------------------------------------------------------------

class LoftServer:
    """`loft serve` in `<workdir>/<label>`: POP3 implicit TLS always; `imap=True` adds an implicit-TLS
    IMAP listener, `submission=True` submission STARTTLS and implicit TLS with `example.org` local.
    `ports` maps "pop3s", "imaps", "submission" (STARTTLS), "submissions" to the bound ports.
    `extra_config` is appended to the config (top-level keys belong before it: use `extra_top`)."""

    LISTENING = ("pop3", "implicit", "pop3s"), ("imap", "implicit", "imaps"), \
        ("submission", "starttls", "submission"), ("submission", "implicit", "submissions")

    def __init__(self, env, label, mail_template=None, imap=False, submission=False,
                 extra_top="", extra_config="", delivery_config=""):
        self.env = env
        self.directory = os.path.join(env.workdir, label)
        self.mail_template = mail_template
        self.imap, self.submission = imap, submission
        self.extra_top, self.extra_config, self.delivery_config = extra_top, extra_config, delivery_config
        self.process = None
        self.ports = {}

    def path(self, *parts):
        return os.path.join(self.directory, *parts)

    def maildir(self, user):
        return self.path("data", "mail", DOMAIN, user, "Maildir")

    def start(self):
        if not os.access(self.env.loft_bin, os.X_OK):
            raise RuntimeError(f"{self.env.loft_bin} is not an executable")
        os.makedirs(self.path("data", "mail"))
        if self.mail_template is not None:
            _copy_template(self.mail_template, self.path("data", "mail", DOMAIN))
        with open(self.path("passwd"), "w") as passwd:
            for name, _, hashed in self.env.users:
                passwd.write(f"{name}:{hashed}\n")
        listeners = '[[listener]]\nprotocol = "pop3"\naddress = "127.0.0.1:0"\ntls = "implicit"\n'
        if self.imap:
            listeners += '[[listener]]\nprotocol = "imap"\naddress = "127.0.0.1:0"\ntls = "implicit"\n'
        delivery = ""
        if self.submission:
            delivery = f'[delivery]\nlocal_domains = ["{DOMAIN}"]\n{self.delivery_config}\n'
            for mode in ("starttls", "implicit"):
                listeners += f'[[listener]]\nprotocol = "submission"\naddress = "127.0.0.1:0"\ntls = "{mode}"\n'
        elif self.delivery_config:
            delivery = f"[delivery]\n{self.delivery_config}\n"
        with open(self.path("loft.toml"), "w") as config:
            config.write(f"""# throw-away config of scripts/bench/servers.py
hostname = "mail.{DOMAIN}"
domain = "{DOMAIN}"
data_dir = "{self.path('data')}"
{self.extra_top}
[tls]
certificate = "{self.env.cert_path}"
private_key = "{self.env.key_path}"
[auth]
passwd_file = "{self.path('passwd')}"
[limits]
# thousands of connections from 127.0.0.1: measure capacity, not the per-client limits
max_connections = 100000
max_connections_per_ip = 100000
max_sessions_per_user_ip = 100000
{delivery}{listeners}{self.extra_config}
""")
        self.log_path = self.path("loft.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([self.env.loft_bin, "serve", "--config", self.path("loft.toml")],
                                            stdout=log, stderr=subprocess.STDOUT)
        wanted = {key for protocol, mode, key in self.LISTENING
                  if protocol == "pop3" or (protocol == "imap" and self.imap)
                  or (protocol == "submission" and self.submission)}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.log_path, errors="replace") as text:
                for line in text:
                    if "listening" not in line:
                        continue
                    for protocol, mode, key in self.LISTENING:
                        marker = f"listener={protocol} 127.0.0.1:"
                        if marker in line and f"tls={mode}" in line:
                            self.ports[key] = int(line.split(marker, 1)[1].split()[0])
            if wanted <= set(self.ports):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("loft did not start; its log:\n" + open(self.log_path, errors="replace").read()[-4000:])

    def stop(self):
        _stop(self.process, "loft")

    @property
    def pids(self):
        return [self.process.pid]

    def cpu_seconds(self):
        return tree_cpu_seconds(self.process.pid)

    def memory_kib(self):
        return tree_memory_kib(self.process.pid)

    def log_problems(self, limit=5):
        lines = [line.rstrip() for line in open(self.log_path, errors="replace")
                 if " error " in line or " critical " in line]
        return lines[:limit]


# -- Dovecot ---------------------------------------------------------------------------------------

class DovecotServer:
    """Debian's Dovecot 2.3 in `<workdir>/<label>` with `protocols` (any of "pop3", "imap", "lmtp"):
    listeners pop3s (implicit TLS), pop3 (plaintext), imaps, imap, and LMTP on a TCP port, each in
    `ports`. Users and `{SHA512-CRYPT}` hashes come from the Environment; homes are
    `<dir>/home/<user>` with mail in `~/Maildir` (a `cp -a` of `mail_template`), owned by `nobody`.
    Everything not needed for a private instance is Dovecot's default (high-security login: one
    `*-login` process per connection doing the TLS, one mail process per session), except the
    process and client limits, raised so 1,000 sessions fit."""

    def __init__(self, env, label, mail_template=None, protocols=("pop3",), extra_config=""):
        self.env = env
        self.directory = os.path.join(env.workdir, label)
        self.mail_template = mail_template
        self.protocols = tuple(protocols)
        self.extra_config = extra_config
        self.process = None
        self.ports = {}

    def path(self, *parts):
        return os.path.join(self.directory, *parts)

    def home(self, user):
        return self.path("home", user)

    def maildir(self, user):
        return self.path("home", user, "Maildir")

    def start(self):
        if shutil.which("dovecot") is None:
            raise RuntimeError("dovecot not found (apt-get install dovecot-core dovecot-pop3d dovecot-imapd)")
        os.makedirs(self.path("home"))
        os.chmod(self.directory, 0o755)      # mail processes run as nobody and must reach the homes
        if self.mail_template is not None:
            shutil.rmtree(self.path("home"))
            _copy_template(self.mail_template, self.path("home"))
        with open(self.path("passwd"), "w") as passwd:
            for name, _, hashed in self.env.users:
                passwd.write(f"{name}:{{SHA512-CRYPT}}{hashed}:{NOBODY}:{NOBODY}::{self.home(name)}::\n")
        os.chmod(self.path("passwd"), 0o644)
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", self.path("home")], check=True)
        for sub in ("run", "state"):
            os.makedirs(self.path(sub))
        services = ""
        if "pop3" in self.protocols:
            self.ports["pop3"], self.ports["pop3s"] = free_port(), free_port()
            services += f"""service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.ports['pop3']}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {self.ports['pop3s']}
    ssl = yes
  }}
}}
"""
        if "imap" in self.protocols:
            self.ports["imap"], self.ports["imaps"] = free_port(), free_port()
            services += f"""service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.ports['imap']}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ports['imaps']}
    ssl = yes
  }}
}}
"""
        if "lmtp" in self.protocols:
            self.ports["lmtp"] = free_port()
            services += f"""service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.ports['lmtp']}
  }}
}}
"""
        with open(self.path("dovecot.conf"), "w") as config:
            config.write(f"""# throw-away config of scripts/bench/servers.py
protocols = {' '.join(self.protocols)}
listen = 127.0.0.1
base_dir = {self.path('run')}
state_dir = {self.path('state')}
instance_name = dovecot-compare-{os.path.basename(self.directory)}
log_path = {self.path('dovecot.log')}
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
first_valid_uid = {NOBODY}
auth_mechanisms = plain login
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.0/8
ssl = yes
ssl_cert = <{self.env.cert_path}
ssl_key = <{self.env.key_path}
ssl_min_protocol = TLSv1.2
# the defaults (100 processes per service, 1,000 clients) are below what the profiles open
default_process_limit = 5000
default_client_limit = 20000
mail_max_userip_connections = 100000
passdb {{
  driver = passwd-file
  args = {self.path('passwd')}
}}
userdb {{
  driver = passwd-file
  args = {self.path('passwd')}
}}
{services}{self.extra_config}
""")
        self.process = subprocess.Popen(["dovecot", "-F", "-c", self.path("dovecot.conf")],
                                        stdout=open(self.path("stdout.log"), "wb"), stderr=subprocess.STDOUT)
        first = next(iter(self.ports.values()))
        _wait_for_port(self.process, first, "dovecot", [self.path("stdout.log"), self.path("dovecot.log")])
        return self

    def stop(self):
        _stop(self.process, "dovecot")

    @property
    def pids(self):
        return tree_pids(self.process.pid)

    def cpu_seconds(self):
        return tree_cpu_seconds(self.process.pid)

    def memory_kib(self):
        return tree_memory_kib(self.process.pid)

    def log_problems(self, limit=5):
        lines = []
        for name in ("dovecot.log", "stdout.log"):
            if os.path.exists(self.path(name)):
                lines += [line.rstrip() for line in open(self.path(name), errors="replace")
                          if any(f" {level}: " in line for level in ("Error", "Fatal", "Panic"))
                          and "Killed with signal 15" not in line]
        return lines[:limit]


def dovecot_version():
    try:
        return subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip() or "?"
    except OSError:
        return "not installed"


# -- openssl s_server -----------------------------------------------------------------------------

class OpenSSLServer:
    """`openssl s_server` on 127.0.0.1 with the shared certificate and key: it completes each
    handshake and echoes nothing back (stdin is an open pipe that never carries data). One process,
    one connection at a time. `ports["tls"]` is its port."""

    def __init__(self, env, label="s_server"):
        self.env = env
        self.directory = os.path.join(env.workdir, label)
        self.process = None
        self.ports = {}

    def start(self):
        os.makedirs(self.directory)
        self.ports["tls"] = free_port()
        self.log_path = os.path.join(self.directory, "s_server.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["openssl", "s_server", "-accept", f"127.0.0.1:{self.ports['tls']}", "-cert", self.env.cert_path,
                 "-key", self.env.key_path, "-quiet"],
                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
        _wait_for_port(self.process, self.ports["tls"], "openssl s_server", [self.log_path])
        return self

    def stop(self):
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
        _stop(self.process, "openssl s_server")

    @property
    def pids(self):
        return [self.process.pid]

    def cpu_seconds(self):
        return tree_cpu_seconds(self.process.pid)

    def memory_kib(self):
        return tree_memory_kib(self.process.pid)

    def log_problems(self, limit=5):
        return []
