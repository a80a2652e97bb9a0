#!/usr/bin/env bash
# SIGKILL `cairn sync` at random moments of its round (sealing, pushing, fetching, importing), on the
# writing device and on the reading one, ROUNDS times while the writer keeps appending; then a clean
# round: both journals hold every acknowledged event exactly once, integrity holds, digests are equal.
# The kill moment is chosen at random (fault injection), nothing waits on it for synchronisation.
# Usage: sync_kill.sh CAIRN CRASH_WRITER ROUNDS
set -euo pipefail
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
W=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
ROUNDS=${3:-30}
# Central behind git daemon: with a bare path, libgit2 writes the remote's refs itself and a killed push
# leaves a ref lock in the remote, as git does; a server's receive-pack cleans up after a dropped client.
. "$(cd "$(dirname "$0")/../integration/lib" && pwd)/servers.sh"
srv_init
srv_git_daemon
T=$SRV_ROOT
cd "$T"
umask 077
echo crash > p; echo tp > tp
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
srv_bare_repo central >/dev/null
for d in a b; do c $d init --kdf min >/dev/null 2>&1; done
c a team init >/dev/null
c a team export "$T/join" --join-passphrase-file "$T/tp" --kdf min >/dev/null
c b team join "$T/join" --join-passphrase-file "$T/tp" >/dev/null
for d in a b; do c $d remote add central "$GIT_DAEMON_URL/central.git" >/dev/null; done
kills=0
killed_sync() {
	# cairn itself, not through c(): backgrounding a function forks a subshell, and the kill would hit it
	"$C" --dir "$T/$1" --passphrase-file "$T/p" sync >/dev/null 2>&1 &
	local pid=$!
	# a random moment within the round's first ~150 ms
	sleep "0.$(printf '%03d' $((RANDOM % 150)))"
	if kill -9 $pid 2>/dev/null; then kills=$((kills + 1)); fi
	wait $pid 2>/dev/null || true
}
target=0
for i in $(seq 1 "$ROUNDS"); do
	target=$((target + 40 + RANDOM % 200))
	"$W" "$T/a" $target >/dev/null
	killed_sync a
	killed_sync b
done
c a sync >/dev/null
c b sync >/dev/null
c a sync >/dev/null
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
ev() { c "$1" --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["contacts"], d["notes"])'; }
check "a holds every acknowledged event ($(ev a), target $target)" '[ "$(ev a | cut -d" " -f1)" = "$target" ]'
check "b holds the same events, once each ($(ev b))" '[ "$(ev b)" = "$(ev a)" ]'
check "digests are equal" '[ "$(c a digest)" = "$(c b digest)" ]'
check "nothing was quarantined" '[ "$(c b --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"quarantined\"])")" = 0 ]'
echo "$kills kills of $((2 * ROUNDS)) syncs landed mid-round" >&2
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
