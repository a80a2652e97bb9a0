#!/usr/bin/env bash
# Two members of a mobile crisis team record the same call offline on their own devices (stamps,
# interventions, a differing disposition), then sync through a git daemon on loopback in both orders:
# one crisis event with both members' entries and who wrote each, the differing disposition flagged for
# review (never dropped), equal digests on both devices and at a third "office" device that syncs after.
# Also: a join by an id prefix read aloud, a join by the full id, two records of one call linked from
# both sides concurrently, and a decision after the sync that settles the review everywhere.
# Usage: team_sync.sh CAIRN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib/servers.sh"
srv_init
srv_git_daemon
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$SRV_ROOT
cd "$T"
umask 077
export TZ=UTC
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
echo pw > p; echo tp > tp
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
py() { python3 -c "$@"; }
ncrises() { c "$1" --json crisis list | py 'import json,sys; print(len(json.load(sys.stdin)))'; }
field() { c "$1" --json crisis show "$2" | py "import json,sys; v=json.load(sys.stdin)$3; print(v if isinstance(v, str) else json.dumps(v))"; }
# Reading a crisis (crisis show) appends an audit entry for its person, a record that syncs like any
# other. Before digests are compared after reads, a round carries those entries everywhere.
settle() { local n=$1; for d in a$n b$n o$n a$n b$n; do c $d sync >/dev/null; done; }

# A fresh team of three devices (a, b and the office) on its own central repository.
setup() {
	local n=$1
	central=$(srv_bare_repo "central$n")
	for d in a$n b$n o$n; do c $d init --kdf min >/dev/null 2>&1; done
	c a$n team init >/dev/null
	c a$n team export "$T/join$n" --join-passphrase-file "$T/tp" --kdf min >/dev/null
	for d in b$n o$n; do c $d team join "$T/join$n" --join-passphrase-file "$T/tp" >/dev/null; done
	for d in a$n b$n o$n; do c $d remote add central "$GIT_DAEMON_URL/central$n.git" >/dev/null; done
}

# The call: a opens it and reads the first 13 characters of its id (its millisecond time) to b over the
# radio. Both are offline.
record_call() {
	local n=$1
	A=$(c a$n crisis open --source 988 --location home --role lead --received "2026-11-23T14:05:00Z")
	c a$n crisis stamp "$A" dispatched --at "2026-11-23T14:09:00Z" >/dev/null
	c a$n crisis stamp "$A" arrived --at "2026-11-23T14:31:00Z" >/dev/null
	c a$n crisis intervention "$A" de-escalation --at "2026-11-23T14:35:00Z" >/dev/null
	c a$n crisis set "$A" --disposition stabilised-in-place --police none >/dev/null
	c a$n crisis stamp "$A" cleared --at "2026-11-23T15:20:00Z" >/dev/null
	B=$(c b$n crisis open --join "${A:0:13}" --role peer)
	c b$n crisis stamp "$B" arrived --at "2026-11-23T14:31:40Z" >/dev/null   # 40 s apart: the same arrival
	c b$n crisis intervention "$B" safety-planning --at "2026-11-23T14:50:00Z" >/dev/null
	c b$n crisis screen "$B" --yes wish_dead >/dev/null
	c b$n crisis set "$B" --disposition emergency-department >/dev/null
	c b$n crisis stamp "$B" cleared --at "2026-11-23T15:21:00Z" >/dev/null
	check "run $n: b could not know a's crisis offline: its own record" '[ "$B" != "$A" ]'
}

