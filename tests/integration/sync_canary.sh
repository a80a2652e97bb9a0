#!/usr/bin/env bash
# sync_canary.sh — no plaintext record data in any git repository a sync touches, nor in any file of a
# device's data directory.
#
# Three devices of one team write contacts, notes, amendments, referrals and referral statuses that carry
# a canary string (in names, aliases, locations, note text, referral targets and reasons) and distinctive
# invented names. They sync through a central bare repository (served by git daemon, servers.sh) and a
# USB stick (a bare repository reached by path); device C only ever meets the stick. Once all three
# digests are equal (the data really travelled), every object of central, the stick and each device's
# logs.git is decompressed (git cat-file --batch-all-objects --batch) and searched, every raw file of the
# repositories (packs, loose objects, refs, config) is searched, and every file under each journal
# directory (journal.db, -wal, -shm, key, logs.git/...) is searched, for the canary and for each name.
# Any hit fails the test and prints where it is. Each journal directory is searched twice: as the
# command left it (checkpointed), and while journal_check holds the journal open after adding a canary
# contact (journal.db-wal and -shm present, the new pages only in the WAL).
#
# Usage: sync_canary.sh CAIRN JOURNAL_CHECK
set -euo pipefail
cairn=$1
check=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/servers.sh"
srv_init
srv_git_daemon
central=$(srv_bare_repo central)

w=$SRV_ROOT/work
mkdir -p "$w"
pass=$w/pass
printf 'canary-test-passphrase\n' >"$pass"
chmod 600 "$pass"
usb=$w/usb.git
git init -q --bare "$usb"

canary=CANARY-9d2f
# Invented, distinctive words: none can appear in ciphertext or git's own metadata by chance.
needles=("$canary" Zelphine Quargmore Thistlewaite Ombrevale Kestrashire Vunderholt Pellucidor)

passed=0
failed=0
pass_() { passed=$((passed + 1)); }
fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}
c() { # c DIR ARGS...
	local dir=$1
	shift
	"$cairn" --dir "$dir" --passphrase-file "$pass" "$@"
}

# ---- three devices, one team -------------------------------------------------------------------------
A=$w/devA B=$w/devB C=$w/devC
c "$A" init --kdf min >/dev/null 2>&1
c "$A" team init >/dev/null
c "$A" team export "$w/join" --join-passphrase-file "$pass" --kdf min >/dev/null 2>&1
for d in "$B" "$C"; do
	c "$d" init --kdf min >/dev/null 2>&1
	c "$d" team join "$w/join" --join-passphrase-file "$pass" >/dev/null
done
for d in "$A" "$B"; do
	c "$d" remote add central "$GIT_DAEMON_URL/central.git" >/dev/null
done
for d in "$B" "$C"; do
	c "$d" remote add usb "$usb" >/dev/null
done

write_records() { # write_records DIR FIRST LAST PLACE
	local d=$1 id note ref
	id=$(c "$d" -q contact add "$canary $2 $3" --alias "$canary-alias" --location "$4 $canary")
	note=$(printf 'Met %s at %s; %s said the shelter is full.' "$2" "$4" "$canary" | c "$d" -q note add "$id" -)
	c "$d" -q note amend "$note" --text "Met $2 again at $4 ($canary amended)" --reason "$canary typo" >/dev/null
	ref=$(c "$d" -q referral add "$id" --category housing --to "$canary $4 Housing Trust" --reason "$canary rent")
	c "$d" -q referral status "$ref" accepted --note "$canary intake booked" >/dev/null
	c "$d" -q contact set "$id" --phone "555-0199" --language "$canary-language" >/dev/null
}
write_records "$A" Zelphine Quargmore Ombrevale
write_records "$B" Thistlewaite Vunderholt Kestrashire
write_records "$C" Pellucidor Quargmore Kestrashire

