#!/usr/bin/env bash
# Two devices behind a link that flaps: a network namespace for the central git daemon and one for the
# devices' agents, joined by a veth pair; an nftables drop rule on the devices' side goes on and off
# every 3 s for FLAP seconds (default 120) while both devices record. Then the link stays up: the final
# digests are equal and every record is there once. The agents' CPU time while idle afterwards stays
# under 2 % of wall time. (No netem on this kernel: the drop rule is the 100 % loss.) A round caught by a
# drop gives up after net_timeout (5 s here): before rounds had a network timeout, one whose server's
# last packets were dropped waited in recv() for ever, and that agent never synced again (CI, once).
# With `netlink` instead of a duration: the interface goes down, a record waits in a 30 s backoff, the
# interface comes up, and the rtnetlink event makes the agent probe and sync at once (well inside the
# backoff).
# Skips (exit 77) only when network namespaces cannot be created.
# Usage: agent_flap.sh CAIRN [FLAP_SECONDS | netlink]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
FLAP=${2:-120}
T=$(mktemp -d)
NS_S=cairn-srv-$$ NS_D=cairn-dev-$$ VS=cfs$$ VD=cfd$$
net=10.$((200 + $$ % 50)).$(($$ % 250)).
daemon=
cleanup() {
	agent_stop_all 2>/dev/null || true
	if [ -n "$daemon" ]; then kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; fi
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_D" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
if ! ip netns add "$NS_S" 2>/dev/null; then
	echo "SKIP: cannot create network namespaces here (needs root / CAP_SYS_ADMIN)"
	exit 77
fi
ip netns add "$NS_D"
ip link add "$VS" type veth peer name "$VD"
ip link set "$VS" netns "$NS_S"
ip link set "$VD" netns "$NS_D"
ip -n "$NS_S" addr add "${net}1/24" dev "$VS"
ip -n "$NS_D" addr add "${net}2/24" dev "$VD"
for ns in "$NS_S" "$NS_D"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set "$VS" up
ip -n "$NS_D" link set "$VD" up
ip netns exec "$NS_D" nft -f - <<NFT
table inet flap {
	chain out { type filter hook output priority 0; policy accept; }
	chain in { type filter hook input priority 0; policy accept; }
}
NFT
link_down() {
	ip netns exec "$NS_D" nft add rule inet flap out ip daddr "${net}1" drop
	ip netns exec "$NS_D" nft add rule inet flap in ip saddr "${net}1" drop
}
link_up() { ip netns exec "$NS_D" nft flush table inet flap; }

. "$here/lib.sh"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

mkdir -p "$T/repos"
git -c init.defaultBranch=main init -q --bare "$T/repos/central.git"
git -C "$T/repos/central.git" config receive.denyNonFastForwards true
git -C "$T/repos/central.git" config receive.denyDeletes true
ip netns exec "$NS_S" git daemon --reuseaddr --export-all --enable=receive-pack --base-path="$T/repos" \
	--listen="${net}1" --port=9418 "$T/repos" 2>"$T/daemon.log" &
daemon=$!
wait_for 10 eval "ip netns exec $NS_S ss -ltn | grep >/dev/null '${net}1:9418'" || { echo "git daemon did not start" >&2; exit 1; }

dev_init a b
dev_remote central "git://${net}1/central.git" a b
agent_cfg "$T/cfg" interval=6 debounce=0.5 backoff_base=0.5 backoff_cap=3 probe_timeout=1 net_timeout=5
for d in a b; do
	ip netns exec "$NS_D" "$C" --dir "$T/$d" --passphrase-file "$T/p" agent --detach --config "$T/cfg" --log-level debug >/dev/null
	AGENT_PID[$d]=$(head -1 "$T/$d/agent.lock")
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

if [ "$FLAP" = netlink ]; then
	central_has() { # the number of events a's log on central holds, by commits
		local dev
		dev=$(c a --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
		git -C "$T/repos/central.git" rev-list --count "refs/heads/logs/$dev" 2>/dev/null || echo 0
	}
	c a contact add "Before" >/dev/null
	c a sync --now >/dev/null
	agent_cfg "$T/cfg" interval=300 debounce=0.3 backoff_base=30 backoff_cap=30 probe_timeout=1
	kill -HUP "${AGENT_PID[a]}"
	wait_for 5 grep -q "SIGHUP: config reloaded" "$T/a/agent.log"
	before=$(central_has)
	ip -n "$NS_D" link set "$VD" down
	c a contact add "While down" >/dev/null
	failed() { [ "$(agent_field a 'd["remotes"][0]["failures"]')" -ge 1 ]; }
	check "the round fails while the interface is down" 'wait_for 20 failed'
	ip -n "$NS_D" link set "$VD" up
	t0=$(date +%s%N)
	check "the interface coming up makes the agent sync at once (not after the 30 s backoff)" \
		'wait_for 15 eval "[ \$(central_has) -gt $before ]"'
	echo "netlink: the record reached central $(( ($(date +%s%N) - t0) / 1000000 )) ms after the link came up"
	check "the agent logged the network change" 'grep -q "network changed: probing remotes" "$T/a/agent.log"'
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
fi

# Flap for $FLAP seconds while both devices record (the CLI reaches its agent over the unix socket,
# which is not tied to a network namespace).
total=0 state=up next=$(($(date +%s) + 3)) end=$(($(date +%s) + FLAP)) flips=0
c0=$(($(ticks "${AGENT_PID[a]}") + $(ticks "${AGENT_PID[b]}"))) w0=$(date +%s%N)
while (($(date +%s) < end)); do
	if (($(date +%s) >= next)); then
		if [ $state = up ]; then link_down; state=down; else link_up; state=up; fi
		flips=$((flips + 1)) next=$(($(date +%s) + 3))
	fi
	d=$([ $((total % 2)) = 0 ] && echo a || echo b)
	c "$d" contact add "Flap $total" >/dev/null
	total=$((total + 1))
	sleep 0.5
done
link_up
c1=$(($(ticks "${AGENT_PID[a]}") + $(ticks "${AGENT_PID[b]}"))) w1=$(date +%s%N)
echo "flap: $flips link flips in ${FLAP}s, $total records; agents' CPU while flapping and syncing:" \
	"$(python3 -c "import os; print(round(100 * ($c1 - $c0) / os.sysconf('SC_CLK_TCK') / (($w1 - $w0) / 1e9) / 2, 2))") % each"
converged() {
	[ "$(dev_contacts a)" = $total ] && [ "$(dev_contacts b)" = $total ] && [ "$(c a digest)" = "$(c b digest)" ]
}
t0=$(date +%s)
check "after the flapping, both devices converge (no help: the agents alone)" 'wait_for 90 converged'
echo "flap: converged $(($(date +%s) - t0))s after the link settled"
ea=$(dev_events a) eb=$(dev_events b)
check "every record once: $total events on a ($ea) and b ($eb)" '[ "$ea" = $total ] && [ "$eb" = $total ]'
check "final digests equal" '[ "$(c a digest)" = "$(c b digest)" ]'
if [ "$fail" -gt 0 ]; then # what the agents were doing, for the CI log
	for d in a b; do
		echo "--- $d: agent status, sync status, end of agent.log" >&2
		c "$d" --json agent status >&2 || true
		c "$d" sync status >&2 || true
		tail -n 40 "$T/$d/agent.log" >&2 || true
	done
fi

# Idle: 8 s with nothing to do but the periodic rounds (interval 6 s).
c0=$(($(ticks "${AGENT_PID[a]}") + $(ticks "${AGENT_PID[b]}"))) w0=$(date +%s%N)
sleep 8
c1=$(($(ticks "${AGENT_PID[a]}") + $(ticks "${AGENT_PID[b]}"))) w1=$(date +%s%N)
cpu=$(python3 -c "import os; print(round(100 * ($c1 - $c0) / os.sysconf('SC_CLK_TCK') / (($w1 - $w0) / 1e9) / 2, 3))")
echo "flap: idle CPU per agent ${cpu} % of wall time (periodic rounds every 6 s included)"
check "idle CPU <= 2 % ($cpu)" "python3 -c 'import sys; sys.exit(not $cpu <= 2)'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
