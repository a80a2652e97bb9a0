#!/usr/bin/env bash
# A stolen key writes another history under seqs its device already used. The office revokes the device
# r after its genuine segment (seqs 1-2), and the roster pins that segment's hash (roster format 3). The
# thief, with a copy of r's journal (same key, same team key), writes a different seq 1 and serves it from
# a hostile repository, followed by a copy of the genuine pinned segment (so the pinned hash is "there").
# Expected:
#   - a member enrolled later that meets the hostile repository first applies none of it: before it has
#     a roster it may carry the forged log, and once it holds the roster it neither imports nor relays it;
#   - from central, it takes the genuine log in place of the forged one and applies it;
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
c r contact add "R genuine two" >/dev/null
c r sync >/dev/null 2>&1
c office office revoke "$R" >/dev/null
check "the roster of a revocation pins the last segment: format 3 ($(fmt))" '[ "$(fmt)" = 3 ]'

git init -q --bare evil.git
c rclone remote remove central >/dev/null
c rclone remote add evil "$T/evil.git" >/dev/null
c rclone contact add "FORGED by the revoked key" >/dev/null
c rclone sync >/dev/null 2>&1 || true
# then a commit in cairn's exact form holding the genuine pinned segment, on top of the forged one
forged=$(git -C evil.git rev-parse refs/heads/logs/$R)
git -C evil.git fetch -q "$central" "+refs/heads/logs/$R:refs/tmp/genuine"
tree=$(git -C evil.git rev-parse "refs/tmp/genuine^{tree}")
git -C evil.git update-ref refs/heads/logs/$R "$(printf 'cairn segment\n' | GIT_AUTHOR_NAME=cairn \
	GIT_AUTHOR_EMAIL=cairn@invalid GIT_AUTHOR_DATE='@0 +0000' GIT_COMMITTER_NAME=cairn \
	GIT_COMMITTER_EMAIL=cairn@invalid GIT_COMMITTER_DATE='@0 +0000' git -C evil.git commit-tree "$tree" -p "$forged")"
git -C evil.git update-ref -d refs/tmp/genuine
git -C evil.git fetch -q "$central" "+refs/heads/logs/$A1:refs/heads/logs/$A1" # but no roster yet
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
	'[ $rc -ne 0 ] && echo "$out" | grep >/dev/null "does not lead to the segment the office accepted"'

# a member enrolled after the revocation first syncs from the hostile repository, which has no roster
c n init --kdf min --remote "$T/evil.git" --org "$FP" >/dev/null 2>&1
N=$(dev n)
c n sync >/dev/null 2>&1 || true
check "n, holding no roster yet, may carry the forged log" 'git -C n/logs.git rev-parse -q --verify refs/heads/logs/$R >/dev/null'
git -C evil.git push -q "$URL" "refs/heads/enroll/$N" # its request reaches the office
c office office enroll approve "$N" --team A >/dev/null
git -C evil.git fetch -q "$central" "+refs/heads/roster:refs/heads/roster"
c n sync >/dev/null 2>&1 || true
check "n reads its teammate a1 from there" 'has n "Alpha one record"'
check "n applies nothing forged with the revoked key" '! has n "FORGED by the revoked key"'
genuine=$(git -C "$central" rev-parse refs/heads/logs/$R)
check "nor quarantines the genuine segment (only the appended copy, which does not follow the forged one)" \
	'! c n --json sync status | grep >/dev/null "$genuine"'
git init -q --bare stick.git
c n remote add stick "$T/stick.git" >/dev/null
c n sync stick >/dev/null 2>&1 || true
check "n does not pass the forged log on" '! git -C stick.git rev-parse -q --verify refs/heads/logs/$R >/dev/null'
c n remote add office "$URL" >/dev/null
set +e; out=$(c n sync office 2>&1); rc=$?; set -e
check "from central, n takes r's genuine log in place of the forged one ($rc: $out)" \
	'[ $rc -eq 0 ] && [ "$(git -C n/logs.git rev-parse refs/heads/logs/$R)" = "$(git -C "$central" rev-parse refs/heads/logs/$R)" ]'
check "and applies it, and nothing forged" \
	'has n "R genuine record" && has n "R genuine two" && ! has n "FORGED by the revoked key"'
set +e; out=$(c n sync office 2>&1); rc=$?; set -e
check "its next sync is clean ($rc: $out)" '[ $rc -eq 0 ]'

# ---- a stick files a malformed commit under a new device's "fully synced" head ----
# The device must not build its head on it: it would carry it to central, whose fsck refuses the push
# that also holds the device's own log.
c h init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1
H=$(dev h)
c h contact add "Hotel before approval" >/dev/null
c h sync >/dev/null 2>&1 || true
c office office enroll approve "$H" --team A >/dev/null
git init -q --bare planted.git
git -C planted.git fetch -q "$central" "+refs/heads/roster:refs/heads/roster"
blob=$(echo x | git -C planted.git hash-object -w --stdin)
tree=$(python3 -c "import sys; b=bytes.fromhex('$blob'); sys.stdout.buffer.write(b'100644 a\0'+b+b'100644 a\0'+b)" |
	git -C planted.git hash-object -w -t tree --literally --stdin)
junk=$(printf 'tree %s\nauthor x <x@x> 1 +0000\ncommitter x <x@x> 1 +0000\n\njunk\n' "$tree" |
	git -C planted.git hash-object -w -t commit --stdin)
git -C planted.git update-ref "refs/heads/synced/$H" "$junk"
c h remote add stick "$T/planted.git" >/dev/null
c h sync stick >/dev/null 2>&1 || true
set +e; out=$(c h sync central 2>&1); rc=$?; set -e
check "after a stick's planted head, the device's sync with central succeeds ($rc: $out)" '[ $rc -eq 0 ]'
check "and its own log reaches central" \
	'[ "$(git -C "$central" rev-parse refs/heads/logs/$H)" = "$(git -C h/logs.git rev-parse refs/heads/logs/$H)" ]'
check "its head chain holds nothing of the stick's" \
	'! git -C h/logs.git merge-base --is-ancestor "$junk" "refs/heads/synced/$H" 2>/dev/null'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
