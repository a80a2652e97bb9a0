#!/usr/bin/env bash
# cli_test.sh — drive the real `cairn` binary through every command and every kind of bad input.
#
# Usage: cli_test.sh PATH/TO/cairn
#
# Each check counts as one test; the script ends with "N passed, N failed" and exits non-zero when any
# failed. Journals are created with --kdf min (cheap Argon2id, for tests only) in a temporary directory
# that is removed on exit. Ids are chained the way a script would: id=$(cairn ... add ...), and --json
# output is parsed with python3.
set -euo pipefail

CAIRN=${1:?usage: cli_test.sh PATH/TO/cairn}
command -v python3 >/dev/null || { echo "cli_test.sh: python3 is required" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Never touch the user's own journal, whatever the environment says.
unset CAIRN_DIR CAIRN_DEBUG
export HOME="$T/home" XDG_DATA_HOME="$T/xdg"
mkdir -p "$HOME"

. "$(cd "$(dirname "$0")" && pwd)/lib/cli_checks.sh"

# run ARGS... (cli_checks.sh): run cairn, keep stdout in $T/out, stderr in $T/err, the exit code in $rc.
# run_in FILE ARGS...: the same with standard input from FILE.
run_in() {
	local in=$1
	shift
	set +e
	"$CAIRN" "$@" >"$T/out" 2>"$T/err" <"$in"
	rc=$?
	set -e
}

# expect CODE DESCRIPTION ARGS...: the command exits with CODE.
expect() {
	local want=$1 what=$2
	shift 2
	run "$@"
	if [[ $rc == "$want" ]]; then ok; else bad "$what: exit $rc, want $want (stderr: $(show_err))"; fi
}

# usage_error DESCRIPTION REGEX ARGS...: exit 2, nothing on stdout, one stderr line "cairn: ..." matching REGEX.
usage_error() { error_line 2 "$@"; }


# py EXPR: evaluate a Python expression with `d` bound to the JSON document on stdout ($T/out).
py() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/out" "$1"; }
# check_json EXPR DESCRIPTION: stdout is exactly one JSON document and EXPR holds for it.
check_json() {
	local res
	if ! res=$(py "$1" 2>&1); then
		bad "$2: stdout is not one JSON document or the check raised: $res; stdout: $(head -c 300 "$T/out")"
	elif [[ $res == True ]]; then ok; else bad "$2: $1 is $res; stdout: $(head -c 300 "$T/out")"; fi
}

UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
is_uuid() { [[ $1 =~ $UUID_RE ]]; }

# Every file under a directory with its hash, to prove a failed command changed nothing.
snapshot() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

PW="$T/pw"
printf 'correct horse battery staple\n' >"$PW"
chmod 600 "$PW"
J="$T/journal"
c() { "$CAIRN" --dir "$J" --passphrase-file "$PW" "$@"; }
cj() { run --dir "$J" --passphrase-file "$PW" "$@"; }

# ---- init ---------------------------------------------------------------------------------------
run --dir "$J" --passphrase-file "$PW" init --kdf min
check '[[ $rc == 0 ]]' "init exits 0 (stderr: $(show_err))"
DEVICE=$(cat "$T/out")
check '[[ $DEVICE =~ ^[0-9a-f]{16}$ ]]' "init prints the device id alone when stdout is not a terminal: '$DEVICE'"
check 'grep -q "created an encrypted journal in" "$T/err"' "init says where the journal is"
check '[[ -f $J/key && -f $J/journal.db ]]' "init creates the key file and the database"
check '[[ $(stat -c %a "$J") == 700 ]]' "the journal directory is private (mode 700)"
check 'grep -q "for tests only" "$T/err"' "--kdf min warns that it is for tests"
error_line 9 "init over an existing journal" "already exists" --dir "$J" --passphrase-file "$PW" init --kdf min

run --json --dir "$T/j2" --passphrase-file "$PW" init --kdf min
check '[[ $rc == 0 ]]' "init --json exits 0"
check_json "len(d['device']) == 16 and d['dir'] == '$T/j2'" "init --json gives device and dir"
run --dir "$T/j3" --passphrase-file "$PW" init --kdf interactive
check '[[ $rc == 0 ]]' "init --kdf interactive"
usage_error "init --kdf bogus" "invalid value 'bogus' for --kdf" --dir "$T/j4" --passphrase-file "$PW" init --kdf bogus
check '[[ ! -e $T/j4 ]]' "a rejected init creates nothing"

# The default directory comes from $CAIRN_DIR, then $XDG_DATA_HOME/cairn.
run --passphrase-file "$PW" init --kdf min
check '[[ $rc == 0 && -f $XDG_DATA_HOME/cairn/key ]]' "init defaults to \$XDG_DATA_HOME/cairn"
set +e
CAIRN_DIR="$T/envdir" "$CAIRN" --passphrase-file "$PW" init --kdf min >/dev/null 2>&1
rc=$?
set -e
check '[[ $rc == 0 && -f $T/envdir/key ]]' "init honours \$CAIRN_DIR"

# ---- contacts -----------------------------------------------------------------------------------
A=$(c contact add "Ana Diaz" --alias Nana --dob 1990-04-02 --phone 555-0101 --pronouns she/her)
check 'is_uuid "$A"' "contact add prints the new id alone: '$A'"
cj --json contact add "Ben Okafor" --phone 555-0202 --email ben@example.org
check '[[ $rc == 0 ]]' "contact add --json exits 0"
check_json "len(d) == 1 and len(d['id']) == 36" "contact add --json gives {\"id\"}"
B=$(py "d['id']")
C=$(c contact add "Ana D." --phone 555-0303)

cj contact list
check '[[ $rc == 0 ]] && grep -q "Ana Diaz" "$T/out" && grep -q "Ben Okafor" "$T/out"' "contact list shows names"
check 'head -1 "$T/out" | grep >/dev/null "^ID  *NAME"' "contact list has a header"
check '! grep -q "$A" "$T/out"' "contact list shows short ids, not full ones"
# The short ids in tables must work as arguments: UUIDv7 ids made in the same minute share 8 characters.
cp "$T/out" "$T/table"
for row in 2 3 4; do
	short=$(awk -v r=$row 'NR == r { print $1 }' "$T/table")
	cj --json contact show "$short"
	check_json "d['id'].startswith('$short') and len('$short') >= 8" "the short id '$short' from contact list works"
done
cj --json contact list
check_json "sorted(x['id'] for x in d) == sorted(['$A', '$B', '$C'])" "contact list --json has every id"
check_json "[x['name'] for x in d if x['id'] == '$A'] == ['Ana Diaz']" "contact list --json has names"

cj contact set "$A" --email ana@example.org --clear phone --location "day shelter"
check '[[ $rc == 0 && $(cat "$T/out") == "$A" ]]' "contact set prints the contact id (stderr: $(show_err))"
cj --json contact show "$A"
check_json "d['id'] == '$A' and d['fields']['email'] == 'ana@example.org' and 'phone' not in d['fields']" \
	"contact show --json reflects set and --clear"
check_json "d['fields']['location'] == 'day shelter' and d['fields']['pronouns'] == 'she/her'" \
	"contact show --json keeps the other fields"
cj contact set "${A:0:35}" --name "Ana María Díaz"
check '[[ $rc == 0 ]]' "contact set accepts an id prefix and UTF-8"
cj contact show "$A"
check '[[ $rc == 0 ]] && grep -q "Ana María Díaz" "$T/out" && grep -q "ana@example.org" "$T/out"' \
	"contact show prints a card"

# ---- notes --------------------------------------------------------------------------------------
N1=$(c note add "$A" --text "Met at the day shelter; she felt hopeful." --kind encounter --modality "in person" \
	--minutes 30 --date 2026-03-01)
check 'is_uuid "$N1"' "note add --text prints the note id: '$N1'"
printf 'Phone check-in.\nNo answer, left a voicemail.\n' >"$T/note.txt"
N2=$(c note add "$A" --text-file "$T/note.txt" --kind phone)
check 'is_uuid "$N2"' "note add --text-file"
printf 'Crisis call, stayed on the line until the team arrived.\n' >"$T/stdin.txt"
run_in "$T/stdin.txt" --json --dir "$J" --passphrase-file "$PW" note add "$B" - --kind crisis
check '[[ $rc == 0 ]]' "note add - reads standard input (stderr: $(show_err))"
check_json "d['contact'] == '$B' and len(d['id']) == 36" "note add --json gives the note and contact ids"
N3=$(py "d['id']")
cj note amend "$N1" --text "Met at the day shelter on Pine; she felt hopeful." --reason "wrong place"
check '[[ $rc == 0 && $(cat "$T/out") == "$N1" ]]' "note amend"
cj note strike "$N2" --reason "wrong person"
check '[[ $rc == 0 && $(cat "$T/out") == "$N2" ]]' "note strike"
cj --json contact show "$A"
check_json "[n['id'] for n in d['notes']] == ['$N1', '$N2'] or sorted(n['id'] for n in d['notes']) == sorted(['$N1', '$N2'])" \
	"contact show --json lists the notes"
check_json "[n for n in d['notes'] if n['id'] == '$N1'][0]['amendments'][0]['reason'] == 'wrong place'" \
	"the amendment is recorded with its reason"
check_json "[n for n in d['notes'] if n['id'] == '$N1'][0]['original_text'].startswith('Met at the day shelter;')" \
	"the original note text is kept"
check_json "[n for n in d['notes'] if n['id'] == '$N2'][0]['struck'] is True" "the struck note is marked"
cj contact show "$A"
check 'grep -q "STRUCK" "$T/out" && grep -q "amended" "$T/out" && grep -q "wrong place" "$T/out"' \
	"the card shows amendments and strikes"
error_line 2 "amending a struck note" "struck" --dir "$J" --passphrase-file "$PW" note amend "$N2" --text x

# ---- referrals ----------------------------------------------------------------------------------
R1=$(c referral add "$A" --category housing --to "Hope House" --reason "needs a bed" --date 2026-03-02)
check 'is_uuid "$R1"' "referral add prints the referral id: '$R1'"
cj --json referral add "$B" --category mat --to "Eastside Clinic"
check_json "d['contact'] == '$B' and len(d['id']) == 36" "referral add --json"
R2=$(py "d['id']")
cj referral status "$R1" accepted --reporter receiver --note "intake Monday"
check '[[ $rc == 0 && $(cat "$T/out") == "$R1" ]]' "referral status"
cj referral status "$R1" completed --outcome placed --reporter person
check '[[ $rc == 0 ]]' "referral status completed --outcome placed"
error_line 2 "a closed referral needs --reopen" "reopen" --dir "$J" --passphrase-file "$PW" referral status "$R1" requested
cj referral status "$R1" requested --reopen
check '[[ $rc == 0 ]]' "referral status --reopen"
cj --json referral list --contact "$A"
check_json "[r['id'] for r in d] == ['$R1'] and d[0]['state'] == 'requested' and d[0]['gen'] == 1" \
	"referral list --contact --json shows the reopened referral"
cj --json referral list
check_json "sorted(r['id'] for r in d) == sorted(['$R1', '$R2'])" "referral list --json lists all"
cj referral list
check '[[ $rc == 0 ]] && grep -q "Hope House" "$T/out" && grep -q "Eastside Clinic" "$T/out"' "referral list table"

# ---- search, log, digest, conflicts, status -----------------------------------------------------
cj --json search hopeful
check_json "[(r['type'], r['id']) for r in d] == [('note', '$N1')]" "search finds a note by a word"
cj --json search voicemail
check_json "d == []" "search does not find a struck note (entered in error)"
cj --json search Okafor
check_json "any(r['type'] == 'contact' and r['id'] == '$B' for r in d)" "search finds a contact by name"
cj search shelter Pine
check '[[ $rc == 0 ]] && grep -q "^note" "$T/out"' "search with several words prints a table"
cj --json log -n 3
check_json "len(d) == 3 and all(e['device'] == '$DEVICE' for e in d)" "log -n 3"
cj --json log --entity "$N1"
check_json "len(d) == 2 and {e['kind'] for e in d} == {'note.add', 'note.amend'}" "log --entity"
cj --json log --device "$DEVICE" --max-count 1
check_json "len(d) == 1" "log --device --max-count"
cj log
check '[[ $rc == 0 ]] && grep -q "contact.set" "$T/out"' "log table"
cp "$T/out" "$T/table"
# Every short id in the table: a prefix unique among contacts and among notes could still match one of each.
for short in $(awk 'NR > 1 { print $NF }' "$T/table" | sort -u); do
	cj --json log --entity "$short"
	check_json "len(d) > 0 and all(e['entity'].startswith('$short') for e in d)" "the short entity id '$short' from log works (stderr: $(show_err))"
done
# A short id names a window of creation times (UUIDv7 ids start with the time in ms). Printed while that window
# is still open, a record made a moment later shares it: a view of an audit entry records a new one, and the
# short id of the entry just seen became ambiguous (failed in CI under ASan). Every short id in a table that
# ends inside the time must name a window already closed when the table was printed.
for round in 1 2 3; do
	cj log -n 4
	after=$(date +%s%3N)
	cp "$T/out" "$T/table"
	open=$(awk 'NR > 1 { print $NF }' "$T/table" | while read -r short; do
		hex=${short//-/}
		hex=${hex:0:12}
		(( ${#hex} < 12 )) || continue
		end=$(( (16#$hex + 1) * (1 << (4 * (12 - ${#hex}))) - 1 ))
		if (( end >= after )); then echo "$short"; fi
	done)
	check '[[ -z $open ]]' "round $round: short ids printed while their time window was open: ${open:-none}"
	short=$(awk 'NR == 2 { print $NF }' "$T/table")
	cj --json log --entity "$short" # records an audit view, made right after the table
	cj --json log --entity "$short"
	check_json "len(d) > 0 and all(e['entity'].startswith('$short') for e in d)" \
		"round $round: the newest short id '$short' still works after new records"
done
cj digest
D1=$(cat "$T/out")
check '[[ $D1 =~ ^[0-9a-f]{64}$ ]]' "digest prints 64 hex digits"
cj --json digest
check_json "d['digest'] == '$D1'" "digest --json"
cj --json conflicts
check_json "d == []" "conflicts --json: none on a single device"
cj conflicts
check '[[ $rc == 0 ]]' "conflicts"
cj --json status
check_json "d['device'] == '$DEVICE' and d['contacts'] == 3 and d['notes'] == 3 and d['referrals'] == 2" "status --json"
cj stats
check '[[ $rc == 0 ]] && grep -q "^journal" "$T/out" && grep -q "^contacts  *3" "$T/out"' "stats (alias of status)"

# ---- merge, delete, restore ---------------------------------------------------------------------
cj --json contact merge "$A" "$C"
SURV=$([[ $A < $C ]] && echo "$A" || echo "$C")
check_json "d['id'] == '$SURV' and sorted(d['merged']) == sorted(['$A', '$C'])" "contact merge keeps the smallest id"
error_line 2 "merging twice" "same person" --dir "$J" --passphrase-file "$PW" contact merge "$A" "$C"
cj --json contact list
check_json "len(d) == 2" "a merged contact is listed once"
GONE=$([[ $A < $C ]] && echo "$C" || echo "$A")
cj contact set "$GONE" --phone 555-0199
check '[[ $rc == 0 ]]' "contact set through a merged-away id ($(show_err))"
cj --json contact show "$SURV"
check_json "d['fields']['phone'] == '555-0199'" "a change through a merged-away id shows on the person"
cj contact delete "$GONE"
cj --json contact list
check_json "'$SURV' not in [x['id'] for x in d]" "deleting through a merged-away id deletes the person"
cj contact restore "$GONE"
cj --json contact list
check_json "'$SURV' in [x['id'] for x in d]" "restoring through a merged-away id restores the person"
cj contact delete "$B"
check '[[ $rc == 0 && $(cat "$T/out") == "$B" ]]' "contact delete"
cj --json contact list
check_json "'$B' not in [x['id'] for x in d]" "a deleted contact is not listed"
cj --json contact list --all
check_json "[x['deleted'] for x in d if x['id'] == '$B'] == [True]" "contact list --all shows it deleted"
cj contact restore "$B"
check '[[ $rc == 0 ]]' "contact restore"
cj --json contact list
check_json "'$B' in [x['id'] for x in d]" "a restored contact is listed again"
cj digest
check '[[ $(cat "$T/out") != "$D1" ]]' "the digest changes with the state"

# ---- bad input: nothing is recorded -------------------------------------------------------------
cj digest
D2=$(cat "$T/out")

usage_error "unknown command" "'frobnicate' is not a cairn command. See 'cairn --help'." frobnicate
usage_error "unknown subcommand" "'frob' is not a cairn contact command" contact frob
usage_error "missing subcommand" "missing contact command" contact
usage_error "no command" "no command given" --dir "$J"
usage_error "unknown global option" "unknown option '--frob'" --frob status
usage_error "unknown command option" "unknown option '--nickname' for 'cairn contact add'" \
	--dir "$J" --passphrase-file "$PW" contact add X --nickname Y
usage_error "unknown short option" "unknown option '-x'" --dir "$J" log -x
usage_error "option missing its value" "missing value for --dob" --dir "$J" contact add X --dob
usage_error "--dir missing its value" "missing value for --dir" status --dir
usage_error "flag given a value" "--json takes no value" --json=yes status
usage_error "option given twice" "--dob given more than once" contact add X --dob 1990-01-01 --dob 1990-01-02
usage_error "missing positional" "missing NAME for 'cairn contact add'" contact add
usage_error "missing second positional" "missing STATE for 'cairn referral status'" referral status "$R1"
usage_error "extra positional" "unexpected argument 'Diaz'" contact add Ana Diaz
usage_error "missing required option" "missing --to" referral add "$A" --category housing
usage_error "missing strike reason" "missing --reason" note strike "$N1"
usage_error "nothing to set" "nothing to change" --dir "$J" --passphrase-file "$PW" contact set "$A"
usage_error "set and clear one field" "both set and clear --phone" contact set "$A" --phone 1 --clear phone
usage_error "clear the name" "cannot clear the name" contact set "$A" --clear name
usage_error "no note text" "missing note text" note add "$A"
usage_error "two note texts" "only one of --text, --text-file and -" note add "$A" --text x --text-file "$T/note.txt"
usage_error "note text file missing" "cannot open '$T/nope.txt'" note add "$A" --text-file "$T/nope.txt"
usage_error "empty note" "empty value for --text" note add "$A" --text "   "
usage_error "control characters" "contains a control character" contact add "$(printf 'Ana\033[2J')"
usage_error "bad e-mail" "invalid e-mail address" contact add X --email nobody
usage_error "passphrase on stdin twice" "both the passphrase and the note" \
	--dir "$J" --passphrase-fd 0 note add "$A" -
usage_error "two passphrase sources" "only one of --passphrase-file and --passphrase-fd" \
	--passphrase-file "$PW" --passphrase-fd 0 status

# Dates: real calendar dates only.
usage_error "impossible date" "invalid date '2026-02-30' for --dob \\(expected YYYY-MM-DD\\)" \
	contact add X --dob 2026-02-30
usage_error "not a leap year" "invalid date '2025-02-29' for --dob" contact add X --dob 2025-02-29
usage_error "date format" "invalid date '1990-1-2' for --dob" contact add X --dob 1990-1-2
usage_error "month 13" "invalid date '2026-13-01' for --date" referral add "$A" --category housing --to X --date 2026-13-01
usage_error "note date" "invalid date 'yesterday' for --date" note add "$A" --text x --date yesterday
usage_error "birth in the future" "cannot be in the future" contact add X --dob 2199-01-01

# Ids.
usage_error "short id" "invalid contact id 'ab'" contact show ab
usage_error "id with bad characters" "invalid contact id 'xyz!'" contact show 'xyz!'
usage_error "too long id" "invalid note id" note strike "${N1}0" --reason x
usage_error "bad referral id" "invalid referral id 'nothex'" referral status nothex accepted
usage_error "bad --entity" "invalid id for --entity 'zz'" log --entity zz
usage_error "bad --device" "invalid device id 'abc' for --device" log --device abc
error_line 4 "unknown id" "no contact with id 'ffffffff'" --dir "$J" --passphrase-file "$PW" contact show ffffffff
error_line 2 "ambiguous prefix" "ambiguous" --dir "$J" --passphrase-file "$PW" contact show "${A:0:4}"
error_line 4 "a note id is not a contact id" "no contact" --dir "$J" --passphrase-file "$PW" contact show "$N1"
error_line 4 "unknown --entity" "matches" --dir "$J" --passphrase-file "$PW" log --entity ffffffff

# Enumerations and numbers.
usage_error "note kind" "invalid value 'visit' for --kind \\(expected one of: encounter, phone" note add "$A" --text x --kind visit
usage_error "referral category" "invalid value 'shelter' for --category" referral add "$A" --category shelter --to X
usage_error "referral state" "invalid value 'done' for STATE" referral status "$R1" done
usage_error "referral outcome" "invalid value 'housed' for --outcome" referral status "$R1" completed --outcome housed
usage_error "referral reporter" "invalid value 'me' for --reporter" referral status "$R1" accepted --reporter me
usage_error "clear field" "invalid value 'nickname' for --clear" contact set "$A" --clear nickname
usage_error "minutes not a number" "invalid number 'ten' for --minutes" note add "$A" --text x --minutes ten
usage_error "minutes too large" "invalid number '5000' for --minutes" note add "$A" --text x --minutes 5000
usage_error "negative minutes" "invalid number '-5' for --minutes" note add "$A" --text x --minutes -5
usage_error "-n zero" "invalid number '0' for -n" log -n 0
usage_error "-n not a number" "invalid number '3x' for -n" log -n 3x
usage_error "bad --passphrase-fd" "invalid number 'x' for --passphrase-fd" --passphrase-fd x status

cj digest
check '[[ $(cat "$T/out") == "$D2" ]]' "bad input recorded nothing (digest unchanged)"
run --dir "$J" --passphrase-file "$PW" --json contact add "Leap Day" --dob 2000-02-29
check '[[ $rc == 0 ]]' "2000-02-29 is a real date"
LEAP=$(py "d['id']")

# ---- passphrases --------------------------------------------------------------------------------
snapshot "$J" >"$T/snap.before"
printf 'not the passphrase\n' >"$T/wrong"
chmod 600 "$T/wrong"
error_line 3 "wrong passphrase" "wrong passphrase" --dir "$J" --passphrase-file "$T/wrong" contact list
snapshot "$J" >"$T/snap.after"
check 'cmp -s "$T/snap.before" "$T/snap.after"' "a wrong passphrase leaves every file byte-identical"
error_line 3 "wrong passphrase for a write" "wrong passphrase" --dir "$J" --passphrase-file "$T/wrong" contact add X
snapshot "$J" >"$T/snap.after"
check 'cmp -s "$T/snap.before" "$T/snap.after"' "a refused write leaves every file byte-identical"

exec 7<"$PW"
run --dir "$J" --passphrase-fd 7 --json status
exec 7<&-
check '[[ $rc == 0 ]]' "--passphrase-fd reads the passphrase from an open descriptor (stderr: $(show_err))"
usage_error "closed --passphrase-fd" "bad file descriptor 9" --dir "$J" --passphrase-fd 9 status
usage_error "missing passphrase file" "cannot open passphrase file" --dir "$J" --passphrase-file "$T/nope" status
: >"$T/empty"
usage_error "empty passphrase file" "no passphrase in $T/empty" --dir "$J" --passphrase-file "$T/empty" status
printf 'correct horse battery staple\r\n' >"$T/crlf"
run --dir "$J" --passphrase-file "$T/crlf" status
check '[[ $rc == 0 ]]' "a CRLF passphrase file works"
chmod 644 "$T/crlf"
run --dir "$J" --passphrase-file "$T/crlf" status
check '[[ $rc == 0 ]] && grep -q "accessible by other users" "$T/err"' "a readable passphrase file gets a warning"

# No terminal and no passphrase option: a clear error, never a hang. setsid drops the controlling tty.
if command -v setsid >/dev/null; then
	set +e
	setsid -w "$CAIRN" --dir "$J" status </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	check '[[ $rc == 2 ]] && grep -q "^cairn: no passphrase: run in a terminal or pass --passphrase-file FILE$" "$T/err"' \
		"no terminal and no passphrase file (exit $rc: $(show_err))"
fi

# Passphrase change: old on line 1, new on line 2.
printf 'correct horse battery staple\nnew passphrase two\n' >"$T/change"
printf 'new passphrase two\n' >"$T/pw2"
chmod 600 "$T/change" "$T/pw2"
run --dir "$J" --passphrase-file "$T/change" passwd --kdf min
check '[[ $rc == 0 ]]' "passwd with old and new in one file (stderr: $(show_err))"
error_line 3 "the old passphrase no longer works" "wrong passphrase" --dir "$J" --passphrase-file "$PW" status
expect 0 "the new passphrase works" --dir "$J" --passphrase-file "$T/pw2" status
run --dir "$J" --passphrase-file "$T/pw2" passwd --kdf min --new-passphrase-file "$PW"
check '[[ $rc == 0 ]]' "passwd --new-passphrase-file"
expect 0 "the passphrase is back" --dir "$J" --passphrase-file "$PW" status
snapshot "$J" >"$T/snap.before"
error_line 3 "passwd with a wrong old passphrase" "wrong passphrase" --dir "$J" --passphrase-file "$T/wrong" passwd \
	--kdf min --new-passphrase-file "$T/pw2"
snapshot "$J" >"$T/snap.after"
check 'cmp -s "$T/snap.before" "$T/snap.after"' "a failed passwd leaves the key file as it was"
usage_error "passwd without a new passphrase" "line 2 is missing" --dir "$J" --passphrase-file "$PW" passwd --kdf min

# ---- damaged or missing journals ----------------------------------------------------------------
cp -a "$J" "$T/nokey"
rm "$T/nokey/key"
error_line 4 "missing key file" "key file .* is missing" --dir "$T/nokey" --passphrase-file "$PW" status
cp -a "$J" "$T/badkey"
printf 'this is not a key file\n' >"$T/badkey/key"
error_line 5 "corrupt key file" "." --dir "$T/badkey" --passphrase-file "$PW" status
cp -a "$J" "$T/shortkey"
head -c 20 "$J/key" >"$T/shortkey/key"
error_line 5 "truncated key file" "." --dir "$T/shortkey" --passphrase-file "$PW" status
error_line 4 "no journal at all" "no journal in" --dir "$T/nothing" --passphrase-file "$PW" status
mkdir "$T/emptydir"
error_line 4 "an empty directory" "no journal in" --dir "$T/emptydir" --passphrase-file "$PW" status

# ---- output discipline --------------------------------------------------------------------------
cj --json contact show "$LEAP"
check '[[ $(wc -l <"$T/out") == 1 ]]' "--json output is compact (one line) when stdout is not a terminal"
cj --quiet contact add "Quiet Person"
check 'is_uuid "$(cat "$T/out")" && [[ ! -s $T/err ]]' "--quiet prints the id and nothing else"
cj contact list --json
check_json "isinstance(d, list)" "--json works after the command name too"
run --version
check '[[ $rc == 0 ]] && grep -Eq "^cairn [0-9]+\.[0-9]+" "$T/out"' "--version"

# ---- help: every command, every option ----------------------------------------------------------
run --help
check '[[ $rc == 0 ]]' "cairn --help exits 0"
for cmd in init passwd contact note referral search log digest conflicts status help; do
	check "grep -q '^  $cmd ' '$T/out'" "cairn --help lists '$cmd'"
done
for code in 0 1 2 3 4 5 6 7 8 9 10; do
	check "grep -Eq '^ *$code  ' '$T/out'" "cairn --help documents exit code $code"
done
for opt in --dir --passphrase-file --passphrase-fd --json --quiet --help --version; do
	check "grep -q -- '$opt' '$T/out'" "cairn --help mentions $opt"
done
expect 0 "cairn -h" -h
expect 0 "cairn help help (help is listed as a command)" help help
expect 0 "cairn help --help" help --help
expect 0 "cairn help" help

# "command|options" for every command and subcommand.
help_cases=(
	"init|--kdf"
	"passwd|--kdf --new-passphrase-file"
	"contact add|--alias --dob --phone --email --pronouns --language --location"
	"contact set|--name --alias --dob --phone --email --pronouns --language --location --clear"
	"contact list|--all"
	"contact show|"
	"contact merge|"
	"contact delete|"
	"contact restore|"
	"note add|--text --text-file --kind --date --modality --minutes"
	"note amend|--text --text-file --reason"
	"note strike|--reason"
	"referral add|--category --to --reason --date"
	"referral status|--outcome --reporter --note --reopen"
	"referral list|--contact"
	"search|"
	"log|--device --entity -n --max-count"
	"digest|"
	"conflicts|"
	"status|"
	"stats|"
)
for case in "${help_cases[@]}"; do
	cmd=${case%%|*}
	opts=${case#*|}
	read -r -a words <<<"$cmd"
	for form in "${words[*]} --help" "help ${words[*]}" "${words[*]} -h"; do
		read -r -a argv <<<"$form"
		run "${argv[@]}"
		if [[ $rc != 0 || ! -s $T/out ]]; then
			bad "cairn $form: exit $rc, stdout $(wc -c <"$T/out") bytes"
			continue
		fi
		ok
		check "grep -q '^usage: cairn ${words[*]}' '$T/out'" "cairn $form shows the usage line"
		for opt in $opts; do
			check "grep -q -- '$opt' '$T/out'" "cairn $form mentions $opt"
		done
	done
done
# A family's help covers every subcommand and all of their options.
for fam in contact note referral; do
	run "$fam" --help
	check '[[ $rc == 0 ]]' "cairn $fam --help"
	for case in "${help_cases[@]}"; do
		cmd=${case%%|*}
		[[ $cmd == "$fam "* ]] || continue
		check "grep -q '^usage: cairn $cmd' '$T/out'" "cairn $fam --help includes '$cmd'"
		for opt in ${case#*|}; do
			check "grep -q -- '$opt' '$T/out'" "cairn $fam --help mentions $opt"
		done
	done
done
usage_error "help for an unknown command" "'frob' is not a cairn command" help frob
# Every command and subcommand: help with examples, and no line wider than 100 columns (option help
# wraps under its own column).
section_commands() { awk '/^Commands:/{f=1; next} /^$/{f=0} f && /^  [a-z]/{print $1}' "$T/out"; }
run --help
read -r -a top <<<"$(section_commands | tr '\n' ' ')"
helps=0
for cmd in "${top[@]}"; do
	run "$cmd" --help
	read -r -a subs <<<"$(section_commands | tr '\n' ' ')"
	[[ $cmd == help ]] && subs=()
	for sub in "" "${subs[@]}"; do
		if [[ -n $sub ]]; then run "$cmd" "$sub" --help; else run "$cmd" --help; fi
		helps=$((helps + 1))
		check "[[ \$rc == 0 ]] && awk 'length > 100 { exit 1 }' '$T/out'" \
			"cairn $cmd $sub --help: exit $rc; lines over 100 columns: $(awk 'length > 100' "$T/out" | head -c 300)"
		[[ -n $sub || ${#subs[@]} == 0 ]] && check "grep -q '^Examples' '$T/out'" "cairn $cmd $sub --help has examples"
	done
done
check '[[ $helps -gt 100 ]]' "every command's help was read ($helps)"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
