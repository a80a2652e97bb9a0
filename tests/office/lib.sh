# shellcheck shell=bash
# lib.sh — the common start of the office tests: a git daemon on loopback (servers.sh), the cairn binary
# ($1) as `c DIR ARGS...`, a check counter, and small helpers. Source it from a test's main shell.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../integration/lib/servers.sh"
srv_init
srv_git_daemon
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$SRV_ROOT
cd "$T"
umask 077
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
echo pw > p
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
dev() { c "$1" --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])'; }
has() { c "$1" --json contact list | grep >/dev/null "$2"; }
central=$SRV_ROOT/repos/central.git
URL=$GIT_DAEMON_URL/central.git
