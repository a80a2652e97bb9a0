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
# the version a roster commit carries (u64 big-endian after "CAIRNRST", the format and 3 zero bytes)
rver() { git -C "$central" cat-file blob "$1:roster" | head -c 20 | tail -c 8 | od -An -tu8 --endian=big | tr -d ' '; }

c office office revoke "$A3" >/dev/null
v4=$(git -C "$central" rev-parse refs/heads/roster)
check "the revocation wrote a newer roster" '[ "$v4" != "$v3" ] && git -C "$central" merge-base --is-ancestor "$v3" "$v4"'
for d in a1 a2; do c $d sync >/dev/null 2>&1 || true; done
check "a1 and a2 hold the roster that revokes a3" \
	'[ "$(git -C a1/logs.git rev-parse refs/heads/roster)" = "$v4" ] && [ "$(git -C a2/logs.git rev-parse refs/heads/roster)" = "$v4" ]'

# ---- the host rolls the roster back, bypassing the hook ----
git -C "$central" update-ref refs/heads/roster "$v3"
# The office must not sign on top of it: that would reuse version 4 (which every device holding the real
# v4 refuses for good) and, for a revocation, epoch 1 with another key. It keeps its own copy of what it
# signs (refs/cairn/office/roster in its logs.git) and puts that back; without the copy, it refuses.
set +e; out=$(c office office devices 2>&1); rc=$?; set -e
check "the office puts its newest roster back on the rolled-back central, and says so ($rc: $out)" \
	'[ $rc -eq 0 ] && echo "$out" | grep >/dev/null "put back from the office.s own copy" &&
	[ "$(git -C "$central" rev-parse refs/heads/roster)" = "$v4" ]'
git -C "$central" update-ref refs/heads/roster "$v3" # rolled back again
kept=$(git -C office/logs.git rev-parse refs/cairn/office/roster)
git -C office/logs.git update-ref -d refs/cairn/office/roster # and the office's copy is gone
set +e; out=$(c office office supervisor "$A1" 2>&1); rc=$?; set -e
check "without its copy, the office refuses to work on the rolled-back roster, naming both versions (exit 7: $out)" \
	'[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "roster (version $(rver "$v3")) is older than version $(rver "$v4"), which this office signed"'
check "and signs nothing" '[ "$(git -C "$central" rev-parse refs/heads/roster)" = "$v3" ]'
git -C office/logs.git update-ref refs/cairn/office/roster "$kept"
c a1 contact add "Alpha one after rollback" >/dev/null
set +e; out=$(c a1 sync 2>&1); rc=$?; set -e
check "a1 refuses the older roster with a clear message (exit 7: $out)" \
	'[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "older than version .* (rollback)"'
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
check "a1 refuses the rollback again (exit 7: $out)" '[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "(rollback)"'
check "a1 quarantines a3's segment written after its revocation, with the reason" \
	'c a1 --json sync status | grep >/dev/null "was revoked after seq"'
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


# ---- office operations are one at a time: a second waits for the first's lock ----
set +e; flock "$central/cairn-office.lock" timeout 3 "$C" --dir "$T/office" --passphrase-file "$T/p" \
	office supervisor "$A1" >/dev/null 2>lock.err; rc=$?; set -e
check "an office command waits while another holds the office lock, and says so (timed out: $rc)" \
	'[ $rc -eq 124 ] && [ "$(git -C "$central" rev-parse refs/heads/roster)" = "$v4" ] &&
	grep -q "waiting for another office command to finish" lock.err'
check "once the roster is back, the office works again (v5)" 'c office office supervisor "$A1" >/dev/null'
v5=$(git -C "$central" rev-parse refs/heads/roster)
for d in a1 a2; do c $d sync >/dev/null 2>&1 || true; done
check "and a1 and a2 take its roster" \
	'[ "$(git -C a1/logs.git rev-parse refs/heads/roster)" = "$v5" ] && [ "$(git -C a2/logs.git rev-parse refs/heads/roster)" = "$v5" ]'

# ---- a1 loses its log repository (the journal moved to a new laptop without logs.git) ----
# The journal remembers the newest roster it took, so an older one is still refused, and other devices'
# logs wait until a remote offers one at least as new.
git -C "$central" update-ref refs/heads/roster "$v3" # and the host rolls back once more
rm -rf a1/logs.git
c a1 contact add "Alpha one without its logs" >/dev/null
git init -q --bare stick.git
c a1 remote add stick "$T/stick.git" >/dev/null
set +e; out=$(c a1 sync stick 2>&1); rc=$?; set -e
check "with no roster anywhere, a1 says other logs wait (exit 7: $out)" \
	'[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "took roster version $(rver "$v5"), and no remote offered it again"'
c a1 remote add central "$URL" >/dev/null
set +e; out=$(c a1 sync central 2>&1); rc=$?; set -e
check "a1 refuses the rolled-back roster all the same (exit 7: $out)" \
	'[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "offers roster version $(rver "$v3"), older than version $(rver "$v5") this journal already took"'
check "a1 holds no older roster" '! git -C a1/logs.git rev-parse -q --verify refs/heads/roster >/dev/null'
check "a1 applies nothing of a3's later record" '! has a1 "Alpha three revoked"'
set +e; c a2 sync >/dev/null 2>&1; set -e # a2 puts v5 back on central
set +e; out=$(c a1 sync central 2>&1); rc=$?; set -e
check "once central holds v5 again, a1 syncs cleanly ($rc: $out)" '[ $rc -eq 0 ] && [ "$(git -C a1/logs.git rev-parse refs/heads/roster)" = "$v5" ]'
check "and still applies nothing of a3's later record" '! has a1 "Alpha three revoked" && has a1 "Alpha three before"'
check "a1 sealed nothing over seqs it had published: it keeps its device id" '[ "$(dev a1)" = "$A1" ]'
set +e; c a2 sync >/dev/null 2>&1; set -e
check "what a1 wrote meanwhile reaches a2" 'has a2 "Alpha one without its logs"'