verify() {
	local n=$1 d
	for d in a$n b$n o$n; do
		check "run $n: $d holds one crisis event" '[ "$(ncrises $d)" = 1 ]'
	done
	check "run $n: digests equal on a, b and the office" \
		'[ "$(c a$n digest)" = "$(c b$n digest)" ] && [ "$(c b$n digest)" = "$(c o$n digest)" ]'
	local json
	json=$(c b$n --json crisis show "${A:0:8}")
	check "run $n: the surviving id is the smaller of the two" \
		'[ "$(echo "$json" | py "import json,sys; print(json.load(sys.stdin)[\"id\"])")" = "$(printf "%s\n%s\n" "$A" "$B" | sort | head -1)" ]'
	check "run $n: both members' entries, with who wrote each" "echo '$json' | py '
import json,sys
d=json.load(sys.stdin)
devs={e[\"device\"] for e in d[\"entries\"]}
assert len(devs)==2, devs
disp=sorted(e[\"value\"] for e in d[\"entries\"] if e[\"field\"]==\"disposition\")
assert disp==[\"emergency-department\",\"stabilised-in-place\"], disp
assert {i[\"type\"] for i in d[\"interventions\"]}=={\"de-escalation\",\"safety-planning\"}, d[\"interventions\"]
assert len({i[\"device\"] for i in d[\"interventions\"]})==2
assert len(d[\"screens\"])==1 and d[\"screens\"][0][\"level\"]==\"low\"
assert len(d[\"members\"])==2 and any(m[\"by_prefix\"] for m in d[\"members\"]), d[\"members\"]
assert sorted(d[\"records\"])==sorted([\"$A\",\"$B\"])
'"
	check "run $n: the differing disposition is flagged, the stamps 40 s apart are not" \
		"echo '$json' | py 'import json,sys; d=json.load(sys.stdin); assert d[\"review\"]==[\"disposition\"], d[\"review\"]'"
	check "run $n: arrival is the earliest member stamp" \
		"echo '$json' | py 'import json,sys; d=json.load(sys.stdin); assert d[\"arrived\"]==\"2026-11-23T14:31:00Z\" and d[\"cleared\"]==\"2026-11-23T15:20:00Z\", d'"
	check "run $n: the dispatch stamp only a recorded arrives with the record" \
		"echo '$json' | py 'import json,sys; d=json.load(sys.stdin); assert d[\"dispatched\"]==\"2026-11-23T14:09:00Z\" and d[\"source\"]==\"988\"'"
	check "run $n: the show card names the disagreement" 'c a$n crisis show "${A:0:8}" | grep >/dev/null "members disagree"'
}

# Order 1: a syncs first, then b, then a again; the office last.
setup 1
record_call 1
c a1 sync >/dev/null; c b1 sync >/dev/null; c a1 sync >/dev/null; c o1 sync >/dev/null
verify 1

# Order 2: b first.
setup 2
record_call 2
c b2 sync >/dev/null; c a2 sync >/dev/null; c b2 sync >/dev/null; c o2 sync >/dev/null
verify 2

# A decision after the sync settles the review everywhere; nothing is lost from the history.
c a2 crisis set "${A:0:8}" --disposition emergency-department >/dev/null
c a2 sync >/dev/null; c b2 sync >/dev/null; c o2 sync >/dev/null
check "the decision clears the review at the office" '[ "$(field o2 "${A:0:8}" "[\"review\"]")" = "[]" ]'
check "and keeps every earlier value" \
	'[ "$(c o2 --json crisis show "${A:0:8}" | py "import json,sys; print(sum(1 for e in json.load(sys.stdin)[\"entries\"] if e[\"field\"]==\"disposition\"))")" = 3 ]'
settle 2
check "digests still equal" '[ "$(c a2 digest)" = "$(c b2 digest)" ] && [ "$(c b2 digest)" = "$(c o2 digest)" ]'

# Once synced, 8 characters are enough (checked unambiguous here); offline they are not (the first 8 of a
# UUIDv7 are its time in 65-second steps, shared by calls opened in the same minute).
R=$(c b2 crisis open --join "${A:0:8}" --role nurse)
check "a join by 8 characters of a synced crisis lands on it" '[ "$R" = "$(field b2 "${A:0:8}" "[\"id\"]")" ]'
set +e; out=$(c b2 crisis open --join "ffffffff" 2>&1); rc=$?; set -e
check "an 8-character join of a crisis not here asks for 13 ($out)" '[ $rc -eq 4 ] && echo "$out" | grep >/dev/null "at least 13"'

# Full id known (QR code) but the record not synced yet: b writes straight onto a's crisis.
X=$(c a2 crisis open --source 911 --location street --received "2026-11-24T02:00:00Z")
Y=$(c b2 crisis open --join "$X" --role clinician)
check "a join by the full id writes on the same record" '[ "$Y" = "$X" ]'
c b2 crisis stamp "$X" arrived --at "2026-11-24T02:20:00Z" >/dev/null
c b2 sync >/dev/null; c a2 sync >/dev/null; c b2 sync >/dev/null
check "the teammate's arrival shows on the opener's device" '[ "$(field a2 "$X" "[\"arrived\"]")" = "2026-11-24T02:20:00Z" ]'

# Two records of one call opened separately, then linked from both sides before either synced.
P=$(c a2 crisis open --source family --received "2026-11-24T05:00:00Z")
Q=$(c b2 crisis open --source family --received "2026-11-24T05:03:00Z")
c a2 sync >/dev/null; c b2 sync >/dev/null; c a2 sync >/dev/null
c a2 crisis link "$P" "$Q" >/dev/null
c b2 crisis link "$Q" "$P" >/dev/null
c a2 sync >/dev/null; c b2 sync >/dev/null; c a2 sync >/dev/null; c o2 sync >/dev/null
s=$(printf "%s\n%s\n" "$P" "$Q" | sort | head -1)
check "concurrent links in both directions give one record, the smallest id" \
	'[ "$(field a2 "$P" "[\"id\"]")" = "$s" ] && [ "$(field o2 "$Q" "[\"id\"]")" = "$s" ]'
check "received is the earliest of the two, flagged (3 minutes apart)" \
	'[ "$(field o2 "$P" "[\"received\"]")" = "2026-11-24T05:00:00Z" ] && [ "$(field o2 "$P" "[\"review\"]")" = "[\"contact\", \"received\"]" ]'
settle 2
check "digests equal after the links" '[ "$(c a2 digest)" = "$(c b2 digest)" ] && [ "$(c b2 digest)" = "$(c o2 digest)" ]'

# Hand-off and follow-up travel too.
c b2 crisis handoff "$s" --to "day team" >/dev/null
c b2 sync >/dev/null; c a2 sync >/dev/null
check "the hand-off reaches the other device" '[ "$(field a2 "$s" "[\"followup_to\"]")" = "day team" ]'
c o2 sync >/dev/null
c o2 crisis followup "$s" --result reached >/dev/null          # the office, who never opened or joined it
c o2 sync >/dev/null; c a2 sync >/dev/null
check "whoever writes on a crisis is listed as a member, with who wrote what" \
	'[ "$(c a2 --json crisis show "$s" | py "import json,sys; d=json.load(sys.stdin); print(len(d[\"members\"]), sum(m[\"role\"] is None for m in d[\"members\"]), d[\"followup_result\"])")" = "3 3 reached" ]'

# Bad input: one clear line, a usage exit, nothing written.
before=$(c a2 digest)
set +e
out=$(c a2 crisis stamp "$s" landed 2>&1); rc1=$?
out2=$(c a2 crisis open --join 0123 2>&1); rc2=$?
out3=$(c a2 crisis set "$s" --disposition jail 2>&1); rc3=$?
out4=$(c a2 crisis stamp ffffffff arrived 2>&1); rc4=$?
set -e
check "an unknown stamp is a usage error ($out)" '[ $rc1 -eq 2 ] && echo "$out" | grep >/dev/null "STAMP"'
check "a join needs 8 characters ($out2)" '[ $rc2 -eq 2 ] && echo "$out2" | grep >/dev/null "8 characters"'
check "an unknown disposition names the choices ($out3)" '[ $rc3 -eq 2 ] && echo "$out3" | grep >/dev/null "stabilised-in-place"'
check "an unknown crisis is not found ($out4)" '[ $rc4 -eq 4 ] && [ $(echo "$out4" | wc -l) -eq 1 ]'
check "nothing was written by the refused commands" '[ "$(c a2 digest)" = "$before" ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