# A and B meet central, C only the stick; B carries the stick between them. Twice, so all converge.
for _ in 1 2; do
	c "$A" -q sync central >/dev/null
	c "$B" -q sync central >/dev/null
	c "$B" -q sync usb >/dev/null
	c "$C" -q sync usb >/dev/null
	c "$B" -q sync usb >/dev/null
	c "$B" -q sync central >/dev/null
	c "$A" -q sync central >/dev/null
done
da=$(c "$A" digest) db=$(c "$B" digest) dc=$(c "$C" digest)
if [[ $da == "$db" && $db == "$dc" ]] && (($(c "$C" --json contact list | grep -o "$canary " | wc -l) == 3)); then
	pass_
else
	fail "the devices did not converge (digests $da $db $dc): the search below would prove nothing"
fi
echo "synced: three devices converged on digest ${da:0:16}..."

# search LABEL FILE: reports every needle found in FILE (byte offset and context), returns 1 if any.
search() {
	local label=$1 file=$2 hit=0 n
	for n in "${needles[@]}"; do
		if grep -a -q -F -- "$n" "$file"; then
			hit=1
			echo "LEAK: '$n' in $label:" >&2
			grep -a -b -o -F -- "$n" "$file" | head -3 | sed 's/^/    byte offset /' >&2
		fi
	done
	return "$hit"
}

# Every object of a repository, decompressed, in one stream.
check_objects() { # check_objects LABEL REPO
	local label=$1 repo=$2 out=$w/objects.txt count
	git -C "$repo" cat-file --batch-all-objects --batch >"$out"
	count=$(git -C "$repo" cat-file --batch-all-objects --batch-check | wc -l)
	# Positive control: decompression happened (commit messages are readable), and there is something.
	if ((count < 3)) || ! grep -a -q -F 'cairn segment' "$out"; then
		fail "$label: $count objects, or no readable commit message: the search would prove nothing"
		return
	fi
	if search "$label objects (decompressed)" "$out"; then
		pass_
	else
		fail "$label: plaintext in a decompressed git object"
	fi
	echo "$label: $count objects decompressed ($(wc -c <"$out") bytes) searched"
}

# Every file under a directory, as stored on disk.
check_files() { # check_files LABEL DIR
	local label=$1 dir=$2 f nfiles=0 bad=0
	while IFS= read -r -d '' f; do
		nfiles=$((nfiles + 1))
		search "$label file ${f#"$dir"/}" "$f" || bad=1
	done < <(find "$dir" -type f -print0)
	if ((nfiles == 0)); then
		fail "$label: no files to search"
	elif ((bad)); then
		fail "$label: plaintext in a file on disk"
	else
		pass_
	fi
	echo "$label: $nfiles files searched"
}

for repo in central:"$central" usb:"$usb"; do
	check_objects "${repo%%:*}" "${repo#*:}"
	check_files "${repo%%:*}" "${repo#*:}"
done
for d in A:"$A" B:"$B" C:"$C"; do
	label=device-${d%%:*}
	dir=${d#*:}
	check_objects "$label logs.git" "$dir/logs.git"
	check_files "$label" "$dir"
	# The same directory while a process holds the journal open with fresh canary pages in its WAL.
	coproc HOLD { "$check" "$dir" "$pass" "hold:$canary Zelphine Live"; }
	hold_pid=$HOLD_PID
	ready=""
	while IFS= read -r line <&"${HOLD[0]}"; do
		[[ $line == holding ]] && { ready=1; break; }
	done
	if [[ -z $ready || ! -s $dir/journal.db-wal || ! -e $dir/journal.db-shm ]]; then
		fail "$label: could not hold the journal open with a WAL (files: $(ls "$dir" | tr '\n' ' '))"
	else
		check_files "$label (open, with $(ls "$dir" | grep -c -- '-wal\|-shm') WAL/SHM files)" "$dir"
	fi
	exec {HOLD[1]}>&-
	wait "$hold_pid" || fail "$label: journal_check failed while holding the journal"
done
check_files "join file" "$w/join"

echo "$passed passed, $failed failed"
((failed == 0))
