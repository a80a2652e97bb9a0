#!/usr/bin/env bash
# reconcile.sh — the office's reconciliation commands on real journals syncing through a bare git repo:
#  - a concurrent field write shows in `cairn conflicts` with every value numbered, its device and time;
#  - `cairn resolve --keep N` / `--value V` closes it on every device the decision reaches (digests
#    equal), `conflicts --decided` lists who decided what and when, on the other device too;
#  - concurrent decisions are a new conflict, not a lost write;
#  - merges made in opposite directions on two devices converge on the same survivor;
#  - `cairn duplicates` proposes a planted pair with reasons and stops once it is merged;
#  - bad input: one lowercase line, documented exit code, nothing written.
# Usage: reconcile.sh PATH/TO/cairn
set -euo pipefail
cairn=${1:?usage: reconcile.sh PATH/TO/cairn}
w=$(mktemp -d "${TMPDIR:-/tmp}/cairn-reconcile.XXXXXX")
trap 'rm -rf "$w"' EXIT
unset CAIRN_DIR CAIRN_DEBUG
pass=$w/pass
printf 'reconcile-pass\n' >"$pass"
chmod 600 "$pass"
git init -q --bare "$w/central.git"

passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$1"; then ok; else fail "$2"; fi; }
c() { local d=$1; shift; "$cairn" --dir "$d" --passphrase-file "$pass" "$@"; }
py() { python3 -c "import json,sys; d=json.load(open('$w/out')); print($1)"; }
# err CODE REGEX DESC DIR ARGS...: exits CODE, stdout empty, one stderr line matching REGEX.
err() {
	local want=$1 re=$2 what=$3 d=$4 rc=0
	shift 4
	c "$d" "$@" >"$w/out" 2>"$w/err" || rc=$?
	if [[ $rc != "$want" ]]; then fail "$what: exit $rc, want $want ($(head -c 300 "$w/err"))"
	elif [[ -s $w/out ]]; then fail "$what: wrote to stdout"
	elif [[ $(wc -l <"$w/err") != 1 ]] || ! grep -Eq '^cairn: [a-z-]' "$w/err" || ! grep -Eq -- "$re" "$w/err"; then fail "$what: stderr: $(cat "$w/err")"
	else ok; fi
}

