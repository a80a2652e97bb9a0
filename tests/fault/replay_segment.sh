#!/usr/bin/env bash
# replay_segment.sh — old segments played back by whoever can write the central repository. Device A
# publishes two segments; B has imported both. Then, on the server:
#   1. rollback: A's log ref is set back to its first segment. B's sync does not go back (its log and
#      journal are unchanged) and, store-and-forward, pushes A's log back to the server.
#   2. fork: A's first segment again, as a new commit in place of the second. B reports a fork (exit 6,
#      one line naming the log), adopts nothing, imports nothing.
#   3. replay: A's first segment again, as a new commit on top of the log. B quarantines it with a reason
#      and imports nothing from it: no event twice, digest unchanged; A's log stays stopped only there.
# After each, B's journal passes integrity_check with the same events and digest as A's.
# Usage: replay_segment.sh CAIRN JOURNAL_CHECK
set -euo pipefail
# Commits forged below by hand take the one form cairn reads (fixed identity, time 0), so each check
# meets the defect it is about, not the commit's form (that has its own check in sync_reject.sh).
canon() {
	GIT_AUTHOR_NAME=cairn GIT_AUTHOR_EMAIL=cairn@invalid GIT_AUTHOR_DATE='@0 +0000' \
		GIT_COMMITTER_NAME=cairn GIT_COMMITTER_EMAIL=cairn@invalid GIT_COMMITTER_DATE='@0 +0000' "$@"
}
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
check=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-replay-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"
umask 077
pass=0 fail=0
expect() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
echo pw >p
echo tp >tp
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
state() { "$check" "$T/$1" "$T/p" | sed 's/ logs=.*//'; }
git init -q --bare central.git
git -C central.git config receive.denyNonFastForwards true
git -C central.git config receive.denyDeletes true
c a init --kdf min >/dev/null 2>&1
c a team init >/dev/null
c a team export "$T/join" --join-passphrase-file "$T/tp" --kdf min >/dev/null
c b init --kdf min --join "$T/join" --join-passphrase-file "$T/tp" >/dev/null 2>&1
for d in a b; do c $d remote add central "$T/central.git" >/dev/null; done

for n in one two three; do c a contact add "Replay $n" >/dev/null; done
c a sync >/dev/null 2>&1
for n in four five; do c a contact add "Replay $n" >/dev/null; done
c a sync >/dev/null 2>&1
c b sync >/dev/null 2>&1
dev=$(c a --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
ref=refs/heads/logs/$dev
tip=$(git -C central.git rev-parse "$ref")
first=$(git -C central.git rev-list --max-parents=0 "$ref")
expect "A's log has two segments" '[ "$(git -C central.git rev-list --count "$ref")" -eq 2 ]'
good=$(state a)
expect "B holds what A holds ($(state b))" '[ "$(state b)" = "$good" ]'
blog() { git -C "$T/b/logs.git" rev-parse "$ref"; }
b_tip=$(blog)

sync_b() {
	set +e
	c b sync >"$T/out" 2>"$T/err"
	rc=$?
	set -e
}

# 1. Rollback of the ref on the server.
git -C central.git update-ref "$ref" "$first"
sync_b
expect "rollback: sync succeeds (rc=$rc: $(cat "$T/err"))" '[ $rc -eq 0 ]'
expect "rollback: B's log did not go back" '[ "$(blog)" = "$b_tip" ]'
expect "rollback: B's journal unchanged" '[ "$(state b)" = "$good" ]'
expect "rollback: B restored A's log on the server" '[ "$(git -C central.git rev-parse "$ref")" = "$tip" ]'

# 2. The first segment again, in place of the second (a fork).
forged=$(canon git -C central.git commit-tree \
	"$first^{tree}" -p "$first" -m "cairn segment")
git -C central.git update-ref "$ref" "$forged"
sync_b
expect "fork: exit 6 (rc=$rc: $(cat "$T/err"))" '[ $rc -eq 6 ]'
expect "fork: one line saying the logs diverge ($(cat "$T/err"))" '[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "diverge" "$T/err"'
c b sync status >"$T/status" 2>&1 || true
expect "fork: sync status names A's log ($(cat "$T/status"))" 'grep -q "${dev:0:8}" "$T/status"'
expect "fork: B's log not adopted" '[ "$(blog)" = "$b_tip" ]'
expect "fork: B's journal unchanged" '[ "$(state b)" = "$good" ]'
git -C central.git update-ref "$ref" "$tip"

# 3. The first segment again, on top of the log.
replay=$(canon git -C central.git commit-tree \
	"$first^{tree}" -p "$tip" -m "cairn segment")
git -C central.git update-ref "$ref" "$replay"
sync_b
expect "replay: B says it quarantined a segment (rc=$rc: $(cat "$T/out" "$T/err"))" \
	'grep -qi "quarantin" "$T/out" "$T/err"'
expect "replay: B's journal unchanged: no event twice" '[ "$(state b)" = "$good" ]'
expect "replay: the replayed commit is not B's tip of A's log" '[ "$(blog)" != "$replay" ]'
c b --json sync status >"$T/status" 2>/dev/null || true
expect "replay: sync status shows the quarantine with a reason" 'grep -q "$replay" "$T/status" || grep -i >/dev/null "quarantin" "$T/status"'
sync_b
expect "replay: a second sync imports nothing either" '[ "$(state b)" = "$good" ]'

echo "replay_segment: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
