#!/usr/bin/env bash
# A device restored from an old backup changes identity in steps that span the journal and git (a new
# identity, the old id's cursor, the old id's log ref), which share no transaction. SIGKILL the sync at
# each boundary between them (the debugger stops it at the exact call, then kills it: a real SIGKILL at a
# chosen moment, no sleep); the next syncs must finish the change: nothing lost, nothing forked for good,
# the other device equal. Before the change was recorded and finished on open, a kill after the new
# identity left the old log forked on every later round and two people missing.
# Usage: own_fork_kill.sh CAIRN
set -euo pipefail
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
command -v gdb >/dev/null || { echo "own_fork_kill: gdb is needed (scripts/deps.sh test installs it)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ownfork-XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"
umask 077
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
echo pw > p; echo tp > tp
names() { "$C" --dir "$T/$1" --passphrase-file "$T/p" --json contact list |
	python3 -c 'import json,sys; print(",".join(sorted(x["name"] for x in json.load(sys.stdin))))'; }
device() { "$C" --dir "$T/$1" --passphrase-file "$T/p" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])'; }
all="Person after restore,Person five,Person four,Person one,Person three,Person two"

# The kill points, as gdb commands after `run` stops at the first breakpoint:
#   record   - the change is recorded, the identity not yet changed (cairn_device_rotate entered)
#   rotated  - the new identity committed, nothing else done
#   ref      - the old id's cursor moved, its log ref not yet
#   done     - the ref moved, the record not yet cleared
kill_at() {
	local dir=$1 at=$2 cmds=(-ex 'set breakpoint pending on' -ex 'break cairn_device_rotate' -ex run)
	case $at in
	rotated) cmds+=(-ex finish) ;;
	ref) cmds+=(-ex finish -ex 'break cairn__gitlog_set' -ex continue) ;;
	done) cmds+=(-ex finish -ex 'break cairn__gitlog_set' -ex continue -ex finish) ;;
	esac
	gdb -q -batch -nx "${cmds[@]}" -ex 'info frame' -ex kill \
		--args "$C" --dir "$T/$dir" --passphrase-file "$T/p" sync >"$T/gdb.$at" 2>&1 || true
}

for at in record rotated ref done; do
	rm -rf a b a.backup central.git join
	git init -q --bare central.git
	git -C central.git config receive.denyNonFastForwards true
	"$C" --dir a --passphrase-file p init --kdf min >/dev/null 2>&1
	"$C" --dir a --passphrase-file p team init >/dev/null
	"$C" --dir a --passphrase-file p team export "$T/join" --join-passphrase-file tp --kdf min >/dev/null
	"$C" --dir b --passphrase-file p init --kdf min --join "$T/join" --join-passphrase-file tp >/dev/null 2>&1
	for d in a b; do "$C" --dir $d --passphrase-file p remote add central "$T/central.git" >/dev/null; done
	for n in one two three; do "$C" --dir a --passphrase-file p contact add "Person $n" >/dev/null; done
	"$C" --dir a --passphrase-file p sync >/dev/null
	cp -a a a.backup
	for n in four five; do "$C" --dir a --passphrase-file p contact add "Person $n" >/dev/null; done
	"$C" --dir a --passphrase-file p sync >/dev/null
	old=$(device a)
	published=$(git -C central.git rev-parse "refs/heads/logs/$old")
	rm -rf a && cp -a a.backup a
	"$C" --dir a --passphrase-file p contact add "Person after restore" >/dev/null

	kill_at a $at
	# The kill must have happened where intended: at the breakpoint, and the program never ran to its end.
	want=$([ $at = record ] || [ $at = rotated ] && echo cairn_device_rotate || echo cairn__gitlog_set)
	check "$at: stopped at $want and killed ($(grep -m1 -E 'hit Breakpoint|Inferior 1' gdb.$at))" \
		'grep -q "Breakpoint [0-9]*, $want " gdb.$at && grep -q "Inferior 1 .* killed" gdb.$at'
	for i in 1 2; do "$C" --dir a --passphrase-file p sync >sync.$i 2>&1 || true; done
	set +e; out=$("$C" --dir a --passphrase-file p sync 2>&1); rc=$?; set -e
	check "$at: a third sync after the kill succeeds (rc=$rc: $out)" '[ $rc -eq 0 ]'
	check "$at: the device continues under a new id" '[ "$(device a)" != "$old" ]'
	check "$at: the published log was not rewritten" \
		'[ "$(git -C central.git rev-parse "refs/heads/logs/$old")" = "$published" ]'
	check "$at: the restored device holds everyone ($(names a))" '[ "$(names a)" = "$all" ]'
	"$C" --dir b --passphrase-file p sync >/dev/null 2>&1 || true
	check "$at: the other device holds everyone ($(names b))" '[ "$(names b)" = "$all" ]'
	check "$at: digests are equal" \
		'[ "$("$C" --dir a --passphrase-file p digest)" = "$("$C" --dir b --passphrase-file p digest)" ]'
done
echo "own_fork_kill: $pass passed, $fail failed"
[ $fail -eq 0 ]
