#!/usr/bin/env bash
# An idle agent does not busy-poll: its loop thread (traced with strace) wakes no more often than the
# sync interval, and not at all within an interval when nothing happens; its CPU time stays under 2 % of
# wall time; its resident memory is printed (goal <= 15 MB).
# Usage: agent_idle.sh CAIRN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib/servers.sh"
srv_init
srv_git_daemon
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$SRV_ROOT
. "$here/lib.sh"
trap 'agent_stop_all' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
command -v strace >/dev/null || { echo "strace is missing: scripts/deps.sh test" >&2; exit 1; }

srv_bare_repo central >/dev/null
dev_init a
dev_remote central "$GIT_DAEMON_URL/central.git" a
c a contact add "Idle Person" >/dev/null
# Wakeup clusters: epoll_wait returns of the loop thread, those closer than 0.3 s counted as one (a round
# wakes the loop a few times in a row: queue, done, reschedule).
clusters() { # FILE
	awk '/epoll_p?wait\(/ && !/resumed|unfinished|detached|ERESTART|= \?/ {split($1, t, ":"); s = t[1]*3600 + t[2]*60 + t[3];
	     if (n == 0 || s - last > 0.3) n++; last = s} END {print n + 0}' "$1"
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# 1. interval 3 s, no jitter: over 10 s, at most 4 wakeups (one per interval, plus one at the edge).
agent_cfg "$T/cfg" interval=3 jitter=0
agent_start a "$T/cfg"
wait_for 10 grep -q "round with central: sealed" "$T/a/agent.log"
timeout -s INT 10 strace -tt -e trace=epoll_wait,epoll_pwait -o "$T/trace1" -p "${AGENT_PID[a]}" 2>/dev/null || true
n=$(clusters "$T/trace1")
rounds=$(grep -c "round with central: sealed" "$T/a/agent.log")
echo "idle: interval 3 s: $n wakeups of the loop in 10 s ($rounds rounds so far)"
check "wakeups no more often than the interval ($n <= 4)" '[ "$n" -le 4 ] && [ "$n" -ge 2 ]'
agent_stop_all

# 2. interval 300 s: nothing at all for 8 s, and the CPU time of those seconds is under 2 %.
agent_cfg "$T/cfg" interval=300
agent_start a "$T/cfg"
wait_for 10 grep -q "listening.*interval 300000" "$T/a/agent.log"
wait_for 10 eval '[ "$(grep -c "round with central: sealed" "$T/a/agent.log")" -ge $((rounds + 1)) ]'
t0=$(ticks "${AGENT_PID[a]}") w0=$(date +%s%N)
timeout -s INT 8 strace -tt -e trace=epoll_wait,epoll_pwait -o "$T/trace2" -p "${AGENT_PID[a]}" 2>/dev/null || true
t1=$(ticks "${AGENT_PID[a]}") w1=$(date +%s%N)
n=$(clusters "$T/trace2")
cpu=$(python3 -c "import os; print(round(100 * ($t1 - $t0) / os.sysconf('SC_CLK_TCK') / (($w1 - $w0) / 1e9), 3))")
rss=$(awk '/VmRSS/ {print $2}' "/proc/${AGENT_PID[a]}/status")
echo "idle: interval 300 s: $n wakeups in 8 s; CPU ${cpu} % of wall time; RSS $((rss / 1024)).$(((rss % 1024) * 10 / 1024)) MB"
check "no wakeup at all within the interval ($n)" '[ "$n" -eq 0 ]'
check "idle CPU under 2 % ($cpu)" "python3 -c 'import sys; sys.exit(not $cpu < 2)'"
check "idle RSS under 15 MB ($rss kB)" '[ "$rss" -le 15360 ]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
