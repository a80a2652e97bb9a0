#!/usr/bin/env bash
# bench_link.sh — a day's work (100 contacts with a note each: 200 events) synced over a poor link.
#
# Two network namespaces joined by a veth pair: git daemon and the relay (tests/integration/lib/
# cutproxy.py, 150 ms per direction: a 300 ms round trip, since this kernel has no netem) in one, the
# device in the other. Each veth end is shaped with tc tbf (256 kbit/s, burst 32 kbit, latency 400 ms),
# and nftables drops 2 % of the packets arriving on each end (numgen random), so neither TCP sender
# knows in advance. Measured, each BENCH_LINK_RUNS times (default 3) from the same starting state:
#   push    the writer's `cairn sync` that sends the day's segment (goal <= 5 s)
#   fetch   a colleague's `cairn sync` that receives and applies it
#   git     baseline: `git push` of the same commits over the same link, to a fresh bare repository
#   clear   reference: the writer's sync over the same namespaces without shaping, loss or delay
# Prints every run and the median; PASS/MISS on the median push.
#
# Usage: bench/bench_link.sh CAIRN. Needs root, iproute2 (ip, tc), nftables, python3; skips (exit 0)
# with a message when network namespaces, tbf or nftables are not available.
set -euo pipefail
cairn=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../tests/integration/lib
workload=${CAIRN_WORKLOAD:-$here/../../shared/bench/workload.py}
runs=${BENCH_LINK_RUNS:-3}
goal=5

skip() {
	echo "d. day's work over a shaped link: SKIP: $*"
	exit 0
}
[[ $(id -u) == 0 ]] || skip "needs root (network namespaces, tc, nftables)"
for t in ip tc nft python3 git; do
	command -v "$t" >/dev/null || skip "'$t' is not installed (apt-get install iproute2 nftables)"
done
[[ -f $workload ]] || { echo "bench_link: no workload generator at $workload (set CAIRN_WORKLOAD)" >&2; exit 2; }

tag=$$
ns_srv=cairn-bl-srv-$tag
ns_cli=cairn-bl-cli-$tag
veth_srv=cbls$tag
veth_cli=cblc$tag
net=10.$((200 + tag % 50)).$((tag / 50 % 250)).
ip_srv=${net}1
ip_cli=${net}2
cleanup_netns() {
	ip netns del "$ns_srv" 2>/dev/null || true
	ip netns del "$ns_cli" 2>/dev/null || true
}
trap cleanup_netns EXIT # set before srv_init: servers.sh runs it after stopping its processes
if ! ip netns add "$ns_srv" 2>/dev/null || ! ip netns add "$ns_cli" 2>/dev/null; then
	skip "cannot create network namespaces (ip netns add: not permitted here)"
fi
ip link add "$veth_srv" type veth peer name "$veth_cli"
ip link set "$veth_srv" netns "$ns_srv"
ip link set "$veth_cli" netns "$ns_cli"
ip -n "$ns_srv" addr add "$ip_srv/30" dev "$veth_srv"
ip -n "$ns_cli" addr add "$ip_cli/30" dev "$veth_cli"
for ns in "$ns_srv" "$ns_cli"; do
	ip -n "$ns" link set lo up
done
# One packet per MTU, as on a real link: TCP would otherwise hand the veth 64 KB GSO packets, and the
# loss rule would drop (and tbf pace) whole aggregates.
ip -n "$ns_srv" link set dev "$veth_srv" gso_max_size 1500 gso_max_segs 1
ip -n "$ns_cli" link set dev "$veth_cli" gso_max_size 1500 gso_max_segs 1
ip -n "$ns_srv" link set "$veth_srv" up
ip -n "$ns_cli" link set "$veth_cli" up

