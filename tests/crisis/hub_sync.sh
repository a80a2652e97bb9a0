#!/usr/bin/env bash
# The crisis bar through a field hub: two enrolled members record the same call offline on their own
# devices (stamps, interventions, a differing disposition), then sync through one device's `cairn serve`
# (no central in reach), in both orders (two calls): each call is one crisis event with both members'
# entries and the differing disposition flagged; digests equal on both members; then the hub forwards
# to central and the office's digest equals the members'. Usage: hub_sync.sh CAIRN
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/../office/lib.sh" "$1"
export TZ=UTC
py() { python3 -c "$@"; }

# Enrolled at the office, then out in the field: the hub h and the members a and b, one team.
FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in h a b; do
	c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1
	c office office enroll approve "$(dev $d)" --team field >/dev/null
done
for d in h a b; do c $d sync >/dev/null; done
for d in h a b; do c $d remote remove central >/dev/null; done

# The hub, started as office_serve.sh does (servers.sh waits for its port: no sleep).
_srv_free_port
port=$_srv_port
_srv_spawn "$SRV_ROOT/logs/hub.log" "$C" --dir "$T/h" serve --listen "127.0.0.1:$port"
_SRV_PID[hub]=$_srv_spawned
_srv_await "$_srv_spawned" "$port" || { cat "$SRV_ROOT/logs/hub.log" >&2; exit 1; }
for d in a b; do c $d remote add hub "git://127.0.0.1:$port/logs.git" >/dev/null; done

# One call, offline: FIRST opens it and reads 13 characters of its id over the radio to SECOND, who
# joins; their dispositions differ. Sets X (FIRST's record) and Y (SECOND's).
record_call() { # FIRST SECOND DAY
	local f=$1 s=$2 day=$3
	X=$(c $f crisis open --source 988 --location home --role lead --received "${day}T14:05:00Z")
	c $f crisis stamp "$X" arrived --at "${day}T14:31:00Z" >/dev/null
	c $f crisis intervention "$X" de-escalation --at "${day}T14:35:00Z" >/dev/null
	c $f crisis set "$X" --disposition stabilised-in-place >/dev/null
	Y=$(c $s crisis open --join "${X:0:13}" --role peer)
	c $s crisis stamp "$Y" arrived --at "${day}T14:31:40Z" >/dev/null
	c $s crisis intervention "$Y" safety-planning --at "${day}T14:50:00Z" >/dev/null
	c $s crisis set "$Y" --disposition emergency-department >/dev/null
	check "$day: the second member could not know the first's record offline" '[ "$X" != "$Y" ]'
}

verify() { # DAY NCRISES
	local day=$1 n=$2 json
	for d in a b; do check "$day: $d holds $n crisis event(s)" \
		'[ "$(c $d --json crisis list | py "import json,sys; print(len(json.load(sys.stdin)))")" = $n ]'; done
	# Before the show: reading a crisis appends an audit entry for its person (a record of its own).
	check "$day: digests equal on both members" '[ "$(c a digest)" = "$(c b digest)" ]'
	json=$(c a --json crisis show "$X")
	check "$day: one crisis with both members' entries and interventions, the disposition flagged" "echo '$json' | py '
import json,sys
d=json.load(sys.stdin)
assert sorted(d[\"records\"])==sorted([\"$X\",\"$Y\"]), d[\"records\"]
assert len({e[\"device\"] for e in d[\"entries\"]})==2
assert sorted(e[\"value\"] for e in d[\"entries\"] if e[\"field\"]==\"disposition\")==[\"emergency-department\",\"stabilised-in-place\"]
assert {i[\"type\"] for i in d[\"interventions\"]}=={\"de-escalation\",\"safety-planning\"}
assert d[\"review\"]==[\"disposition\"], d[\"review\"]
'"
}

# Order 1: a syncs through the hub first, then b, then a again.
record_call a b 2026-11-23
c a sync hub >/dev/null; c b sync hub >/dev/null; c a sync hub >/dev/null
verify 2026-11-23 1
# Order 2: b opens and syncs first.
record_call b a 2026-11-24
c b sync hub >/dev/null; c a sync hub >/dev/null; c b sync hub >/dev/null
verify 2026-11-24 2
check "nothing reached central while in the field" \
	'! git -C "$central" rev-parse -q --verify "refs/heads/logs/$(dev a)" >/dev/null || [ "$(git -C "$central" rev-parse "refs/heads/logs/$(dev a)")" != "$(git -C h/logs.git rev-parse "refs/heads/logs/$(dev a)")" ]'

# Back in reach: the hub forwards what it holds; the office reads the same state as the members. a's
# last read (its audit entry) goes to the hub first, like any record.
c a sync hub >/dev/null
c h remote add central "$URL" >/dev/null
c h sync central >/dev/null
c office sync >/dev/null
check "the office holds both calls, each as one crisis" \
	'[ "$(c office --json crisis list | py "import json,sys; print(len(json.load(sys.stdin)))")" = 2 ]'
check "the office's digest equals the members' ($(c office digest) vs $(c a digest))" '[ "$(c office digest)" = "$(c a digest)" ]'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
