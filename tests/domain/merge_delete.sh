#!/usr/bin/env bash
# merge_delete.sh — a merge and a delete of one person made on two devices without either seeing the
# other are raised for review, never a silent outcome (SECURITY.md, core/apply.c invariant 5), through the
# real `cairn` binary on two devices of a team syncing through a bare git repository. Scenario A: device A
# deletes the record that survives the merge device B makes; after the sync
#  - `cairn conflicts` lists one "status" conflict on the person on both devices, naming both sides (who
#    deleted, who merged: device and time), in the table and in --json; the conflict counts in
#    `contact list`, `contact show` and `status`;
#  - a plain restore, delete or merge of that person is refused (exit 6) and says how to decide;
#  - `cairn resolve PERSON alive` decides it: gone on both devices after the sync, the person shown again,
#    listed by `conflicts --decided`, equal digests;
#  - a merge and a delete that saw each other raise nothing; a deleted person is not merged.
# Usage: merge_delete.sh PATH/TO/cairn. Ends with "N passed, N failed"; exits non-zero when any failed.
set -euo pipefail

CAIRN=${1:?usage: merge_delete.sh PATH/TO/cairn}
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-mergedel.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset CAIRN_DIR CAIRN_DEBUG
export HOME="$T/home" XDG_DATA_HOME="$T/xdg"
mkdir -p "$HOME"

. "$(cd "$(dirname "$0")/../integration/lib" && pwd)/cli_checks.sh"
py() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

PW="$T/pw"
printf 'merge delete pass\n' >"$PW"
chmod 600 "$PW"
A=$T/a B=$T/b
c() { local d=$1; shift; "$CAIRN" --dir "$d" --passphrase-file "$PW" "$@" 2>/dev/null; }
sync_all() { c "$A" -q sync >/dev/null; c "$B" -q sync >/dev/null; c "$A" -q sync >/dev/null; }

git init -q --bare "$T/central.git"
c "$A" init --kdf min --worker "Ana Worker" >/dev/null
c "$A" team init >/dev/null
c "$A" team export "$T/join" --join-passphrase-file "$PW" --kdf min >/dev/null
c "$B" init --kdf min --worker "Bo Worker" >/dev/null
c "$B" team join "$T/join" --join-passphrase-file "$PW" >/dev/null
for d in "$A" "$B"; do c "$d" remote add central "$T/central.git" >/dev/null; done
DEV_A=$(c "$A" --json status | py "d['device']")
DEV_B=$(c "$B" --json status | py "d['device']")

X=$(c "$A" contact add "Jo Marsh" --phone 555-0101)
Y=$(c "$A" contact add "Joanne Marsh")
c "$A" note add "$Y" --text "met at the shelter" >/dev/null
LO=$(printf '%s\n%s\n' "$X" "$Y" | sort | head -1) # the survivor of a merge: the smaller id
HI=$(printf '%s\n%s\n' "$X" "$Y" | sort | tail -1)
sync_all

