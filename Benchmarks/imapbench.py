"""Shared pieces of the IMAP benchmarks (Python 3 standard library only).

- `build_maildir`: a Maildir of realistic small messages (1.5–8 KB, varied headers, some
  multipart, some encoded-word subjects), written the way an MDA does (file in `tmp/`, renamed
  into `cur/` with `:2,` flags, mtime = the message's date), from a fixed seed so every run and
  every server gets the same mail.
- `DovecotUnderTest`: a private Dovecot instance (Debian's `dovecot`, run as root in the
  foreground with a throw-away config under its own temporary directory; mail owned by `nobody`),
  stopped by its master PID.
- `IMAPClient`: a small blocking IMAP client over TLS that reads responses (with literals)
  without building Python objects per field, so the client costs little next to the server.
- `AsyncIMAP`: the same for asyncio (many sessions from one process).
- `tree_cpu_seconds` / `tree_processes`: CPU time and processes of a PID and its descendants.
"""

import asyncio
import os
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import zlib

from loftbench import password_for

LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
CLK_TCK = os.sysconf("SC_CLK_TCK")
NOBODY = 65534

# -- the corpus -------------------------------------------------------------------------------

FIRST = ("Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert "
         "Sybil Trent Victor Walter Yolanda Zoe Amir Bea Chen Dara Emeka Fatima Goran Hana Ines "
         "Jonas Kemal Lena Mateo Nadia Oskar Priya Quinn Rosa Sven").split()
LAST = ("Smith Jones Miller Garcia Martin Bernard Rossi Novak Kowalski Nguyen Tanaka Silva Dubois "
        "Schmidt Jensen Larsen Moreau Costa Petrov Okafor Haddad Lindqvist Brown Wilson").split()
DOMAINS = ("example.com example.net example.org mail.example.com lists.example.net corp.example "
           "university.example shop.example").split()
WORDS = ("the of and to in is for on that with as it be this by are from at or have an not was we "
         "will can all your more about new has but our one other do no which time they he up may "
         "what been some if would there only when also any who its into use than were please "
         "meeting report project budget review release server update invoice order shipping account "
         "team schedule agenda notes draft proposal contract deadline feedback question answer issue "
         "patch build test plan design document summary weekly monthly status migration backup "
         "network storage security password login calendar travel hotel flight conference talk "
         "slides paper minutes lunch coffee party birthday holiday photos family weekend garden "
         "kitchen recipe bicycle football concert ticket payment receipt refund delivery package "
         "customer support ticket request approval signature office printer laptop phone").split()
LISTS = ("dev announce users general ops security jobs").split()
SEARCH_WORD = "quarterly"   # appears in ~1% of the subjects, never elsewhere in a subject
assert not any(SEARCH_WORD in word for word in WORDS)
ENCODED = ("=?UTF-8?B?w5xiZXJzaWNodCBkZXIgV29jaGU=?=",            # Übersicht der Woche
           "=?UTF-8?Q?R=C3=A9union_d=27=C3=A9quipe?=",             # Réunion d'équipe
           "=?ISO-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=",             # Grüße aus München
           "=?UTF-8?B?44GK55ay44KM5qeY44Gn44GX44Gf?=")             # お疲れ様でした


def _person(rng):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}"


def _address(rng, quoted=None):
    name, email = _person(rng)
    if quoted or rng.random() < 0.15:
        return f'"{name.split()[1]}, {name.split()[0]}" <{email}>'
    return f"{name} <{email}>" if rng.random() < 0.85 else email


def _words(rng, count):
    return " ".join(rng.choices(WORDS, k=count))


def _paragraphs(rng, size):
    lines, total = [], 0
    while total < size:
        line = _words(rng, rng.randint(8, 13)) + "\n"
        if rng.random() < 0.12:
            line += "\n"
        lines.append(line)
        total += len(line)
    return "".join(lines)


