#!/usr/bin/env bash
# A team made before the office (cairn team init + a join file) keeps working when the office arrives:
# the office joins the team, approves its devices under the team's id, and the roster adopts the join-file
# key as the team's epoch 0, so what was recorded before is read by everyone, the office included.
# Until approved, an enrolling device's logs wait on the device. Usage: office_adopt.sh CAIRN
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"
echo tp > tp

TEAM=$(c j1 init --kdf min >/dev/null 2>&1 && c j1 team init)
c j1 team export "$T/join" --join-passphrase-file "$T/tp" --kdf min >/dev/null
c j2 init --kdf min --join "$T/join" --join-passphrase-file "$T/tp" >/dev/null 2>&1
c j1 contact add "Before the office one" >/dev/null
c j2 contact add "Before the office two" >/dev/null
J1=$(dev j1); J2=$(dev j2)

FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
c office team join "$T/join" --join-passphrase-file "$T/tp" >/dev/null
for d in j1 j2; do c $d remote add central "$URL" --org "$FP" >/dev/null; done
set +e; out=$(c j1 sync 2>&1); rc=$?; set -e
check "an enrolling device syncs without error while it waits ($rc: $out)" '[ $rc -eq 0 ]'
c j2 sync >/dev/null
check "its logs wait on the device until approved" \
	'! git -C "$central" rev-parse -q --verify refs/heads/logs/$J1 >/dev/null && git -C "$central" rev-parse -q --verify refs/heads/enroll/$J1 >/dev/null'
c office office enroll approve "$J1" --team "$TEAM" >/dev/null
c office office enroll approve "$J2" --team "$TEAM" >/dev/null
for d in j1 j2 j1; do c $d sync >/dev/null; done
c office sync >/dev/null
check "the team's members read each other's earlier records" 'has j1 "Before the office two" && has j2 "Before the office one"'
check "the office reads them with the adopted key" 'has office "Before the office one" && has office "Before the office two"'
check "the roster kept the team's id" \
	'c office --json office devices | python3 -c "import json,sys; d=json.load(sys.stdin); assert {x[\"team\"] for x in d}=={\"$TEAM\"}, d"'
check "the devices agree" '[ "$(c j1 digest)" = "$(c j2 digest)" ]'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
