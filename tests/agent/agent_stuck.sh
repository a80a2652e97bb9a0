#!/usr/bin/env bash
# A round that hangs is cut at round_limit: every network wait has a timeout but one, an ssh server that
# is up and never answers (libssh2 polls the socket without a timeout). Here a listener accepts, reads,
# and never sends its banner; the agent's round with it is cut after round_limit (2 s), fails, and the
# agent goes on answering and syncing. Without the cut the round, and every later one, waits for ever.
# Usage: agent_stuck.sh CAIRN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d)
srv=
. "$here/lib.sh"
cleanup() {
	agent_stop_all
	if [ -n "$srv" ]; then kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; fi
	rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

python3 - "$T/port" <<'PY' &
import os, socket, sys, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
held = []
def serve():
    while True:
        c, _ = s.accept(); held.append(c)  # never a byte back: no ssh banner
threading.Thread(target=serve, daemon=True).start()
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Event().wait()
PY
srv=$!
wait_for 10 test -s "$T/port" || { echo "the silent server did not start" >&2; exit 1; }
port=$(cat "$T/port")

dev_init a
ssh-keygen -q -t ed25519 -N '' -f "$T/key" >/dev/null
c a remote add silent "ssh://git@127.0.0.1:$port/central.git" --ssh-key "$T/key" \
	--pin "$(printf '%064d' 0)" >/dev/null
c a contact add "Stuck Round" >/dev/null
agent_cfg "$T/cfg" round_limit=2 net_timeout=30 interval=300 debounce=0.2 backoff_base=30 backoff_cap=30 \
	probe_timeout=1
agent_start a "$T/cfg"

t0=$(date +%s%N)
rc=0
timeout 60 "$C" --dir "$T/a" --passphrase-file "$T/p" sync --now >/dev/null 2>"$T/err" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "stuck: sync --now returned $rc after $ms ms: $(cat "$T/err")"
check "sync --now through the agent comes back (exit $rc, not timeout's 124)" '[ "$rc" != 124 ] && [ "$rc" != 0 ]'
check "within a few seconds of the 2 s round limit ($ms ms)" '[ "$ms" -lt 20000 ]'
check "the agent says it cut the round's connection" \
	'wait_for 5 grep -q "still running after 2000 ms: cut 1 network connection" "$T/a/agent.log"'
check "the failure is the remote's last error" \
	'[ "$(agent_field a "d[\"remotes\"][0][\"failures\"]")" -ge 1 ]'
check "the agent still answers" 'c a status >/dev/null'
rc2=0
timeout 60 "$C" --dir "$T/a" --passphrase-file "$T/p" sync --now >/dev/null 2>&1 || rc2=$?
check "and its next round is cut too, not stuck behind the first ($rc2)" '[ "$rc2" != 124 ]'

# `cairn lock` during a round: the round holds its own copy of the key until it ends, so lock cuts its
# connections and it ends now, not at round_limit (60 s here).
agent_stop_all
agent_cfg "$T/cfg" round_limit=60 net_timeout=120 interval=300 debounce=0.2 backoff_base=30 backoff_cap=30 \
	probe_timeout=1
agent_start a "$T/cfg"
t0=$(date +%s%N)
timeout 90 "$C" --dir "$T/a" --passphrase-file "$T/p" sync --now >/dev/null 2>&1 &
bg=$!
in_round() { [ "$(agent_field a 'd["round"]')" = silent ]; }
check "a round with the silent server is running" 'wait_for 20 in_round'
c a lock >/dev/null
rc3=0
wait "$bg" || rc3=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "lock ends the running round at once, not at round_limit ($rc3 after $ms ms)" '[ "$rc3" != 124 ] && [ "$ms" -lt 30000 ]'
check "and says so" 'grep -q "locked during a round with silent: cut 1 network connection" "$T/a/agent.log"'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