# Rate (tbf, on each end's egress) and loss (nftables, on each end's input: the sender's TCP does not
# see its own packet refused). nft runs inside each namespace.
shape_ns() { # shape_ns on|off
	local mode=$1 side
	for side in srv cli; do
		local ns=$ns_srv dev=$veth_srv
		[[ $side == cli ]] && ns=$ns_cli dev=$veth_cli
		if [[ $mode == on ]]; then
			tc -n "$ns" qdisc replace dev "$dev" root tbf rate 256kbit burst 32kbit latency 400ms ||
				skip "tc tbf is not available"
			ip netns exec "$ns" nft -f - <<EOF || skip "nftables cannot load a numgen rule here"
table inet cairn_bench_link
delete table inet cairn_bench_link
table inet cairn_bench_link {
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "$dev" numgen random mod 100 < 2 counter drop
	}
}
EOF
		else
			tc -n "$ns" qdisc del dev "$dev" root 2>/dev/null || true
			ip netns exec "$ns" nft delete table inet cairn_bench_link 2>/dev/null || true
		fi
	done
}

. "$lib/servers.sh"
srv_init
w=$SRV_ROOT/work
mkdir -p "$w"
pass=$w/pass
printf 'link-bench\n' >"$pass"
chmod 600 "$pass"
repos=$SRV_ROOT/repos

# git daemon on the server namespace's loopback, the delaying relay on its veth address.
_srv_spawn "$SRV_ROOT/logs/git-daemon.log" ip netns exec "$ns_srv" "$(git --exec-path)/git-daemon" \
	--reuseaddr --base-path="$repos" --export-all --enable=receive-pack --listen=127.0.0.1 --port=9418
_SRV_PID[git-daemon]=$_srv_spawned
_srv_spawn "$SRV_ROOT/logs/relay.log" ip netns exec "$ns_srv" python3 "$lib/cutproxy.py" --bind "$ip_srv" \
	--listen 9419 --target 127.0.0.1:9418 --control 9420 --delay-ms 150
_SRV_PID[relay]=$_srv_spawned
wait_port() { # wait_port NS ADDR PORT: readiness, observed from inside the namespace
	local deadline=$((SECONDS + 20))
	until ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; do
		((SECONDS < deadline)) || { srv_log git-daemon; srv_log relay; echo "bench_link: $2:$3 never listened" >&2; exit 1; }
		sleep 0.05
	done
}
wait_port "$ns_srv" 127.0.0.1 9418
wait_port "$ns_cli" "$ip_srv" 9419
url=git://$ip_srv:9419

c() { # c DIR ARGS...: cairn in the client namespace
	local dir=$1
	shift
	ip netns exec "$ns_cli" "$cairn" --dir "$dir" --passphrase-file "$pass" "$@"
}
bare() { # bare NAME: a fresh central
	rm -rf "${repos:?}/$1.git"
	git init -q --bare "$repos/$1.git"
	git -C "$repos/$1.git" config receive.denyNonFastForwards true
}

# Writer W and colleague R of one team, both already set up and synced once (an ordinary day).
W=$w/W R=$w/R
c "$W" init --kdf min >/dev/null 2>&1
c "$W" team init >/dev/null
c "$W" team export "$w/join" --join-passphrase-file "$pass" --kdf min >/dev/null 2>&1
c "$R" init --kdf min >/dev/null 2>&1
c "$R" team join "$w/join" --join-passphrase-file "$pass" >/dev/null
bare central
c "$W" remote add office "$url/central.git" >/dev/null
c "$R" remote add office "$url/central.git" >/dev/null
c "$W" -q sync office
c "$R" -q sync office
python3 "$workload" --contacts 100 --notes 1 --seed 11 | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    print("\t".join([o["name"], o["dob"], o["notes"][0]["text"].replace("\t", " ")]))' >"$w/day.tsv"
while IFS=$'\t' read -r name dob text; do
	id=$(c "$W" -q contact add "$name" --dob "$dob")
	printf '%s' "$text" | c "$W" -q note add "$id" - >/dev/null
