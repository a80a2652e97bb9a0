#!/usr/bin/env bash
# The control socket and the agent's life cycle:
#  - the socket is mode 0600; a connection from another uid is refused by the peer-credential check
#    (the directory and the socket are opened up for this test, so the refusal seen is SO_PEERCRED's,
#    not the file mode's) and gets no key; the same request from our uid gets the key;
#  - a locked agent hands out nothing ("locked", no key bytes); commands then need the passphrase;
#    `cairn unlock` with a wrong passphrase is refused, with the right one commands skip it again;
#  - idle timeout locks it; a second agent for the same directory is refused (exit 9); a SIGKILLed
#    agent's stale socket does not block the next start; a clean stop removes the socket;
#  - SIGHUP reloads the config (interval, log level) and a bad config is refused with file and line.
# Usage: agent_socket.sh CAIRN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d)
. "$here/lib.sh"
trap 'agent_stop_all; rm -rf "$T"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
ask() { # UID REQUEST: connect to a's socket as that user, send REQUEST, print the reply's bytes as hex
	setpriv --reuid="$1" --regid="$1" --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode() + b"\n")
except BrokenPipeError: # refused before it read anything
    pass
out = b""
while True:
    try:
        b = s.recv(4096)
    except ConnectionResetError: # closed with our request unread: the line may be lost, nothing else
        print(out.hex() + "-reset"); sys.exit(0)
    if not b: break
    out += b
print(out.hex())' "$T/a/agent.sock" "$2"
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

dev_init a
agent_cfg "$T/cfg" interval=300
agent_start a "$T/cfg"
check "the socket is mode 0600" '[ "$(stat -c %a "$T/a/agent.sock")" = 600 ]'
check "the agent hands its key to our uid (38 bytes: ok key, newline, 32)" \
	'[ "$(ask 0 key | cut -c1-14)" = "$(hex "ok key")0a" ] && [ "$(ask 0 key | wc -c)" = 79 ]'
# Open the way for uid 65534 (nobody) so that only the peer-credential check can stop it.
chmod 0711 "$T" "$T/a"
chmod 0666 "$T/a/agent.sock"
check "nobody can now reach the socket (the test is able to fail)" \
	'setpriv --reuid=65534 --regid=65534 --clear-groups test -w "$T/a/agent.sock"'
out=$(ask 65534 key || true)
refused() { [ "$1" = "$(hex "refused")0a" ] || [ "$1" = "$(hex "refused")0a-reset" ] || [ "$1" = "-reset" ]; }
check "another uid is refused and gets no key ($out)" 'refused "$out"'
check "the refusal is logged with the uid" 'grep -q "refused a connection from uid 65534" "$T/a/agent.log"'
out=$(ask 65534 lock || true)
check "another uid cannot lock it either" 'refused "$out" && [ "$(ask 0 status | cut -c1-6)" = "$(hex ok)20" ]'
chmod 0600 "$T/a/agent.sock"
chmod 0700 "$T/a" "$T"

check "commands skip the passphrase while it is unlocked" 'CAIRN_NO_AGENT= "$C" --dir "$T/a" contact add "Kim Lee" </dev/null >/dev/null'
c a lock >/dev/null
check "a locked agent answers 'locked' and nothing else" '[ "$(ask 0 key)" = "$(hex locked)0a" ]'
check "after lock, a command without a passphrase fails" '! "$C" --dir "$T/a" contact list </dev/null >/dev/null 2>&1'
check "agent status says locked" '[ "$(agent_field a "d[\"locked\"]")" = True ]'
echo wrong >"$T/wrong"; chmod 600 "$T/wrong"
set +e
"$C" --dir "$T/a" --passphrase-file "$T/wrong" unlock >/dev/null 2>"$T/err"; rc=$?
set -e
check "unlock with a wrong passphrase exits 3 ($rc: $(cat "$T/err"))" '[ $rc -eq 3 ] && grep -q "wrong passphrase" "$T/err"'
check "still locked" '[ "$(ask 0 key)" = "$(hex locked)0a" ]'
c a unlock >/dev/null
check "unlock with the passphrase: commands skip it again" '"$C" --dir "$T/a" contact list </dev/null | grep >/dev/null "Kim Lee"'
check "no passphrase or name in the log" '! grep -E "pw|Kim|Lee" "$T/a/agent.log"'

set +e
c a agent --config "$T/cfg" >/dev/null 2>"$T/err"; rc=$?
set -e
check "a second agent for the same directory is refused with exit 9 ($(cat "$T/err"))" \
	'[ $rc -eq 9 ] && grep -q "already runs" "$T/err" && grep -q "${AGENT_PID[a]}" "$T/err"'

