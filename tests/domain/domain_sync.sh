#!/usr/bin/env bash
# domain_sync.sh — the issue-6 bars that need several devices, over a real git daemon on loopback:
#  - audit entries made on one device are visible at another device of the team and at the office;
#  - every disclosure path (export, referral carrying notes, emergency) writes its accounting entry,
#    visible at another device after sync;
#  - a plan edited on two devices offline keeps both versions, is flagged (plan show, plan conflicts and
#    cairn conflicts, with what each version holds), and a later version that has seen both resolves it
#    everywhere;
#  - a note amended on two devices offline is listed as a conflict with both texts, and a later
#    amendment decides it everywhere;
#  - a goal's status changed on two devices offline is a conflict with both statuses, marked in goal
#    list and on the card, and a later status decides it everywhere;
#  - a referral recorded with two outcomes on two devices offline is a conflict with both, and a reopen
#    with the outcome that stands decides it everywhere;
#  - a supervisor's sign-off on another device's note syncs back;
#  - all three journals end with the same state digest.
# "office" is a third journal of the team syncing with the same central repository (the office's own
# roster-based enrolment is another branch's).
# Usage: domain_sync.sh CAIRN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib/servers.sh"
srv_init
srv_git_daemon
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$SRV_ROOT
cd "$T"
umask 077
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
echo pw >p
echo tp >tp
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
js() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
central=$(srv_bare_repo central)
c a init --kdf min --worker "Ana Worker" >/dev/null 2>&1
c b init --kdf min --worker "Bo Worker" >/dev/null 2>&1
c office init --kdf min --worker "Olu Supervisor" >/dev/null 2>&1
c a team init >/dev/null
c a team export "$T/join" --join-passphrase-file "$T/tp" --kdf min >/dev/null
for d in b office; do c $d team join "$T/join" --join-passphrase-file "$T/tp" >/dev/null; done
for d in a b office; do c $d remote add central "$GIT_DAEMON_URL/central.git" >/dev/null; done
sync_all() { for d in "$@"; do c $d sync >/dev/null 2>&1 || c $d sync >/dev/null; done; }
DEV_B=$(c b --json status | js "d['device']")

# A person, known to the whole team.
P=$(c a contact add "Pat Canary")
c a consent grant "$P" --from "Peer Program" --to "Harbor House" --info notes,referrals --purpose referral \
	--expires 2099-01-01 --signed-by "Pat Canary" --method wet >/dev/null
c a note add "$P" --text "first meeting at the library" >/dev/null
V1=$(c a plan set "$P" --type relapse --trigger payday)
sync_all a b office

# 1. Audit and disclosures made on b.
c b contact show "$P" >/dev/null
c b disclose "$P" --to "Harbor House" --purpose referral --what notes -o "$T/export.json" >/dev/null
c b referral add "$P" --category housing --to "Harbor House" --share notes,referrals >/dev/null
set +e
c b disclose "$P" --to "County ER" --purpose "overdose care" --what notes >/dev/null 2>"$T/err"
rc=$?
set -e
check "an emergency disclosure without --emergency REASON is refused (exit $rc)" '[ $rc -eq 11 ] && grep -q "County ER" "$T/err"'
c b disclose "$P" --to "County ER" --purpose "overdose care" --what notes --emergency "unresponsive" >/dev/null
sync_all b a office
for d in a office; do
	audit=$(c $d --json audit "$P")
	check "$d sees b's audit entry for contact show" \
		'echo "$audit" | js "any(e[\"what\"] == \"contact show\" and e[\"device\"] == \"$DEV_B\" and e[\"worker\"] == \"Bo Worker\" for e in d)" | grep >/dev/null True'
	disc=$(c $d --json disclosures "$P")
	check "$d sees the accounting entries of b's export, referral and emergency disclosures" \
		'echo "$disc" | js "sorted((x[\"channel\"], x[\"recipient\"], x[\"consent\"] is None, x[\"device\"] == \"$DEV_B\", x[\"worker\"]) for x in d) == [(\"export\", \"County ER\", True, True, \"Bo Worker\"), (\"export\", \"Harbor House\", False, True, \"Bo Worker\"), (\"referral\", \"Harbor House\", False, True, \"Bo Worker\")]" | grep >/dev/null True'
	check "$d sees the emergency reason" \
		'echo "$disc" | js "[x[\"emergency\"] for x in d if x[\"consent\"] is None] == [\"unresponsive\"]" | grep >/dev/null True'
done

