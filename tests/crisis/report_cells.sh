#!/usr/bin/env bash
# report_cells.sh — small cells a reader could work out from crisis figures that are shown (privacy
# review 2): the community share over hidden disposition rows, follow-ups between 24/48/72 hours (rows
# are disjoint now), and a response interval whose left-out events are few. Through the real binary.
#
# Usage: report_cells.sh PATH/TO/cairn. Ends with "N passed, N failed"; exits non-zero when any failed.
set -euo pipefail
CAIRN=${1:?usage: report_cells.sh PATH/TO/cairn}
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-crisis-cells.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME="$T" XDG_DATA_HOME="$T/xdg" CAIRN_DIR="$T/j"
printf 'pw\n' >"$T/pw"
chmod 600 "$T/pw"
. "$(cd "$(dirname "$0")/../integration/lib" && pwd)/cli_checks.sh"
c() { "$CAIRN" --passphrase-file "$T/pw" "$@" 2>/dev/null; }
# rows SECTION [OPTION...]: the released JSON rows of one crisis section on the seeded day, as {label: row}.
rows() {
	c --json report --from 2026-11-03 --to 2026-11-03 "$@" >"$T/out"
	python3 -c 'import json,sys; print(repr({str(r[0]): r[1:] for r in json.load(open(sys.argv[1]))["sections"][0]["rows"]}))' \
		"$T/out"
}
c init --kdf min --worker Sam >/dev/null

# 35 crises: 20 stabilised in place, 3 voluntary transport (small), 12 to the ED. Followed up: 20 within
# 24 h, 1 at 30 h, 1 at 60 h, 13 never. Arrived: all but 2.
n=0
add() { # COUNT DISPOSITION FOLLOWUP-AT
	local i id
	for ((i = 0; i < $1; i++)); do
		id=$(c crisis open --source 988 --received "2026-11-03 10:00" --role lead)
		c crisis set "$id" --disposition "$2" >/dev/null
		[[ -z $3 ]] || c crisis followup "$id" --at "$3" >/dev/null
		n=$((n + 1))
		((n <= 2)) || c crisis stamp "$id" arrived --at "2026-11-03 10:20" >/dev/null
	done
}
add 20 stabilised-in-place "2026-11-03 20:00"
add 1 voluntary-transport "2026-11-04 16:00"
add 1 voluntary-transport "2026-11-05 22:00"
add 1 voluntary-transport ""
add 12 emergency-department ""

S=$(rows crisis.summary)
D=$(rows crisis.disposition)
check '[[ $D == *"voluntary-transport'"'"': ['"'"'*'"'"'"* ]]' "the 3 voluntary transports are hidden: $D"
check '[[ $S == *"resolved in the community %'"'"': ['"'"'*'"'"']"* ]]' \
	"the community share is hidden with a disposition row (it gave the 3 back exactly): $S"
check '[[ $S == *"events with a disposition %'"'"': ['"'"'*'"'"']"* ]]' \
	"the share with a disposition is hidden with a disposition row: $S"
F=$(rows crisis.followup)
check '[[ $F == *"within 24 h'"'"': [20,"* && $F == *"24 to 48 h'"'"': ['"'"'*'"'"'"* && $F == *"48 to 72 h'"'"': ['"'"'*'"'"'"* ]]' \
	"follow-ups are disjoint rows and the 1s between 24 and 72 h are hidden: $F"
check '[[ $F == *"later or not done'"'"': ['"'"'*'"'"'"* ]]' "the 13 later or never hide the 1s' complement: $F"
R=$(rows crisis.response)
check '[[ $R == *"received to arrived'"'"': ['"'"'*'"'"', '"'"'*'"'"', '"'"'*'"'"']"* ]]' \
	"received to arrived (33 of 35: the 2 left out are a small count) is hidden: $R"
A=$(rows crisis.arrival)
check '[[ $A != *"33"* && $A == *"'"'"'*'"'"'"* ]]' "the arrival histogram does not add up to the hidden 33 either: $A"
U=$(rows crisis.summary --min-cell 0)
check '[[ $U == *"65.7"* ]]' "unsuppressed, the community share is shown (65.7 %): $U"

[[ -z ${VERBOSE:-} ]] || printf "%s\n" "$S" "$D" "$F" "$R" "$A"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
