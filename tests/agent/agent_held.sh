#!/usr/bin/env bash
# The journal connection an unlocked agent holds open (issue 4: a command with the agent <= 10 ms):
#  - while unlocked the agent has journal.db open and holds no read transaction on it (no read mark
#    locked in the WAL index: it never holds back a checkpoint);
#  - a read-only command through its session neither syncs nor unlinks anything (it is not the last
#    connection: no checkpoint, no WAL or -shm removal); a writing one syncs the WAL only, never
#    journal.db (no checkpoint on close);
#  - `cairn lock`, the idle lock and a start with --locked leave no file of the journal open in the agent
#    (lock, as the last connection, checkpoints: journal.db alone is left); `cairn unlock` opens it again.
# Usage: agent_held.sh CAIRN   Exit 77 (skip) when strace cannot trace here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d)
. "$here/lib.sh"
trap 'agent_stop_all; rm -rf "$T"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
if ! strace -f -o /dev/null true 2>/dev/null; then
	echo "SKIP: strace cannot trace here" >&2
	exit 77
fi

# Which of the journal's files the agent has open, one name a line ("" when none).
held() { for f in /proc/"${AGENT_PID[a]}"/fd/*; do readlink "$f"; done 2>/dev/null | grep -o 'journal\.db.*' | sort -u; }
holds() { held | grep -x >/dev/null 'journal.db'; }
holds_nothing() { [ -z "$(held)" ]; }
# POSIX locks the agent holds on the WAL index, as "start-end" (/proc/locks names the file by inode).
shm_locks() {
	local ino
	ino=$(stat -c %i "$T/a/journal.db-shm" 2>/dev/null) || return 0
	awk -v pid="${AGENT_PID[a]}" -v ino="$ino" '$5 == pid && $6 ~ ":" ino "$" { print $7 "-" $8 }' /proc/locks
}
# Sync and unlink calls of one command (run through the agent's session: no passphrase), fds decoded;
# "exit N" when it failed. LeakSanitizer cannot run under ptrace: off for the traced command only.
traced() {
	local rc=0
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -y -e trace=fdatasync,fsync,unlink,unlinkat \
		-o "$T/trace" "$C" --dir "$T/a" "$@" </dev/null >/dev/null || rc=$?
	grep -E 'sync|unlink' "$T/trace" || true
	[ "$rc" -eq 0 ] || echo "exit $rc"
}

dev_init a
c a contact add "Kim Lee" >/dev/null
agent_cfg "$T/cfg" interval=300
agent_start a "$T/cfg"
check "an unlocked agent holds journal.db open ($(held | tr '\n' ' '))" 'wait_for 10 holds'
check "and holds no read mark in the WAL index, only the index's own lock ($(shm_locks | tr '\n' ' '))" \
	'[ "$(shm_locks)" = "128-128" ]'
# The first command after the start, and again one after a write: neither may be the last connection.
out=$(traced contact list)
check "a read-only command through the agent syncs and unlinks nothing (${out//$'\n'/; })" '[ -z "$out" ]'
out=$(traced contact add "Ana Diaz")
check "a write syncs its WAL, never journal.db, and unlinks nothing (${out//$'\n'/; })" \
	'grep -q "journal.db-wal>" <<<"$out" && ! grep -qE "journal\.db>|unlink|^exit" <<<"$out"'
out=$(traced contact list)
check "after a write, a read-only command still syncs and unlinks nothing (${out//$'\n'/; })" '[ -z "$out" ]'
check "and it reads both records" '"$C" --dir "$T/a" contact list </dev/null | grep >/dev/null "Ana Diaz"'

c a lock >/dev/null
check "after cairn lock the agent has no file of the journal open ($(held | tr '\n' ' '))" 'wait_for 10 holds_nothing'
check "and, closed last, it left the journal at rest: no WAL, no -shm" \
	'[ ! -e "$T/a/journal.db-wal" ] && [ ! -e "$T/a/journal.db-shm" ]'
c a unlock >/dev/null
check "cairn unlock opens it again" 'wait_for 10 holds'

# The idle lock, set by a SIGHUP reload (1 s).
agent_cfg "$T/cfg" interval=300 idle_lock=1
kill -HUP "${AGENT_PID[a]}"
is_locked() { [ "$(agent_field a 'd["locked"]')" = True ]; }
check "the idle lock closes it too" 'wait_for 10 is_locked && wait_for 10 holds_nothing'
check "the idle lock is logged" 'grep -q "locked (idle timeout): key wiped" "$T/a/agent.log"'
agent_stop_all

# Started locked: nothing open until unlocked.
agent_cfg "$T/cfg" interval=300
agent_start a "$T/cfg" --locked
check "an agent started locked has nothing open" 'holds_nothing'
c a unlock >/dev/null
check "until it is unlocked" 'wait_for 10 holds'
kill -TERM "${AGENT_PID[a]}"
check "SIGTERM stops it" 'wait_for 10 gone "${AGENT_PID[a]}"'
AGENT_PID=()
check "it never failed to hold the journal" '! grep -q "cannot hold" "$T/a/agent.log"'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
