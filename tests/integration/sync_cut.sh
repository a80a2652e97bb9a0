#!/usr/bin/env bash
# sync_cut.sh — a sync whose connection drops at any byte fails as "offline" (exit 7, one clear line),
# leaves nothing half applied on either side, and the next round without a cut completes with equal
# digests.
#
# Between the cairn command and `git daemon` (servers.sh) sits tests/integration/lib/cutproxy.py, a relay
# that forwards exactly N bytes (both directions together, counted from the start of the round) and then
# drops the link. Two scenarios, each at every 500th byte of its measured transfer size and at random
# points (seed printed; CAIRN_CUT_SEED to repeat, CAIRN_CUT_STEP to change the spacing):
#   push   device A sends 200 events in 4 segments to central (a fetch connection, then a push).
#          After the cut: exit 7 and one line naming the remote; central's refs are unchanged or hold
#          A's complete log (git fsck clean); A's journal passes PRAGMA integrity_check with its digest
#          unchanged. Then A syncs without a cut (through the relay), B syncs from central: A and B digests
#          equal.
#   fetch  device B (same team, empty) fetches A's 200 events from central. After the cut: exit 7,
#          one line; B's journal passes integrity_check with its digest unchanged (nothing imported);
#          no temporary pack is left in B's log repository. Then B syncs without a cut: digest = A's.
#
# The two scenarios run at the same time, each through its own relay.
#
# Usage: sync_cut.sh CAIRN JOURNAL_CHECK
set -euo pipefail
cairn=$1
check=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/servers.sh"
. "$here/lib/cutproxy.sh"
# Each cut point restores three repositories and journals: a tmpfs keeps that (and fsync) cheap.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then
	export TMPDIR=/dev/shm
fi
srv_init
srv_git_daemon
central=$(srv_bare_repo central)
cutproxy_start "$SRV_GIT_DAEMON_PORT"

# The standard synthetic workload (shared/bench/workload.py beside the repository; CAIRN_WORKLOAD).
workload=${CAIRN_WORKLOAD:-$here/../../../shared/bench/workload.py}
# Without it (a checkout on its own), a deterministic stand-in of the same shape keeps the test running.
if [[ ! -f $workload ]]; then
	echo "sync_cut: no workload generator at $workload; using a built-in stand-in" >&2
	workload=$(mktemp "${TMPDIR:-/tmp}/cairn-workload-XXXXXX.py")
	cat >"$workload" <<'PY'
import json, random, sys
rng = random.Random(7)
n = int(sys.argv[sys.argv.index("--contacts") + 1])
words = "met at the shelter talked about housing detox intake court date naloxone kit bus pass".split()
for i in range(n):
    text = " ".join(rng.choice(words) for _ in range(rng.randint(60, 140)))
    print(json.dumps({"name": "Person %d" % i, "dob": "19%02d-0%d-1%d" % (50 + i % 40, 1 + i % 9, i % 9),
                      "notes": [{"text": text}]}))
PY
fi
step=${CAIRN_CUT_STEP:-500}
seed=${CAIRN_CUT_SEED:-$((($$ * 7919 + $(date +%s)) % 32768))}
RANDOM=$seed
echo "cut points every $step bytes plus 10 random ones per scenario (CAIRN_CUT_SEED=$seed)"