A=$w/A B=$w/B
c "$A" init --kdf min >/dev/null 2>&1
c "$A" team init >/dev/null
c "$A" team export "$w/join" --join-passphrase-file "$pass" --kdf min >/dev/null 2>&1
c "$B" init --kdf min >/dev/null 2>&1
c "$B" team join "$w/join" --join-passphrase-file "$pass" >/dev/null
for d in "$A" "$B"; do c "$d" remote add central "$w/central.git" >/dev/null; done
sync_all() { c "$A" -q sync >/dev/null; c "$B" -q sync >/dev/null; c "$A" -q sync >/dev/null; }
devA=$(c "$A" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
devB=$(c "$B" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')

# ---- a conflict, shown with who and when -----------------------------------------------------------
id=$(c "$A" -q contact add "Dana Whitfield" --phone 555-0100)
sync_all
c "$A" -q contact set "$id" --phone 555-1111 >/dev/null
c "$B" -q contact set "$id" --phone 555-2222 >/dev/null
sync_all
c "$A" --json conflicts >"$w/out"
check "[[ \$(py 'len(d)') == 1 ]]" "one open conflict after concurrent writes"
check "[[ \$(py 'sorted(v[\"value\"] for v in d[0][\"values\"])') == \"['555-1111', '555-2222']\" ]]" "both values kept"
check "[[ \$(py 'sorted(v[\"device\"] for v in d[0][\"values\"]) == sorted([\"$devA\", \"$devB\"])') == True ]]" "who wrote each value"
second=$(py 'd[0]["values"][1]["value"]')
c "$A" conflicts >"$w/table"
check "grep -q '1) \"' '$w/table' && grep -q '2) \"' '$w/table' && grep -Eq '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}' '$w/table'" "table numbers values and shows when"

# ---- bad input -------------------------------------------------------------------------------------
err 2 "--keep N or --value V" "resolve without a decision" "$A" resolve "$id" phone
err 2 "--keep N or --value V" "resolve with both" "$A" resolve "$id" phone --keep 1 --value x
err 2 "invalid value 'colour'" "resolve an unknown field" "$A" resolve "$id" colour --keep 1
err 2 "conflicting values \(1 to 2\)" "resolve --keep out of range" "$A" resolve "$id" phone --keep 3
err 4 "no open conflict" "resolve a field without a conflict" "$A" resolve "$id" name --keep 1
err 2 "invalid date" "resolve dob with a bad date" "$A" resolve "$id" dob --value 2020-02-30
err 4 "no contact" "resolve an unknown contact" "$A" resolve ffffffff phone --keep 1
c "$A" --json conflicts >"$w/out"
check "[[ \$(py 'len(d)') == 1 ]]" "bad input changed nothing"

# ---- resolve --keep: the decision travels ------------------------------------------------------------
c "$A" --json resolve "$id" phone --keep 2 >"$w/out"
check "[[ \$(py 'd[\"value\"]') == '$second' && \$(py 'd[\"kept\"]') == 2 && \$(py 'len(d[\"replaced\"])') == 2 ]]" "resolve --keep 2 keeps the second value"
c "$A" --json conflicts >"$w/out"
check "[[ \$(py 'len(d)') == 0 ]]" "conflict closed on the deciding device"
sync_all
c "$B" --json conflicts >"$w/out"
check "[[ \$(py 'len(d)') == 0 ]]" "conflict closed on the other device after sync"
c "$B" --json contact show "$id" >"$w/out"
check "[[ \$(py 'd[\"fields\"][\"phone\"]') == '$second' ]]" "the kept value is shown on the other device"
c "$B" --json conflicts --decided >"$w/out"
check "[[ \$(py 'd[0][\"device\"]') == '$devA' && \$(py 'd[0][\"field\"]') == phone && \$(py 'len(d[0][\"replaced\"])') == 2 ]]" "the decision (who, what, replaced) is listed on the other device"
check "[[ \$(py 'd[0][\"time\"][:2]') == 20 ]]" "the decision says when"
c "$B" --json audit "$id" >"$w/out"
check "[[ \$(py 'sum(e[\"what\"] == \"conflicts --decided\" for e in d)') == 1 ]]" "the decisions' values are audited for the person (42 CFR Part 2)"
sync_all # viewing a record writes an audit event: carry those too before comparing
check "[[ \$(c "$A" digest) == \$(c "$B" digest) ]]" "digests equal after the decision"

# ---- concurrent decisions are a new conflict, then --value closes it -------------------------------------
c "$A" -q contact set "$id" --location "North camp" >/dev/null
c "$B" -q contact set "$id" --location "River bridge" >/dev/null
sync_all
c "$A" -q resolve "$id" location --keep 1 >/dev/null
c "$B" -q resolve "$id" location --keep 2 >/dev/null
sync_all
c "$A" --json conflicts >"$w/out"
check "[[ \$(py 'len(d)') == 1 ]]" "two concurrent decisions are a new conflict"
c "$B" -q resolve "$id" location --value "Shelter on 5th" >/dev/null
sync_all
c "$A" --json contact show "$id" >"$w/out"
check "[[ \$(py 'd[\"fields\"][\"location\"]') == 'Shelter on 5th' && \$(py 'len(d[\"conflicts\"])') == 0 ]]" "resolve --value closes it everywhere"
sync_all # viewing a record writes an audit event: carry those too before comparing
check "[[ \$(c "$A" digest) == \$(c "$B" digest) ]]" "digests equal after --value"

# ---- merges in opposite directions converge ------------------------------------------------------------
x=$(c "$A" -q contact add "Lee Marsh" --dob 1980-04-02)
y=$(c "$A" -q contact add "Leigh Marsh" --dob 1980-04-02)
sync_all
c "$A" --json duplicates >"$w/out"
check "[[ \$(py 'any({p[\"a\"], p[\"b\"]} == {\"$x\", \"$y\"} and p[\"reasons\"] for p in d[\"pairs\"])') == True ]]" "duplicates proposes the planted pair with reasons"
c "$A" -q contact merge "$x" "$y" >/dev/null
c "$B" -q contact merge "$y" "$x" >/dev/null
sync_all
c "$A" --json contact show "$y" >"$w/out"
survivor=$(py 'd["id"]')
c "$B" --json contact show "$x" >"$w/out"
check "[[ \$(py 'd[\"id\"]') == '$survivor' && '$survivor' == \$(printf '%s\n' '$x' '$y' | sort | head -1) ]]" "opposite merges converge on the smallest id"
sync_all # viewing a record writes an audit event: carry those too before comparing
check "[[ \$(c "$A" digest) == \$(c "$B" digest) ]]" "digests equal after opposite merges"
c "$A" --json duplicates >"$w/out"
check "[[ \$(py 'any({p[\"a\"], p[\"b\"]} == {\"$x\", \"$y\"} for p in d[\"pairs\"])') == False ]]" "a merged pair is not proposed again"
err 2 "invalid value '2' for --min-score" "duplicates --min-score out of range" "$A" duplicates --min-score 2
err 2 "--limit" "duplicates --limit 0" "$A" duplicates --limit 0
c "$A" duplicates --help >"$w/out"
check "grep -q -- '--min-score' '$w/out' && grep -q -- '--limit' '$w/out'" "duplicates --help lists its options"
c "$A" resolve --help >"$w/out"
check "grep -q -- '--keep' '$w/out' && grep -q -- '--value' '$w/out'" "resolve --help lists its options"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
