#!/usr/bin/env bash
# The office over a real server (git daemon on loopback, so the pre-receive hook runs): enrollment of
# three devices in two teams, team isolation, revocation (new epoch, the revoked device's push refused),
# a wipe order (pending events reach the office, then key file and database are gone), and the hook
# refusing forged, rewriting, deleting and unsigned pushes. Usage: office_trust.sh CAIRN
set -euo pipefail
# Commits forged below by hand take the one form cairn reads (fixed identity, time 0), so each check
# meets the defect it is about, not the commit's form (that has its own check in sync_reject.sh).
canon() {
	GIT_AUTHOR_NAME=cairn GIT_AUTHOR_EMAIL=cairn@invalid GIT_AUTHOR_DATE='@0 +0000' \
		GIT_COMMITTER_NAME=cairn GIT_COMMITTER_EMAIL=cairn@invalid GIT_COMMITTER_DATE='@0 +0000' "$@"
}
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"

# ---- office init: org key in its own journal, central repo append-only with the hook ----
FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
check "office init prints a 64-hex fingerprint ($FP)" '[[ $FP =~ ^[0-9a-f]{64}$ ]]'
check "central is append-only" '[ "$(git -C "$central" config receive.denyNonFastForwards)" = true ] &&
	[ "$(git -C "$central" config receive.denyDeletes)" = true ] && [ "$(git -C "$central" config receive.fsckObjects)" = true ]'
check "the hook is installed" '[ -x "$central/hooks/pre-receive" ] && grep -q "hook pre-receive" "$central/hooks/pre-receive"'
check "the org secret key is in no file in clear (only the public key is in central)" \
	'! grep -rqs "$FP" office/ && [ "$(git -C "$central" config cairn.orgkey)" = "$FP" ]'

# ---- enrollment: a1, a2 in team A; b1 in team B ----
for d in a1 a2 b1; do c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1; done
A1=$(dev a1); A2=$(dev a2); B1=$(dev b1)
c a1 contact add "Alpha before approval" >/dev/null
c a1 sync >/dev/null 2>&1
check "until approved a device records locally and seals nothing" \
	'! git -C "$central" rev-parse -q --verify refs/heads/logs/$A1 >/dev/null && has a1 "Alpha before approval"'
list=$(c office --json office enroll list)
check "three pending requests ($list)" '[ "$(echo "$list" | grep -o pending | wc -l)" = 3 ]'
c office office enroll approve "$A1" --team A >/dev/null
c office office enroll approve "$A2" --team A >/dev/null
c office office enroll approve "$B1" --team B >/dev/null
set +e; out=$(c office office enroll approve "$A1" --team A 2>&1); rc=$?; set -e
check "approving twice is refused (exit 9: $out)" '[ $rc -eq 9 ]'
set +e; out=$(c office office enroll aprove "$A1" --team A 2>&1); rc=$?; set -e
check "a mistyped enroll verb is named as such, exit 2 ($out)" '[ $rc -eq 2 ] && [[ $out == *"not a cairn office enroll command"* ]]'
list=$(c office --json office enroll list)
check "all three enrolled" '[ "$(echo "$list" | grep -o enrolled | wc -l)" = 3 ]'

c a2 contact add "Alpha two" >/dev/null
c b1 contact add "Bravo one" >/dev/null
for d in a1 a2 b1 a1 a2 b1; do c $d sync >/dev/null 2>&1 || { echo "sync $d failed" >&2; c $d sync || true; }; done
c office sync >/dev/null
check "the office reads every team" 'has office "Alpha before approval" && has office "Alpha two" && has office "Bravo one"'
check "a1 and a2 read each other (team A)" 'has a1 "Alpha two" && has a2 "Alpha before approval"'
check "b1 reads nothing of team A" '! has b1 "Alpha" '
check "a1 reads nothing of team B" '! has a1 "Bravo"'
json=$(c a1 --json sync 2>/dev/null || true)
check "a1 carries b1's log but cannot read it" '[ -n "$(git -C a1/logs.git rev-parse -q --verify refs/heads/logs/$B1)" ] &&
	c a1 --json sync status | python3 -c "import json,sys; d=json.load(sys.stdin); l=[x for x in d[\"logs\"] if x[\"device\"]==\"$B1\"]; assert l and l[0][\"tip_seq\"]>=1 and l[0][\"imported_seq\"]==0, d"'
check "a canary of team B is in no file of a1" '! grep -rqs "Bravo one" a1/'

# ---- the hook: forged, rewriting, deleting, unsigned pushes are refused ----
git init -q --bare evil.git
git -C evil.git fetch -q "$URL" "+refs/heads/*:refs/heads/*"
a1tip=$(git -C evil.git rev-parse refs/heads/logs/$A1)
a2tip=$(git -C evil.git rev-parse refs/heads/logs/$A2)
# a segment signed by a1's key, grafted onto a2's log
tree=$(git -C evil.git rev-parse "$a1tip^{tree}")
forged=$(echo "cairn segment" | canon git -C evil.git commit-tree "$tree" -p "$a2tip")
set +e; out=$(git -C evil.git push "$URL" "$forged:refs/heads/logs/$A2" 2>&1); rc=$?; set -e
check "a segment signed by the wrong key on another device's log is refused" \
	'[ $rc -ne 0 ] && echo "$out" | grep >/dev/null "cairn: refused refs/heads/logs/$A2: segment of device $A1 found on the log of $A2"'
