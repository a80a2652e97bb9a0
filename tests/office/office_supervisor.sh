#!/usr/bin/env bash
# Supervision under the office (issue 6 item 9): once devices hold the roster, only a device the office
# made a supervisor signs off notes. A teammate's sign-off is refused at the command; a supervisor's is
# accepted and counts at every device and in the report; the office can withdraw the role (--off), and
# that device's sign-offs stop counting (kept in the record); the roster change reaches devices with
# sync. Usage: office_supervisor.sh CAIRN
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"

js() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
awaiting() { c "$1" --json review | js "\"$2\" in [n['id'] for n in d]"; }
FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in w s; do
	c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1
	c $d worker "Worker $d" >/dev/null
	c $d sync >/dev/null 2>&1 || true
	c office office enroll approve "$(dev $d)" --team field >/dev/null
done
for d in w s; do c $d sync >/dev/null; done
P=$(c w contact add "Pat Example")
N=$(c w note add "$P" --text "first meeting")
for d in w s; do c $d sync >/dev/null; done
check "the note awaits sign-off on the other device" '[ "$(awaiting s "$N")" = True ]'

set +e; out=$(c s signoff "$N" 2>&1); rc=$?; set -e
check "a teammate who is not a supervisor is refused (exit $rc: $out)" \
	'[ $rc -eq 2 ] && [[ $out == *"not a supervisor"* ]] && [ "$(awaiting s "$N")" = True ]'

S=$(dev s)
out=$(c office --json office supervisor "$S")
check "the office makes s a supervisor" '[[ $out == *"$S"* ]]'
set +e; again=$(c office office supervisor "$S" 2>&1); arc=$?; set -e
check "twice is an error naming it (exit $arc)" '[ $arc -eq 9 ] && [[ $again == *"already a supervisor"* ]]'
check "office devices shows the role" \
	'c office --json office devices | js "[x[\"supervisor\"] for x in d if x[\"device\"] == \"$S\"] == [True]" | grep >/dev/null True'
c s sync >/dev/null
c s signoff "$N" --comment "good" >/dev/null
for d in s w; do c $d sync >/dev/null; done
check "after the supervisor's sign-off the note no longer awaits, on both devices" \
	'[ "$(awaiting s "$N")" = False ] && [ "$(awaiting w "$N")" = False ]'
check "the report counts it signed off" \
	'c w --json report --from 2000-01-01 --to 2100-01-01 --min-cell 0 | js "[r for s in d[\"sections\"] if s[\"id\"] == \"supervision.signoff\" for r in s[\"rows\"]] == [[1, 1, 0]]" | grep >/dev/null True'

c office office supervisor "$S" --off >/dev/null
for d in w s; do c $d sync >/dev/null; done
check "with the role withdrawn, its sign-off no longer counts" '[ "$(awaiting w "$N")" = True ]'
set +e; out=$(c s signoff "$N" 2>&1); rc=$?; set -e
check "and it cannot sign off again (exit $rc)" '[ $rc -eq 2 ]'
for d in w s w; do c $d sync >/dev/null; done # `review` (awaiting) wrote audit entries: carry them across
check "the devices agree" '[ "$(c w digest)" = "$(c s digest)" ]'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
