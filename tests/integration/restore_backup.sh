#!/usr/bin/env bash
# A device restored from an old backup must not rewrite its published log, and what it records after the
# restore must still arrive (DESIGN.md: the device continues under a new device id).
# Usage: restore_backup.sh CAIRN
set -euo pipefail
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-restore-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"
umask 077
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
echo pw > p; echo tp > tp
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
git init -q --bare central.git
git -C central.git config receive.denyNonFastForwards true
git -C central.git config receive.denyDeletes true
c a init --kdf min >/dev/null 2>&1
c a team init >/dev/null
c a team export "$T/join" --join-passphrase-file "$T/tp" --kdf min >/dev/null
c b init --kdf min --join "$T/join" --join-passphrase-file "$T/tp" >/dev/null 2>&1   # init and join at once
for d in a b; do c $d remote add central "$T/central.git" >/dev/null; done

for n in one two three; do c a contact add "Person $n" >/dev/null; done
c a sync >/dev/null
old=$(c a --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
cp -a a a.backup                                   # the backup, taken at seq 3
for n in four five; do c a contact add "Person $n" >/dev/null; done
c a sync >/dev/null                                 # published up to seq 5
published=$(git -C central.git rev-parse "refs/heads/logs/$old")

rm -rf a && cp -a a.backup a                        # the laptop is restored from the old backup
c a contact add "Person after restore" >/dev/null   # seq 4 again, with other content
set +e
out=$(c a --json sync 2>&1); rc=$?
set -e
check "sync after a restore succeeds (rc=$rc: $out)" '[ $rc -eq 0 ]'
check "the published log was not rewritten" '[ "$(git -C central.git rev-parse "refs/heads/logs/$old")" = "$published" ]'
new=$(c a --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
check "the device continues under a new id" '[ "$new" != "$old" ]'
check "the new id's log is published" 'git -C central.git rev-parse -q --verify "refs/heads/logs/$new" >/dev/null'
names=$(c a --json contact list | python3 -c 'import json,sys; print(" ".join(sorted(x["name"] for x in json.load(sys.stdin))))')
check "the restored device got back what it had published (got: $names)" \
	'[ "$names" = "Person after restore Person five Person four Person one Person three Person two" ]'
c b sync >/dev/null
names_b=$(c b --json contact list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "the other device sees all six people, including the one recorded after the restore" '[ "$names_b" = 6 ]'
c a sync >/dev/null
check "digests are equal" '[ "$(c a digest)" = "$(c b digest)" ]'
q=$(c a --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["quarantined"])')
check "the re-authored original is kept in the quarantine for the record" '[ "$q" = 1 ]'

# Part 2: only the database is restored (logs.git is newer than the journal), and the worker writes
# before the next sync. The journal catches up from its own log and the new event still arrives.
c d init --kdf min --join "$T/join" --join-passphrase-file "$T/tp" >/dev/null 2>&1
c d remote add central "$T/central.git" >/dev/null
c d contact add "Dee one" >/dev/null
c d sync >/dev/null
cp d/journal.db d.journal.db.backup
c d contact add "Dee two" >/dev/null
c d sync >/dev/null
dold=$(c d --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
dpub=$(git -C central.git rev-parse "refs/heads/logs/$dold")
cp d.journal.db.backup d/journal.db                 # the database alone goes back in time
c d contact add "Dee after restore" >/dev/null
set +e; out=$(c d sync 2>&1); rc=$?; set -e
check "sync after a database-only restore succeeds (rc=$rc: $out)" '[ $rc -eq 0 ]'
check "d's published log was not rewritten" '[ "$(git -C central.git rev-parse "refs/heads/logs/$dold")" = "$dpub" ]'
c b sync >/dev/null
nb=$(c b --json contact list | python3 -c 'import json,sys; print(" ".join(sorted(x["name"] for x in json.load(sys.stdin) if x["name"].startswith("Dee"))))')
check "everything d ever recorded arrives (got: $nb)" '[ "$nb" = "Dee after restore Dee one Dee two" ]'
c d sync >/dev/null
check "d and b agree" '[ "$(c d digest)" = "$(c b digest)" ]'
# Part 3: a backup taken before the first sync: the published log and the restored one share no segment
# (no common ancestor). The change of identity must still complete, and every later sync work.
c e init --kdf min --join "$T/join" --join-passphrase-file "$T/tp" >/dev/null 2>&1
c e remote add central "$T/central.git" >/dev/null
c e contact add "Eve one" >/dev/null
cp -a e e.backup                                    # nothing sealed or published yet
c e sync >/dev/null
eold=$(c e --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
rm -rf e && cp -a e.backup e
c e contact add "Eve after restore" >/dev/null
set +e; out=$(c e sync 2>&1); rc=$?; out2=$(c e sync 2>&1); rc2=$?; set -e
check "with no common ancestor, sync after a restore succeeds, and again (rc=$rc/$rc2: $out $out2)" \
	'[ $rc -eq 0 ] && [ $rc2 -eq 0 ]'
check "e continues under a new id" '[ "$(c e --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"device\"])")" != "$eold" ]'
c b sync >/dev/null
ne=$(c b --json contact list | python3 -c 'import json,sys; print(" ".join(sorted(x["name"] for x in json.load(sys.stdin) if x["name"].startswith("Eve"))))')
check "everything e recorded arrives (got: $ne)" '[ "$ne" = "Eve after restore Eve one" ]'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