check "central's log of a2 is unchanged" '[ "$(git -C "$central" rev-parse refs/heads/logs/$A2)" = "$a2tip" ]'
set +e; out=$(git -C evil.git push "$URL" ":refs/heads/logs/$A2" 2>&1); rc=$?; set -e
check "deleting a log is refused" '[ $rc -ne 0 ] && [ "$(git -C "$central" rev-parse refs/heads/logs/$A2)" = "$a2tip" ]'
set +e; out=$(git -C evil.git push --force "$URL" "$forged:refs/heads/logs/$A1" 2>&1); rc=$?; set -e
check "rewriting a log is refused" '[ $rc -ne 0 ] && [ "$(git -C "$central" rev-parse refs/heads/logs/$A1)" = "$a1tip" ]'
rtip=$(git -C evil.git rev-parse refs/heads/roster)
blob=$(head -c 300 /dev/urandom | git -C evil.git hash-object -w --stdin)
rtree=$(printf '100644 blob %s\troster\n' "$blob" | git -C evil.git mktree)
fake=$(echo "cairn roster" | canon git -C evil.git commit-tree "$rtree" -p "$rtip")
set +e; out=$(git -C evil.git push "$URL" "$fake:refs/heads/roster" 2>&1); rc=$?; set -e
check "a roster not signed by the org key is refused ($out)" '[ $rc -ne 0 ] && echo "$out" | grep >/dev/null "cairn: refused refs/heads/roster"'
set +e; out=$(git -C evil.git push "$URL" "$a1tip:refs/heads/other" 2>&1); rc=$?; set -e
check "other refs are refused" '[ $rc -ne 0 ] && echo "$out" | grep >/dev/null "only refs/heads/logs"'

# The same hook behind the other documented servers (docs/office.md): git http-backend and sshd.
srv_http
srv_sshd
pw=$(cat "$SRV_HTTP_PASSWORD_FILE")
set +e; out=$(git -C evil.git push "http://cairn:$pw@${SRV_HTTP_URL#http://}/central.git" "$forged:refs/heads/logs/$A2" 2>&1); rc=$?; set -e
check "over git http-backend the forged push is refused by the hook ($out)" \
	'[ $rc -ne 0 ] && echo "$out" | grep >/dev/null "cairn: refused refs/heads/logs/$A2"'
set +e; out=$(GIT_SSH_COMMAND=$SRV_SSH_COMMAND git -C evil.git push "$SRV_SSH_URL/central.git" "$forged:refs/heads/logs/$A2" 2>&1); rc=$?; set -e
check "over ssh the forged push is refused by the hook ($out)" \
	'[ $rc -ne 0 ] && echo "$out" | grep >/dev/null "cairn: refused refs/heads/logs/$A2"'
c a1 remote add viassh "$SRV_SSH_URL/central.git" --ssh-key "$SRV_SSH_KEY" --pin "$SRV_SSH_HOSTKEY_SHA256" >/dev/null
c a1 contact add "Alpha over ssh" >/dev/null
check "an enrolled device syncs over ssh through the hook" 'c a1 sync viassh >/dev/null'
c a1 remote remove viassh >/dev/null
c a1 remote add viahttp "$SRV_HTTP_URL/central.git" --credential-file "$SRV_HTTP_PASSWORD_FILE" >/dev/null
c a1 contact add "Alpha over http" >/dev/null
check "an enrolled device syncs over git http-backend through the hook" 'c a1 sync viahttp >/dev/null'
c a1 remote remove viahttp >/dev/null

