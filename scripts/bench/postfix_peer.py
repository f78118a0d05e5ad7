"""A private Postfix 3.7 submission server delivering through a private Dovecot 2.3's LMTP into Maildirs.

`PostfixPeer(directory, cert, key, users)` with users [(name, password, sha512_crypt_hash)]:

- Dovecot (`dovecot -F -c <dir>/dovecot/dovecot.conf`, run as root in the foreground, stopped by
  its master PID): `protocols = lmtp`, no network listener; a passwd-file passdb/userdb with the
  users' `{SHA512-CRYPT}` hashes, mail owned by `nobody` in `<home>/Maildir`; its auth service
  offers a socket to Postfix (`auth-postfix`, SASL), its LMTP service another (`lmtp-postfix`).
  `mail_fsync` is Dovecot's default `optimized` unless asked otherwise.
- Postfix (`master -c <dir>/postfix/etc -d`, in its own session, stopped by SIGTERM to its PID):
  own config_directory, queue_directory, data_directory and mail log; two smtpd services on
  127.0.0.1 free ports, like Debian's `submission` and `submissions` examples in master.cf:
  STARTTLS required (`smtpd_tls_security_level = encrypt`) and implicit TLS
  (`smtpd_tls_wrappermode = yes`), SASL through Dovecot (`smtpd_sasl_type = dovecot`), AUTH only
  after TLS, only authenticated clients; `example.org` is a virtual mailbox domain whose transport
  is `lmtp:unix:<dovecot>/run/lmtp-postfix`. No service is chrooted (Debian chroots smtpd by default).

A 250 from Postfix after "." means the message is in Postfix's queue (cleanup fsyncs the queue file
before it answers); qmgr then hands it to the lmtp client, which delivers it into the Maildir through
Dovecot. `delivered(names)` counts the files in the recipients' `Maildir/new` to see that happen.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

NOBODY = 65534
POSTFIX_DAEMONS = "/usr/lib/postfix/sbin"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def versions():
    postfix = subprocess.run(["postconf", "-d", "-h", "mail_version"], capture_output=True, text=True).stdout.strip()
    dovecot = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout.strip()
    return f"Postfix {postfix}, Dovecot {dovecot}"


def _stop(process, name, grace=30):
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        print(f"{name} (pid {process.pid}) ignored SIGTERM for {grace} s; killing it")
        process.kill()
        process.wait()


class PostfixPeer:
    def __init__(self, directory, certificate, private_key, users, domain="example.org", mail_fsync="optimized"):
        self.directory = directory
        self.certificate = certificate
        self.private_key = private_key
        self.users = list(users)
        self.domain = domain
        self.mail_fsync = mail_fsync
        self.dovecot = None
        self.master = None
        self.submission_port = None     # STARTTLS, like 587
        self.submissions_port = None    # implicit TLS, like 465

    def path(self, *parts):
        return os.path.join(self.directory, *parts)

    def maildir_new(self, name):
        return self.path("dovecot", "home", name, "Maildir", "new")

    def port(self, mode):
        return {"starttls": self.submission_port, "implicit": self.submissions_port}[mode]

    # -- start and stop ----------------------------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        os.makedirs(self.directory)
        os.chmod(self.directory, 0o755)
        self._start_dovecot()
        self._start_postfix()

    def stop(self):
        """Postfix first (it stops its services, lmtp clients included), then Dovecot; removes the directory."""
        if self.master is not None:
            _stop(self.master, "postfix master")
            # master is the leader of its own session: anything of it still alive is in that group.
            try:
                os.killpg(self.master.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.master = None
        _stop(self.dovecot, "dovecot")
        self.dovecot = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def _start_dovecot(self):
        base = self.path("dovecot")
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(base, sub))
        with open(os.path.join(base, "passwd"), "w") as passwd:
            for name, _, hashed in self.users:
                home = os.path.join(base, "home", name)
                for sub in ("cur", "new", "tmp"):
                    os.makedirs(os.path.join(home, "Maildir", sub))
                passwd.write(f"{name}:{{SHA512-CRYPT}}{hashed}:{NOBODY}:{NOBODY}::{home}::\n")
        os.chmod(os.path.join(base, "passwd"), 0o644)
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", os.path.join(base, "home")], check=True)
        with open(os.path.join(base, "dovecot.conf"), "w") as config:
            config.write(f"""# throw-away config of scripts/bench/postfix_peer.py