# 2. The same plan edited on a and on b without either seeing the other.
Va=$(c a plan set "$P" --type relapse --coping "call my sponsor")
Vb=$(c b plan set "$P" --type relapse --place "the bus station")
sync_all a b a office
for d in a b office; do
	show=$(c $d --json plan show "$P" --type relapse)
	check "$d keeps both concurrent versions and flags the plan" \
		'echo "$show" | js "d[\"conflict\"] and sorted(d[\"heads\"]) == sorted([\"$Va\", \"$Vb\"]) and d[\"versions\"] == 3" | grep >/dev/null True'
	check "$d lists the plan among those needing review" \
		'c $d --json plan conflicts | js "[x[\"contact\"] for x in d] == [\"$P\"]" | grep >/dev/null True'
	check "$d lists the plan with the other conflicts (cairn conflicts), with what each version holds" \
		'c $d --json conflicts | js "[(x[\"field\"], x[\"plan\"], x[\"contact\"], sorted((v[\"version\"], v[\"value\"]) for v in x[\"values\"])) for x in d] == [(\"plan\", \"relapse\", \"$P\", sorted([(\"$Va\", \"coping: call my sponsor; places: (not set)\"), (\"$Vb\", \"coping: (not set); places: the bus station\")]))]" | grep >/dev/null True'
	check "$d counts it in status" 'c $d --json status | js "d[\"conflicts\"]" | grep -x 1 >/dev/null'
	check "$d marks it on the card" 'c $d contact show "$P" | grep -E "relapse-prevention plan, 3 versions  CONFLICT: 2 versions" >/dev/null'
done
c a conflicts >"$T/conf.txt"
check "the conflicts table names the plan: $(cat "$T/conf.txt")" 'grep -Eq "plan relapse +\"coping: (call my sponsor; places: \(not set\)|\(not set\); places: the bus station)\" " "$T/conf.txt"'
set +e
c a resolve "$P" "plan relapse" --keep 1 >/dev/null 2>"$T/err"
rc=$?
set -e
check "resolve CONTACT 'plan TYPE' says how a plan's conflict is decided (exit $rc: $(cat "$T/err"))" \
	'[ $rc -eq 2 ] && grep -q "cairn plan set CONTACT --type TYPE" "$T/err"'
check "both versions' edits are in the history, each over the version its author had seen" \
	'c a --json plan history "$P" --type relapse | js "[(v[\"version\"], v[\"seen\"]) for v in d if v[\"head\"]] and all(v[\"seen\"] == [\"$V1\"] for v in d if v[\"head\"])" | grep >/dev/null True'
Vr=$(c a plan set "$P" --type relapse) # no section: the newest version stands, having seen both
sync_all a b office
for d in b office; do
	check "a version that has seen both resolves the flag on $d" \
		'c $d --json plan show "$P" --type relapse | js "not d[\"conflict\"] and d[\"version\"] == \"$Vr\" and d[\"versions\"] == 4" | grep >/dev/null True'
	check "and off $d's card" \
		'c $d --json contact show "$P" | js "[(p[\"type\"], p[\"version\"], p[\"versions\"], p[\"conflict\"]) for p in d[\"plans\"]] == [(\"relapse\", \"$Vr\", 4, False)]" | grep >/dev/null True'
	check "and takes it off $d's conflicts" 'c $d --json conflicts | js "[x for x in d if x[\"field\"] == \"plan\"]" | grep -x "\[\]" >/dev/null'
done
set +e
c a plan set "$P" --type relapse >/dev/null 2>"$T/err"
rc=$?
set -e
check "with no conflict, plan set with no section has nothing to write (exit $rc: $(cat "$T/err"))" \
	'[ $rc -eq 2 ] && grep -q "nothing to write" "$T/err"'

# 2b. The same note amended on a and on b without either seeing the other: a conflict, not a silent winner.
NA=$(c a note add "$P" --text "met at the libary")
sync_all a b
c a note amend "$NA" --text "met at the library" --reason typo >/dev/null
c b note amend "$NA" --text "met at the library steps" >/dev/null
sync_all a b a office
for d in a b office; do
	check "$d lists the note's two amendments as a conflict" \
		'c $d --json conflicts | js "[(x[\"field\"], x[\"note\"], x[\"contact\"], sorted(v[\"value\"] for v in x[\"values\"])) for x in d] == [(\"note\", \"$NA\", \"$P\", [\"met at the library\", \"met at the library steps\"])]" | grep >/dev/null True'
done
c a conflicts >"$T/conf.txt"
check "the conflicts table names the note: $(cat "$T/conf.txt")" 'grep -Eq "note ${NA:0:8}[0-9a-f-]* +\"met at the library[^|]*\| \"met at the library" "$T/conf.txt"'
check "the contact card marks the note" 'c a contact show "$P" | grep >/dev/null "CONFLICT: amended on two devices"'
set +e
c a resolve "$P" note --keep 1 >/dev/null 2>"$T/err"
rc=$?
set -e
check "resolve CONTACT note says how a note's conflict is decided (exit $rc: $(cat "$T/err"))" \
	'[ $rc -eq 2 ] && grep -q "cairn note amend NOTE" "$T/err"'
c b note amend "$NA" --text "met at the library on Elm" --reason "both half right" >/dev/null
sync_all b a office
for d in a b office; do
	check "an amendment that has seen both decides it on $d" \
		'c $d --json conflicts | js "d == []" | grep >/dev/null True'
done

