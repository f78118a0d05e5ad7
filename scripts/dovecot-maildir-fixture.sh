#!/usr/bin/env bash
# Regenerates Tests/MailStoreTests/Fixtures/DovecotMaildir: a small Maildir++ written by Dovecot's
# doveadm (folders incl. a non-ASCII and a nested one, flags, keywords, subscriptions), plus what
# doveadm itself reports about it (report/*.txt), which MailStoreTests compares Loft's view against.
#
# Needs doveadm (Debian: apt-get install dovecot-core). No Dovecot service runs: doveadm works on the
# files directly with a private configuration in a temporary directory.
# Usage: scripts/dovecot-maildir-fixture.sh [output directory]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Tests/MailStoreTests/Fixtures/DovecotMaildir}
work=$(mktemp -d /tmp/loft-dovecot-fixture.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/home/alice" "$work/run" "$work/state"
# Dovecot refuses mail access as root: as root, let doveadm work as nobody on its own home.
owner=$(id -u)
if [ "$owner" = 0 ]; then
    owner=$(id -u nobody)
    chown "$owner" "$work/home/alice"
    chmod 755 "$work"
fi
cat > "$work/dovecot.conf" <<EOF
base_dir = $work/run
state_dir = $work/state
log_path = /dev/stderr
ssl = no
first_valid_uid = 0
first_valid_gid = 0
mail_uid = $owner
mail_gid = $owner
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = .
  prefix =
}
EOF
# Without -u doveadm acts for $USER with home $HOME and needs no auth service for user lookups.
da() { HOME="$work/home/alice" USER=alice doveadm -c "$work/dovecot.conf" "$@"; }

message() {  # message <n> <subject>
    printf 'From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nSubject: %s\nDate: Mon, 1 Jan 2024 10:0%s:00 +0000\nMessage-ID: <m%s@example.org>\n\nBody of message %s.\n' "$2" "$1" "$1" "$1"
}

for folder in Sent Trash 'Entwürfe' 'Projects' 'Projects.2024' 'Archive.Old' '日本語.メモ' 'A&B'; do
    da mailbox create "$folder"
done
for n in 1 2 3 4; do message "$n" "Inbox $n" | da save -m INBOX; done
for n in 5 6; do message "$n" "Sent $n" | da save -m Sent; done
message 7 "Draft" | da save -m 'Entwürfe'
message 8 "Nested" | da save -m 'Projects.2024'
message 9 "Japanese" | da save -m '日本語.メモ'

da flags add '\Seen' mailbox INBOX uid 1
da flags add '\Seen \Answered $Forwarded' mailbox INBOX uid 2
da flags add '\Flagged work $Label1' mailbox INBOX uid 3
da flags add '\Seen \Deleted' mailbox Sent uid 1
da flags add '\Draft urgent' mailbox 'Entwürfe' uid 1
da flags add 'work' mailbox 'Projects.2024' uid 1
for folder in INBOX Sent 'Entwürfe' 'Projects.2024' '日本語.メモ'; do da mailbox subscribe "$folder"; done

rm -rf "$out"
mkdir -p "$out/report"
# Dovecot's own index files are caches it rebuilds from the Maildir; the fixture keeps only the Maildir.
(cd "$work/home/alice/Maildir" && find . -name 'dovecot.index*' -o -name 'dovecot.list.index*' | xargs rm -f)
cp -r --preserve=timestamps "$work/home/alice/Maildir" "$out/Maildir"
# git keeps no empty directories: the tests recreate missing tmp/, new/ and cur/.
find "$out/Maildir" -type d -empty -delete

{
    da -f tab mailbox list
} > "$out/report/mailbox-list.txt"
da -f tab mailbox list -s > "$out/report/subscriptions.txt"
da -f tab mailbox status 'uidvalidity uidnext messages' '*' > "$out/report/mailbox-status.txt"
da -f tab fetch 'mailbox uid flags' all > "$out/report/fetch.txt"
(cd "$out/Maildir" && find . -type d | LC_ALL=C sort) > "$out/report/directories.txt"
doveadm -c "$work/dovecot.conf" -f flow --version 2>/dev/null > "$out/report/dovecot-version.txt" \
    || dovecot --version > "$out/report/dovecot-version.txt"
echo "fixture written to $out (Dovecot $(cat "$out/report/dovecot-version.txt"))"