# SIGHUP: new interval and log level; a broken config keeps the old one.
agent_cfg "$T/cfg" interval=120 log_level=info
kill -HUP "${AGENT_PID[a]}"
interval_is() { [ "$(agent_field a 'd["interval"]')" = "$1" ]; }
check "SIGHUP reloads the interval" 'wait_for 5 interval_is 120.0'
printf '[agent]\ninterval = soon\n' >"$T/cfg"
kill -HUP "${AGENT_PID[a]}"
check "a bad config on SIGHUP is logged with its line, the old one kept" \
	'wait_for 5 grep -q "cfg. line 2" "$T/a/agent.log" && interval_is 120.0'
set +e
c a agent --config "$T/cfg" >/dev/null 2>"$T/err"; rc=$?
set -e
check "a bad config refuses to start with exit 2, naming file and line ($(cat "$T/err"))" \
	'[ $rc -eq 2 ] && grep -q "line 2" "$T/err"'

# kill -9 leaves a stale socket; the next start is not blocked by it.
kill -KILL "${AGENT_PID[a]}"
wait_for 5 gone "${AGENT_PID[a]}"
check "a killed agent leaves its socket behind" '[ -S "$T/a/agent.sock" ]'
check "commands fall back to the passphrase when the socket is stale" 'c a contact list | grep >/dev/null "Kim Lee"'
agent_cfg "$T/cfg" interval=300 idle_lock=1
agent_start a "$T/cfg"
check "the next start takes over the stale socket" '[ "$(ask 0 status | cut -c1-6)" = "$(hex ok)20" ]'
# Poll with status (a key request is use, and would keep it awake).
is_locked() { [ "$(agent_field a 'd["locked"]')" = True ]; }
check "the idle timeout locks it (1 s)" 'wait_for 10 is_locked && [ "$(ask 0 key)" = "$(hex locked)0a" ]'
check "the idle lock is logged" 'grep -q "locked (idle timeout): key wiped" "$T/a/agent.log"'
kill -TERM "${AGENT_PID[a]}"
check "SIGTERM stops it and removes the socket" \
	'wait_for 10 gone ${AGENT_PID[a]} && [ ! -e "$T/a/agent.sock" ]'
AGENT_PID=()

# The journal directory must be private: in one another user may write to, they could put their own
# socket in the agent's place (and take the passphrase of `cairn unlock`) or a link where it writes.
c priv init --kdf min >/dev/null 2>&1
chmod 0777 "$T/priv"
set +e
c priv agent --detach >/dev/null 2>"$T/err"; rc=$?
set -e
check "an agent refuses a journal directory others may write to ($rc: $(cat "$T/err"))" \
	'[ $rc -ne 0 ] && grep -q "not private" "$T/err" && [ ! -e "$T/priv/agent.sock" ]'
# And the client talks only to a socket of its own uid: nobody listens in p's place here.
chmod 0711 "$T"
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
c, _ = s.accept()
got = c.recv(4096)
open(sys.argv[2], "wb").write(got)
c.sendall(b"ok unlocked\n")' "$T/priv/agent.sock" "$T/priv/got" &
impostor=$!
wait_for 10 test -S "$T/priv/agent.sock"
set +e
c priv unlock >/dev/null 2>"$T/err"; rc=$?
set -e
check "unlock refuses a socket another user listens on ($rc: $(cat "$T/err"))" \
	'[ $rc -ne 0 ] && grep -q "belongs to another user" "$T/err"'
kill "$impostor" 2>/dev/null || true
wait "$impostor" 2>/dev/null || true
check "and the impostor got no passphrase" '[ ! -s "$T/priv/got" ]'
chmod 0700 "$T/priv" "$T"
rm -f "$T/priv/agent.sock" "$T/priv/got"

# A detached agent keeps nothing of its starter: not its working directory (a USB stick it was started
# from could not be unmounted), nor a descriptor it was handed (here fd 5).
mkdir -p "$T/cwd"
cd "$T/cwd"
agent_start a "$T/cfg" 5>"$T/handed"
cd - >/dev/null
check "the detached agent works from / ($(readlink "/proc/${AGENT_PID[a]}/cwd"))" \
	'[ "$(readlink "/proc/${AGENT_PID[a]}/cwd")" = / ]'
check "and holds no descriptor it was handed" '! ls -l "/proc/${AGENT_PID[a]}/fd" | grep >/dev/null "$T/handed"'
check "and still answers" '[ "$(ask 0 status | cut -c1-6)" = "$(hex ok)20" ]'
agent_stop_all
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