def make_message(rng, index, when):
    """(bytes with LF line endings, subject as written, flags) for message `index`, dated `when`."""
    date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(when))
    from_header = _address(rng)
    recipients = ", ".join(_address(rng) for _ in range(rng.choice((1, 1, 1, 2, 3))))
    roll = rng.random()
    if roll < 0.01:
        subject = f"{_words(rng, 2).capitalize()} {SEARCH_WORD} {_words(rng, rng.randint(1, 4))}"
    elif roll < 0.04:
        subject = rng.choice(ENCODED)
    else:
        subject = _words(rng, rng.randint(2, 9)).capitalize()
    reply = rng.random() < 0.35
    if reply:
        subject = rng.choice(("Re: ", "RE: ", "Re: Re: ", "AW: ")) + subject
    elif rng.random() < 0.05:
        subject = "Fwd: " + subject
    mailing_list = rng.choice(LISTS) if rng.random() < 0.3 else None
    if mailing_list and not reply:
        subject = f"[{mailing_list}] {subject}"
    message_id = f"<{when}.{index}.{rng.getrandbits(40):x}@{rng.choice(DOMAINS)}>"
    relay = f"mx{rng.randint(1, 9)}.{rng.choice(DOMAINS)}"
    head = [
        "Return-Path: <bounce-%d@%s>" % (index, rng.choice(DOMAINS)),
        "Delivered-To: bench@example.org",
        f"Received: from {relay} ({relay} [192.0.2.{rng.randint(1, 254)}])\n\tby mail.example.org (Loft) with ESMTPS id {rng.getrandbits(48):012x}\n\tfor <bench@example.org>; {date}",
        f"Received: from [10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}] (unknown)\n\tby {relay} with ESMTPSA; {date}",
    ]
    if rng.random() < 0.5:
        signature = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", k=340))
        head.append("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel1;\n"
                    "\th=from:to:subject:date:message-id; bh=" + signature[:44] + "=;\n"
                    "\tb=" + "\n\t ".join(signature[i:i + 72] for i in range(0, 340, 72)))
    head += [f"From: {from_header}", f"To: {recipients}"]
    if rng.random() < 0.2:
        head.append("Cc: " + ", ".join(_address(rng) for _ in range(rng.randint(1, 3))))
    head += [f"Subject: {subject}", f"Date: {date}", f"Message-ID: {message_id}"]
    if reply:
        parent = f"<{when - rng.randint(60, 86400)}.{rng.getrandbits(32):x}@{rng.choice(DOMAINS)}>"
        head += [f"In-Reply-To: {parent}", f"References: {parent}"]
    if mailing_list:
        head += [f"List-Id: {mailing_list.capitalize()} list <{mailing_list}.lists.example.net>",
                 f"List-Unsubscribe: <mailto:{mailing_list}-unsubscribe@lists.example.net>"]
    if rng.random() < 0.4:
        head.append("User-Agent: " + rng.choice(("Mozilla Thunderbird 115.4", "Mutt/2.2.9", "Evolution 3.46",
                                                 "Roundcube Webmail/1.6.5", "Apple Mail (2.3731)")))
    head.append("MIME-Version: 1.0")
    size = int(min(7000, max(600, rng.lognormvariate(7.6, 0.55))))
    text = _paragraphs(rng, size)
    if rng.random() < 0.25:
        boundary = f"b1_{rng.getrandbits(64):016x}"
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        html = "<html><body><p>" + text.replace("\n\n", "</p><p>")[: size // 2] + "</p></body></html>\n"
        body = (f"This is a multi-part message in MIME format.\n\n--{boundary}\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 7bit\n\n"
                f"{text[: size // 2]}\n--{boundary}\nContent-Type: text/html; charset=utf-8\n"
                f"Content-Transfer-Encoding: 7bit\n\n{html}\n--{boundary}--\n")
    else:
        head += ["Content-Type: text/plain; charset=utf-8; format=flowed", "Content-Transfer-Encoding: 7bit"]
        body = text
    flags = ""
    if rng.random() < 0.03:
        flags += "F"
    if reply and rng.random() < 0.3:
        flags += "R"
    if rng.random() < 0.8:
        flags += "S"
    return ("\n".join(head) + "\n\n" + body).encode(), subject, flags


def build_maildir(maildir, count, seed=7, start=1_640_995_200, span=2 * 365 * 86400):
    """Writes `count` messages into a new Maildir at `maildir` (tmp/ → cur/ with `:2,` flags, mtime =
    Date). Returns a summary: how many have \\Seen, and which numbers (1-based, in date order) have
    SEARCH_WORD in their Subject."""
    rng = random.Random(seed)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    matches, seen, total_bytes = [], 0, 0
    step = span / max(count, 1)
    pid = os.getpid()
    for index in range(count):
        when = int(start + index * step + rng.random() * step)
        data, subject, flags = make_message(rng, index, when)
        if SEARCH_WORD in subject.lower():
            matches.append(index + 1)
        seen += "S" in flags
        total_bytes += len(data)
        wire = len(data) + data.count(b"\n")
        unique = f"{when}.M{index % 1000000:06d}P{pid}Q{index}.bench.example.org,S={len(data)},W={wire}"
        temporary = os.path.join(maildir, "tmp", unique)
        with open(temporary, "wb") as message:
            message.write(data)
        final = os.path.join(maildir, "cur", unique + ":2," + flags)
        os.rename(temporary, final)
        os.utime(final, (when, when))
    return {"count": count, "seen": seen, "subject_matches": matches, "bytes": total_bytes}


def copy_maildir(source, destination, owner=None):
    """`cp -a` (keeps the mtimes, i.e. the internal dates); optionally chown -R to `owner` (uid)."""
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    subprocess.run(["cp", "-a", source, destination], check=True)
    if owner is not None:
        subprocess.run(["chown", "-R", f"{owner}:{owner}", destination], check=True)


# -- processes ------------------------------------------------------------------------------------

def _stat(pid):
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    name = text[text.index("(") + 1: text.rindex(")")]
    fields = text.rsplit(")", 1)[1].split()
    # fields[1] = ppid; utime, stime, cutime, cstime = fields[11:15]; rss pages = fields[21]
    return name, int(fields[1]), [int(x) for x in fields[11:15]], int(fields[21])


def tree_processes(root):
    """{pid: (name, ppid, [utime, stime, cutime, cstime], rss_pages)} of `root` and its descendants."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                table[int(entry)] = _stat(int(entry))
            except (OSError, ValueError):
                pass
    members, frontier = {}, [root]
    while frontier:
        pid = frontier.pop()
        if pid in table and pid not in members:
            members[pid] = table[pid]
            frontier += [child for child, info in table.items() if info[1] == pid]
    return members


def tree_cpu_seconds(root, names=None):
    """CPU seconds (user + system, including reaped children) of `root` and its live descendants,
    or only of the processes called one of `names` (then without reaped children)."""
    total = 0
    for pid, (name, _, times, _) in tree_processes(root).items():
        if names is None:
            total += sum(times)
        elif name in names:
            total += times[0] + times[1]
    return total / CLK_TCK


def raise_open_files():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- Dovecot ----------------------------------------------------------------------------------

class DovecotUnderTest:
    """A private Dovecot (Debian's 2.3) for the benchmarks: `with DovecotUnderTest(users, cert, key,
    prepare) as dovecot`. Users are `(name, home)`; each gets `{SHA512-CRYPT}` of `password_for(name)`
    (the same `$6$` 5,000-round scheme Loft's benchmark users get) and mail in `home/Maildir`, owned
    by uid `nobody`. `prepare(dovecot)` fills the homes before the start. `imaps_port` is implicit TLS,
    `imap_port` plaintext; `pid` is the master's."""

    def __init__(self, names, certificate, private_key, prepare=None, extra_config=""):
        self.names = list(names)
        self.certificate = certificate
        self.private_key = private_key
        self.prepare = prepare
        self.extra_config = extra_config
        self.process = None
        self.directory = None

    def path(self, *parts):
        return os.path.join(self.directory, *parts)

    def home(self, name):
        return self.path("home", name)

    def maildir(self, name):
        return self.path("home", name, "Maildir")

    def __enter__(self):
        if shutil.which("dovecot") is None:
            sys.exit("dovecot not found: apt-get install dovecot-imapd")
        self.directory = tempfile.mkdtemp(prefix="dovecot-bench-")
        os.chmod(self.directory, 0o755)   # the mail processes run as nobody and must reach the homes
        try:
            self._make_users()
            if self.prepare is not None:
                self.prepare(self)
            subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", self.path("home")], check=True)
            self._write_config()
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _make_users(self):
        passwords = "".join(password_for(name) + "\n" for name in self.names)
        hashes = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=passwords.encode(),
                                check=True, capture_output=True).stdout.decode().split()
        os.makedirs(self.path("home"))
        with open(self.path("passwd"), "w") as passwd:
            for name, hashed in zip(self.names, hashes):
                os.makedirs(self.home(name))
                passwd.write(f"{name}:{{SHA512-CRYPT}}{hashed}:{NOBODY}:{NOBODY}::{self.home(name)}::\n")
        os.chmod(self.path("passwd"), 0o644)

    def _write_config(self):
        self.imap_port, self.imaps_port = free_port(), free_port()
        for sub in ("run", "state"):
            os.makedirs(self.path(sub))
        with open(self.path("dovecot.conf"), "w") as config:
            config.write(f"""# throw-away config of Benchmarks/imapbench.py
protocols = imap
listen = 127.0.0.1
base_dir = {self.path('run')}
state_dir = {self.path('state')}
instance_name = dovecot-bench
log_path = {self.path('dovecot.log')}
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
first_valid_uid = {NOBODY}
auth_mechanisms = plain login
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.0/8
ssl = yes
ssl_cert = <{self.certificate}
ssl_key = <{self.private_key}
ssl_min_protocol = TLSv1.2
passdb {{
  driver = passwd-file
  args = {self.path('passwd')}
}}
userdb {{
  driver = passwd-file
  args = {self.path('passwd')}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
{self.extra_config}
""")

    def _start(self):
        self.process = subprocess.Popen(["dovecot", "-F", "-c", self.path("dovecot.conf")],
                                        stdout=open(self.path("stdout.log"), "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        logs = ""
        for name in ("stdout.log", "dovecot.log"):
            if os.path.exists(self.path(name)):
                logs += open(self.path(name), errors="replace").read()
        raise RuntimeError("dovecot did not start; its log:\n" + logs)

    def restart(self):
        """Stops the instance (SIGTERM to the master PID, then wait) and starts it again, same ports."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self._start()

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"dovecot (pid {self.process.pid}) ignored SIGTERM for 30 s; killing it", file=sys.stderr)
                self.process.kill()
                self.process.wait()
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
        return False

    @property
    def pid(self):
        return self.process.pid

    def cpu_seconds(self):
        """CPU of every process of this instance (master, auth, config, imap-login, imap, ...)."""
        return tree_cpu_seconds(self.pid)

    def imap_cpu_seconds(self):
        return tree_cpu_seconds(self.pid, names=("imap",))

    def rss_kib(self, names=None):
        """Summed RSS (kB) of this instance's processes (or of those called one of `names`)."""
        pages = sum(info[3] for info in tree_processes(self.pid).values() if names is None or info[0] in names)
        return pages * os.sysconf("SC_PAGE_SIZE") // 1024

    def log_counts(self):
        counts = {}
        for name in ("dovecot.log", "stdout.log"):
            if os.path.exists(self.path(name)):
                for line in open(self.path(name), errors="replace"):
                    if "Killed with signal 15" in line:   # our own SIGTERM (restart), not a problem
                        continue
                    for level in ("Warning", "Error", "Fatal", "Panic"):
                        if f" {level}: " in line or line.startswith(f"{level}:"):
                            counts[level] = counts.get(level, 0) + 1
        return counts

    def log_problems(self, limit=5):
        lines = []
        for name in ("dovecot.log", "stdout.log"):
            if os.path.exists(self.path(name)):
                lines += [line.rstrip() for line in open(self.path(name), errors="replace")
                          if any(f" {level}: " in line for level in ("Warning", "Error", "Fatal", "Panic"))
                          and "Killed with signal 15" not in line]
        return lines[:limit]


def dovecot_version():
    return subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()


# -- clients ---------------------------------------------------------------------------------------

class IMAPError(Exception):
    pass


class IMAPClient:
    """Blocking IMAP over implicit TLS. `command(text)` sends `TAG text`, reads every response up to
    the tagged one (literals included) and returns (tagged line, untagged responses or their count)."""

    def __init__(self, port, context, host="127.0.0.1", timeout=600):
        raw = socket.create_connection((host, port), timeout=timeout)
        self.sock = context.wrap_socket(raw, server_hostname="localhost")
        self.buffer = bytearray()
        self.position = 0
        self.counter = 0
        self.received = 0
        greeting = self.response()
        if not greeting.startswith(b"* OK"):
            raise IMAPError(f"greeting: {greeting!r}")

    def _fill(self):
        if self.position:
            del self.buffer[:self.position]
            self.position = 0
        data = self.sock.recv(262144)
        if not data:
            raise IMAPError("connection closed by the server")
        self.received += len(data)
        self.buffer += data

    def _line(self):
        while True:
            end = self.buffer.find(b"\r\n", self.position)
            if end >= 0:
                line = bytes(self.buffer[self.position:end + 2])
                self.position = end + 2
                return line
            self._fill()

    def _exactly(self, count):
        while len(self.buffer) - self.position < count:
            self._fill()
        data = bytes(self.buffer[self.position:self.position + count])
        self.position += count
        return data

    def response(self):
        """One response: a line, with any literals and the lines after them joined in."""
        parts = []
        while True:
            line = self._line()
            parts.append(line)
            literal = LITERAL.search(line)
            if literal is None:
                return b"".join(parts)
            parts.append(self._exactly(int(literal.group(1))))

    def command(self, text, keep=False, expect=b"OK"):
        self.counter += 1
        tag = f"B{self.counter:04d}".encode()
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        untagged, count = [], 0
        while True:
            line = self.response()
            if line.startswith(tag + b" "):
                if not line[len(tag) + 1:].startswith(expect):
                    raise IMAPError(f"{text!r} -> {line!r}")
                return line, (untagged if keep else count)
            count += 1
            if keep:
                untagged.append(line)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class _DeflatingWriter:
    """A StreamWriter stand-in that compresses each write and sync-flushes it."""

    def __init__(self, writer):
        self.inner = writer
        self.compressor = zlib.compressobj(6, zlib.DEFLATED, -15)

    def write(self, data):
        self.inner.write(self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH))

    def close(self):
        self.inner.close()

    async def wait_closed(self):
        await self.inner.wait_closed()


class _InflatingReader:
    """A StreamReader stand-in (readline, readexactly) over a raw DEFLATE stream."""

    def __init__(self, reader):
        self.inner = reader
        self.decompressor = zlib.decompressobj(-15)
        self.buffer = b""

    async def _more(self):
        piece = await self.inner.read(65536)
        if not piece:
            return False
        self.buffer += self.decompressor.decompress(piece)
        return True

    async def readline(self):
        while b"\n" not in self.buffer:
            if not await self._more():
                line, self.buffer = self.buffer, b""
                return line
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line + b"\n"

    async def readexactly(self, n):
        while len(self.buffer) < n:
            if not await self._more():
                raise asyncio.IncompleteReadError(self.buffer, n)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data


class AsyncIMAP:
    """One IMAP session over asyncio (implicit TLS): `await AsyncIMAP.open(port, context)`."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.counter = 0

    @classmethod
    async def open(cls, port, context, host="127.0.0.1"):
        reader, writer = await asyncio.open_connection(host, port, ssl=context, server_hostname="localhost",
                                                       limit=1 << 20)
        session = cls(reader, writer)
        greeting = await session.response()
        if not greeting.startswith(b"* OK"):
            raise IMAPError(f"greeting: {greeting!r}")
        return session

    async def response(self):
        parts = []
        while True:
            line = await self.reader.readline()
            if not line:
                raise IMAPError("connection closed by the server")
            parts.append(line)
            literal = LITERAL.search(line)
            if literal is None:
                return b"".join(parts)
            parts.append(await self.reader.readexactly(int(literal.group(1))))

    def _tag(self):
        self.counter += 1
        return f"C{self.counter:04d}".encode()

    async def _finish(self, tag, text, keep):
        untagged = []
        while True:
            line = await self.response()
            if line.startswith(tag + b" "):
                if not line[len(tag) + 1:].startswith(b"OK"):
                    raise IMAPError(f"{text!r} -> {line!r}")
                return line, untagged
            if keep:
                untagged.append(line)

    async def command(self, text, keep=False):
        tag = self._tag()
        self.writer.write(tag + b" " + text.encode() + b"\r\n")
        return await self._finish(tag, text, keep)

    async def append(self, mailbox, flags, message):
        """APPEND with a synchronizing literal (waits for the server's `+`)."""
        tag = self._tag()
        text = f"APPEND {mailbox} ({flags}) {{{len(message)}}}"
        self.writer.write(tag + b" " + text.encode() + b"\r\n")
        line = await self.response()
        if not line.startswith(b"+"):
            raise IMAPError(f"{text!r} -> {line!r} (expected a continuation)")
        self.writer.write(message + b"\r\n")
        return await self._finish(tag, text, False)

    async def compress(self):
        """COMPRESS DEFLATE (RFC 4978); afterwards both directions go through zlib (raw DEFLATE)."""
        await self.command("COMPRESS DEFLATE")
        self.reader, self.writer = _InflatingReader(self.reader), _DeflatingWriter(self.writer)

    async def idle(self):
        tag = self._tag()
        self.writer.write(tag + b" IDLE\r\n")
        line = await self.response()
        if not line.startswith(b"+"):
            raise IMAPError(f"IDLE -> {line!r}")
        return tag

    async def done(self, tag):
        self.writer.write(b"DONE\r\n")
        return await self._finish(tag, "IDLE ... DONE", False)

    async def logout(self):
        tag = self._tag()
        self.writer.write(tag + b" LOGOUT\r\n")
        try:
            await self._finish(tag, "LOGOUT", False)
        finally:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except (ConnectionError, OSError, ssl.SSLError):
                pass

    def abort(self):
        self.writer.close()


def crlf(data):
    return data.replace(b"\n", b"\r\n")
