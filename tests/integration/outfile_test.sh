#!/usr/bin/env bash
# outfile_test.sh — the commands that write a file (report, export fhir, export gpra, disclose) do it the
# same way: --json prints one document naming the file and the ids recorded, without --json the file's
# name; an existing file (or a link there) is refused with exit 9 before anything is recorded; a file
# that fails half way is removed; disclose takes --output (--out is kept); README's command lines run.
#
# Usage: outfile_test.sh PATH/TO/cairn   (README=PATH picks another README.md for the last section)
#
# Each check counts as one test; the script ends with "N passed, N failed" and exits non-zero when any
# failed. The journal (--kdf min) lives in a temporary directory removed on exit.
set -euo pipefail

CAIRN=${1:?usage: outfile_test.sh PATH/TO/cairn}
README=${README:-$(cd "$(dirname "$0")/../.." && pwd)/README.md}
command -v python3 >/dev/null || { echo "outfile_test.sh: python3 is required" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-outfile.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset CAIRN_DIR CAIRN_DEBUG
export HOME="$T/home" XDG_DATA_HOME="$T/xdg"
mkdir -p "$HOME" "$T/o"

passed=0
failed=0
# check DESCRIPTION CONDITION: a shell test.
check() {
	if eval "$2"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $1 (exit $rc; stdout: $(head -c 300 "$T/out" | tr '\n' ' '); stderr: $(head -c 300 "$T/err" | tr '\n' ' '))" >&2
	fi
}

PW="$T/pw"
printf 'correct horse battery staple\n' >"$PW"
chmod 600 "$PW"
J="$T/journal"
c() { "$CAIRN" --dir "$J" --passphrase-file "$PW" "$@"; }
# cj ARGS...: run cairn on the journal; stdout in $T/out, stderr in $T/err, the exit code in $rc.
rc=0
cj() {
	set +e
	"$CAIRN" --dir "$J" --passphrase-file "$PW" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	set -e
}
# py EXPR: EXPR with `d` bound to stdout parsed as exactly one JSON document, printed.
py() { python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); print(eval(sys.argv[2]))' "$T/out" "$1"; }
json_ok() { [[ $(wc -l <"$T/out") == 1 ]] && [[ $(py "$1" 2>/dev/null) == True ]]; }
one_line() { [[ $(wc -l <"$T/err") == 1 ]] && grep -Eq "^cairn: .*$1" "$T/err"; }
EXISTS="exists; choose another name or remove it first"
ndisc() { c --json disclosures "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

c init --kdf min >/dev/null 2>&1
A=$(c contact add "Ana Diaz")
B=$(c contact add "Bo Li")
c note add "$A" --text "met at the park" >/dev/null
for p in "$A" "$B"; do
	c consent grant "$p" --from "Peer Program" --to "Harbor House" --info all --purpose referral \
		--expires 2099-12-31 --signed-by X --method electronic >/dev/null
done
for i in $(seq 1 25); do
	p=$(c contact add "Client $i")
	c gpra interview "$p" --grant SM-1 --type intake --date 2026-01-15 >/dev/null
	c consent grant "$p" --from "Peer Program" --to "Harbor House" --info all --purpose referral \
		--expires 2099-12-31 --signed-by X --method electronic >/dev/null
done
RANGE=(--from 2020-01-01 --to 2030-12-31)
FHIR=(export fhir --to "Harbor House" --purpose referral)
DISC=(disclose "$A" --to "Harbor House" --purpose referral --what notes)
GPRA=(export gpra --grant SM-1 "${RANGE[@]}")

# ---- 1. --json names the file and the ids recorded; without it, the file's name --------------------
cd "$T/o"
cj --json report "${RANGE[@]}" -o r.json
check "report --json -o prints one document naming the file" \
	'[[ $rc == 0 ]] && json_ok "d[\"file\"] == \"r.json\" and d[\"format\"] == \"json\""'
cj --json report "${RANGE[@]}" --format html -o r.html
check "report --json --format html -o: the file is HTML, stdout names it" \
	'[[ $rc == 0 ]] && json_ok "d[\"file\"] == \"r.html\"" && grep -q "<svg" r.html'
cj --json "${GPRA[@]}" -o g.csv
check "export gpra --json -o prints one document naming the file" \
	'[[ $rc == 0 ]] && json_ok "d[\"file\"] == \"g.csv\" and d[\"grant\"] == \"SM-1\""'
cj --json "${FHIR[@]}" --contact "$A" -o b1.json
check "export fhir --json -o names the file and the disclosure recorded" \
	'[[ $rc == 0 ]] && json_ok "d[\"file\"] == \"b1.json\" and [x[\"contact\"] for x in d[\"disclosures\"]] == [\"$A\"]"'
FHIR_ID=$(py 'd["disclosures"][0]["id"]' 2>/dev/null || true)
check "export fhir --json: the disclosure id is the one in the accounting" \
	'[[ -n $FHIR_ID && $(c --json disclosures "$A" | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"id\"])") == "$FHIR_ID" ]]'
cj --json "${FHIR[@]}" -o b.json
check "export fhir --json -o of everyone lists one disclosure per person" \
	'[[ $rc == 0 ]] && json_ok "d[\"file\"] == \"b.json\" and len(d[\"disclosures\"]) == 27 and len({x[\"id\"] for x in d[\"disclosures\"]}) == 27"'
cj --json "${DISC[@]}" --output d.json
check "disclose --json --output names the file, the contact and the disclosure id" \
	'[[ $rc == 0 ]] && json_ok "d[\"file\"] == \"d.json\" and d[\"contact\"] == \"$A\" and d[\"id\"] != \"$A\"" &&
	 [[ $(py "d[\"id\"]") == $(c --json disclosures "$A" | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"id\"])") ]]'
cj report "${RANGE[@]}" -o r.txt
check "report -o prints the file name alone (stdout not a terminal)" '[[ $rc == 0 && $(cat "$T/out") == r.txt ]]'
cj "${GPRA[@]}" -o g2.csv
check "export gpra -o prints the file name alone" '[[ $rc == 0 && $(cat "$T/out") == g2.csv ]]'
cj "${FHIR[@]}" -o b2.json
check "export fhir -o prints the file name alone" '[[ $rc == 0 && $(cat "$T/out") == b2.json ]]'
cj "${DISC[@]}" -o d2.json
check "disclose -o prints the file name alone" '[[ $rc == 0 && $(cat "$T/out") == d2.json ]]'
check "every file written is mode 0600 and no temporary file is left" \
	'[[ $(stat -c %a r.json r.html g.csv b1.json b.json d.json r.txt g2.csv b2.json d2.json | sort -u) == 600 &&
	    -z $(ls -A | grep -v -E "^(r\.json|r\.html|g\.csv|b1\.json|b\.json|d\.json|r\.txt|g2\.csv|b2\.json|d2\.json)$") ]] 2>/dev/null'

