#!/usr/bin/env bash
# readonly_dir.sh — a journal whose directory cannot be written: writes fail with one clear line naming
# the cause and exit 10, reads keep working (the journal opens read-only), nothing changes on disk, and
# once the directory is writable again the journal records.
#
# As root the directory is a read-only bind mount (`mount -o remount,ro,bind`), as the file system of a
# write-protected card or a rescue boot would be; otherwise it is `chmod 500` (root ignores modes).
# Usage: readonly_dir.sh CAIRN JOURNAL_CHECK
set -euo pipefail
cairn=$1
check=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ro-XXXXXX")
ro=$T/ro
cleanup() { umount "$ro" 2>/dev/null || true; chmod -R u+w "$T" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
pass=0 fail=0
expect() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
umask 077
echo pw >"$T/p"
c() { local d=$1; shift; "$cairn" --dir "$d" --passphrase-file "$T/p" "$@"; }
files() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

J=$T/j
c "$J" init --kdf min >/dev/null 2>&1
id=$(c "$J" contact add "Gus Readonly")
c "$J" note add "$id" --text "written while writable" >/dev/null
before=$("$check" "$J" "$T/p" | sed 's/ logs=.*//')

if [[ $(id -u) -eq 0 ]]; then
	mkdir -p "$ro"
	mount --bind "$J" "$ro"
	mount -o remount,ro,bind "$ro"
	R=$ro cause="read-only file system"
else
	chmod 500 "$J"
	R=$J cause="no permission"
fi
snap=$(files "$J")

for cmd in "contact add Hal" "note add $id --text more" "contact set $id --phone 555-0199"; do
	set +e
	c "$R" $cmd >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	expect "$cmd: exit 10 (got $rc)" '[ $rc -eq 10 ]'
	expect "$cmd: one error line naming the cause ($(cat "$T/err"))" \
		'[ "$(grep -v "^cairn: warning: " "$T/err" | wc -l)" -eq 1 ] && grep -v "^cairn: warning: " "$T/err" | grep >/dev/null "^cairn: .*$cause"'
	expect "$cmd: nothing on stdout" '[ ! -s "$T/out" ]'
done
set +e
list=$(c "$R" contact list 2>"$T/err"); rc=$?
shown=$(c "$R" contact show "$id" 2>"$T/showerr"); showrc=$?
dig=$(c "$R" digest 2>/dev/null)
meta=$(c "$R" --json log 2>"$T/err"); metarc=$?
bodies=$(c "$R" --json log --bodies 2>"$T/bodyerr"); bodiesrc=$?
set -e
expect "contact list works read-only (rc=$rc: $(cat "$T/err"))" '[ $rc -eq 0 ] && [[ $list == *"Gus Readonly"* ]]'
# Viewing a record is audited (42 CFR Part 2): when the audit entry cannot be written, nothing is shown.
expect "contact show fails closed: exit 10, nothing shown, the cause named ($(cat "$T/showerr"))" \
	'[ $showrc -eq 10 ] && [ -z "$shown" ] && grep -q "^cairn: .*$cause" "$T/showerr"'
expect "log (metadata, no bodies) works read-only (rc=$metarc: $(cat "$T/err"))" \
	'[ $metarc -eq 0 ] && [[ $meta == *note.add* ]] && [[ $meta != *"written while writable"* ]]'
expect "log --bodies fails closed: exit 10, no body shown ($(cat "$T/bodyerr"))" \
	'[ $bodiesrc -eq 10 ] && [ -z "$bodies" ] && grep -q "^cairn: .*$cause" "$T/bodyerr"'
expect "digest works read-only and is unchanged" '[[ $before == *"digest=$dig"* ]]'
expect "no file of the journal changed" '[ "$(files "$J")" = "$snap" ]'

if [[ $(id -u) -eq 0 ]]; then umount "$ro"; else chmod 700 "$J"; fi
c "$J" contact add "Hal" >/dev/null
after=$("$check" "$J" "$T/p")
expect "writable again: records, and the journal is sound ($after)" '[[ $after == integrity=ok* ]] && [[ $(c "$J" contact list) == *Hal* ]]'

echo "readonly_dir: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
