#!/usr/bin/env bash
# key_file.sh — a damaged key file: a changed byte in every field (magic, version, costs, salt, nonce,
# wrapped key, tag), cuts at several lengths, trailing bytes, an empty file and a missing one. Each fails
# with one line naming the key file and a documented exit code (3: the change looks like a wrong
# passphrase, and the message says it may be a modified file; 4: missing; 5: corrupt; 8: a newer format),
# and none of them modifies any file of the journal. With the original key file back, the journal opens
# with its digest unchanged.
# Usage: key_file.sh CAIRN JOURNAL_CHECK
set -euo pipefail
cairn=$1
check=$2
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-key-XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
expect() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
umask 077
echo pw >"$T/p"
J=$T/j
c() { "$cairn" --dir "$J" --passphrase-file "$T/p" "$@"; }
files() { (cd "$J" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

c init --kdf min >/dev/null 2>&1
c contact add "Ida Key" >/dev/null
before=$("$check" "$J" "$T/p" | sed 's/ logs=.*//')
cp "$J/key" "$T/key.orig"
size=$(stat -c %s "$T/key.orig")

# Each case: a name, the expected exit codes, and how to damage $J/key (starting from the original).
attempt() {
	local name=$1 codes=$2
	set +e
	c digest >"$T/out" 2>"$T/err"
	local rc=$?
	set -e
	expect "$name: exit in {$codes} (got $rc: $(cat "$T/err"))" '[[ " $codes " == *" $rc "* ]]'
	expect "$name: one line naming the key file" '[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "^cairn: .*key file" "$T/err"'
	expect "$name: nothing on stdout" '[ ! -s "$T/out" ]'
}
snap=$(files)
for off in 0 7 8 12 20 30 40 50 60 66 80 98 100 113; do
	[ "$off" -lt "$size" ] || continue
	cp "$T/key.orig" "$J/key"
	printf '\x5a' | dd of="$J/key" bs=1 seek="$off" conv=notrunc 2>/dev/null
	cmp -s "$J/key" "$T/key.orig" && printf '\xa5' | dd of="$J/key" bs=1 seek="$off" conv=notrunc 2>/dev/null
	attempt "byte $off changed" "3 5 8"
	if grep -q "wrong passphrase" "$T/err"; then
		expect "byte $off: the wrong-passphrase message says the file may be modified" 'grep -q "modified" "$T/err"'
	fi
	cp "$T/key.orig" "$J/key"
	expect "byte $off: no file of the journal changed" '[ "$(files)" = "$snap" ]'
done
for n in 0 1 16 65 66 $((size - 1)); do
	cp "$T/key.orig" "$J/key"
	truncate -s "$n" "$J/key"
	attempt "cut to $n bytes" "5"
	expect "cut to $n: says truncated" 'grep -q "truncated" "$T/err"'
	cp "$T/key.orig" "$J/key"
	expect "cut to $n: no file of the journal changed" '[ "$(files)" = "$snap" ]'
done
cp "$T/key.orig" "$J/key"
echo junk >>"$J/key"
attempt "trailing bytes" "5"
rm "$J/key"
attempt "missing key file" "4"
cp "$T/key.orig" "$J/key"
expect "no file of the journal changed by any attempt" '[ "$(files)" = "$snap" ]'
after=$("$check" "$J" "$T/p" | sed 's/ logs=.*//')
expect "with the original key the journal opens unchanged ($after)" '[ "$after" = "$before" ]'

echo "key_file: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