# ---- scenario A: A deletes the survivor while B, offline, merges the two ----------------------------
c "$A" contact delete "$LO" >/dev/null
c "$B" contact merge "$LO" "$HI" >/dev/null
sync_all
for d in "$A" "$B"; do
	n=${d##*/}
	run --dir "$d" --passphrase-file "$PW" conflicts
	check '[[ $rc == 0 ]] && grep -q "status" "$T/out" && grep -Eq "deleted ${LO:0:8}[-0-9a-f]*" "$T/out" && grep -Eq "merged ${LO:0:8}[-0-9a-f]* \+ ${HI:0:8}" "$T/out"' \
		"$n: conflicts lists the person's status conflict with both sides: $(head -c 600 "$T/out")"
	check 'grep -q "${DEV_A:0:8}" "$T/out" && grep -q "${DEV_B:0:8}" "$T/out"' \
		"$n: the table names both devices"
	run --dir "$d" --passphrase-file "$PW" --json conflicts
	check '[[ $rc == 0 ]] && [[ $(py "[(x[\"contact\"], x[\"field\"], x[\"kind\"], x[\"shown\"]) for x in d]" <"$T/out") == "[('"'$LO'"', '"'status'"', '"'merge-delete'"', '"'deleted'"')]" ]]' \
		"$n: conflicts --json: one status entry on the survivor, shown deleted: $(head -c 600 "$T/out")"
	check '[[ $(py "sorted((v[\"value\"], v[\"device\"], v.get(\"contact\"), v.get(\"merged\"), type(v[\"hlc\"]).__name__) for v in d[0][\"values\"])" <"$T/out") == "[('"'deleted'"', '"'$DEV_A'"', '"'$LO'"', None, '"'int'"'), ('"'merged'"', '"'$DEV_B'"', None, ['"'$LO'"', '"'$HI'"'], '"'int'"')]" ]]' \
		"$n: the sides say who deleted and who merged, with device and time: $(head -c 600 "$T/out")"
	check '[[ $(c "$d" --json contact list --all | py "[x[\"conflicts\"] for x in d if x[\"id\"] == \"$LO\"]") == "[1]" ]]' \
		"$n: contact list counts the conflict"
	check '[[ $(c "$d" --json status | py "d[\"conflicts\"]") == 1 ]]' "$n: status counts the conflict"
	check '[[ $(c "$d" --json contact show "$HI" | py "[x[\"field\"] for x in d[\"conflicts\"]]") == "['"'status'"']" ]]' \
		"$n: contact show (by the merged id) lists it"
	c "$d" contact show "$LO" >"$T/card"
	check 'grep -q "Decide: cairn resolve $LO deleted (or alive)" "$T/card" && grep -Eq "\"deleted ${LO:0:8}[-0-9a-f]*\"  \(device $DEV_A" "$T/card"' \
		"$n: the contact card says how to decide and who deleted: $(head -c 600 "$T/card")"
done
sync_all # the views above added audit entries
check '[[ $(c "$A" digest) == $(c "$B" digest) ]]' "both devices have the same digest"

# ---- no plain delete, restore or merge decides it ----------------------------------------------------
Z=$(c "$A" contact add "Jay Marsh")
error_line 6 "restore of a person in a merge/delete conflict" "cairn resolve $LO deleted\|alive" \
	--dir "$A" --passphrase-file "$PW" contact restore "$HI"
error_line 6 "delete of a person in a merge/delete conflict" "decide first" \
	--dir "$A" --passphrase-file "$PW" contact delete "$LO"
error_line 6 "merge with a person in a merge/delete conflict" "decide first" \
	--dir "$A" --passphrase-file "$PW" contact merge "$Z" "$HI"
error_line 2 "resolve alive takes no --keep" "takes no --keep or --value" \
	--dir "$A" --passphrase-file "$PW" resolve "$LO" alive --keep 1
error_line 4 "resolve of a person without one" "no open merge/delete conflict" \
	--dir "$A" --passphrase-file "$PW" resolve "$Z" deleted
error_line 2 "resolve CONTACT status (the FIELD conflicts shows)" "resolve CONTACT deleted' or 'cairn resolve CONTACT alive" \
	--dir "$A" --passphrase-file "$PW" resolve "$LO" status --keep 1

# ---- the decision --------------------------------------------------------------------------------------
run --dir "$B" --passphrase-file "$PW" --json resolve "$HI" alive
check '[[ $rc == 0 && $(py "(d[\"contact\"], d[\"field\"], d[\"value\"], len(d[\"replaced\"]), d[\"device\"])" <"$T/out") == "('"'$LO'"', '"'status'"', '"'alive'"', 2, '"'$DEV_B'"')" ]]' \
	"resolve alive --json says what was decided: $(head -c 400 "$T/out") $(show_err)"
check '[[ $(c "$B" --json conflicts) == "[]" ]]' "B: the conflict is closed where it was decided"
sync_all
for d in "$A" "$B"; do
	n=${d##*/}
	check '[[ $(c "$d" --json conflicts) == "[]" && $(c "$d" --json status | py "d[\"conflicts\"]") == 0 ]]' \
		"$n: no conflict after the sync"
	check '[[ $(c "$d" --json contact list | py "[x[\"id\"] for x in d if x[\"id\"] in (\"$LO\", \"$HI\")]") == "['"'$LO'"']" ]]' \
		"$n: the merged person is shown again, once"
	check '[[ $(c "$d" --json conflicts --decided | py "[(x[\"contact\"], x[\"field\"], x[\"value\"]) for x in d]") == "[('"'$LO'"', '"'status'"', '"'alive'"')]" ]]' \
		"$n: conflicts --decided lists the decision"
done
sync_all
check '[[ $(c "$A" digest) == $(c "$B" digest) ]]' "both devices have the same digest after the decision"
error_line 4 "a second decision" "no open merge/delete conflict" --dir "$A" --passphrase-file "$PW" resolve "$LO" deleted

# ---- a merge and a delete that saw each other: nothing to decide ---------------------------------------
c "$A" contact delete "$Z" >/dev/null
sync_all
error_line 2 "merging a deleted person" "is deleted; restore it first" \
	--dir "$B" --passphrase-file "$PW" contact merge "$LO" "$Z"
c "$B" contact restore "$Z" >/dev/null
c "$B" contact merge "$LO" "$Z" >/dev/null
sync_all
c "$A" contact delete "$Z" >/dev/null # the merged person, seen whole
sync_all
for d in "$A" "$B"; do
	check '[[ $(c "$d" --json conflicts) == "[]" ]]' "${d##*/}: a merge after the delete and a delete after the merge raise nothing"
done
sync_all
check '[[ $(c "$A" digest) == $(c "$B" digest) ]]' "both devices have the same digest at the end"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