# ---- 2. an existing file is never replaced; a half-written file is removed --------------------------
for f in e1 e2 e3 e4; do echo "someone's record, kept" >"$f"; done
before=$(ndisc "$A")
cj report "${RANGE[@]}" -o e1
check "report -o over an existing file: exit 9, one line" \
	'[[ $rc == 9 && ! -s $T/out ]] && one_line "'\''e1'\'' $EXISTS"'
cj "${GPRA[@]}" -o e2
check "export gpra -o over an existing file: exit 9, the same message" \
	'[[ $rc == 9 && ! -s $T/out ]] && one_line "'\''e2'\'' $EXISTS"'
cj "${FHIR[@]}" -o e3
check "export fhir -o over an existing file: exit 9, the same message" \
	'[[ $rc == 9 && ! -s $T/out ]] && one_line "'\''e3'\'' $EXISTS"'
cj "${DISC[@]}" -o e4
check "disclose -o over an existing file: exit 9, the same message" \
	'[[ $rc == 9 && ! -s $T/out ]] && one_line "'\''e4'\'' $EXISTS"'
check "the refused commands changed no file" \
	'[[ $(cat e1 e2 e3 e4 | sort -u) == "someone'\''s record, kept" ]]'
check "the refused exports recorded no disclosure" '[[ $(ndisc "$A") == "$before" ]]'
ln -s "$T/o/planted-target" link.html
cj report "${RANGE[@]}" --format html -o link.html
check "report -o onto a symbolic link: refused, the link neither replaced nor followed" \
	'[[ $rc == 9 && -L link.html && ! -e planted-target ]] && one_line "$EXISTS"'
ln -s "$T/o/planted-target" link.json
cj "${FHIR[@]}" -o link.json
check "export fhir -o onto a symbolic link: refused, the link neither replaced nor followed" \
	'[[ $rc == 9 && -L link.json && ! -e planted-target ]] && one_line "$EXISTS"'