# 2c. The same goal's status changed on a and on b without either seeing the other: a conflict too.
G=$(c a goal add "$P" "a room of my own" --domain housing)
sync_all a b
c a goal status "$G" achieved --note "keys today" >/dev/null
c b goal status "$G" dropped --note "moved away" >/dev/null
sync_all a b a office
for d in a b office; do
	check "$d lists the goal's two statuses as a conflict" \
		'c $d --json conflicts | js "[(x[\"field\"], x[\"goal\"], x[\"contact\"], x[\"text\"], sorted(v[\"value\"] for v in x[\"values\"])) for x in d] == [(\"goal\", \"$G\", \"$P\", \"a room of my own\", [\"achieved\", \"dropped\"])]" | grep >/dev/null True'
done
c a conflicts >"$T/conf.txt"
check "the conflicts table names the goal: $(cat "$T/conf.txt")" 'grep -Eq "goal ${G:0:8}[0-9a-f-]* +\"(achieved|dropped)\"" "$T/conf.txt"'
c b goal list --contact "$P" >"$T/goals.txt"
check "goal list marks it: $(cat "$T/goals.txt")" 'grep -Eq "conflict: (achieved \| dropped|dropped \| achieved)" "$T/goals.txt"'
check "the contact card marks it" 'c office contact show "$P" | grep -E >/dev/null "\[conflict: (achieved|dropped) \| (achieved|dropped)\]: a room of my own"'
check "status counts it" 'c a --json status | js "d[\"conflicts\"] == 1" | grep >/dev/null True'
set +e
c a resolve "$P" goal --keep 1 >/dev/null 2>"$T/err"
rc=$?
set -e
check "resolve CONTACT goal says how a goal's conflict is decided (exit $rc: $(cat "$T/err"))" \
	'[ $rc -eq 2 ] && grep -q "cairn goal status GOAL STATUS" "$T/err"'
c office goal status "$G" achieved --note "checked with Pat" >/dev/null
sync_all office a b
for d in a b office; do
	check "a status that has seen both decides it on $d" \
		'c $d --json conflicts | js "d == []" | grep >/dev/null True'
	check "$d shows the decision" \
		'c $d --json goal list --contact "$P" | js "[(g[\"status\"], g[\"conflict\"], len(g[\"history\"])) for g in d] == [(\"achieved\", False, 4)]" | grep >/dev/null True'
done

# 2d. A referral recorded completed on a and failed on b, neither seeing the other: a conflict too.
R=$(c a referral add "$P" --category mat --to "Bayside Clinic")
c a referral status "$R" accepted >/dev/null
sync_all a b
c a referral status "$R" completed --outcome placed >/dev/null
c b referral status "$R" failed --outcome no-capacity >/dev/null
sync_all a b a office
for d in a b office; do
	check "$d lists the referral's two outcomes as a conflict" \
		'c $d --json conflicts | js "[(x[\"field\"], x[\"referral\"], x[\"contact\"], x[\"to\"], sorted(v[\"value\"] for v in x[\"values\"])) for x in d] == [(\"referral\", \"$R\", \"$P\", \"Bayside Clinic\", [\"completed (placed)\", \"failed (no-capacity)\"])]" | grep >/dev/null True'
done
c a conflicts >"$T/conf.txt"
check "the conflicts table names the referral: $(cat "$T/conf.txt")" \
	'grep -Eq "referral ${R:0:8}[0-9a-f-]* +\"(completed \(placed\)|failed \(no-capacity\))\"" "$T/conf.txt"'
check "status counts it" 'c b --json status | js "d[\"conflicts\"] == 1" | grep >/dev/null True'
set +e
c a resolve "$P" "referral $R" --keep 1 >/dev/null 2>"$T/err"
rc=$?
set -e
check "resolve CONTACT 'referral ID' says how it is decided (exit $rc: $(cat "$T/err"))" \
	'[ $rc -eq 2 ] && grep -q "cairn referral status REFERRAL STATE --reopen" "$T/err"'
c office referral status "$R" failed --outcome no-capacity --reopen >/dev/null
sync_all office a b
for d in a b office; do
	check "the outcome that stands, in a new round, decides it on $d" \
		'c $d --json conflicts | js "d == []" | grep >/dev/null True'
done

# 3. Supervision: the office signs off a's note; a sees it signed.
N=$(c a --json review | js "d[0]['id']")
check "the office's review lists a's note" 'c office --json review | js "\"$N\" in [n[\"id\"] for n in d]" | grep >/dev/null True'
c office signoff "$N" --comment "good detail" >/dev/null
sync_all office a b
check "a sees its note signed off" 'c a --json review | js "\"$N\" not in [n[\"id\"] for n in d]" | grep >/dev/null True'

# 4. Everyone agrees.
sync_all a b office a b
da=$(c a digest) db=$(c b digest) do=$(c office digest)
check "a, b and the office have the same state digest" '[ "$da" = "$db" ] && [ "$db" = "$do" ]'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
