#!/usr/bin/env bash
# Roster actions carried out by running agents (issue 4): a wipe order (the device's agent picks it up in
# its next round, pushes what was not pushed, destroys the key file and the database, wipes its key and
# stops) and a revocation (the agent says so, wipes its key and stops instead of retrying refused pushes
# for ever). Usage: office_agent_wipe.sh CAIRN
set -euo pipefail
trap 'agent_stop_all 2>/dev/null || true' EXIT # runs after the servers' own EXIT trap
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"
. "$here/../agent/lib.sh"

FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in a1 b1; do c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1; done
A1=$(dev a1) B1=$(dev b1)
c office office enroll approve "$A1" --team A >/dev/null
c office office enroll approve "$B1" --team B >/dev/null
c a1 sync >/dev/null 2>&1 || true
c b1 sync >/dev/null 2>&1 || true # the roster with b1's team key
c b1 contact add "Bravo synced" >/dev/null
c b1 sync >/dev/null
c office sync >/dev/null
check "the office reads b1" 'has office "Bravo synced"'

# A long interval: only the poke after a local write, or `sync --now`, makes a round.
agent_cfg "$T/b1.cfg" debounce=0.2 interval=600 jitter=0 backoff_base=0.5 backoff_cap=2 probe_timeout=1
agent_start b1 "$T/b1.cfg" --log-file "$T/b1.log"
check "the agent runs" 'kill -0 "${AGENT_PID[b1]}"'
c office office wipe "$B1" >/dev/null
# Written through the agent's session; the write pokes the agent, whose round meets the wipe order.
c b1 contact add "Bravo pending" >/dev/null
check "the agent stops after carrying out the wipe" 'wait_for 60 gone "${AGENT_PID[b1]}"'
check "its log says why" 'grep -q "wipe order" "$T/b1.log"'
check "b1's key file and database are gone" '[ ! -e b1/key ] && [ ! -e b1/journal.db ] && [ ! -e b1/journal.db-wal ]'
check "no socket is left behind" '[ ! -e b1/agent.sock ]'
c office sync >/dev/null 2>&1 || true
check "the record made just before the wipe reached the office" 'has office "Bravo pending"'

# ---- revocation ----
agent_start a1 "$T/b1.cfg" --log-file "$T/a1.log"
check "a1's agent runs" 'kill -0 "${AGENT_PID[a1]}"'
c office office revoke "$A1" >/dev/null
c a1 contact add "Alpha after revocation" >/dev/null
check "a1's agent stops once the roster says it is revoked" 'wait_for 60 gone "${AGENT_PID[a1]}"'
check "its log says why" 'grep -q "revoked" "$T/a1.log"'
check "its journal stays (revocation is not a wipe)" '[ -e a1/key ] && [ -e a1/journal.db ]'
[ -n "${KEEP_LOGS:-}" ] && cat "$T/a1.log" "$T/b1.log" >&2
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