# A write that fails half way (the file size limit; SIGXFSZ ignored so write() fails with EFBIG) must not
# leave the half. The status run first checkpoints the journal so that only the output file hits the limit.
# (A report is too short to outgrow the 32 KiB the journal needs; it goes through the same outfile.c.)
head -c 60000 /dev/zero | tr '\0' y >"$T/long"
c note add "$A" --text-file "$T/long" >/dev/null
c note add "$A" --text-file "$T/long" >/dev/null
limited() {
	local kb=$1
	shift
	c status >/dev/null
	set +e
	(
		trap '' XFSZ
		ulimit -f "$kb"
		exec "$CAIRN" --dir "$J" --passphrase-file "$PW" "$@" >"$T/out" 2>"$T/err" </dev/null
	)
	rc=$?
	set -e
}
# The journal needs 32 KiB (its shared-memory file) to open: the CSV must be longer, 400 interviews.
for i in $(seq 1 400); do
	c gpra interview "$B" --grant SM-2 --type intake --date 2026-02-01 --barc10 6,6,6,6,6,6,6,6,6,6 >/dev/null
done
limited 32 export gpra --grant SM-2 "${RANGE[@]}" -o big.csv
check "export gpra: a file that cannot be written whole is removed (exit 10)" \
	'[[ $rc == 10 && ! -e big.csv ]] && one_line "cannot write .big.csv."'
limited 64 "${DISC[@]}" -o big.json
check "disclose: a file that cannot be written whole is removed (exit 10)" \
	'[[ $rc == 10 && ! -e big.json ]] && one_line "cannot write .big.json."'
limited 64 "${FHIR[@]}" --contact "$A" --with-notes -o big2.json
check "export fhir: a file that cannot be written whole is removed (exit 10)" \
	'[[ $rc == 10 && ! -e big2.json ]] && one_line "cannot write .big2.json."'

# ---- 3. disclose spells it --output, like every other command; --out still works ---------------------
cj disclose --help
check "disclose --help documents -o, --output" '[[ $rc == 0 ]] && grep -Eq "^  -o, --output FILE " "$T/out"'
cj "${DISC[@]}" --output d3.json
check "disclose --output writes the file" '[[ $rc == 0 && -s d3.json && $(cat "$T/out") == d3.json ]]'
cj "${DISC[@]}" --out d4.json
check "disclose --out (the old name) still writes the file" '[[ $rc == 0 && -s d4.json ]]'
cj "${DISC[@]}" --out d5.json --output d6.json
check "disclose with both --out and --output is a usage error writing nothing" \
	'[[ $rc == 2 && ! -e d5.json && ! -e d6.json ]] && one_line "--output"'

# ---- team export: the join file (the team key, sealed) is no exception -----------------------------
c team init >/dev/null
printf 'team pass phrase\n' >"$T/tp"
chmod 600 "$T/tp"
echo "keep me" >kept.join
cj team export kept.join --join-passphrase-file "$T/tp" --kdf min
check "team export refuses an existing file and leaves it as it was" \
	'[[ $rc == 9 && $(cat kept.join) == "keep me" ]] && one_line "$EXISTS"'
cj team export new.join --join-passphrase-file "$T/tp" --kdf min
check "team export writes a new file, mode 0600, nothing else beside it" \
	'[[ $rc == 0 && -s new.join && $(stat -c %a new.join) == 600 && -z $(ls | grep "new.join.tmp") ]]'

# ---- 4. README's command lines for these commands run as written -----------------------------------
# A line from README.md with ID made $A, optional [...] dropped, the trailing comment cut.
readme_line() {
	grep -E "^cairn $1 " "$README" | head -n 1 | sed -E -e 's/ +#.*$//' -e 's/ \[[^]]*\]//g' -e "s/ ID / $A /"
}
cairn() { "$CAIRN" --dir "$J" --passphrase-file "$PW" "$@"; }
line=$(readme_line 'export (fhir|--fhir)')
set +e
eval "$line" >"$T/out" 2>"$T/err"
rc=$?
set -e
check "README's FHIR export line runs ($line)" '[[ -n $line && $rc == 0 && -s bundle.json ]]'
line=$(readme_line disclose)
set +e
eval "$line" >"$T/out" 2>"$T/err"
rc=$?
set -e
check "README's disclose line runs ($line)" '[[ -n $line && $rc == 0 && -s export.json ]]'

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
