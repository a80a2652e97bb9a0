#!/usr/bin/env bash
# domain_cli.sh — issue 6 and issue 9 item 6 through the real `cairn` binary: goals, plans (versions,
# printing), consents and the consent gate on every disclosure path (export, referral carrying notes),
# the accounting of disclosures, audit entries, assessments (BARC-10 validation, trend), the resource
# directory, groups, supervision, `cairn due`, and --help / --json of every new command.
#
# Usage: domain_cli.sh PATH/TO/cairn. Ends with "N passed, N failed"; exits non-zero when any failed.
set -euo pipefail

CAIRN=${1:?usage: domain_cli.sh PATH/TO/cairn}
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-domain.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset CAIRN_DIR CAIRN_DEBUG
export HOME="$T/home" XDG_DATA_HOME="$T/xdg"
mkdir -p "$HOME"

. "$(cd "$(dirname "$0")/../integration/lib" && pwd)/cli_checks.sh"
py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/out" "$1"; }
py_stdin() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
check_json() {
	local res
	if ! res=$(py "$1" 2>&1); then
		bad "$2: stdout is not one JSON document or the check raised: $res; stdout: $(head -c 300 "$T/out")"
	elif [[ $res == True ]]; then ok; else bad "$2: $1 is $res; stdout: $(head -c 300 "$T/out")"; fi
}
# expect_ok DESCRIPTION ARGS...: exit 0.
expect_ok() {
	local what=$1
	shift
	run "$@"
	if [[ $rc == 0 ]]; then ok; else bad "$what: exit $rc (stderr: $(show_err))"; fi
}

PW="$T/pw"
printf 'correct horse battery staple\n' >"$PW"
chmod 600 "$PW"
J="$T/j"
c() { "$CAIRN" --dir "$J" --passphrase-file "$PW" "$@" 2>/dev/null; }
cj() { run --dir "$J" --passphrase-file "$PW" "$@"; }

# ---- worker name -----------------------------------------------------------------------------------
cj init --kdf min --worker "Sam Rivera"
check '[[ $rc == 0 ]]' "init --worker exits 0 ($(show_err))"
cj worker
check '[[ $(cat "$T/out") == "Sam Rivera" ]]' "init --worker sets the worker name: '$(cat "$T/out")'"
cj --json worker
check_json "d['worker'] == 'Sam Rivera' and len(d['device']) == 16" "worker --json"
error_line 2 "worker with a control character" "NAME" --dir "$J" --passphrase-file "$PW" worker $'a\tb'

# ---- --help of every new command -------------------------------------------------------------------
for cmd in due consent disclose disclosures audit worker goal plan assess resource group review signoff; do
	run "$cmd" --help
	check '[[ $rc == 0 ]] && grep -q "^usage: cairn $cmd" "$T/out"' "cairn $cmd --help prints a usage line"
done
run consent --help
check 'grep -q -- "--signed-by NAME" "$T/out" && grep -q -- "--until-event TEXT" "$T/out" && grep -q "cairn consent revoke" "$T/out"' \
	"consent --help lists every subcommand with every option"
run plan --help
check 'grep -q -- "--professional TEXT" "$T/out" && grep -q "cairn plan print" "$T/out"' "plan --help is complete"
run --help
check 'grep -q "11  refused: no active consent" "$T/out"' "cairn --help documents exit code 11"

A=$(c contact add "Ana Diaz" --phone 555-0101)
B=$(c contact add "Ben Okafor")

# ---- due (empty) -----------------------------------------------------------------------------------
cj due
check '[[ $rc == 0 ]] && grep -q "Nothing due" "$T/out"' "due on an empty caseload"
cj --json due
check_json "d == []" "due --json on an empty caseload"
error_line 2 "due --within out of range" "--within" --dir "$J" --passphrase-file "$PW" due --within 99999
error_line 2 "due --today not a date" "invalid date '2026-02-30'" --dir "$J" --passphrase-file "$PW" due --today 2026-02-30

# ---- goals -----------------------------------------------------------------------------------------
G=$(c goal add "$A" "Get my own place by spring" --domain housing --step "apply for a voucher" --step "save a deposit" --target 2027-03-01 --date 2026-11-01)
check '[[ $G =~ ^[0-9a-f-]{36}$ ]]' "goal add prints the goal id: '$G'"
cj --json goal add "$B" "Go back to school" --domain education
check_json "len(d['id']) == 36 and d['contact'] == '$B'" "goal add --json"
expect_ok "goal status" --dir "$J" --passphrase-file "$PW" goal status "$G" paused --note "moved shelters" --date 2026-11-10
cj --json log --entity "${G:0:13}"
check_json "[e['kind'] for e in d] == ['goal.status', 'goal.add'] or [e['kind'] for e in d] == ['goal.add', 'goal.status']" \
	"log --entity takes a goal id too ($(show_err))"
