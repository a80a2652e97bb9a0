#!/usr/bin/env bash
# libgit2 is opened at the first repository, not linked (sync/git2_lazy.c): without it, everything that
# needs no repository works, and what does (remote, sync) fails with one line naming the Debian package,
# a non-zero exit, and the journal unchanged. The library is hidden in a private mount namespace (a bind
# mount of /dev/null over it). Skips (exit 77) where mount namespaces cannot be made.
# Usage: no_libgit2.sh CAIRN
set -euo pipefail
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
lib=$(readlink -f "$(ldconfig -p | awk '/libgit2\.so\.1\.5 / {print $NF; exit}')")
[ -f "$lib" ] || { echo "libgit2 1.5 is not installed here" >&2; exit 1; }
if ! unshare -m true 2>/dev/null; then
	echo "SKIP: cannot make a mount namespace here"
	exit 77
fi
echo pw >"$T/p"
chmod 600 "$T/p"
"$C" --dir "$T/d" --passphrase-file "$T/p" init --kdf min >/dev/null 2>&1
# The checks run inside the namespace; its verdict is the exit code.
unshare -m bash -s "$C" "$T" "$lib" <<'INNER'
set -uo pipefail
C=$1 T=$2 lib=$3
mount --bind /dev/null "$lib" || { echo "SKIP: cannot bind-mount here"; exit 77; }
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
c() { "$C" --dir "$T/d" --passphrase-file "$T/p" "$@"; }
check "cairn does not link libgit2, and the library is hidden" '! ldd "$C" | grep >/dev/null libgit2 && [ ! -s "$lib" ]'
check "a record is written without libgit2" 'c contact add "No Git Person" >/dev/null'
check "and read back" 'c contact list | grep >/dev/null "No Git Person"'
before=$(c digest)
for cmd in "sync" "--json sync" "remote add central $T/central.git" "remote list" "sync status"; do
	rc=0
	# shellcheck disable=SC2086
	c $cmd >"$T/out" 2>"$T/err" || rc=$?
	echo "cairn $cmd: exit $rc: $(head -1 "$T/err")"
	check "cairn $cmd fails (exit $rc)" '[ "$rc" -ne 0 ]'
	check "cairn $cmd names the package in one line" \
		'[ "$(wc -l <"$T/err")" -eq 1 ] && grep -q "install the Debian package libgit2-1.5" "$T/err"'
done
check "the failed commands left the journal as it was" '[ "$(c digest)" = "$before" ]'
check "no log repository was half made" '[ ! -e "$T/d/logs.git/HEAD" ]'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
INNER
