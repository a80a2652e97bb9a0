#!/usr/bin/env bash
# A stolen key writes another history under seqs its device already used. The office revokes the device
# r after seq 1, and the roster pins the hash of the segment central held at that seq (roster format 3).
# The thief, with a copy of r's journal (same key, same team key), writes a different seq 1 and serves it
# from a hostile repository that mirrors central's roster and the other logs. Expected:
#   - a member enrolled later, syncing first from that repository, applies none of it and adopts none of
#     it (it does not lead to the pinned segment), and quarantines nothing either (a relay may hold an
#     older part of the genuine log, which must not be barred for good);
#   - the same member then takes the genuine log from central and applies it;
#   - a hooked repository (central, a field hub) refuses the forged log;
#   - the roster of a revocation is format 3, and one without a revocation stays format 1.
# Usage: office_forged.sh CAIRN
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"
fmt() { git -C "$central" cat-file blob refs/heads/roster:roster | head -c 9 | tail -c 1 | od -An -tu1 | tr -d ' '; }

FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in a1 r; do c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1; done
A1=$(dev a1); R=$(dev r)
for d in "$A1" "$R"; do c office office enroll approve "$d" --team A >/dev/null; done
c a1 contact add "Alpha one record" >/dev/null
for d in a1 r a1 r; do c $d sync >/dev/null 2>&1 || true; done
check "a roster with no revocation stays format 1 ($(fmt))" '[ "$(fmt)" = 1 ]'

cp -a r rclone # the thief's copy: r's key and r's team key
c r contact add "R genuine record" >/dev/null
c r sync >/dev/null 2>&1
c office office revoke "$R" >/dev/null
check "the roster of a revocation pins the last segment: format 3 ($(fmt))" '[ "$(fmt)" = 3 ]'

git init -q --bare evil.git
c rclone remote remove central >/dev/null
c rclone remote add evil "$T/evil.git" >/dev/null
c rclone contact add "FORGED by the revoked key" >/dev/null
c rclone sync >/dev/null 2>&1 || true
git -C evil.git fetch -q "$central" "+refs/heads/roster:refs/heads/roster" "+refs/heads/logs/$A1:refs/heads/logs/$A1"
check "the hostile repository holds a different seq 1 of r" \
	'[ "$(git -C evil.git rev-parse refs/heads/logs/$R)" != "$(git -C "$central" rev-parse refs/heads/logs/$R)" ]'
set +e; out=$(git -C evil.git push "$URL" "refs/heads/logs/$R:refs/heads/logs/$R" 2>&1); rc=$?; set -e
check "central's hook refuses the forged log ($out)" '[ $rc -ne 0 ]'
git init -q --bare hub.git
git -C hub.git config cairn.orgkey "$FP"
git -C "$central" push -q "$T/hub.git" refs/heads/roster
mkdir -p hub.git/hooks && cp "$central/hooks/pre-receive" hub.git/hooks/
set +e; out=$(git -C evil.git push "$T/hub.git" "refs/heads/logs/$R:refs/heads/logs/$R" 2>&1); rc=$?; set -e
check "a hooked repository that lacks r's log refuses the forged one too ($out)" \
	'[ $rc -ne 0 ] && echo "$out" | grep -q "does not lead to the segment the office accepted"'

# a member enrolled after the revocation first syncs from the hostile repository
c n init --kdf min --remote "$T/evil.git" --org "$FP" >/dev/null 2>&1
N=$(dev n)
c n sync >/dev/null 2>&1 || true
git -C evil.git push -q "$URL" "refs/heads/enroll/$N" # its request reaches the office
c office office enroll approve "$N" --team A >/dev/null
git -C evil.git fetch -q "$central" "+refs/heads/roster:refs/heads/roster"
c n sync >/dev/null 2>&1 || true
check "n reads its teammate a1 from there" 'has n "Alpha one record"'
check "n applies nothing forged with the revoked key" '! has n "FORGED by the revoked key"'
check "n did not adopt the forged log" '! git -C n/logs.git rev-parse -q --verify refs/heads/logs/$R >/dev/null'
check "and quarantined nothing (it is not proven bad: a relay may hold part of the real log)" \
	'c n --json sync status | python3 -c "import json,sys; assert json.load(sys.stdin)[\"quarantine\"] == []"'
c n remote add office "$URL" >/dev/null
c n sync office >/dev/null 2>&1 || true
check "from central, n takes r's genuine log and applies it" \
	'has n "R genuine record" && ! has n "FORGED by the revoked key"'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