cj --json goal list --contact "$A"
check_json "len(d) == 1 and d[0]['status'] == 'paused' and [h['status'] for h in d[0]['history']] == ['active', 'paused'] and d[0]['steps'] == ['apply for a voucher', 'save a deposit'] and d[0]['domain'] == 'housing'" \
	"goal list keeps the status history, steps and domain"
cj goal list
check '[[ $rc == 0 ]] && grep -q "Get my own place" "$T/out" && grep -q "Go back to school" "$T/out"' "goal list (table)"
error_line 2 "goal add with an unknown domain" "invalid value 'space' for --domain" --dir "$J" --passphrase-file "$PW" goal add "$A" x --domain space
error_line 2 "goal add with a bad target" "invalid date" --dir "$J" --passphrase-file "$PW" goal add "$A" x --domain legal --target 2027-13-01
error_line 2 "goal status with an unknown status" "STATUS" --dir "$J" --passphrase-file "$PW" goal status "$G" finished
error_line 4 "goal status of an unknown goal" "no goal" --dir "$J" --passphrase-file "$PW" goal status 0000aaaa achieved

# ---- plans -----------------------------------------------------------------------------------------
V1=$(c plan set "$A" --type relapse --trigger payday --trigger "old friends" --coping "call my sponsor" --person "Mom 555-1234")
V2=$(c plan set "$A" --type relapse --place "Elm St bar")
cj --json plan show "$A" --type relapse
check_json "d['version'] == '$V2' and d['versions'] == 2 and not d['conflict'] and d['sections']['triggers'] == ['payday', 'old friends'] and d['sections']['places'] == ['Elm St bar']" \
	"a new version carries the sections it does not replace"
cj --json plan show "$A" --type relapse --version "$V1"
check_json "d['version'] == '$V1' and 'places' not in d['sections']" "plan show --version shows an old version as it was"
cj --json plan history "$A" --type relapse
check_json "[v['version'] for v in d] == ['$V1', '$V2'] and [v['head'] for v in d] == [False, True]" "plan history keeps every version"
cj plan print "$A" --type relapse
check '[[ $rc == 0 ]] && grep -q "MY RELAPSE-PREVENTION PLAN" "$T/out" && grep -q "Name: Ana Diaz" "$T/out" && grep -q "  - old friends" "$T/out" && grep -q "Places I avoid" "$T/out"' \
	"plan print gives the person's one-page plan"
check '[[ $(wc -l <"$T/out") -le 60 ]]' "the printed plan fits a page"
S1=$(c plan set "$A" --type safety --warning-sign "not sleeping" --coping "walk the dog" --distraction "the library" --helper "my sister 555-0199" --environment "meds with my sister" --reason "my kids")
cj plan print "$A" --type safety
check '[[ $rc == 0 ]] && grep -q "MY SAFETY PLAN" "$T/out" && grep -q "Step 1. Warning signs" "$T/out" && grep -q "Step 6. Making the environment safe" "$T/out" && grep -q "988" "$T/out" && grep -q "my kids" "$T/out"' \
	"the safety plan prints Stanley-Brown's six steps, 988 and what matters most"
cj --json plan print "$A" --type safety
check_json "d['name'] == 'Ana Diaz' and any('988' in p for p in d['sections']['professionals'])" "plan print --json"
error_line 2 "a relapse section in a safety plan" "'triggers' is not a section of a safety plan" --dir "$J" --passphrase-file "$PW" plan set "$A" --type safety --trigger x
error_line 2 "plan set without --type" "missing --type" --dir "$J" --passphrase-file "$PW" plan set "$A" --coping x
error_line 2 "plan set with nothing to write" "nothing to write" --dir "$J" --passphrase-file "$PW" plan set "$A" --type relapse
error_line 4 "plan show of a person without a plan" "has no relapse plan" --dir "$J" --passphrase-file "$PW" plan show "$B" --type relapse
cj --json plan conflicts
check_json "d == []" "no plan conflicts on one device"

