#!/usr/bin/env bash
# The cairn command under valgrind (memcheck): every command of a short session, sync included, must
# report no memory error and no definite leak of cairn's own (libgit2's known leak is suppressed:
# tests/valgrind.supp). Usage: valgrind_cli.sh CAIRN
set -euo pipefail
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v valgrind >/dev/null; then echo "valgrind missing (scripts/deps.sh test installs it)"; exit 1; fi
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-vg-XXXXXX")
trap 'rm -rf "$T"' EXIT
umask 077
echo pw > "$T/p"
git init -q --bare "$T/central.git"
pass=0 fail=0
vg() {
	if valgrind -q --suppressions="$here/../valgrind.supp" --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 "$C" --dir "$T/j" --passphrase-file "$T/p" "$@" >"$T/out" 2>"$T/err"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); echo "FAIL under valgrind: cairn $*" >&2; cat "$T/err" >&2
	fi
}
vg init --kdf min
vg team init
vg remote add central "$T/central.git"
vg contact add "Val Grind" --phone 555-0101
id=$(cat "$T/out")
vg note add "$id" --text "checked in at the day shelter"
vg referral add "$id" --category treatment --to "Clinic"
vg contact set "$id" --alias VG
vg contact show "$id"
vg contact list
vg search shelter
vg log
vg conflicts
vg sync
vg sync status
vg remote list
vg digest
vg --json status
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