done <"$w/day.tsv"
for d in W R; do cp -a "$w/$d" "$w/$d.0"; done
cp -a "$repos/central.git" "$w/central.0"

restore() {
	for d in W R; do
		rm -rf "${w:?}/$d"
		cp -a "$w/$d.0" "$w/$d"
	done
	rm -rf "$repos/central.git"
	cp -a "$w/central.0" "$repos/central.git"
}
timed() { # timed CMD...: runs it, prints wall seconds; fails the bench if the command fails
	local t0=$EPOCHREALTIME
	"$@" >"$w/out" 2>"$w/err" || { echo "bench_link: failed: $* ($(cat "$w/err"))" >&2; exit 1; }
	echo "$EPOCHREALTIME - $t0" | bc
}
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

push=() fetch=() gitp=() clear=()
shape_ns on
for ((i = 1; i <= runs; i++)); do
	restore
	push+=("$(timed c "$W" --json sync office)")
	bytes=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["bytes_sent"])' "$w/out")
	fetch+=("$(timed c "$R" --json sync office)")
	applied=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["events_applied"])' "$w/out")
	[[ $applied == 200 ]] || { echo "bench_link: the colleague applied $applied events, not 200" >&2; exit 1; }
	# Baseline: git pushes the same commits (those the writer's sync just sealed and sent) over the
	# same link to an empty repository.
	rm -rf "$w/copy.git"
	cp -a "$w/W/logs.git" "$w/copy.git"
	bare gitbase
	gitp+=("$(timed ip netns exec "$ns_cli" git -C "$w/copy.git" push -q "$url/gitbase.git" \
		'refs/heads/logs/*:refs/heads/logs/*')")
	[[ $(git -C "$repos/gitbase.git" for-each-ref) == "$(git -C "$repos/central.git" for-each-ref)" ]] ||
		{ echo "bench_link: git's push does not hold the same log as cairn's" >&2; exit 1; }
done
drops=$(ip netns exec "$ns_cli" nft list table inet cairn_bench_link | grep -o 'packets [0-9]*' | head -1)
drops_srv=$(ip netns exec "$ns_srv" nft list table inet cairn_bench_link | grep -o 'packets [0-9]*' | head -1)
shape_ns off
# Reference: the same path (veth, relay) without shaping, loss or delay.
ip netns exec "$ns_srv" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9420; echo "delay 0" >&3; read -r r <&3'
for ((i = 1; i <= runs; i++)); do
	restore
	clear+=("$(timed c "$W" -q sync office)")
done

mp=$(printf '%s\n' "${push[@]}" | median)
mf=$(printf '%s\n' "${fetch[@]}" | median)
mg=$(printf '%s\n' "${gitp[@]}" | median)
mc=$(printf '%s\n' "${clear[@]}" | median)
verdict=$(echo "$mp <= $goal" | bc)
printf "d. a day's work (200 events, %s bytes of pack) over 256 kbit/s, 2 %% loss each way, 300 ms RTT\n" "$bytes"
printf '   push (writer sync)   %s s; median %.2f s  goal <= %d s  %s\n' "$(printf '%.2f ' "${push[@]}")" "$mp" "$goal" \
	"$([[ $verdict == 1 ]] && echo PASS || echo MISS)"
printf '   fetch (colleague)    %s s; median %.2f s\n' "$(printf '%.2f ' "${fetch[@]}")" "$mf"
printf '   git push (baseline)  %s s; median %.2f s; ratio cairn push / git push %.2fx\n' \
	"$(printf '%.2f ' "${gitp[@]}")" "$mg" "$(echo "$mp / $mg" | bc -l)"
printf '   unshaped, no delay   %s s; median %.2f s\n' "$(printf '%.2f ' "${clear[@]}")" "$mc"
printf '   the 2 %% rule dropped %s packets arriving at the client, %s at the server (all shaped runs)\n' \
	"${drops#packets }" "${drops_srv#packets }"
