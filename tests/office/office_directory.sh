#!/usr/bin/env bash
# The resource directory is the office's, read-only on devices (issue 6 item 6): the office publishes it
# to central (signed by the org key, encrypted per team); enrolled devices of two teams receive it with
# sync and search it offline; a device cannot add or change a resource, and a resource.set event forged
# on a device and carried in its log is never applied, at the other devices or at the office; a device
# passes the directory on through a USB repo; a new version replaces the old one everywhere; a team made
# after publishing reads it at once; the git host never sees the text; the hook refuses a directory that
# is not the org's or rolls back. (A forged resource.set event: tests/domain/test_domain_report.c.)
# Usage: office_directory.sh CAIRN
set -euo pipefail
# Commits forged below by hand take the one form cairn reads (fixed identity, time 0), so each check
# meets the defect it is about, not the commit's form (that has its own check in sync_reject.sh).
canon() {
	GIT_AUTHOR_NAME=cairn GIT_AUTHOR_EMAIL=cairn@invalid GIT_AUTHOR_DATE='@0 +0000' \
		GIT_COMMITTER_NAME=cairn GIT_COMMITTER_EMAIL=cairn@invalid GIT_COMMITTER_DATE='@0 +0000' "$@"
}
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"

search() { c "$1" --json resource search "${@:2}" 2>/dev/null || echo '[]'; }
count() { search "$@" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in a1 a2 b1; do c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1; done
for d in a1 a2 b1; do c $d sync >/dev/null 2>&1 || true; done
c office office enroll approve "$(dev a1)" --team A >/dev/null
c office office enroll approve "$(dev a2)" --team A >/dev/null
check "nothing is published before the office has a resource" \
	'! git -C "$central" rev-parse -q --verify refs/heads/directory >/dev/null'

# ---- the office publishes; devices receive it ----
R=$(c office resource add "Harbor House Shelter" --organization "Harbor House" --category housing --phone 555-9000)
check "resource add at the office prints an id" '[[ $R =~ ^[0-9a-f-]{36}$ ]]'
check "and publishes version 1 to central" 'git -C "$central" rev-parse -q --verify refs/heads/directory >/dev/null'
for d in a1 a2; do c $d sync >/dev/null; done
check "a device of team A finds it offline" '[ "$(count a1 harbor)" = 1 ] && [ "$(count a2 --category housing)" = 1 ]'
check "a device of team A shows it with the office's fields" \
	'c a1 --json resource show "$R" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"phone\"]==\"555-9000\", d"'
check "a referral on a device picks it by id" 'c a1 referral add "$(c a1 contact add "Pat Doe")" --resource "$R" >/dev/null'

# ---- read-only on devices ----
set +e
out=$(c a1 resource add "Fake Clinic" 2>&1); rc=$?
out2=$(c a1 resource set "$R" --phone 555-0000 2>&1); rc2=$?
set -e
check "resource add on a device exits 2 ($rc: $out)" '[ $rc -eq 2 ] && [[ $out == *"only the office publishes the resource directory"* ]]'
check "resource set on a device exits 2 ($rc2: $out2)" '[ $rc2 -eq 2 ] && [[ $out2 == *"only the office publishes"* ]]'
check "nothing changed on the device" '[ "$(count a1)" = 1 ] && [ "$(count a1 555-0000)" = 0 ]'

# ---- a new team reads the directory at once (the roster change republishes it) ----
c office office enroll approve "$(dev b1)" --team B >/dev/null
c b1 sync >/dev/null
check "a device of a team made after publishing reads it" '[ "$(count b1 harbor)" = 1 ]'

# ---- a new version replaces the old one everywhere, also through a USB repo ----
c office resource set "$R" --hours "24/7" >/dev/null
c office resource add "Eastside MAT clinic" --category mat >/dev/null
git init -q --bare usb.git
c a1 remote add usb "$T/usb.git" >/dev/null
c a1 sync >/dev/null
c a2 remote remove central >/dev/null
c a2 remote add usb "$T/usb.git" >/dev/null
c a2 sync >/dev/null
check "a device that never reaches central gets version 3 through the USB repo" \
	'[ "$(count a2)" = 2 ] && c a2 --json resource show "$R" | grep >/dev/null "24/7"'
check "every version is kept" \
	'c a2 --json resource show "$R" | python3 -c "import json,sys; assert json.load(sys.stdin)[\"versions\"]==2"'
check "the USB repo holds ciphertext: no resource text in any object" \
	'! (for o in $(git -C usb.git cat-file --batch-all-objects --batch-check="%(objectname)"); do git -C usb.git cat-file -p $o; done | grep -a -e Harbor -e Eastside >/dev/null)'
check "nor does central" \
	'! (for o in $(git -C "$central" cat-file --batch-all-objects --batch-check="%(objectname)"); do git -C "$central" cat-file -p $o; done | grep -a -e Harbor -e Eastside >/dev/null)'

# ---- cairn office publish: the next version, same contents ----
before=$(git -C "$central" rev-list --count refs/heads/directory)
c office --json office publish | grep >/dev/null '"published": *true'
check "office publish writes the next version" \
	'[ "$(git -C "$central" rev-list --count refs/heads/directory)" = $((before + 1)) ]'
c a1 sync >/dev/null
check "a device takes it and its directory is unchanged" '[ "$(count a1)" = 2 ] && c a1 --json resource show "$R" | grep >/dev/null "24/7"'

# ---- a publication that fails is a warning: the office command stands; office publish mends it ----
touch "$central/refs/heads/directory.lock" # as a crashed git would leave it: the ref cannot move
dir_before=$(git -C "$central" rev-parse refs/heads/directory)
roster_before=$(git -C "$central" rev-list --count refs/heads/roster)
set +e
L=$(c office resource add "Lockside Drop-in" --category housing 2>"$T/warn1"); lrc=$?
c office office supervisor "$(dev a2)" >/dev/null 2>"$T/warn2"; src=$?
set -e
check "resource add still records the resource ($lrc), warning that it was not published" \
	'[ $lrc -eq 0 ] && [[ $L =~ ^[0-9a-f-]{36}$ ]] && grep -q "not published.*cairn office publish" "$T/warn1"'
check "a roster change still writes the roster ($src), warning that the directory was not republished" \
	'[ $src -eq 0 ] && [ "$(git -C "$central" rev-list --count refs/heads/roster)" = $((roster_before + 1)) ] &&
	 grep -q "directory was not republished.*cairn office publish" "$T/warn2"'
check "central's directory did not move" '[ "$(git -C "$central" rev-parse refs/heads/directory)" = "$dir_before" ]'
rm "$central/refs/heads/directory.lock"
c office office publish >/dev/null
c a1 sync central >/dev/null
check "office publish then brings the new resource to devices" '[ "$(count a1 lockside)" = 1 ]'

# ---- an older directory never replaces a newer one ----
old=$(git -C "$central" rev-parse refs/heads/directory~1)
git init -q --bare stale.git
git -C "$central" push -q "$T/stale.git" "$old:refs/heads/directory" 2>/dev/null
c a1 remote add stale "$T/stale.git" >/dev/null
held=$(count a1)
c a1 sync stale >/dev/null
check "a remote offering an older version changes nothing" '[ "$(count a1)" = "$held" ] && [ "$held" = 3 ]'
check "and receives the newer one" \
	'[ "$(git -C stale.git rev-parse refs/heads/directory)" = "$(git -C "$central" rev-parse refs/heads/directory)" ]'

# ---- the hook: only the org's directory, only forward ----
git clone -q --bare "$central" forge.git
fake=$(canon git -C forge.git commit-tree "$(git -C forge.git rev-parse refs/heads/directory^{tree})" -p refs/heads/directory -m "cairn directory" </dev/null)
set +e
push_out=$(git -C forge.git push "$URL" "$fake:refs/heads/directory" 2>&1); prc=$?
back_out=$(git -C forge.git push -f "$URL" "$old:refs/heads/directory" 2>&1); brc=$?
set -e
check "central refuses a directory that repeats a version ($prc)" '[ $prc -ne 0 ] && [[ $push_out == *"does not supersede"* ]]'
check "central refuses a rollback ($brc)" '[ $brc -ne 0 ]'

# ---- a hub two versions behind takes the newest a device carries ----
git init -q --bare hub.git
cp "$central/hooks/pre-receive" hub.git/hooks/
git -C hub.git config cairn.orgkey "$(git -C "$central" config cairn.orgkey)"
git -C hub.git config receive.denyNonFastForwards true
git -C "$central" push -q "$T/hub.git" refs/heads/roster:refs/heads/roster "refs/heads/directory~2:refs/heads/directory"
set +e; hub_out=$(git -C "$central" push "$T/hub.git" refs/heads/directory:refs/heads/directory 2>&1); hrc=$?; set -e
check "a hub holding an older version takes one two versions newer ($hrc: $hub_out)" \
	'[ $hrc -eq 0 ] && [ "$(git -C hub.git rev-parse refs/heads/directory)" = "$(git -C "$central" rev-parse refs/heads/directory)" ]'

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
