"""Small shared pieces of the SMTP and IMAP comparison profiles (Python 3 standard library only).

- `contract()`: the `profile.py` contract module (found by path: the standard library has a
  `profile` module too).
- `LoftInstance`: `Benchmarks/loftbench.LoftUnderTest` (imported read-only through sys.path) with
  the Environment's RSA-2048 certificate and users, its directory under the Environment's workdir.
- `DovecotInstance`: the same for `Benchmarks/imapbench.DovecotUnderTest`.
- `build_tool`: compiles a C load generator into `env.tools_dir` (cc -O2) once.
- `tree_cpu_seconds`, `load_average`.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(BENCH))
BENCHMARKS = os.path.join(REPO, "Benchmarks")
for _path in (BENCH, BENCHMARKS):
    if _path not in sys.path:
        sys.path.append(_path)

import imapbench  # noqa: E402  (Benchmarks/, read-only)
import loftbench  # noqa: E402


def contract():
    """The module `scripts/bench/profile.py` (Environment, Measurement, Profile)."""
    module = sys.modules.get("profile")
    if module is None or not hasattr(module, "Environment"):
        spec = importlib.util.spec_from_file_location("profile", os.path.join(BENCH, "profile.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["profile"] = module
    return module


def load_average():
    return os.getloadavg()[0]


def tree_cpu_seconds(*roots):
    """User + system CPU (reaped children included) of each root PID and all its descendants."""
    return sum(imapbench.tree_cpu_seconds(root) for root in roots)


def reachable(directory):
    """Lets the unprivileged mail processes (nobody, postfix, dovecot) traverse `directory`; raises if a
    directory above it (not ours to change) does not let them."""
    mode = os.stat(directory).st_mode
    if mode & 0o011 != 0o011:
        os.chmod(directory, mode | 0o011)
    parent = os.path.dirname(os.path.abspath(directory))
    while parent != os.path.dirname(parent):
        if not os.stat(parent).st_mode & 0o001:
            raise RuntimeError(f"{parent} is not searchable by other users; the peers' mail processes need that")
        parent = os.path.dirname(parent)


def build_tool(env, source_name, libraries=("-lssl", "-lcrypto")):
    """Compiles scripts/bench/<source_name>.c into env.tools_dir (once per source change); returns its path."""
    source = os.path.join(BENCH, source_name + ".c")
    os.makedirs(env.tools_dir, exist_ok=True)
    binary = os.path.join(env.tools_dir, source_name)
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        subprocess.run(["cc", "-O2", "-Wall", "-pthread", "-o", binary, source, *libraries], check=True)
    return binary


def ensure_users(env, count, prefix):
    """`count` users [(name, password, hash)]: the Environment's first ones, then new ones made the same way."""
    users = list(env.users[:count])
    missing = [f"{prefix}{index:02d}" for index in range(len(users), count)]
    if missing:
        passwords = [loftbench.password_for(name) for name in missing]
        hashes = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input="".join(p + "\n" for p in passwords).encode(),
                                check=True, capture_output=True).stdout.decode().split()
        users += list(zip(missing, passwords, hashes))
    return users


class LoftInstance(loftbench.LoftUnderTest):
    """`loft serve` (env.loft_bin) with the Environment's certificate and the given users
    [(name, password, hash)], in a directory under `parent`. Same listeners and config as the
    Benchmarks/ scripts (see loftbench.py)."""

    def __init__(self, env, parent, users, **options):
        super().__init__([name for name, _, _ in users], **options)
        self.env, self.parent, self.user_entries = env, parent, list(users)

    def __enter__(self):
        loftbench.LOFT = self.env.loft_bin
        os.makedirs(self.parent, exist_ok=True)
        self.directory = tempfile.mkdtemp(prefix="loft-", dir=self.parent)
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

    def _make_certificate(self):
        shutil.copy(self.env.cert_path, self.path("cert.pem"))
        shutil.copy(self.env.key_path, self.path("key.pem"))

    def _make_passwd_file(self):
        with open(self.path("passwd"), "w") as passwd:
            for name, _, hashed in self.user_entries:
                passwd.write(f"{name}:{hashed}\n")


class DovecotInstance(imapbench.DovecotUnderTest):
    """Benchmarks/imapbench.DovecotUnderTest with the Environment's certificate and the given users
    [(name, password, hash)], in a directory under `parent` (IMAP on 127.0.0.1, implicit TLS and
    plaintext; see imapbench.py for the rest of its config)."""

    def __init__(self, env, parent, users, **options):
        super().__init__([name for name, _, _ in users], env.cert_path, env.key_path, **options)
        self.parent, self.user_entries = parent, list(users)

    def __enter__(self):
        os.makedirs(self.parent, exist_ok=True)
        reachable(self.parent)
        self.directory = tempfile.mkdtemp(prefix="dovecot-", dir=self.parent)
        os.chmod(self.directory, 0o755)
        try:
            self._make_users()
            if self.prepare is not None:
                self.prepare(self)
            subprocess.run(["chown", "-R", f"{imapbench.NOBODY}:{imapbench.NOBODY}", self.path("home")], check=True)
            self._write_config()
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _make_users(self):
        os.makedirs(self.path("home"))
        with open(self.path("passwd"), "w") as passwd:
            for name, _, hashed in self.user_entries:
                os.makedirs(self.home(name))
                passwd.write(f"{name}:{{SHA512-CRYPT}}{hashed}:{imapbench.NOBODY}:{imapbench.NOBODY}::{self.home(name)}::\n")
        os.chmod(self.path("passwd"), 0o644)
