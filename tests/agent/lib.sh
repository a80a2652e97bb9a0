# shellcheck shell=bash
# lib.sh — devices with running agents for the agent tests. Source after setting C (the cairn binary)
# and T (a private directory that exists). No fixed sleeps: waits poll a condition under a deadline.
#
#   dev_init a b ...            journals, one team (a creates it, the others join)
#   dev_remote NAME URL a b ... the same remote on each device
#   agent_cfg FILE KEY=VAL ...  write an agent config ([agent] section)
#   agent_start DEV CFG [ARGS]  cairn agent --detach; AGENT_PID[DEV] is its pid
#   wait_for SECONDS CMD...     poll CMD (every 50 ms) until it succeeds; 1 on timeout
#   c DEV ARGS...               cairn with the device's directory and passphrase file
declare -gA AGENT_PID=()
echo pw >"$T/p"
echo tp >"$T/tp"
chmod 600 "$T/p" "$T/tp"
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
dev_init() {
	local first=$1 d
	for d in "$@"; do c "$d" init --kdf min >/dev/null 2>&1; done
	c "$first" team init >/dev/null
	c "$first" team export "$T/join" --join-passphrase-file "$T/tp" --kdf min >/dev/null
	for d in "${@:2}"; do c "$d" team join "$T/join" --join-passphrase-file "$T/tp" >/dev/null; done
}
dev_remote() {
	local name=$1 url=$2 d
	shift 2
	for d in "$@"; do c "$d" remote add "$name" "$url" >/dev/null; done
}
agent_cfg() {
	local f=$1 kv
	shift
	{
		echo "[agent]"
		for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
	} >"$f"
}
agent_start() {
	local d=$1 cfg=$2
	shift 2
	c "$d" agent --detach --config "$cfg" --log-level debug "$@" >/dev/null || return 1
	AGENT_PID[$d]=$(head -1 "$T/$d/agent.lock")
}
# A detached agent is reparented to init, which may leave it a zombie for a while: that counts as gone.
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = Z ]; }
agent_stop_all() {
	local d
	for d in "${!AGENT_PID[@]}"; do kill -TERM "${AGENT_PID[$d]}" 2>/dev/null || true; done
	for d in "${!AGENT_PID[@]}"; do
		wait_for 15 gone "${AGENT_PID[$d]}" || kill -KILL "${AGENT_PID[$d]}" 2>/dev/null || true
	done
	AGENT_PID=()
}
wait_for() {
	local secs=$1 end
	shift
	end=$(($(date +%s%N) + secs * 1000000000))
	until "$@" >/dev/null 2>&1; do
		(($(date +%s%N) > end)) && return 1
		sleep 0.05
	done
	return 0
}
# Events and the state digest of a device, read through its agent's session.
dev_events() { c "$1" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'; }
dev_contacts() { c "$1" --json contact list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
agent_field() { # DEV EXPR: a Python expression over the status document `d`
	c "$1" --json agent status | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}
