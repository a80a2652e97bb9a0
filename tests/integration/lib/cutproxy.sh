# shellcheck shell=bash
# cutproxy.sh — start and steer tests/integration/lib/cutproxy.py from a test. Source it after servers.sh.
#
#   srv_init; srv_git_daemon
#   cutproxy_start "$SRV_GIT_DAEMON_PORT" [--delay-ms MS]   # CUTPROXY_PORT, CUTPROXY_URL (git://...)
#   cutproxy_ctl cut 1500        # the link drops for good after 1,500 more bytes
#   cairn sync ...               # through $CUTPROXY_URL/<repo>
#   cutproxy_ctl stats           # prints "conns=C up=U down=D cut=0|1" once every connection has ended
#   cutproxy_ctl cut -; cutproxy_ctl reset
#   cutproxy_stop
#
# The relay is started like the servers of servers.sh (its _srv_spawn: a direct child of the test's
# shell, its own process group, PR_SET_PDEATHSIG) and registered with it, so srv_stop_all and the EXIT
# trap stop it too. Readiness: srv_wait_port on the data port (the control port listens before it).
# That probe connection is relayed like any other; cutproxy_start then waits for it to end and zeroes
# the counters.

[[ -n ${_CUTPROXY_LIB_LOADED:-} ]] && return 0
_CUTPROXY_LIB_LOADED=1
_CUTPROXY_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/cutproxy.py

# cutproxy_start TARGET_PORT [cutproxy.py options] — sets CUTPROXY_PORT, CUTPROXY_CONTROL, CUTPROXY_URL
# for the relay just started. More than one: give each a CUTPROXY_NAME (default "cutproxy"), keep its
# CUTPROXY_CONTROL, and set CUTPROXY_CONTROL before cutproxy_ctl.
cutproxy_start() {
	local target=$1 name=${CUTPROXY_NAME:-cutproxy}
	shift
	_srv_need_init || return 1
	_srv_free_port || return 1
	CUTPROXY_PORT=$_srv_port
	_srv_free_port || return 1
	CUTPROXY_CONTROL=$_srv_port
	_srv_spawn "$SRV_ROOT/logs/$name.log" "$_SRV_PY" "$_CUTPROXY_PY" --listen "$CUTPROXY_PORT" \
		--target "127.0.0.1:$target" --control "$CUTPROXY_CONTROL" "$@"
	_SRV_PID[$name]=$_srv_spawned
	srv_wait_port "$CUTPROXY_PORT" || { srv_log "$name"; return 1; }
	cutproxy_ctl stats >/dev/null && cutproxy_ctl reset >/dev/null || return 1
	CUTPROXY_URL=git://127.0.0.1:$CUTPROXY_PORT
	export CUTPROXY_PORT CUTPROXY_CONTROL CUTPROXY_URL
}

cutproxy_stop() { # cutproxy_stop [NAME]
	_srv_stop "${1:-cutproxy}"
}

# cutproxy_ctl COMMAND [ARG] — sends one command, prints the one-line reply; fails on "error ...".
cutproxy_ctl() {
	local reply fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$CUTPROXY_CONTROL" || { echo "cutproxy: control port closed" >&2; return 1; }
	printf '%s\n' "$*" >&"$fd"
	IFS= read -r reply <&"$fd" || reply="error no reply"
	exec {fd}>&-
	[[ $reply != error* ]] || { echo "cutproxy: $* -> $reply" >&2; return 1; }
	printf '%s\n' "$reply"
}