# ---- revocation: new epoch; the revoked device's later push is refused by the hook ----
seq_before=$(git -C "$central" rev-parse refs/heads/logs/$A2)
c office office revoke "$A2" >/dev/null
c a1 contact add "Alpha unsynced at revocation" >/dev/null # sealed by the sync that brings the new roster
c a1 sync >/dev/null 2>&1
c a1 contact add "Alpha after revocation" >/dev/null
c a1 sync >/dev/null
c a2 contact add "Alpha two revoked" >/dev/null
set +e; out=$(c a2 sync 2>&1); rc=$?; set -e
check "the revoked device's push is refused by the hook (exit 7: $out)" '[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "revoked"'
check "central kept a2's log as it was" '[ "$(git -C "$central" rev-parse refs/heads/logs/$A2)" = "$seq_before" ]'
check "the revoked device cannot read what its team wrote after (new epoch)" '! has a2 "Alpha after revocation"'
check "nor what a teammate wrote before the sync that brought it the revocation" '! has a2 "Alpha unsynced at revocation"'
c office sync >/dev/null 2>&1 || true
check "the office reads the new epoch" 'has office "Alpha after revocation" && has office "Alpha unsynced at revocation"'
check "the office never has the revoked device's later record" '! has office "Alpha two revoked"'
# a relay that carries the revoked device's later segments: quarantined on import, not adopted
git init -q --bare relay.git
git -C a2/logs.git push -q "$T/relay.git" "refs/heads/logs/*:refs/heads/logs/*" "refs/heads/roster:refs/heads/roster"
c a1 remote add relay "$T/relay.git" >/dev/null
c a1 sync relay >/dev/null 2>&1 || true
check "a1 quarantines the revoked device's later segment" 'c a1 --json sync status | grep >/dev/null "was revoked after seq"'
check "and does not apply it" '! has a1 "Alpha two revoked"'
c a1 remote remove relay >/dev/null
# a device that took those segments before it knew of the revocation (b1 has not synced since): its
# next sync with central brings the revocation, and it must not push them on (the hook refuses them,
# and with them every ref of the same push, b1's own log among them)
git init -q --bare stick.git
git -C a2/logs.git push -q "$T/stick.git" "refs/heads/logs/$A2:refs/heads/logs/$A2"
c b1 remote add stick "$T/stick.git" >/dev/null
c b1 sync stick >/dev/null 2>&1 || true
check "b1, on the old roster, took the revoked device's later segment" \
	'[ "$(git -C b1/logs.git rev-parse refs/heads/logs/$A2)" = "$(git -C a2/logs.git rev-parse refs/heads/logs/$A2)" ]'
c b1 contact add "Bravo after the relay" >/dev/null
set +e; out=$(c b1 sync central 2>&1); rc=$?; set -e
check "its next sync with central succeeds ($rc: $out)" '[ $rc -eq 0 ]'
check "its own log reached central" \
	'[ "$(git -C "$central" rev-parse refs/heads/logs/$B1)" = "$(git -C b1/logs.git rev-parse refs/heads/logs/$B1)" ]'
check "the revoked device's later segment did not" '[ "$(git -C "$central" rev-parse refs/heads/logs/$A2)" = "$seq_before" ]'
c office sync >/dev/null 2>&1 || true
check "the office reads what b1 wrote after the relay" 'has office "Bravo after the relay"'
c b1 remote remove stick >/dev/null

# ---- rollback: a device refuses a roster older than the one it holds ----
git init -q --bare old.git
first=$(git -C "$central" rev-list --max-parents=0 refs/heads/roster)
git -C "$central" push -q "$T/old.git" "$first:refs/heads/roster"
c a1 remote add old "$T/old.git" >/dev/null
set +e; out=$(c a1 sync old 2>&1); rc=$?; set -e
check "an older roster is refused with a clear message (exit 7: $out)" '[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "older than version .* (rollback)"'
c a1 remote remove old >/dev/null

# ---- wipe: pending events reach the office, then the key file and database are gone ----
c b1 contact add "Bravo unsent" >/dev/null
c office office wipe "$B1" >/dev/null
devs=$(c office --json office devices)
check "office devices shows the pending wipe" 'echo "$devs" | python3 -c "import json,sys; d={x[\"device\"]:x for x in json.load(sys.stdin)}; assert d[\"$B1\"][\"wipe\"] and d[\"$A2\"][\"status\"]==\"revoked\" and d[\"$A1\"][\"head_signed\"] and d[\"$A1\"][\"fully_synced\"] and d[\"$A1\"][\"synced_seq\"]==d[\"$A1\"][\"last_seq\"] and d[\"$A1\"][\"last_seq\"]>=2 and d[\"$A1\"][\"team\"]==\"A\" and d[\"$A1\"][\"last_seen\"], d"'
out=$(c b1 --json sync 2>&1 || true)
check "b1 reports the wipe ($out)" 'echo "$out" | grep >/dev/null "\"wiped\": *true"'
check "b1's key file and database are gone" '[ ! -e b1/key ] && [ ! -e b1/journal.db ] && [ ! -e b1/journal.db-wal ]'
c office sync >/dev/null 2>&1 || true
check "b1's pending event reached the office" 'has office "Bravo unsent"'

check "the office, which syncs too, files no enrollment request for itself" \
	'[ "$(c office --json office enroll list | grep -o "\"device\"" | wc -l)" = 3 ]'

# ---- a roster on central that does not verify: every office command says so, none crashes ----
good=$(git -C "$central" rev-parse refs/heads/roster)
blob=$(head -c 300 /dev/urandom | git -C "$central" hash-object -w --stdin)
tree=$(printf '100644 blob %s\troster\n' "$blob" | git -C "$central" mktree)
git -C "$central" update-ref refs/heads/roster "$(echo x | canon git -C "$central" commit-tree "$tree" -p "$good")"
for cmd in "office devices" "office enroll list"; do
	set +e; out=$(c office $cmd 2>&1); rc=$?; set -e
	check "$cmd with a roster that does not verify: exit 5 and the reason ($rc: $out)" \
		'[ $rc -eq 5 ] && echo "$out" | grep >/dev/null roster'
done
git -C "$central" update-ref refs/heads/roster "$good"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