# ---- consent gate: export ----------------------------------------------------------------------------
events_before=$(c --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
error_line 11 "export without any consent" "no consent of contact .* names the recipient 'Harbor House'" \
	--dir "$J" --passphrase-file "$PW" disclose "$A" --to "Harbor House" --purpose "care coordination" --what notes -o "$T/x1.json"
check '[[ ! -e $T/x1.json ]]' "a refused export leaves no file"
events_after=$(c --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
check '[[ $events_before == "$events_after" ]]' "a refused disclosure records nothing ($events_before -> $events_after)"
error_line 2 "consent without expiry" "needs an expiry" --dir "$J" --passphrase-file "$PW" consent grant "$A" --from "Peer Program" \
	--to "Harbor House" --info notes --purpose x --signed-by Ana --method wet
error_line 2 "verbal consent without witness" "--witness" --dir "$J" --passphrase-file "$PW" consent grant "$A" --from P \
	--to "Harbor House" --info notes --purpose x --signed-by Ana --method verbal-witnessed --expires 2027-01-01
error_line 2 "consent with an unknown information category" "unknown information category 'diary'" --dir "$J" --passphrase-file "$PW" \
	consent grant "$A" --from P --to H --info notes,diary --purpose x --signed-by Ana --method wet --expires 2027-01-01
K=$(c consent grant "$A" --from "Peer Program" --to "harbor house" --info identity,notes --amount "notes of the last 90 days" \
	--purpose "Care coordination" --expires 2099-12-31 --signed-by "Ana Diaz" --method electronic)
check '[[ $K =~ ^[0-9a-f-]{36}$ ]]' "consent grant prints the consent id"
error_line 11 "export of information the consent does not cover" "does not cover referrals" \
	--dir "$J" --passphrase-file "$PW" disclose "$A" --to "Harbor House" --purpose "care coordination" --what notes,referrals
error_line 11 "export for another purpose" "is not for the purpose 'billing'" \
	--dir "$J" --passphrase-file "$PW" disclose "$A" --to "Harbor House" --purpose billing --what notes
# A refusal writes no audit entry, so it names the failed check in the operator's words only: not the
# consent's id, stored purpose or categories (consent list --contact, which is audited, shows those).
check '! grep -q -e "$K" -e "Care coordination" -e "identity" "$T/err"' \
	"a refusal does not echo the consent's id, purpose or categories: $(show_err)"
c note add "$A" --text "met at the park, talked about housing" >/dev/null
cj disclose "$A" --to "Harbor House" --purpose "care coordination" --what notes -o "$T/x2.json"
check '[[ $rc == 0 && -f $T/x2.json ]]' "export under a matching consent is allowed ($(show_err))"
check '[[ $(stat -c %a "$T/x2.json") == 600 ]]' "the export file is private"
check 'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert \"42 CFR part 2\" in d[\"notice\"]; assert d[\"disclosure\"][\"consent\"] == \"$K\"; assert d[\"record\"][\"contact\"][\"notes\"][0][\"text\"].startswith(\"met at the park\"); assert \"fields\" not in d[\"record\"][\"contact\"]" "$T/x2.json"' \
	"the export carries the redisclosure notice, its consent and only what was consented to"
error_line 9 "an export never overwrites a file" "never overwrites" --dir "$J" --passphrase-file "$PW" \
	disclose "$A" --to "Harbor House" --purpose "care coordination" --what notes -o "$T/x2.json"
cj --json disclosures "$A"
check_json "len(d) == 1 and d[0]['recipient'] == 'Harbor House' and d[0]['consent'] == '$K' and d[0]['what'] == ['notes'] and d[0]['channel'] == 'export' and d[0]['worker'] == 'Sam Rivera' and d[0]['emergency'] is None" \
	"the export wrote its accounting entry (recipient, what, when, consent, worker)"
expect_ok "consent revoke" --dir "$J" --passphrase-file "$PW" consent revoke "$K" --reason "changed her mind"
cj --json consent list --contact "$A"
check_json "len(d) == 1 and d[0]['status'] == 'revoked' and d[0]['method'] == 'electronic' and d[0]['amount'] == 'notes of the last 90 days'" "consent list shows the revocation"
error_line 11 "export after revocation" "the consent for 'Harbor House' is revoked" --dir "$J" --passphrase-file "$PW" disclose "$A" --to "Harbor House" --purpose "care coordination" --what notes
error_line 2 "a second revocation of one consent" "already revoked" --dir "$J" --passphrase-file "$PW" consent revoke "$K"
future=$(date -d "+400 days" +%Y-%m-%d)
error_line 2 "a consent signed in the future" "is in the future" --dir "$J" --passphrase-file "$PW" consent grant "$A" --from P \
	--to "Future Org" --info notes --purpose x --signed-by Ana --method wet --signed-on "$future" --expires 2099-01-01
error_line 2 "a consent that expires before it was signed" "before it was signed" --dir "$J" --passphrase-file "$PW" \
	consent grant "$A" --from P --to X --info notes --purpose x --signed-by Ana --method wet --signed-on 2025-06-01 --expires 2025-01-01
error_line 2 "a note dated in the future" "is in the future" --dir "$J" --passphrase-file "$PW" note add "$A" --text x --date "$future"
error_line 2 "an empty emergency reason" "--emergency" --dir "$J" --passphrase-file "$PW" disclose "$A" --to ER --purpose treatment --what notes --emergency ""
cj disclose "$A" --to "County ER" --purpose "overdose treatment" --what notes,identity --emergency "unresponsive; ER asked for history"
check '[[ $rc == 0 ]] && grep -q "overdose treatment" "$T/out"' "an emergency disclosure goes through with a reason ($(show_err))"
cj disclose "$A" --to "County ER" --purpose "overdose treatment" --what goals,plans,assessments --emergency "ER asked for the plans"
check '[[ $rc == 0 ]] && python3 -c "import json,sys; d=json.load(open(sys.argv[1]))[\"record\"]; assert d[\"goals\"][0][\"id\"] == \"$G\"; assert d[\"plans\"][\"safety\"][\"version\"] == \"$S1\"; assert d[\"plans\"][\"relapse\"][\"version\"] == \"$V2\"; assert \"notes\" not in d[\"contact\"]" "$T/out"' \
	"an export of goals and plans carries them and not the notes ($(show_err))"
cj --json disclosures "$A"
check_json "len(d) == 3 and d[1]['recipient'] == 'County ER' and d[1]['consent'] is None and d[1]['emergency'].startswith('unresponsive') and d[0]['what'] == ['goals', 'plans', 'assessments']" \
	"the emergency disclosure is recorded as such"
Kold=$(c consent grant "$A" --from P --to "Old Clinic" --info all --purpose treatment --expires 2020-01-01 --signed-by Ana --signed-on 2019-01-01 --method wet)
error_line 11 "export under an expired consent" "the consent for 'old clinic' is expired" --dir "$J" --passphrase-file "$PW" disclose "$A" --to "old clinic" --purpose treatment --what notes
cj --json consent list
check_json "sorted(c['status'] for c in d) == ['expired', 'revoked']" "consent list shows expired and revoked consents"
Cd=$(c contact add "Dee Dates")
Kd=$(c consent grant "$Cd" --from P --to "Date Check" --info notes --purpose x --signed-by Ana --method wet --signed-on 2025-06-01 --expires 2099-01-01)
error_line 2 "a revocation dated before the signature" "before the consent was signed" --dir "$J" --passphrase-file "$PW" \
	consent revoke "$Kd" --date 2025-05-01
cj consent list
check '[[ $rc == 0 && $(awk "NR > 1 {print \$1}" "$T/out" | wc -l) -ge 3 && -z $(awk "NR > 1 {print \$1}" "$T/out" | sort | uniq -d) ]]' \
	"consent list shows an id on each row that names that consent alone: $(awk 'NR > 1 {printf "%s ", $1}' "$T/out")"
check '! grep -q "\[\"" "$T/out" && grep -q "notes" "$T/out"' "consent list shows what is consented to as words, not JSON"
cj disclosures "$A"
check '[[ $rc == 0 ]] && ! grep -q "\[\"" "$T/out" && grep -q "notes" "$T/out"' "disclosures shows what was disclosed as words, not JSON"

# ---- consent gate: a referral carrying notes to an outside organisation -----------------------------
# The resource directory is the office's: it publishes to its central repository, this device enrolls
# there and receives the directory read-only with sync (the sync side: tests/office/office_directory.sh).
O="$T/office"
co() { "$CAIRN" --dir "$O" --passphrase-file "$PW" "$@" 2>/dev/null; }
FP=$(co office init --kdf min --repo "$T/central.git")
c remote add central "$T/central.git" --org "$FP" >/dev/null
c sync >/dev/null || true # files the enrollment request
co office enroll approve "$(c --json worker | py_stdin "d['device']")" --team field >/dev/null
error_line 2 "resource add on a device" "only the office publishes the resource directory" --dir "$J" --passphrase-file "$PW" \
	resource add "Harbor House Shelter"
R=$(co resource add "Harbor House Shelter" --organization "Harbor House" --category housing --category shelter --phone 555-9000 --hours "24/7")
c sync >/dev/null
nref=$(c --json referral list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
error_line 11 "referral sharing notes without consent" "names the recipient 'Harbor House'|revoked" --dir "$J" --passphrase-file "$PW" \
	referral add "$A" --resource "$R" --share notes
check '[[ $(c --json referral list | python3 -c "import json,sys; print(len(json.load(sys.stdin)))") == "$nref" ]]' "a refused referral is not recorded"
K2=$(c consent grant "$A" --from "Peer Program" --to "Harbor House" --info notes --purpose referral --until-event "end of her stay" --signed-by "Ana Diaz" --method verbal-witnessed --witness "Sam Rivera")
cj --json referral add "$A" --resource "$R" --share notes
check_json "d['consent'] == '$K2' and len(d['id']) == 36" "a referral sharing notes under consent is allowed and names its consent"
cj --json referral list --contact "$A"
check_json "any(r['to'] == 'Harbor House' and r['category'] == 'housing' for r in d)" "referral add --resource fills the recipient and category"
cj --json disclosures "$A"
check_json "d[0]['channel'] == 'referral' and d[0]['consent'] == '$K2'" "the referral's disclosure is accounted for"
cj referral add "$B" --resource "$R"
check '[[ $rc == 0 ]]' "a referral that shares nothing needs no consent"

# ---- audit ---------------------------------------------------------------------------------------
c contact show "$A" >/dev/null
cj --json audit "$A"
check_json "d[0]['what'] == 'contact show' and d[0]['worker'] == 'Sam Rivera' and len(d[0]['device']) == 16 and d[0]['time'].endswith('Z')" \
	"contact show appends an audit entry (device, worker, what, when)"
check_json "{'plan print', 'export', 'referral'} <= {e['what'] for e in d}" "plan print and every disclosure are audited"
n_audit=$(py "len(d)")
c contact list >/dev/null
cj --json audit "$A"
check_json "len(d) == $n_audit" "contact list is not audited (a caseload, not a record)"
cj audit "$(c contact add "Cy Newcomer")"
check '[[ $rc == 0 ]] && grep -q "Nobody has viewed" "$T/out"' "audit of a record nobody viewed"
cj --json audit "$B"
# Newest first: the plan he has not got, and the caseload's goal list (goals section) that showed his goal.
check_json "[e['what'] for e in d] == ['plan show', 'goal list']" "an attempt to view a plan that does not exist is audited too"

# ---- assessments -----------------------------------------------------------------------------------
X1=$(c assess add "$A" --items 3,3,3,3,3,3,3,3,3,3 --date 2026-01-10)
X2=$(c assess add "$A" --items 6,5,4,3,2,1,6,5,4,3 --date 2026-07-10)
cj --json assess list --contact "$A"
check_json "[a['total'] for a in d] == [30, 39] and d[0]['change'] is None and d[1]['change'] == 9 and d[1]['items'] == [6,5,4,3,2,1,6,5,4,3]" \
	"BARC-10 totals and the per-person trend"
n_assess=$(py "len(d)")
error_line 2 "BARC-10 with nine items" "barc10 has 10 items, 9 given" --dir "$J" --passphrase-file "$PW" assess add "$A" --items 6,5,4,3,2,1,6,5,4
error_line 2 "BARC-10 with eleven items" "barc10 has 10 items, 11 given" --dir "$J" --passphrase-file "$PW" assess add "$A" --items 6,5,4,3,2,1,6,5,4,3,3
error_line 2 "BARC-10 with an item of 7" "item 10 of barc10 is out of range" --dir "$J" --passphrase-file "$PW" assess add "$A" --items 6,5,4,3,2,1,6,5,4,7
error_line 2 "BARC-10 with an item of 0" "item 1 of barc10 is out of range" --dir "$J" --passphrase-file "$PW" assess add "$A" --items 0,5,4,3,2,1,6,5,4,3
error_line 2 "BARC-10 with a missing item" "item 3 of barc10 is missing" --dir "$J" --passphrase-file "$PW" assess add "$A" --items 6,5,,3,2,1,6,5,4,3
error_line 2 "BARC-10 with a word for a score" "item 2 of --items" --dir "$J" --passphrase-file "$PW" assess add "$A" --items 6,five,4,3,2,1,6,5,4,3
error_line 4 "an unknown instrument" "unknown instrument 'phq9'" --dir "$J" --passphrase-file "$PW" assess add "$A" -i phq9 --items 1,2
cj --json assess list --contact "$A"
check_json "len(d) == $n_assess" "rejected assessments store nothing"
cj --json assess instruments
check_json "d[0]['id'] == 'barc10' and d[0]['nitems'] == 10 and len(d[0]['items']) == 10 and d[0]['followup_days'] == 180" "instrument definitions are data"

# ---- resources, groups, supervision ----------------------------------------------------------------
co resource add "Eastside MAT clinic" --organization "Eastside Health" --category mat --category treatment --hours "Mon-Sat 7-3" >/dev/null
c sync >/dev/null
cj --json resource search harbor
check_json "len(d) == 1 and d[0]['id'] == '$R' and d[0]['phone'] == '555-9000'" "resource search by text (offline)"
cj --json resource search --category mat
check_json "len(d) == 1 and d[0]['organization'] == 'Eastside Health'" "resource search by category"
expect_ok "resource set" --dir "$O" --passphrase-file "$PW" resource set "$R" --hours "Mon-Fri 8-8"
c sync >/dev/null
cj --json resource show "$R"
check_json "d['hours'] == 'Mon-Fri 8-8' and d['versions'] == 2 and d['name'] == 'Harbor House Shelter'" "resource set keeps the other fields and every version"
cj resource search nothing-like-this
check '[[ $rc == 0 ]] && grep -q "No resources found" "$T/out"' "a search with no match"
GS=$(c group add "Coping with cravings" --facilitator "Sam Rivera" -a "$A" -a "$B" --minutes 60 --date 2026-11-20)
for p in "$A" "$B"; do
	cj --json group list --contact "$p"
	check_json "len(d) == 1 and d[0]['id'] == '$GS' and d[0]['topic'] == 'Coping with cravings' and d[0]['minutes'] == 60" \
		"attendance appears in each attendee's record"
done
cj --json contact show "$B"
check_json "[g['id'] for g in d['groups']] == ['$GS'] and d['goals'][0]['domain'] == 'education'" "contact show carries the person's groups and goals"
cj contact show "$A"
check 'grep -q "Groups attended (1)" "$T/out" && grep -q "Coping with cravings" "$T/out" && grep -q "barc10 total 39" "$T/out" && grep -q "Goals (1)" "$T/out"' \
	"the contact card shows goals, groups attended and assessments"
error_line 4 "a group with an unknown attendee" "no contact" --dir "$J" --passphrase-file "$PW" group add x --facilitator y -a 0000ffff
error_line 2 "a group without attendees" "missing --attendee" --dir "$J" --passphrase-file "$PW" group add x --facilitator y
N=$(c note add "$B" --text "first meeting")
cj --json review
check_json "any(n['id'] == '$N' for n in d)" "review lists notes awaiting sign-off"
error_line 2 "signing off one's own note" "written on this device" --dir "$J" --passphrase-file "$PW" signoff "$N"

# ---- due ---------------------------------------------------------------------------------------------
K3=$(c consent grant "$B" --from P --to "Eastside Health" --info notes --purpose treatment --expires 2027-01-15 --signed-by Ben --method wet)
cj --json due --today 2027-01-10 --within 60
check_json "[(i['what'], i['due']) for i in d] == sorted([(i['what'], i['due']) for i in d], key=lambda x: x[1])" "due is sorted by date"
check_json "any(i['what'] == 'barc10 follow-up' and i['due'] == '2027-01-06' and i['overdue'] and i['contact'] == '$A' and i['name'] == 'Ana Diaz' for i in d)" \
	"a BARC-10 follow-up falls due 180 days after the latest assessment"
check_json "any(i['what'] == 'consent expires' and i['ref'] == '$K3' and i['due'] == '2027-01-15' and not i['overdue'] for i in d)" "an expiring consent is due"
check_json "any(i['what'] == 'referral update' and i['contact'] == '$B' for i in d)" "a referral awaiting an update is due"
check_json "not any(i['what'] == 'goal target date' for i in d)" "a paused goal's target is not due"
c goal status "$G" active >/dev/null
cj --json due --today 2027-02-20 --within 30
check_json "any(i['what'] == 'goal target date' and i['ref'] == '$G' for i in d)" "an active goal's target date is due"
cj due --today 2027-01-10 --within 60
check '[[ $rc == 0 ]] && grep -q "barc10 follow-up" "$T/out" && grep -q "(overdue)" "$T/out"' "due (table)"
c contact delete "$B" >/dev/null
cj --json due --today 2027-01-10 --within 60
check_json "not any(i['contact'] == '$B' for i in d)" "a deleted person has nothing due"

# ---- what a disclosure sends: only the person's, only what is current, only what is covered ----------
P=$(c contact add "Pia Canary" --phone 555-0199)
Q=$(c contact add "Quinn Other")
NS=$(c note add "$P" --text "WRONG-PERSON second")
c note strike "$NS" --reason "written in the wrong record" >/dev/null
c note strike "$(c note add "$P" --text "WRONG-PERSON third")" --reason "wrong person" >/dev/null
NA=$(c note add "$P" --text "ORIGINAL wording, later corrected")
c note amend "$NA" --text "Met at the drop-in" --reason "worker error" >/dev/null
c note add "$P" --text "Kept text" >/dev/null
RS=$(c referral add "$P" --category mat --to "WRONG-PERSON clinic")
c referral status "$RS" entered-in-error >/dev/null
c referral add "$P" --category housing --to "Harbor House" >/dev/null
c group add "Relapse prevention" --facilitator "Sam Rivera" -a "$P" -a "$Q" >/dev/null
c consent grant "$P" --from P --to "Harbor House" --info notes,referrals,groups --purpose referral --expires 2099-12-31 \
	--signed-by Pia --method wet >/dev/null
cj disclose "$P" --to "Harbor House" --purpose referral --what notes,referrals,groups -o "$T/p.json"
check '[[ $rc == 0 ]] && ! grep -q "WRONG-PERSON" "$T/p.json"' \
	"notes and referrals struck as entered in error are left out of a disclosure"
check '! grep -q "ORIGINAL" "$T/p.json" && grep -q "Met at the drop-in" "$T/p.json"' \
	"an amended note is sent as it reads now, not with the wording it replaced"
check '! grep -q "$Q" "$T/p.json" && ! grep -q "Quinn" "$T/p.json"' "a group session does not name the other attendees"
# A per-person view (audited for that person alone) gives the other attendees as a head count, not ids.
cj --json group list --contact "$P"
check '[[ $rc == 0 ]] && ! grep -q "$Q" "$T/out"' "group list --contact names no other attendee: $(head -c 300 "$T/out")"
check_json "len(d) == 1 and d[0]['attendee_count'] == 2 and 'attendees' not in d[0]" "group list --contact gives a head count"
cj --json contact show "$P"
check '[[ $rc == 0 ]] && ! grep -q "$Q" "$T/out"' "contact show --json names no other attendee of a group"
cj group list --contact "$P"
check '[[ $rc == 0 ]] && grep -q "Relapse prevention.* 2 " "$T/out"' "group list --contact (table) shows the head count"
cj --json group list
check_json "any(sorted(g['attendees']) == sorted(['$P', '$Q']) for g in d)" "the caseload group list keeps the attendees"
check '! grep -q "Pia\|555-0199" "$T/p.json"' "without identity no name goes out (not even a referral's contact name)"
python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["record"]
notes, refs, groups = r["contact"]["notes"], r["contact"]["referrals"], r["groups"]
assert sorted(n["text"] for n in notes) == ["Kept text", "Met at the drop-in"], notes
assert sum(n["amended"] for n in notes) == 1, notes
assert [x["to"] for x in refs] == ["Harbor House"], refs
assert groups[0]["attendee_count"] == 2 and "attendees" not in groups[0], groups' "$T/p.json" 2>"$T/py.err" && ok ||
	bad "the disclosed record holds the current notes, the live referral and a head count: $(cat "$T/py.err")"

# The FHIR export checks exactly the people in its bundle: a person whose merge survivor was deleted is
# deleted with it, never exported without a consent (the gate used to look only at 'contact list').
J2="$T/j2"
"$CAIRN" --dir "$J2" --passphrase-file "$PW" init --kdf min >/dev/null 2>&1
c2() { "$CAIRN" --dir "$J2" --passphrase-file "$PW" "$@" 2>/dev/null; }
X=$(c2 contact add "Xena Older")
Y=$(c2 contact add "Yara CANARY" --dob 1980-02-03)
c2 note add "$Y" --text "CANARY relapse" >/dev/null
c2 contact merge "$X" "$Y" >/dev/null
S=$(printf '%s\n%s\n' "$X" "$Y" | sort | head -1)
c2 contact delete "$S" >/dev/null
run --dir "$J2" --passphrase-file "$PW" export fhir --to Nobody --purpose none --with-notes -o "$T/f.json"
check '! grep -q CANARY "$T/f.json" 2>/dev/null' "a deleted person's merged record is not in the FHIR bundle (exit $rc)"
c2 contact restore "$S" >/dev/null
error_line 11 "the restored person is exported only under a consent" "no consent" \
	--dir "$J2" --passphrase-file "$PW" export fhir --to Nobody --purpose none --with-notes -o "$T/f2.json"
check '[[ ! -e $T/f2.json ]]' "and no bundle is written"

# ---- every read of a person's record is audited (42 CFR Part 2 review, finding 4) ---------------------
# Each per-person read appends an audit entry for that person before anything is shown; the event log
# shows bodies (note text, fields) only with --bodies, which is audited for every person it covers.
R=$(c contact add "Rae Reads")
RN=$(c note add "$R" --text "CANARY-READS pills under the sink")
c referral add "$R" --category housing --to "Harbor House" >/dev/null
c goal add "$R" "stay housed" --domain housing >/dev/null
c assess add "$R" --items 3,3,3,3,3,3,3,3,3,3 >/dev/null
c gpra interview "$R" --grant TI-084512 --type intake --barc10 4,4,3,4,5,3,3,4,4,3 >/dev/null
c consent grant "$R" --from P --to "Harbor House" --info notes --purpose referral --expires 2099-12-31 \
	--signed-by Rae --method wet >/dev/null
RG=$(c group add "Reading group" --facilitator "Sam Rivera" -a "$R" -a "$A")
RX=$(c crisis open --source 988 --location home --contact "$R")
# audited PERSON WHAT: how many audit entries of PERSON say WHAT.
audited() { c --json audit "$1" | py_stdin "sum(e['what'] == '$2' for e in d)"; }
# reads PERSON WHAT DESCRIPTION ARGS...: running cairn ARGS exits 0 and adds one WHAT entry for PERSON.
reads() {
	local who=$1 what=$2 desc=$3 before
	shift 3
	before=$(audited "$who" "$what")
	cj "$@"
	check '[[ $rc == 0 && $(audited "$who" "$what") == $((before + 1)) ]]' \
		"$desc appends a '$what' audit entry (exit $rc, $(show_err); entries: $before -> $(audited "$who" "$what"))"
}
reads "$R" "referral list" "referral list --contact" referral list --contact "$R"
reads "$R" "goal list" "goal list --contact" goal list --contact "$R"
reads "$R" "assess list" "assess list --contact" assess list --contact "$R"
reads "$R" "gpra list" "gpra list --contact" gpra list --contact "$R"
reads "$R" "consent list" "consent list --contact" consent list --contact "$R"
reads "$R" "group list" "group list --contact" group list --contact "$R"
reads "$R" "disclosures" "disclosures" disclosures "$R"
reads "$R" "crisis show" "crisis show" crisis show "$RX"
check 'grep -q "Rae Reads" "$T/out"' "crisis show still shows the person it audited"
reads "$R" "log" "log --entity of a contact" --json log --entity "$R"
reads "$R" "log" "log --entity of a note (its person)" log --entity "$RN"
reads "$A" "log" "log --entity of a group session (each attendee)" --json log --entity "$RG"
check '[[ $(audited "$R" log) == 3 ]]' "a group session's log is audited for every attendee"
reads "$R" "log" "log --entity of a crisis (the person it names)" --json log --entity "$RX"
# The lists without --contact show record content too (reasons, scores, interviews, consents, who
# attended): one entry for every person shown. (goal list: tests/domain/caseload_audit.sh.)
for l in "referral list" "assess list" "gpra list" "consent list" "group list"; do
	# shellcheck disable=SC2086 # the words of a command
	reads "$R" "$l" "$l without --contact (everyone)" $l
done
reads "$A" "group list" "group list without --contact (every attendee)" group list
n_r=$(c --json audit "$R" | py_stdin "len(d)")
for args in "crisis list" "log" "--json log"; do
	# shellcheck disable=SC2086 # the words of a command
	cj $args
done
check '[[ $(c --json audit "$R" | py_stdin "len(d)") == "$n_r" ]]' \
	"the caseload views that show no record content (crisis list, log without --entity) add no audit entry"
cj --json log
check '[[ $rc == 0 ]] && ! grep -q "CANARY-READS" "$T/out"' "log --json does not print a note's text without --bodies"
check_json "all('body' not in e for e in d) and any(e['entity'] == '$RN' for e in d)" "log --json gives each event's metadata, no body"
cj log
check '[[ $rc == 0 ]] && ! grep -q "CANARY-READS" "$T/out" && grep -q "note.add" "$T/out"' "the log table prints no note text"
cj --json log --entity "$RN"
check '[[ $rc == 0 ]] && ! grep -q "CANARY-READS" "$T/out"' "log --entity --json prints no note text without --bodies"
error_line 2 "log --bodies without --json" "--bodies goes with --json" --dir "$J" --passphrase-file "$PW" log --bodies
reads "$R" "log --bodies" "log --entity --bodies" --json log --entity "$RN" --bodies
check_json "all(e['body']['text'].startswith('CANARY-READS') for e in d if e['kind'] == 'note.add') and len(d) == 1" \
	"log --entity --bodies gives the bodies"
# A dump covers exactly the people of the events it shows: -n 1 after a note about Ana is Ana's alone.
c note add "$A" --text "newest" >/dev/null
before_a=$(audited "$A" "log --bodies")
before_r=$(audited "$R" "log --bodies")
cj --json log --bodies -n 1
check '[[ $rc == 0 && $(audited "$A" "log --bodies") == $((before_a + 1)) && $(audited "$R" "log --bodies") == "$before_r" ]]' \
	"log --bodies -n 1 audits the person of the event it shows, nobody else"
reads "$R" "log --bodies" "log --bodies (the whole log)" --json log --bodies
check 'grep -q "CANARY-READS" "$T/out"' "log --bodies --json gives the bodies"
check '[[ $(audited "$B" "log --bodies") == 1 && $(audited "$P" "log --bodies") == 1 ]]' \
	"log --bodies audits every person the log covers"

# A crisis viewed before it names its person (unnamed: a placeholder; or the wrong person), then linked
# with link-person: the person's own trail lists those views (resolved through the crisis at read time).
V=$(c contact add "Vera Linked")
W=$(c contact add "Walt Wrong")
VX=$(c crisis open --source 988 --role lead)
c crisis show "$VX" >/dev/null
cj --json log --entity "$VX" --bodies
VW=$(c crisis open --source 911 --contact "$W" --role lead)
c crisis show "$VW" >/dev/null
check '[[ $(audited "$V" "crisis show") == 0 && $(audited "$W" "crisis show") == 1 ]]' \
	"before link-person the views are the placeholder's and Walt's"
c crisis link-person "$VX" "$V" >/dev/null
c crisis link-person "$VW" "$V" >/dev/null
check '[[ $(audited "$V" "crisis show") == 2 && $(audited "$V" "log --bodies") == 1 ]]' \
	"after link-person, Vera's trail lists the views of her crises made before they named her"
check '[[ $(audited "$W" "crisis show") == 1 ]]' "Walt's trail keeps the view made while the crisis named him"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