w=$SRV_ROOT/work
mkdir -p "$w"
pass=$w/pass
printf 'cut-test-passphrase\n' >"$pass"
chmod 600 "$pass"
passed=0
failed=0
fail() {
	echo "FAIL: $*" >&2
	failed=$((failed + 1))
}
c() { # c DIR ARGS...: cairn on journal DIR
	local dir=$1
	shift
	"$cairn" --dir "$dir" --passphrase-file "$pass" "$@"
}
digest_of() { # digest_of DIR: integrity_check must pass; prints the digest
	local line
	line=$("$check" "$1" "$pass") || return 1
	[[ $line =~ digest=([0-9a-f]{64}) ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}
restore() { # restore NAME: replace $w/NAME with the snapshot $w/NAME.0
	rm -rf "${w:?}/$1"
	cp -a "$w/$1.0" "$w/$1"
}

# ---- setup: A (team creator) with 200 events in 4 segments, B (joined, empty) ----------------------
A=$w/A
B=$w/B
c "$A" init --kdf min >/dev/null 2>&1
c "$A" team init >/dev/null
c "$A" team export "$w/join" --join-passphrase-file "$pass" --kdf min >/dev/null 2>&1
c "$B" init --kdf min >/dev/null 2>&1
c "$B" team join "$w/join" --join-passphrase-file "$pass" >/dev/null
c "$A" remote add usb "$w/usb.git" >/dev/null
c "$A" remote add central "$CUTPROXY_URL/central.git" >/dev/null
c "$B" remote add central "$CUTPROXY_URL/central.git" >/dev/null
c "$B" remote add direct "$central" >/dev/null # convergence checks that need no relay
git init -q --bare "$w/usb.git"
# 100 contacts with one note each from the standard workload, as tab-separated name, dob, text.
python3 "$workload" --contacts 100 --notes 1 --seed 7 | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    print("\t".join([o["name"], o["dob"], o["notes"][0]["text"].replace("\t", " ")]))' >"$w/people.tsv"
n=0
while IFS=$'\t' read -r name dob text; do
	id=$(c "$A" -q contact add "$name" --dob "$dob")
	printf '%s' "$text" | c "$A" -q note add "$id" - >/dev/null
	n=$((n + 1))
	if ((n % 25 == 0)); then
		c "$A" -q sync usb >/dev/null # seals one segment of 50 events
	fi
done <"$w/people.tsv"
segments=$(git -C "$w/usb.git" rev-list --all | wc -l)
[[ $segments == 4 ]] || { echo "setup: expected 4 segments, found $segments" >&2; exit 1; }
a_tip=$(git -C "$w/usb.git" for-each-ref --format='%(objectname)' refs/heads/logs/)
A_digest=$(digest_of "$A")
B_empty=$(digest_of "$B")
cp -a "$A" "$w/A.0"
cp -a "$B" "$w/B.0"
cp -a "$central" "$w/central.0"
echo "setup: 200 events in $segments segments on device A"

# Measure each scenario's transfer without a cut. The fetch scenario reads from its own copy of the
# full central (full.git) through its own relay, so the two scenarios run side by side.
cutproxy_ctl reset >/dev/null
c "$A" -q sync central >/dev/null
push_stats=$(cutproxy_ctl stats)
cp -a "$central" "$SRV_ROOT/repos/full.git"
cutproxy_ctl reset >/dev/null
c "$B" -q sync central >/dev/null
fetch_stats=$(cutproxy_ctl stats)
[[ $(digest_of "$B") == "$A_digest" ]] || { echo "setup: B does not match A after an uncut sync" >&2; exit 1; }
total_of() { [[ $1 =~ up=([0-9]+)\ down=([0-9]+) ]] && echo $((BASH_REMATCH[1] + BASH_REMATCH[2])); }
push_total=$(total_of "$push_stats")
fetch_total=$(total_of "$fetch_stats")
echo "uncut: push round $push_stats; fetch round $fetch_stats"
push_ctl=$CUTPROXY_CONTROL
CUTPROXY_NAME=cutproxy-fetch cutproxy_start "$SRV_GIT_DAEMON_PORT"
fetch_ctl=$CUTPROXY_CONTROL
c "$w/B.0" remote add far "$CUTPROXY_URL/full.git" >/dev/null

points() { # points TOTAL: every $step bytes below TOTAL, 2 bytes before the end, 10 random points in [1, TOTAL)
	local t=$1 p
	for ((p = step; p < t; p += step)); do echo "$p"; done
	echo $((t - 2)) # inside the last flush-pkt: everything that matters has crossed (see below)
	for _ in 1 2 3 4 5 6 7 8 9 10; do echo $(((RANDOM * 32768 + RANDOM) % (t - 1) + 1)); done
}

# A cut can land after the last byte that matters: in the flush-pkt that closes the server's side-band
# stream, after the report (push) or the pack (fetch) inside it was complete. libgit2 then finishes the
# round, and exit 0 is right, but only if the round did complete: central holds A's whole log (push), or
# B applied everything (fetch). Any other outcome of a cut must be exit 7 with one clear line.

# One line on stderr, naming the remote and the connection: what the user sees.
clear_offline_error() { # clear_offline_error ERRFILE REMOTE
	[[ $(wc -l <"$1") == 1 ]] && grep -Eq "^cairn: cannot (push to|fetch from) remote '$2': " "$1"
}

cut_round() { # cut_round N DIR REMOTE ERRFILE: prints "rc stats"
	local rc=0 st
	cutproxy_ctl reset >/dev/null
	cutproxy_ctl cut "$1" >/dev/null
	timeout 120 "$cairn" --dir "$2" --passphrase-file "$pass" -q sync "$3" >/dev/null 2>"$4" || rc=$?
	st=$(cutproxy_ctl stats)
	cutproxy_ctl cut - >/dev/null
	echo "$rc $st"
}

# ---- push: A -> central ------------------------------------------------------------------------------
push_scenario() {
	local n rc st what ok refs err=$w/err.push t0=$SECONDS count=0 late=0
	passed=0 failed=0
	CUTPROXY_CONTROL=$push_ctl
	for n in $(points "$push_total"); do
		restore A
		rm -rf "$central"
		cp -a "$w/central.0" "$central"
		read -r rc st < <(cut_round "$n" "$A" central "$err")
		count=$((count + 1))
		what="push cut at byte $n of $push_total"
		# A round a few bytes shorter than the measured one can end before a late point: it completed
		# then, which is checked below like a cut after the last byte that matters.
		if [[ $st != *cut=1* && $rc != 0 ]]; then
			fail "$what: the relay did not cut ($st, exit $rc)"
			continue
		fi
		ok=1
		# Central: nothing, or A's whole log; never a ref to missing objects.
		refs=$(git -C "$central" for-each-ref --format='%(refname) %(objectname)')
		if [[ $rc == 0 ]]; then
			if [[ $refs != "refs/heads/logs/"*" $a_tip" ]]; then
				fail "$what: exit 0, but central does not hold A's whole log ('$refs')"
				ok=0
			else
				late=$((late + 1))
			fi
		elif [[ $rc != 7 ]] || ! clear_offline_error "$err" central; then
			fail "$what: exit $rc, stderr: $(head -c 400 "$err")"
			ok=0
		fi
		if [[ -n $refs && $refs != "refs/heads/logs/"*" $a_tip" ]]; then
			fail "$what: central holds '$refs'"
			ok=0
		fi
		if ! git -C "$central" fsck --no-progress --no-dangling >"$w/fsck" 2>&1; then
			fail "$what: git fsck on central: $(head -3 "$w/fsck")"
			ok=0
		fi
		if [[ $(digest_of "$A" || echo broken) != "$A_digest" ]]; then
			fail "$what: A's journal changed or fails its integrity check"
			ok=0
		fi
		# The next round, without a cut, completes; B then converges.
		if ! c "$A" -q sync central >/dev/null 2>"$err"; then
			fail "$what: the next uncut round failed: $(cat "$err")"
			ok=0
		fi
		restore B
		if ! c "$B" -q sync direct >/dev/null 2>"$err" || [[ $(digest_of "$B") != "$A_digest" ]]; then
			fail "$what: B did not converge with A after the next round: $(cat "$err")"
			ok=0
		fi
		((ok)) && passed=$((passed + 1))
	done
	echo "push: $count cut points in $((SECONDS - t0)) s ($late rounds completed: cut after the server's report, or ended first)"
	echo "RESULT $passed $failed"
}

# ---- fetch: full central -> Bf ------------------------------------------------------------------------
fetch_scenario() {
	local n rc st what ok leftovers err=$w/err.fetch t0=$SECONDS count=0 Bf=$w/Bf late=0 want
	passed=0 failed=0
	CUTPROXY_CONTROL=$fetch_ctl
	for n in $(points "$fetch_total"); do
		rm -rf "$Bf"
		cp -a "$w/B.0" "$Bf"
		read -r rc st < <(cut_round "$n" "$Bf" far "$err")
		count=$((count + 1))
		what="fetch cut at byte $n of $fetch_total"
		# A round a few bytes shorter than the measured one can end before a late point: it completed
		# then, which is checked below like a cut after the last byte that matters.
		if [[ $st != *cut=1* && $rc != 0 ]]; then
			fail "$what: the relay did not cut ($st, exit $rc)"
			continue
		fi
		ok=1
		want=$B_empty
		if [[ $rc == 0 ]]; then
			want=$A_digest # completed: everything applied, checked below
			late=$((late + 1))
		elif [[ $rc != 7 ]] || ! clear_offline_error "$err" far; then
			fail "$what: exit $rc, stderr: $(head -c 400 "$err")"
			ok=0
		fi
		if [[ $(digest_of "$Bf" || echo broken) != "$want" ]]; then
			fail "$what: exit $rc, but B's journal is not as it should be (nothing applied after a failed round, all of A after a completed one) or fails its integrity check"
			ok=0
		fi
		leftovers=$(find "$Bf/logs.git/objects" -name '*.tmp' -o -name 'pack_git2_*' -o -name 'tmp_*' | head -3)
		if [[ -n $leftovers ]]; then
			fail "$what: temporary files left in B's log repository: $leftovers"
			ok=0
		fi
		if ! c "$Bf" -q sync far >/dev/null 2>"$err" || [[ $(digest_of "$Bf") != "$A_digest" ]]; then
			fail "$what: the next uncut round did not bring B to A's digest: $(cat "$err")"
			ok=0
		fi
		((ok)) && passed=$((passed + 1))
	done
	echo "fetch: $count cut points in $((SECONDS - t0)) s ($late rounds completed: cut after the pack, or ended first)"
	echo "RESULT $passed $failed"
}

# Two cores: both scenarios at once, each with its own relay, repositories and journals.
push_scenario >"$w/push.log" 2>&1 &
push_pid=$!
fetch_scenario >"$w/fetch.log" 2>&1 &
fetch_pid=$!
wait "$push_pid" || true
wait "$fetch_pid" || true
for log in "$w/push.log" "$w/fetch.log"; do
	grep -v '^RESULT ' "$log" || true
	if read -r _ p f < <(grep '^RESULT ' "$log"); then
		passed=$((passed + p))
		failed=$((failed + f))
	else
		fail "$(basename "$log" .log) scenario did not finish"
	fi
done

echo "$passed passed, $failed failed"
((failed == 0))
