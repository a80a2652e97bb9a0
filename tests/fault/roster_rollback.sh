#!/usr/bin/env bash
# roster_rollback.sh — a compromised git host rolls the roster back. Three devices of team A are
# enrolled (roster v3); the office revokes a3 while a3 is offline (v4, a new epoch) and a1, a2 take v4.
# The host then sets refs/heads/roster of the central repo back to v3 directly in the bare repo (no push,
# so no hook: what a host with shell access can do), hoping to re-admit a3. Expected:
#   - a1's sync refuses the older roster with one clear line naming the rollback, and a1 keeps v4;
#   - nothing is lost: a1's new record still reaches central and a2 (logs sync despite the refusal);
#   - a1 pushes v4 back (a signed fast-forward the hook takes), undoing the rollback on the host;
#   - the host rolls back again and a3, which never saw v4, pushes under the rolled-back roster (the
#     host's hook reads the host's roster), but a1 and a2, holding v4, quarantine what a3 wrote after its
#     revocation and apply none of it;
#   - afterwards everyone syncs cleanly again.
# This is the central repo itself rewritten; office/trust covers an older roster offered by another
# remote. Usage: roster_rollback.sh CAIRN
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/../office/lib.sh" "$1"

FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in a1 a2 a3; do c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1; done
A1=$(dev a1); A2=$(dev a2); A3=$(dev a3)
for d in "$A1" "$A2" "$A3"; do c office office enroll approve "$d" --team A >/dev/null; done
c a3 contact add "Alpha three before" >/dev/null
for d in a1 a2 a3 a1 a2 a3; do c $d sync >/dev/null 2>&1 || true; done
check "a1 reads a3 before the revocation" 'has a1 "Alpha three before"'
v3=$(git -C "$central" rev-parse refs/heads/roster)

c office office revoke "$A3" >/dev/null
v4=$(git -C "$central" rev-parse refs/heads/roster)
check "the revocation wrote a newer roster" '[ "$v4" != "$v3" ] && git -C "$central" merge-base --is-ancestor "$v3" "$v4"'
for d in a1 a2; do c $d sync >/dev/null 2>&1 || true; done
check "a1 and a2 hold the roster that revokes a3" \
	'[ "$(git -C a1/logs.git rev-parse refs/heads/roster)" = "$v4" ] && [ "$(git -C a2/logs.git rev-parse refs/heads/roster)" = "$v4" ]'

# ---- the host rolls the roster back, bypassing the hook ----
git -C "$central" update-ref refs/heads/roster "$v3"
c a1 contact add "Alpha one after rollback" >/dev/null
set +e; out=$(c a1 sync 2>&1); rc=$?; set -e
check "a1 refuses the older roster with a clear message (exit 7: $out)" \
	'[ $rc -eq 7 ] && echo "$out" | grep -q "older than version .* (rollback)"'
check "the message is one line per remote, lowercase after the prefix" \
	'[ "$(echo "$out" | grep -c "rollback")" = 1 ]'
check "a1 keeps the newer roster" '[ "$(git -C a1/logs.git rev-parse refs/heads/roster)" = "$v4" ]'
check "a1 pushed the newer roster back: central holds v4 again (store-and-forward through the hook)" \
	'[ "$(git -C "$central" rev-parse refs/heads/roster)" = "$v4" ]'
check "a1's log still reached central" \
	'[ "$(git -C "$central" rev-parse refs/heads/logs/$A1)" = "$(git -C a1/logs.git rev-parse refs/heads/logs/$A1)" ]'
set +e; c a2 sync >/dev/null 2>&1; set -e
check "a2 reads a1's record written after the rollback" 'has a2 "Alpha one after rollback"'
check "a2 keeps the newer roster too" '[ "$(git -C a2/logs.git rev-parse refs/heads/roster)" = "$v4" ]'

# ---- the host rolls back again, and a3 (which never saw v4) pushes under the rolled-back roster ----
git -C "$central" update-ref refs/heads/roster "$v3"
c a3 contact add "Alpha three revoked" >/dev/null
set +e; out=$(c a3 sync 2>&1); set -e
check "the host's own hook, reading the rolled-back roster, lets a3's later segment in ($out)" \
	'[ "$(git -C "$central" rev-parse refs/heads/logs/$A3)" = "$(git -C a3/logs.git rev-parse refs/heads/logs/$A3)" ]'
set +e; out=$(c a1 sync 2>&1); rc=$?; set -e
check "a1 refuses the rollback again (exit 7: $out)" '[ $rc -eq 7 ] && echo "$out" | grep -q "(rollback)"'
check "a1 quarantines a3's segment written after its revocation, with the reason" \
	'c a1 --json sync status | grep -q "was revoked after seq"'
set +e; c a2 sync >/dev/null 2>&1; set -e
check "a1 never applies a3's later record" '! has a1 "Alpha three revoked"'
check "a2 never applies a3's later record" '! has a2 "Alpha three revoked"'
check "a1 still has everything from before (a3's earlier record, its own)" \
	'has a1 "Alpha three before" && has a1 "Alpha one after rollback"'

# ---- the roster is back (a1's sync pushed v4 again): everyone syncs cleanly ----
check "central holds v4 again after a1's sync" '[ "$(git -C "$central" rev-parse refs/heads/roster)" = "$v4" ]'
c a1 contact add "Alpha one after repair" >/dev/null
check "a1 syncs cleanly once the roster is back" 'c a1 sync >/dev/null 2>&1'
check "a2 syncs cleanly and reads it" 'c a2 sync >/dev/null 2>&1 && has a2 "Alpha one after repair"'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
