#!/usr/bin/env bash
# SIGKILL the agent at random points of a sync round, N times: records are added between kills, each
# start begins a round at once and is killed a random 0-2 s into it (a round takes 0.3-1 s here: sealing,
# fetching, pushing or importing; some finish first). At the end one more start completes the round:
# central and a second device hold every record exactly once (event counts, contact count, digests
# equal), git fsck is clean and nothing is quarantined.
# Usage: agent_kill.sh CAIRN [N]   (CTest: 20; `make crash` runs AGENT_N, default 100)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib/servers.sh"
srv_init
srv_git_daemon
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
N=${2:-20}
T=$SRV_ROOT
. "$here/lib.sh"
trap 'agent_stop_all' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

srv_bare_repo central >/dev/null
dev_init a b
dev_remote central "$GIT_DAEMON_URL/central.git" a b
agent_cfg "$T/cfg" interval=300 debounce=0.2 backoff_base=0.2 backoff_cap=1
total=0 started=0 rounds_done=0
for ((i = 1; i <= N; i++)); do
	for ((k = 0; k < 1 + RANDOM % 3; k++)); do
		c a contact add "Kill $i.$k" >/dev/null
		total=$((total + 1))
	done
	agent_start a "$T/cfg" || { echo "FAIL: start $i refused: $(tail -3 "$T/a/agent.log")" >&2; fail=$((fail + 1)); break; }
	started=$((started + 1))
	sleep "$((RANDOM % 1200 / 1000)).$(printf %03d $((RANDOM % 1000)))"
	kill -KILL "${AGENT_PID[a]}"
	wait_for 5 gone "${AGENT_PID[a]}"
	AGENT_PID=()
done
rounds_done=$(grep -c "round with central: sealed" "$T/a/agent.log" || true)
echo "agent kill: $started starts killed at random points; $rounds_done of their rounds had finished first"
check "every start succeeded despite the stale socket and lock file ($started of $N)" '[ $started -eq $N ]'
agent_start a "$T/cfg"
check "the next start completes the round (sync --now answers synced)" '[ "$(c a sync --now)" = "agent: synced" ]'
c b sync >/dev/null 2>&1 || c b sync >/dev/null
ea=$(dev_events a) eb=$(dev_events b) na=$(dev_contacts a) nb=$(dev_contacts b)
check "nothing lost or duplicated: $total records, $total events on a ($ea) and b ($eb), contacts $na/$nb" \
	'[ "$ea" = $total ] && [ "$eb" = $total ] && [ "$na" = $total ] && [ "$nb" = $total ]'
check "equal digests" '[ "$(c a digest)" = "$(c b digest)" ]'
check "central passes git fsck" 'git -C "$SRV_ROOT/repos/central.git" fsck --strict >/dev/null 2>&1'
check "a's log repository passes git fsck" 'git -C "$T/a/logs.git" fsck >/dev/null 2>&1'
check "nothing quarantined on either device" \
	'for d in a b; do c $d --json sync status | python3 -c "import json,sys; sys.exit(len(json.load(sys.stdin)[\"quarantine\"]))" || exit 1; done'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
