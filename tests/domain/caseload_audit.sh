#!/usr/bin/env bash
# caseload_audit.sh — the caseload views that show record content are audited (42 CFR Part 2, HIPAA
# 164.312(b)), through the real `cairn` binary on two devices of a team syncing through a bare git repo:
#  - `search`, `review`, `goal list` (without --contact) and `conflicts` each add exactly one audit entry
#    ("search", "review", "goal list", "conflicts") for every person they show, however many of the
#    person's records they show (a name and three notes: one entry; a merged person: one entry, in the
#    trail of every id of the merge), and none for anyone they do not show (`cairn audit PERSON`);
#  - a view that shows nothing adds no event at all; `goal list --contact` stays one entry;
#  - on a read-only journal each view shows nothing, exits 10 and names the cause (fails closed); a view
#    with nothing to show still works there.
# Usage: caseload_audit.sh PATH/TO/cairn. Ends with "N passed, N failed"; exits non-zero when any failed.
set -euo pipefail

CAIRN=${1:?usage: caseload_audit.sh PATH/TO/cairn}
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-caseload.XXXXXX")
RO=$T/ro
cleanup() {
	umount "$RO" 2>/dev/null || true
	chattr -R -i "$T" 2>/dev/null || true
	chmod -R u+w "$T" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
unset CAIRN_DIR CAIRN_DEBUG
export HOME="$T/home" XDG_DATA_HOME="$T/xdg"
mkdir -p "$HOME"

. "$(cd "$(dirname "$0")/../integration/lib" && pwd)/cli_checks.sh"
py_stdin() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

PW="$T/pw"
printf 'caseload audit pass\n' >"$PW"
chmod 600 "$PW"
A=$T/a B=$T/b E=$T/empty
c() { local d=$1; shift; "$CAIRN" --dir "$d" --passphrase-file "$PW" "$@" 2>/dev/null; }
cj() { run --dir "$A" --passphrase-file "$PW" "$@"; }
sync_all() { c "$A" -q sync >/dev/null; c "$B" -q sync >/dev/null; c "$A" -q sync >/dev/null; }
events() { c "$1" --json status | py_stdin "d['events']"; }
# audited PERSON WHAT: how many of PERSON's audit entries (as `cairn audit` lists them on A) say WHAT.
audited() { c "$A" --json audit "$1" | py_stdin "sum(e['what'] == '$2' for e in d)"; }
# entries WHAT PERSON...: each person's count of WHAT entries, space-separated.
entries() {
	local what=$1 p out=""
	shift
	for p in "$@"; do out+="$(audited "$p" "$what") "; done
	echo "${out% }"
}
# views DESC ARGS...: run `cairn ARGS` on A; it exits 0 and adds $want_events events, all audit entries
# (the metadata log, which is not audited, gives their kind; `entries` then says whose they are).
views() {
	local desc=$1 before added kinds
	shift
	before=$(events "$A")
	cj "$@"
	cp "$T/out" "$T/view.out"
	check '[[ $rc == 0 ]]' "$desc exits 0 ($(show_err))"
	added=$(($(events "$A") - before))
	kinds=none
	[[ $added -le 0 ]] || kinds=$(c "$A" --json log -n "$added" | py_stdin "sorted(set(e['kind'] for e in d))")
	check '[[ $added == "$want_events" && ($added == 0 || $kinds == "['"'"'audit.view'"'"']") ]]' \
		"$desc adds $want_events audit entries (got $added events: $kinds)"
	cp "$T/view.out" "$T/out"
}

# ---- two devices of a team, syncing through a bare repository ----------------------------------------
git init -q --bare "$T/central.git"
c "$A" init --kdf min --worker "Sam Rivera" >/dev/null
c "$A" team init >/dev/null
c "$A" team export "$T/join" --join-passphrase-file "$PW" --kdf min >/dev/null
c "$B" init --kdf min --worker "Bo Worker" >/dev/null
c "$B" team join "$T/join" --join-passphrase-file "$PW" >/dev/null
for d in "$A" "$B"; do c "$d" remote add central "$T/central.git" >/dev/null; done
DEV_A=$(c "$A" --json status | py_stdin "d['device']")

ANA=$(c "$A" contact add "Ana Kestrel" --phone 555-0101)
BEN=$(c "$A" contact add "Ben Osprey")
CY=$(c "$A" contact add "Cy Plover" --phone 555-0303)
DEE=$(c "$A" contact add "Dee Struck")
EVE=$(c "$A" contact add "Eve Empty")
M1=$(c "$A" contact add "Mo Heron")
M2=$(c "$A" contact add "Mo Heron-Smith")
for t in "kestrel one" "kestrel two" "kestrel three"; do c "$A" note add "$ANA" --text "$t" >/dev/null; done
BN=$(c "$A" note add "$BEN" --text "a kestrel at the shelter")
c "$A" note add "$CY" --text "nothing to find here" >/dev/null
c "$A" note strike "$(c "$A" note add "$DEE" --text "kestrel, written in the wrong record")" --reason "wrong person" >/dev/null
c "$A" note add "$M2" --text "kestrel by the river" >/dev/null
c "$A" goal add "$ANA" "a place of my own" --domain housing >/dev/null
c "$A" goal add "$CY" "back to school" --domain education >/dev/null
c "$A" goal add "$M2" "see my kids" --domain family >/dev/null
c "$A" contact merge "$M1" "$M2" >/dev/null
MO=$(printf '%s\n%s\n' "$M1" "$M2" | sort | head -1) # the survivor: the smaller id
sync_all
c "$B" signoff "$BN" >/dev/null # Ben's only note is signed off on B: not awaiting review
sync_all

# ---- search: one entry per person shown --------------------------------------------------------------
# Ana (her name and three notes), Ben (a note), Mo (the merged-away id's note); not Dee, whose only
# match is her struck note, which search leaves out
want_events=3
views "search" search kestrel
check 'grep -q "Ana Kestrel" "$T/out" && grep -q "Ben Osprey" "$T/out" && ! grep -q "Dee Struck" "$T/out"' \
	"search still shows what it found, and not a struck note"
got=$(entries search "$ANA" "$BEN" "$MO" "$DEE" "$CY" "$EVE")
check '[[ $got == "1 1 1 0 0 0" ]]' \
	"search: one entry for each person shown (Ana, Ben, Mo), none for Dee, Cy or Eve: $got"
check '[[ $(audited "$M1" search) == 1 && $(audited "$M2" search) == 1 ]]' \
	"the merged person's entry is in the trail of both ids"
c "$A" --json audit "$ANA" >"$T/trail"
check 'py_stdin "len(d) > 0 and d[0][\"what\"] == \"search\" and d[0][\"worker\"] == \"Sam Rivera\" and d[0][\"device\"] == \"$DEV_A\"" <"$T/trail" | grep >/dev/null True' \
	"the entry says what, who and which device: $(head -c 300 "$T/trail")"
c "$A" audit "$ANA" >"$T/table"
check 'grep -Eq "Sam Rivera +$DEV_A +search$" "$T/table"' "cairn audit (table) reads 'search': $(head -c 300 "$T/table")"
want_events=0
views "a search that finds nothing" search zzyzx-nothing
want_events=1 # Ben's name
views "search --json" --json search osprey
check '[[ $(py_stdin "[h[\"contact\"] for h in d] == [\"$BEN\"]" <"$T/out") == True ]]' "search --json shows Ben's name"
got=$(entries search "$ANA" "$BEN")
check '[[ $got == "1 2" ]]' "search --json: one more entry for Ben, none for Ana: $got"

# ---- review: the people whose notes await sign-off ---------------------------------------------------
want_events=3 # Ana, Cy, Mo; not Ben (signed off), Dee (struck), Eve (no notes)
views "review" review
check 'grep -q "Ana Kestrel" "$T/out" && ! grep -q "Ben Osprey" "$T/out"' "review still lists the notes awaiting sign-off"
got=$(entries review "$ANA" "$CY" "$MO" "$BEN" "$DEE" "$EVE")
check '[[ $got == "1 1 1 0 0 0" ]]' "review: one entry for each person listed (Ana with three notes: one), none for others: $got"

# ---- goal list: everyone's goals -----------------------------------------------------------------------
want_events=3 # Ana, Cy, Mo
views "goal list" --json goal list
check '[[ $(py_stdin "len(d)" <"$T/out") == 3 ]]' "goal list --json still lists every goal"
got=$(entries "goal list" "$ANA" "$CY" "$MO" "$BEN" "$DEE" "$EVE")
check '[[ $got == "1 1 1 0 0 0" ]]' "goal list: one entry for each person whose goals are listed: $got"
want_events=1
views "goal list --contact" goal list --contact "$ANA"
got=$(entries "goal list" "$ANA" "$CY" "$MO")
check '[[ $got == "2 1 1" ]]' "goal list --contact adds one entry, for that person only: $got"

# ---- conflicts: the people whose fields conflict -------------------------------------------------------
c "$A" contact set "$ANA" --phone 555-1111 >/dev/null
c "$B" contact set "$ANA" --phone 555-2222 >/dev/null
c "$A" contact set "$CY" --phone 555-3333 >/dev/null
c "$B" contact set "$CY" --phone 555-4444 >/dev/null
sync_all
want_events=2 # Ana, Cy
views "conflicts" --json conflicts
check '[[ $(py_stdin "sorted(len(x[\"values\"]) for x in d)" <"$T/out") == "[2, 2]" ]]' "conflicts --json still gives every value"
got=$(entries conflicts "$ANA" "$CY" "$BEN" "$MO" "$EVE")
check '[[ $got == "1 1 0 0 0" ]]' "conflicts: one entry for each person shown, none for others: $got"
want_events=2
views "conflicts (table)" conflicts
check 'grep -q "555-1111" "$T/out"' "the conflicts table still shows the values"

# ---- fails closed on a read-only journal -------------------------------------------------------------
# As root the directory is a read-only bind mount (as fault/readonly_dir does), or failing that
# immutable; otherwise chmod 500 (root ignores modes).
R=$A
if [[ $(id -u) -eq 0 ]]; then
	mkdir -p "$RO"
	if mount --bind "$A" "$RO" 2>/dev/null && mount -o remount,ro,bind "$RO" 2>/dev/null; then
		R=$RO cause="read-only file system"
	else
		umount "$RO" 2>/dev/null || true
		chattr +i "$A" 2>/dev/null && cause="read-only|permission|not permitted"
	fi
else
	chmod 500 "$A" && cause="no permission|permission"
fi
if [[ -z ${cause:-} ]]; then
	echo "SKIP: cannot make the journal read-only here: the fail-closed checks are not run" >&2
else
	before=$(events "$R")
	error_line 10 "search on a read-only journal" "search: nothing shown, its audit entries could not be written: .*($cause)" \
		--dir "$R" --passphrase-file "$PW" search kestrel
	error_line 10 "review on a read-only journal" "review: nothing shown, its audit entries could not be written: .*($cause)" \
		--dir "$R" --passphrase-file "$PW" review
	error_line 10 "goal list on a read-only journal" "goal list: nothing shown, its audit entries could not be written: .*($cause)" \
		--dir "$R" --passphrase-file "$PW" --json goal list
	error_line 10 "conflicts on a read-only journal" "conflicts: nothing shown, its audit entries could not be written: .*($cause)" \
		--dir "$R" --passphrase-file "$PW" conflicts
	run --dir "$R" --passphrase-file "$PW" --json search zzyzx-nothing
	check '[[ $rc == 0 && $(cat "$T/out") == "[]" ]]' "a search that finds nothing still works read-only (exit $rc, $(show_err))"
	check '[[ $(events "$R") == "$before" ]]' "nothing was written"
	if [[ $R == "$RO" ]]; then umount "$RO"; else chattr -i "$A" 2>/dev/null || chmod 700 "$A"; fi
fi

# ---- nothing shown, nothing written --------------------------------------------------------------------
c "$A" resolve "$ANA" phone --keep 1 >/dev/null
c "$A" resolve "$CY" phone --keep 1 >/dev/null
want_events=0
views "conflicts with none open" --json conflicts
check '[[ $(cat "$T/out") == "[]" ]]' "no conflict is open after resolve"
c "$E" init --kdf min >/dev/null
c "$E" contact add "Fay Alone" >/dev/null
for args in "review" "goal list" "conflicts" "search fay-nothing"; do
	before=$(events "$E")
	# shellcheck disable=SC2086 # the words of a command
	run --dir "$E" --passphrase-file "$PW" $args
	check '[[ $rc == 0 && $(events "$E") == "$before" ]]' "an empty '$args' adds no event (exit $rc, $(show_err))"
done

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
