#!/usr/bin/env bash
# A canary written through the CLI (contact name, note text, referral target) is in no file of the data
# directory, and the stock sqlite3 shell cannot read the journal database.
# Usage: cli_canary.sh CAIRN
set -euo pipefail
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-canary-XXXXXX")
trap 'rm -rf "$T"' EXIT
umask 077
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
CANARY=CANARY-5e7d-Marrowind
echo pw > "$T/p"
c() { "$C" --dir "$T/j" --passphrase-file "$T/p" "$@"; }
c init --kdf min >/dev/null 2>&1
id=$(c contact add "$CANARY Person" --alias "$CANARY")
echo "we met near $CANARY and talked" | c note add "$id" --text-file - >/dev/null
c referral add "$id" --category housing --to "$CANARY House" >/dev/null
check "the journal finds it (so it was stored)" 'c search Marrowind | grep >/dev/null Marrowind'
check "no file under the data directory holds the canary" '! grep -r -a -q -F "$CANARY" "$T/j"'
check "... nor a part of it" '! grep -r -a -q -F "Marrowind" "$T/j"'
check "the grep itself can find it (control)" 'echo "x$CANARY" > "$T/control" && grep -r -a -q -F "$CANARY" "$T/control"'
if command -v sqlite3 >/dev/null; then
	check "the stock sqlite3 shell cannot read the database" '! sqlite3 "$T/j/journal.db" "SELECT count(*) FROM sqlite_master" >/dev/null 2>&1'
	out=$(sqlite3 "$T/j/journal.db" "SELECT count(*) FROM sqlite_master" 2>&1 || true)
	check "it says the file is not a database ($out)" 'echo "$out" | grep >/dev/null -i "not a database\|encrypted"'
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