protocols = lmtp
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
instance_name = dovecot-postfix-peer
log_path = {base}/dovecot.log
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:~/Maildir
mail_fsync = {self.mail_fsync}
first_valid_uid = {NOBODY}
ssl = no
auth_mechanisms = plain
disable_plaintext_auth = no
# LMTP looks the recipient up as "name@{self.domain}"; the passwd-file knows "name".
auth_username_format = %Ln
passdb {{
  driver = passwd-file
  args = {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = {base}/passwd
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
service lmtp {{
  unix_listener lmtp-postfix {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
""")
        self.dovecot = subprocess.Popen(["dovecot", "-F", "-c", os.path.join(base, "dovecot.conf")],
                                        stdout=open(os.path.join(base, "stdout.log"), "wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not (os.path.exists(os.path.join(base, "run", "auth-postfix"))
                   and os.path.exists(os.path.join(base, "run", "lmtp-postfix"))):
            if self.dovecot.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("dovecot did not start: " + self._read("dovecot/stdout.log") + self._read("dovecot/dovecot.log"))
            time.sleep(0.05)

    def _start_postfix(self):
        account = pwd.getpwnam("postfix")
        root = self.path("postfix")
        for sub in ("etc", "queue", "data"):
            os.makedirs(os.path.join(root, sub))
        os.chown(os.path.join(root, "data"), account.pw_uid, account.pw_gid)
        self.submission_port, self.submissions_port = free_port(), free_port()
        run = self.path("dovecot", "run")
        # Everything not set here is Postfix 3.7's default (postconf -d).
        main = f"""# throw-away config of scripts/bench/postfix_peer.py
compatibility_level = 3.6
config_directory = {root}/etc
queue_directory = {root}/queue
data_directory = {root}/data
mail_owner = postfix
myhostname = mail.{self.domain}
mydomain = {self.domain}
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
alias_maps =
alias_database =
smtpd_tls_cert_file = {self.certificate}
smtpd_tls_key_file = {self.private_key}
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {run}/auth-postfix
smtpd_sasl_auth_enable = yes
smtpd_client_restrictions = permit_sasl_authenticated, reject
smtpd_relay_restrictions = permit_sasl_authenticated, reject
virtual_mailbox_domains = {self.domain}
virtual_mailbox_maps = texthash:{root}/etc/mailboxes
virtual_transport = lmtp:unix:{run}/lmtp-postfix
# Nothing leaves the machine: mail for any other domain (bounces included) stays in the queue.
defer_transports = smtp
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
"""
        services = f"""# throw-away master.cf of scripts/bench/postfix_peer.py: Postfix's own, reduced to what is used, nothing chrooted
127.0.0.1:{self.submission_port} inet n - n - - smtpd
  -o syslog_name=postfix/submission
127.0.0.1:{self.submissions_port} inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""
        with open(os.path.join(root, "etc", "main.cf"), "w") as file:
            file.write(main)
        with open(os.path.join(root, "etc", "master.cf"), "w") as file:
            file.write(services)
        with open(os.path.join(root, "etc", "mailboxes"), "w") as file:
            file.writelines(f"{name}@{self.domain} {name}\n" for name, _, _ in self.users)
        open(os.path.join(root, "maillog"), "w").close()
        # Creates the queue directories with Postfix's owners and modes, and checks the configuration.
        check = subprocess.run(["postfix", "-c", os.path.join(root, "etc"), "check"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"postfix check failed: {check.stdout}{check.stderr}")
        self.master = subprocess.Popen([os.path.join(POSTFIX_DAEMONS, "master"), "-c", os.path.join(root, "etc"), "-d"],
                                       stdout=open(os.path.join(root, "master.out"), "wb"), stderr=subprocess.STDOUT,
                                       start_new_session=True)
        deadline = time.monotonic() + 30
        while "daemon started" not in self._read("postfix/maillog"):
            if self.master.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("postfix did not start: " + self._read("postfix/master.out") + self._read("postfix/maillog"))
            time.sleep(0.05)
        for port in (self.submission_port, self.submissions_port):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()

    # -- measuring --------------------------------------------------------------------------------

    def _read(self, relative):
        try:
            with open(self.path(relative), errors="replace") as file:
                return file.read()
        except OSError:
            return ""

    @property
    def pids(self):
        """The two masters; every process of the instance descends from one of them."""
        return [self.master.pid, self.dovecot.pid]

    def delivered(self, names):
        return {name: len(os.listdir(self.maildir_new(name))) for name in names}

    def queue_files(self):
        """Messages still in Postfix's queue (incoming, active, deferred)."""
        total = 0
        for sub in ("incoming", "active", "deferred", "maildrop", "hold"):
            for _, _, files in os.walk(self.path("postfix", "queue", sub)):
                total += len(files)
        return total

    def problems(self, limit=5):
        """Warning/error lines of the two logs (our own SIGTERM excepted)."""
        lines = []
        for relative, marks in (("postfix/maillog", (" warning: ", " error: ", " fatal: ", " panic: ")),
                                ("dovecot/dovecot.log", (" Warning: ", " Error: ", " Fatal: ", " Panic: "))):
            lines += [line.rstrip() for line in self._read(relative).splitlines()
                      if any(mark in line for mark in marks) and "signal 15" not in line]
        return lines[:limit]
