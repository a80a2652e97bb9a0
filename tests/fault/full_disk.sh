#!/usr/bin/env bash
# full_disk.sh — a journal on a file system that fills up: every write fails with one clear line
# ("... is full ...: free some space and try again") and exit 10, reads keep working, nothing recorded
# before is lost or damaged, and once space is freed the journal records again.
#
# The file system is a 4 MiB tmpfs mounted for the test (root only: skipped, exit 77, otherwise).
#   1. nearly full (48 KiB free): the journal opens, a 60 KB note fails while being written (SQLite's
#      SQLITE_FULL in the middle of a transaction);
#   2. completely full: the journal cannot even be opened for writing (its -shm cannot grow); `contact add`
#      fails the same way, `cairn init` of a new journal fails leaving no key file, `contact list` and
#      `digest` still work (the journal opens read-only);
#   3. space freed: PRAGMA integrity_check passes, the digest is the one from before, a note is recorded.
# Usage: full_disk.sh CAIRN JOURNAL_CHECK
set -euo pipefail
cairn=$1
check=$2
if [[ $(id -u) -ne 0 ]]; then
	echo "full_disk: needs root to mount a small tmpfs; skipped" >&2
	exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-full-XXXXXX")
mnt=$T/mnt
mkdir -p "$mnt"
cleanup() { umount "$mnt" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
mount -t tmpfs -o size=4m,mode=0700 cairn-full "$mnt"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
expect() { if eval "$2"; then ok; else bad "$1"; fi; }
umask 077
echo pw >"$T/p"
J=$mnt/j
c() { "$cairn" --dir "$J" --passphrase-file "$T/p" "$@"; }
state() { "$check" "$J" "$T/p" | sed 's/ logs=.*//'; }

c init --kdf min >/dev/null 2>&1
id=$(c contact add "Dana Full" --phone 555-0100)
c note add "$id" --text "before the disk filled" >/dev/null
c contact add "Eli Full" >/dev/null
before=$(state)
expect "journal is sound before ($before)" '[[ $before == integrity=ok* ]]'
head -c 45000 /dev/urandom | base64 -w 76 >"$T/big.txt"   # about 60 KB that does not compress

# A write that fails: exit 10 and exactly one line saying the file system is full.
write_fails() {
	local what=$1; shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	set -e
	expect "$what: exit 10 (got $rc)" '[ $rc -eq 10 ]'
	expect "$what: one error line saying the file system is full ($(cat "$T/err"))" \
		'[ "$(grep -v "^cairn: warning: " "$T/err" | wc -l)" -eq 1 ] && grep -q "^cairn: .* is full.*free some space" "$T/err"'
	expect "$what: nothing on stdout" '[ ! -s "$T/out" ]'
}

# 1. Nearly full: the write starts and runs out of space.
dd if=/dev/zero of="$mnt/fill" bs=64k 2>/dev/null || true
truncate -s -48K "$mnt/fill"
write_fails "note add on a nearly full disk" c note add "$id" --text-file "$T/big.txt"
expect "the nearly full case failed mid-write, not at open ($(cat "$T/err"))" '! grep -q "read-only" "$T/err"'

# 2. Completely full.
dd if=/dev/zero of="$mnt/fill2" bs=4k 2>/dev/null || true
write_fails "contact add on a full disk" c contact add "Fay Full"
write_fails "note add on a full disk" c note add "$id" --text "short"
set +e
"$cairn" --dir "$mnt/new" --passphrase-file "$T/p" init --kdf min >/dev/null 2>"$T/err"; rc=$?
set -e
expect "init on a full disk: exit 10, no key file left behind (rc=$rc: $(cat "$T/err"))" \
	'[ $rc -eq 10 ] && [ ! -e "$mnt/new/key" ] && [ ! -e "$mnt/new/journal.db" ]'
set +e
list=$(c contact list 2>"$T/err"); rc=$?
set -e
expect "contact list works on a full disk (rc=$rc: $(cat "$T/err"))" '[ $rc -eq 0 ] && [[ $list == *"Dana Full"* && $list == *"Eli Full"* ]]'
expect "reading warns that the journal is read-only" 'grep -q "read-only" "$T/err"'
dig_full=$(c digest 2>/dev/null || true)
expect "digest works on a full disk and is unchanged" '[[ $before == *"digest=$dig_full"* ]]'

# 3. Space freed: nothing lost, nothing half written, and the journal records again.
rm -f "$mnt/fill" "$mnt/fill2"
after=$(state)
expect "after freeing space the journal is intact and unchanged ($after vs $before)" '[ "$after" = "$before" ]'
c note add "$id" --text-file "$T/big.txt" >/dev/null
c contact add "Fay Full" >/dev/null
expect "writes work again" '[[ $(c contact list) == *"Fay Full"* ]] && [[ $(state) == integrity=ok* ]]'

echo "full_disk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