# ---- logs.git restored from an older copy, when everything in it was published since ----
cp -a a1/logs.git a1-logs-old.git
c a1 contact add "Alpha one after the copy" >/dev/null
c a1 sync central >/dev/null 2>&1
rm -rf a1/logs.git && cp -a a1-logs-old.git a1/logs.git
c a1 contact add "Alpha one on the old copy" >/dev/null
set +e; out=$(c a1 sync central 2>&1); rc=$?; set -e
check "with logs.git restored from an older copy, a1 syncs under its own id ($rc: $out)" '[ $rc -eq 0 ] && [ "$(dev a1)" = "$A1" ]'
set +e; c a2 sync >/dev/null 2>&1; set -e
check "a2 reads what a1 wrote on the old copy" 'has a2 "Alpha one on the old copy" && has a2 "Alpha one after the copy"'

# ---- the "fully synced" head after logs.git loss, when a stick holds an older head than central ----
c a1 sync stick >/dev/null 2>&1 || true # the stick gets a1's head now
c a1 contact add "Alpha one after the stick" >/dev/null
c a1 sync central >/dev/null 2>&1 # central's head moves on
rm -rf a1/logs.git
c a1 remote add stick "$T/stick.git" >/dev/null
c a1 remote add central "$URL" >/dev/null
c a1 contact add "Alpha one after the second loss" >/dev/null
c a1 sync stick >/dev/null 2>&1 || true
set +e; out=$(c a1 sync central 2>&1); rc=$?; set -e
check "after the stick's older head, a1's sync with central still succeeds ($rc: $out)" '[ $rc -eq 0 ]'
check "and its own log reaches central" \
	'[ "$(git -C "$central" rev-parse refs/heads/logs/$A1)" = "$(git -C a1/logs.git rev-parse refs/heads/logs/$A1)" ]'

# ---- sealed while offline, then logs.git lost: the sealed segment is nowhere ----
c a1 remote add nowhere "$T/no-such-repository.git" >/dev/null
c a1 contact add "Alpha one sealed offline" >/dev/null
set +e; c a1 sync nowhere >/dev/null 2>&1; set -e
rm -rf a1/logs.git
c a1 remote add central "$URL" >/dev/null
set +e; out=$(c a1 sync central 2>&1); rc=$?; set -e
check "a1 says its new events wait, and how to go on when no remote has what it sealed ($rc: $out)" \
	'[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "new-device-id" && [ "$(dev a1)" = "$A1" ]'
c a1 remote add nowhere "$T/no-such-repository.git" >/dev/null
set +e; out=$(c a1 sync --new-device-id 2>&1); rc=$?; set -e
check "--new-device-id refuses unless every remote was reached in the run ($rc: $out)" \
	'[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "needs every remote reached" && [ "$(dev a1)" = "$A1" ]'
c a1 remote remove nowhere >/dev/null
set +e; out=$(c a1 sync central --new-device-id 2>&1); rc=$?; set -e
check "with --new-device-id it goes on under a new device id, and says the office must approve it ($rc: $out)" \
	'[ $rc -eq 0 ] && [ "$(dev a1)" != "$A1" ] && echo "$out" | grep >/dev/null "continue as device" &&
	echo "$out" | grep >/dev/null "office must approve device $(dev a1)"'
set +e; out=$(c a1 sync central --new-device-id 2>&1); rc=$?; set -e
check "which it refuses when nothing is lost ($rc: $out)" '[ $rc -eq 2 ] && echo "$out" | grep >/dev/null "nothing to continue"'
c office office enroll approve "$(dev a1)" --team A >/dev/null
set +e; c a1 sync central >/dev/null 2>&1; c a2 sync >/dev/null 2>&1; set -e
check "once the office approves the new id, a2 reads what a1 sealed offline" 'has a2 "Alpha one sealed offline"'

# ---- an office stopped between its own copy and central: the next command completes the change ----
# (writes the copy first: the same commit, so a central left behind is put back, not signed again)
check "the office's copy is the very commit central holds" \
	'[ "$(git -C office/logs.git rev-parse refs/cairn/office/roster)" = "$(git -C "$central" rev-parse refs/heads/roster)" ]'
before=$(git -C "$central" rev-parse refs/heads/roster)
if chattr +i "$central/refs/heads" 2>/dev/null; then
	set +e; out=$(c office office supervisor "$A2" 2>&1); rc=$?; set -e
	chattr -i "$central/refs/heads"
	check "with central's refs not writable, the change fails and central is as it was ($rc: $out)" \
		'[ $rc -ne 0 ] && [ "$(git -C "$central" rev-parse refs/heads/roster)" = "$before" ]'
	copy=$(git -C office/logs.git rev-parse refs/cairn/office/roster)
	set +e; out=$(c office office devices 2>&1); rc=$?; set -e
	check "the next office command completes it from the office's copy ($rc: $out)" \
		'[ $rc -eq 0 ] && [ "$copy" != "$before" ] && [ "$(git -C "$central" rev-parse refs/heads/roster)" = "$copy" ]'
	set +e; c a2 sync >/dev/null 2>&1; rc=$?; set -e
	check "and a device takes it ($rc)" '[ "$(git -C a2/logs.git rev-parse refs/heads/roster)" = "$copy" ]'
else
	echo "SKIP: chattr +i is not available here: an office stopped between its copy and central"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
