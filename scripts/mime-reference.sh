#!/bin/sh
# Regenerates Tests/MIMETests/Corpus/*.expected from Debian's Dovecot (reference outputs only;
# no Dovecot code or text is copied into Loft). Not run by the tests.
#
#   scripts/mime-reference.sh            # all corpus messages
#   scripts/mime-reference.sh 07-foo.eml # one message
#
# Uses a private, throw-away Dovecot configuration under a temporary directory: no service is
# started, no listener is opened; only `doveadm fetch` reads a Maildir holding one message at a time.
# Installs dovecot-core if doveadm is missing (Debian: apt-get).
set -eu
corpus=$(cd "$(dirname "$0")/../Tests/MIMETests/Corpus" && pwd)
if ! command -v doveadm >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-core dovecot-imapd
fi
work=$(mktemp -d /tmp/loft-mime-ref.XXXXXX)
trap 'doveadm -c "$work/dovecot.conf" stop 2>/dev/null || true; rm -rf "$work"' EXIT
user=$(id -un nobody 2>/dev/null || echo nobody)
uid=$(id -u "$user"); gid=$(id -g "$user")
mkdir -p "$work/home" "$work/run"
printf 'loft:{PLAIN}unused:%s:%s::%s/home\n' "$uid" "$gid" "$work" > "$work/users"
cat > "$work/dovecot.conf" <<CONF
base_dir = $work/run
state_dir = $work/run
log_path = $work/dovecot.log
protocols =
ssl = no
mail_location = maildir:$work/home/Maildir
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = $work/users
}
userdb {
  driver = passwd-file
  args = $work/users
}
CONF
chown -R "$uid:$gid" "$work/home"
chmod 755 "$work"
version=$(dovecot --version)
# doveadm -u needs the userdb: a private master + auth process, unix sockets in $work/run only.
dovecot -c "$work/dovecot.conf"

fetch_field() { # field -> raw value bytes on stdout (pager format: "field: value\n\f\n")
    doveadm -c "$work/dovecot.conf" -f pager fetch -u loft "$1" mailbox INBOX all |
        python3 -c 'import sys
d = sys.stdin.buffer.read()
p = sys.argv[1].encode() + b": "
assert d.startswith(p), d[:80]
d = d[len(p):]
for t in (b"\n\x0c\n", b"\x0c\n", b"\n"):
    if d.endswith(t):
        d = d[:-len(t)]
        break
sys.stdout.buffer.write(d)' "$1"
}

if [ $# -gt 0 ]; then files="$*"; else files=$(cd "$corpus" && ls *.eml); fi
for f in $files; do
    rm -rf "$work/home/Maildir"
    mkdir -p "$work/home/Maildir/cur" "$work/home/Maildir/new" "$work/home/Maildir/tmp"
    cp "$corpus/$f" "$work/home/Maildir/cur/1.loft:2,"
    chown -R "$uid:$gid" "$work/home"
    out="$corpus/${f%.eml}.expected"
    : > "$out"
    for field in imap.envelope imap.body imap.bodystructure; do
        fetch_field "$field" > "$work/value"
        printf '%s %s\n' "${field#imap.}" "$(wc -c < "$work/value")" >> "$out"
        cat "$work/value" >> "$out"
        printf '\n' >> "$out"
    done
done
echo "dovecot $version"
