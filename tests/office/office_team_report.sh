#!/usr/bin/env bash
# `cairn report --team` counts exactly a team's devices, as the roster says: an office, team A (a1, a2)
# and team B (b1) over a real git daemon, records of several families on each device; at the office the
# report of A counts only A's records, of B only B's, without --team all of them, figures computed here
# from what was seeded. An enrolled device learns the teams from the roster it adopts too. A call answered
# by both teams (b1 joins a1's crisis) counts only for the team the merged record names, with the team
# given by name as by id (by name, the crisis filter was skipped: it counted for both).
# Usage: team_report.sh CAIRN
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"

FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in a1 a2 b1; do c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1; done
A1=$(dev a1); A2=$(dev a2); B1=$(dev b1)
for d in a1 a2 b1; do c $d sync >/dev/null 2>&1 || true; done
c office office enroll approve "$A1" --team A >/dev/null
c office office enroll approve "$A2" --team A >/dev/null
c office office enroll approve "$B1" --team B >/dev/null
for d in a1 a2 b1; do c $d sync >/dev/null 2>&1; done

# What each device records: people, notes (encounters), goals, crisis events (on an existing person).
declare -A people notes goals crises
seed() { # DEVICE PEOPLE NOTES-EACH GOALS CRISES
	local d=$1 i k id
	for ((i = 0; i < $2; i++)); do
		id=$(c $d contact add "Person $d $i")
		for ((k = 0; k < $3; k++)); do c $d note add "$id" --text "met $k" >/dev/null; done
	done
	for ((i = 0; i < $4; i++)); do c $d goal add "$id" "goal $i" --domain housing >/dev/null; done
	for ((i = 0; i < $5; i++)); do c $d crisis open --source 988 --contact "$id" >/dev/null; done
	people[$d]=$2 notes[$d]=$(($2 * $3)) goals[$d]=$4 crises[$d]=$5
}
seed a1 2 1 0 1
seed a2 1 3 1 0
seed b1 4 1 2 2
for d in a1 a2 b1 a1 a2 b1; do c $d sync >/dev/null 2>&1; done
# One call answered by both teams: a1 opens it, b1 (who cannot read team A's records) joins it by the id
# read over the radio. The merged record names one responding team, and a team's report counts it only
# when that is the team, whether the team is given by name or by id.
HX=$(c a1 crisis open --source 911 --contact "$(c a1 --json contact list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')")
c b1 crisis open --join "${HX:0:13}" --role peer >/dev/null
for d in a1 b1 a1; do c $d sync >/dev/null 2>&1; done
c office sync >/dev/null
# The later writer's team wins the merged record's team (a register, flagged for review): b1's, team B.
joint=$(c office --json crisis list | python3 -c '
import json, sys
print(" ".join(sorted(x["team"] + ":" + ",".join(x["review"]) for x in json.load(sys.stdin) if x["id"] == sys.argv[1])))' "$HX")
crises[b1]=$((crises[b1] + 1))

sum() { local t=0 d; local -n m=$1; shift; for d in "$@"; do t=$((t + m[$d])); done; echo $t; }
# figures DIR [--team T]: "people notes goals crises" from the JSON report.
figures() {
	local d=$1; shift
	# Exact small figures: unsuppressed (small-cell suppression is tested in report/report).
	c $d report --from 2000-01-01 --to 2099-12-31 --format json --min-cell 0 "$@" | python3 -c '
import json, sys
s = {x["id"]: x["rows"] for x in json.load(sys.stdin)["sections"]}
new = [r[1] for r in s["contacts"] if r[0] == "new"][0]
notes = sum(r[1] for r in s["encounters"])
goals = sum(r[1] for r in s["goals.domain"])
crises = [r[1] for r in s["crisis.summary"] if r[0] == "events"][0]
print(new, notes, goals, crises)'
}
want() { echo "$(sum people "$@") $(sum notes "$@") $(sum goals "$@") $(sum crises "$@")"; }

got=$(figures office --team A); exp=$(want a1 a2)
check "office: --team A counts only A's records (got $got, want $exp)" '[ "$got" = "$exp" ]'
got=$(figures office --team B); exp=$(want b1)
check "office: --team B counts only B's records (got $got, want $exp)" '[ "$got" = "$exp" ]'
got=$(figures office); exp=$(want a1 a2 b1)
check "office: no --team counts everyone's (got $got, want $exp)" '[ "$got" = "$exp" ]'
check "the teams differ, so the test can tell them apart" '[ "$(want a1 a2)" != "$(want b1)" ]'

# The team ids, read from the roster blob itself (docs/formats.md "Roster"), not from cairn.
team_of() {
	git -C "$central" cat-file blob refs/heads/roster:roster | python3 -c '
import struct, sys
b = sys.stdin.buffer.read(); o = 52
nt, = struct.unpack(">I", b[o:o + 4]); o += 4 + 20 * nt
nk, = struct.unpack(">I", b[o:o + 4]); o += 4 + 108 * nk
nd, = struct.unpack(">I", b[o:o + 4]); o += 4
for i in range(nd):
    d = b[o:o + 68]; o += 68
    if d[:8].hex() == sys.argv[1]: print(d[40:56].hex())' "$1"
}
TA=$(team_of "$A1"); TB=$(team_of "$B1")
check "the roster puts a1 and a2 in one team, b1 in another" '[ -n "$TA" ] && [ "$TA" = "$(team_of "$A2")" ] && [ "$TA" != "$TB" ]'
check "the call answered by both teams names team B, its team flagged for review (got $joint)" '[ "$joint" = "$TB:team" ]'
got=$(figures office --team "$TA"); exp=$(want a1 a2)
check "office: the team's hex id means the same as its name (got $got, want $exp)" '[ "$got" = "$exp" ]'
# a1 holds its own record of the joint call only (it cannot read b1's), which names team A.
crises[a1]=$((crises[a1] + 1))
got=$(figures a1 --team "$TA"); exp=$(want a1 a2)
crises[a1]=$((crises[a1] - 1))
check "a1 (team A) counts exactly its team from the roster it adopted (got $got, want $exp)" '[ "$got" = "$exp" ]'
set +e; out=$(c a1 report --from 2000-01-01 --to 2099-12-31 --team "$TB" 2>&1); rc=$?; set -e
check "a1 cannot report team B, whose key it does not hold (exit 4: $out)" '[ $rc -eq 4 ] && echo "$out" | grep >/dev/null "no team"'
set +e; out=$(c office report --from 2000-01-01 --to 2099-12-31 --team C 2>&1); rc=$?; set -e
check "an unknown team name is refused (exit 4: $out)" '[ $rc -eq 4 ] && echo "$out" | grep >/dev/null "no team '"'C'"'"'

# Revocation keeps what the device wrote in its team.
c office office revoke "$A2" >/dev/null
c office sync >/dev/null 2>&1 || true
got=$(figures office --team A); exp=$(want a1 a2)
check "after a2 is revoked its records still count for A (got $got, want $exp)" '[ "$got" = "$exp" ]'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
