#!/usr/bin/env bash
# A remote that goes silent does not hold a sync round for ever (libgit2's own socket has no timeout:
# a link that drops packets without a reset blocked a round in connect() or recv()).
#  - silent server: accepts the connection, reads the request, never answers (git:// and http://);
#  - the same server over ssh: it never sends its banner (libssh2 polls the socket itself, so only the
#    stream's watchdog can cut it);
#  - black hole: a listener whose accept queue is full, so the kernel drops our SYNs (connect hangs);
#  - a host name with two black-holed addresses (in a mount namespace with its own /etc/hosts): one
#    deadline for both, not the timeout for each.
# `cairn sync --timeout 2` gives up on each within a few seconds, exit 7 (offline), saying why; a good
# remote in the same run is still synced. Every run is bounded by `timeout` so a regression fails
# instead of hanging the suite.
# Usage: sync_silent.sh CAIRN
set -euo pipefail
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d)
srv=
cleanup() {
	if [ -n "$srv" ]; then kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; fi
	rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
c() { "$C" --dir "$T/d" --passphrase-file "$T/p" "$@"; }

python3 - "$T/ports" <<'PY' &
import socket, sys, threading
silent = socket.socket(); silent.bind(("127.0.0.1", 0)); silent.listen(8)
full = socket.socket(); full.bind(("127.0.0.1", 0)); full.listen(0)
filler = socket.create_connection(full.getsockname())  # fills the queue of one: later SYNs are dropped
full2 = socket.socket(); full2.bind(("127.0.0.2", full.getsockname()[1])); full2.listen(0)
filler2 = socket.create_connection(full2.getsockname())
held = []
def serve():
    while True:
        conn, _ = silent.accept()
        conn.recv(65536)
        held.append(conn)  # read the request, answer nothing, never close
threading.Thread(target=serve, daemon=True).start()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d %d\n" % (silent.getsockname()[1], full.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Event().wait()
PY
srv=$!
for _ in $(seq 200); do [ -s "$T/ports" ] && break; sleep 0.05; done
read -r silent full <"$T/ports"

echo pw >"$T/p"
chmod 600 "$T/p"
c init --kdf min >/dev/null
c team init >/dev/null
c contact add "Silent test" >/dev/null
git -c init.defaultBranch=main init -q --bare "$T/good.git"

# One remote at a time: CMD... runs `cairn sync --timeout 2 REMOTE`; sets rc, ms, err.
timed_sync() {
	local t0
	t0=$(date +%s%N)
	rc=0
	timeout 60 "$C" --dir "$T/d" --passphrase-file "$T/p" sync --timeout 2 "$@" >/dev/null 2>"$T/err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	err=$(cat "$T/err")
}
for kind in git http; do
	c remote add "silent-$kind" "$kind://127.0.0.1:$silent/central.git" >/dev/null
	timed_sync "silent-$kind"
	echo "silent $kind server: exit $rc after $ms ms: $err"
	check "a silent $kind server: exit 7 (offline), not a hang ($rc)" '[ "$rc" = 7 ]'
	check "a silent $kind server: given up after the 2 s timeout, within 10 s ($ms ms)" \
		'[ "$ms" -ge 1900 ] && [ "$ms" -lt 10000 ]'
	check "a silent $kind server: the message says it timed out" 'grep -q "network timeout" <<<"$err"'
done
ssh-keygen -q -t ed25519 -N '' -f "$T/key" >/dev/null
c remote add silent-ssh "ssh://git@127.0.0.1:$silent/central.git" --ssh-key "$T/key" \
	--pin "$(printf '%064d' 0)" >/dev/null
timed_sync silent-ssh
echo "silent ssh server: exit $rc after $ms ms: $err"
check "a silent ssh server: exit 7 (offline), not a hang ($rc)" '[ "$rc" = 7 ]'
check "a silent ssh server: cut after the 2 s timeout, within 10 s ($ms ms)" \
	'[ "$ms" -ge 1900 ] && [ "$ms" -lt 10000 ]'
check "a silent ssh server: the message says it timed out" 'grep -q "network timeout" <<<"$err"'
c remote add black "git://127.0.0.1:$full/central.git" >/dev/null
timed_sync black
echo "black hole: exit $rc after $ms ms: $err"
check "a black-holed connect: exit 7 ($rc)" '[ "$rc" = 7 ]'
check "a black-holed connect: given up within 10 s ($ms ms)" '[ "$ms" -ge 1900 ] && [ "$ms" -lt 10000 ]'
check "a black-holed connect: the message names the connect" 'grep -q "failed to connect" <<<"$err"'

# All remotes in one run: the silent ones fail, the good one (a path) is synced all the same.
c remote add good "$T/good.git" >/dev/null
timed_sync
check "every remote in one run: exit 7 for the silent ones ($rc)" '[ "$rc" = 7 ]'
check "every remote in one run: the good remote got this device's log" \
	'[ -n "$(git -C "$T/good.git" for-each-ref refs/heads/logs/)" ]'
check "every remote in one run: bounded by the silent ones' timeouts ($ms ms)" '[ "$ms" -lt 30000 ]'

for bad in 0 3601 abc -1; do
	rc=0
	c sync --timeout "$bad" good >/dev/null 2>"$T/err" || rc=$?
	check "--timeout $bad is refused (exit 2, got $rc)" '[ "$rc" = 2 ] && grep -q -- "--timeout" "$T/err"'
done

# One connect deadline for all of a host's addresses: two black holes take the timeout once, not twice.
if unshare -m true 2>/dev/null; then
	printf '127.0.0.1 blackhole.test\n127.0.0.2 blackhole.test\n' >"$T/hosts"
	c remote add black2 "git://blackhole.test:$full/central.git" >/dev/null
	t0=$(date +%s%N)
	rc=0
	timeout 60 unshare -m bash -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' _ "$T/hosts" \
		"$C" --dir "$T/d" --passphrase-file "$T/p" sync --timeout 2 black2 >/dev/null 2>"$T/err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "two black-holed addresses: exit $rc after $ms ms: $(cat "$T/err")"
	check "two black-holed addresses: exit 7 ($rc)" '[ "$rc" = 7 ]'
	check "two black-holed addresses: one 2 s deadline for both ($ms ms, 4 s would be one each)" \
		'[ "$ms" -ge 1900 ] && [ "$ms" -lt 3900 ]'
else
	echo "skipped: two black-holed addresses (no mount namespace here)"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
