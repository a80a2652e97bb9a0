#!/usr/bin/env bash
# Push refusals come back per ref with the server's reason (libgit2 reports them only through
# push_update_reference), and a log rewritten on the server is reported as a fork, never adopted.
# The refusal goes through git daemon: libgit2's local transport (a path, file://) writes into the
# repository itself and runs no hooks, as a USB stick has no server to run them.
# Usage: sync_reject.sh CAIRN
set -euo pipefail
# Commits forged below by hand take the one form cairn reads (fixed identity, time 0), so each check
# meets the defect it is about, not the commit's form (that has its own check in sync_reject.sh).
canon() {
	GIT_AUTHOR_NAME=cairn GIT_AUTHOR_EMAIL=cairn@invalid GIT_AUTHOR_DATE='@0 +0000' \
		GIT_COMMITTER_NAME=cairn GIT_COMMITTER_EMAIL=cairn@invalid GIT_COMMITTER_DATE='@0 +0000' "$@"
}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/servers.sh"
srv_init
srv_git_daemon
C=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
T=$SRV_ROOT
cd "$T"
umask 077
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
echo pw > p; echo tp > tp
c() { local d=$1; shift; "$C" --dir "$T/$d" --passphrase-file "$T/p" "$@"; }
central=$(srv_bare_repo central)
ln -s "$central" central.git
for d in a b; do c $d init --kdf min >/dev/null 2>&1; done
c a team init >/dev/null
c a team export "$T/join" --join-passphrase-file "$T/tp" --kdf min >/dev/null
c b team join "$T/join" --join-passphrase-file "$T/tp" >/dev/null
for d in a b; do c $d remote add central "$GIT_DAEMON_URL/central.git" >/dev/null; done

# 1. A pre-receive hook refuses: the reason reaches the user, exit 7, nothing marked as sent.
cat > central.git/hooks/pre-receive <<'HOOK'
#!/bin/sh
echo "central is closed for maintenance" >&2
exit 1
HOOK
chmod +x central.git/hooks/pre-receive
c a contact add "Person one" >/dev/null
set +e
out=$(c a sync 2>&1); rc=$?
json=$(c a --json sync 2>/dev/null); set -e
check "a refused push exits 7 (got $rc)" '[ $rc -eq 7 ]'
check "the message names the remote and the refusal ($out)" 'echo "$out" | grep >/dev/null "central"'
check "--json lists the refused ref with the server's reason" \
	'echo "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); r=d[\"remotes\"][0]; assert not r[\"ok\"] and r[\"rejections\"] and r[\"rejections\"][0][\"reason\"], r"'
check "the log is not on the server" '! git -C central.git rev-parse -q --verify refs/heads/logs/$(c a --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"device\"])") >/dev/null'
rm central.git/hooks/pre-receive
check "once the hook is gone the same sync goes through" 'c a sync >/dev/null'

# 2. Someone rewrites a's log on the server (a git host gone bad): b reports a fork and keeps its copy.
c b sync >/dev/null
dev=$(c a --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
tip=$(git -C central.git rev-parse "refs/heads/logs/$dev")
tree=$(git -C central.git rev-parse "$tip^{tree}")
forged=$(echo forged | git -C central.git commit-tree "$tree")
git -C central.git update-ref "refs/heads/logs/$dev" "$forged"
before=$(c b digest)
set +e
out=$(c b --json sync 2>"$T/err"); set -e; cat "$T/err" >&2
check "the fork is reported" 'echo "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"forks\"] >= 1, d"'
check "b's state is unchanged by the forged history" '[ "$(c b digest)" = "$before" ]'
check "b's own copy of the log was not rewritten" \
	'[ "$(git -C b/logs.git rev-parse refs/heads/logs/$dev)" = "$tip" ]'
check "the fork is listed in sync status" 'c b --json sync status | grep >/dev/null fork'

# 3. Someone with push access grafts a segment signed by an unrelated device onto a's log. Nobody adopts
#    it: b quarantines it and keeps its copy; a (the victim, nothing unsent) does not take it as its own.
git -C central.git update-ref "refs/heads/logs/$dev" "$tip"     # undo part 2
c x init --kdf min >/dev/null 2>&1
c x team init >/dev/null
git init -q --bare other.git
c x remote add other "$T/other.git" >/dev/null
c x contact add "Stranger" >/dev/null
c x sync >/dev/null
xdev=$(c x --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["device"])')
xblob=$(git -C other.git rev-parse "refs/heads/logs/$xdev^{tree}:segment")
git -C other.git cat-file blob "$xblob" > "$T/junk.seg"
jblob=$(git -C central.git hash-object -w "$T/junk.seg")
jtree=$(printf '100644 blob %s\tsegment\n' "$jblob" | git -C central.git mktree)
junk=$(echo "cairn segment" | canon git -C central.git commit-tree "$jtree" -p "$tip")
git -C central.git update-ref "refs/heads/logs/$dev" "$junk"
before_b=$(c b digest)
c b sync >/dev/null 2>&1 || true
check "b does not adopt the grafted segment" '[ "$(git -C b/logs.git rev-parse refs/heads/logs/$dev)" = "$tip" ]'
check "b quarantines it with a reason" 'c b --json sync status | grep >/dev/null "found on the log of $dev"'
check "b's state is unchanged" '[ "$(c b digest)" = "$before_b" ]'
c a sync >/dev/null 2>&1 || true
check "the victim does not take the junk as its own tip" '[ "$(git -C a/logs.git rev-parse refs/heads/logs/$dev)" = "$tip" ]'
c a contact add "Person two" >/dev/null
set +e; out=$(c a sync 2>&1); rc=$?; set -e
check "the victim's log cannot go out and it says so: a fork, exit 6 (rc=$rc: $out)" '[ $rc -eq 6 ]'
check "the victim kept its identity (no false restore)" '[ "$(c a --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"device\"])")" = "$dev" ]'
git -C central.git update-ref "refs/heads/logs/$dev" "$tip"     # the office repairs central
check "after the repair the victim's events go through" 'c a sync >/dev/null && c b sync >/dev/null'
check "and the devices agree" '[ "$(c a digest)" = "$(c b digest)" ]'

# 3b. A host re-commits a's log with the very same segments under another commit date (no key needed).
#     Only the form cairn writes is read, so a commit id stays a function of (segment, parent): the copy is
#     quarantined, a keeps its identity (no false "restored from a backup"), and a device that met the
#     copy first still takes a's real log later. Before, a rotated its identity and y forked a's log for good.
real=$(git -C central.git rev-parse "refs/heads/logs/$dev")
copy=$(canon env GIT_COMMITTER_DATE='@1 +0000' git -C central.git commit-tree "$real^{tree}" -p "$real^" -m "cairn segment")
git -C central.git update-ref "refs/heads/logs/$dev" "$copy"
git init -q --bare stick.git
git -C central.git push -q "$T/stick.git" "refs/heads/*:refs/heads/*"
c y init --kdf min --join "$T/join" --join-passphrase-file "$T/tp" >/dev/null 2>&1
c y remote add stick "$T/stick.git" >/dev/null
c y sync stick >/dev/null 2>&1 || true
check "a re-committed segment is quarantined as such" \
	'c y --json sync status | grep >/dev/null "not in the form cairn writes"'
set +e; out=$(c a sync 2>&1); rc=$?; set -e
check "the victim reports the rewritten log of its own (rc=$rc: $out)" '[ $rc -eq 6 ]'
check "and keeps its identity" '[ "$(c a --json status | python3 -c "import json,sys; print(json.load(sys.stdin)[\"device\"])")" = "$dev" ]'
git -C central.git update-ref "refs/heads/logs/$dev" "$real"  # the office repairs central
c y remote add central "$GIT_DAEMON_URL/central.git" >/dev/null
c a sync >/dev/null
check "the device that met the copy first takes a's real log" 'c y sync central >/dev/null && [ "$(c y digest)" = "$(c a digest)" ]'

# 4. Store and forward of a log this device cannot read: x (another team) publishes to central; b carries
#    x's log to a USB stick without being able to decrypt a byte of it.
c x remote add central "$GIT_DAEMON_URL/central.git" >/dev/null
c x sync central >/dev/null
git init -q --bare usb.git
c b remote add usb "$T/usb.git" >/dev/null
set +e; json=$(c b --json sync 2>/dev/null); set -e
check "b fetched x's log and reports it unreadable" 'echo "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"unreadable\"] >= 1, d"'
check "b relayed x's log to the USB stick" '[ "$(git -C usb.git rev-parse "refs/heads/logs/$xdev")" = "$(git -C other.git rev-parse "refs/heads/logs/$xdev")" ]'
check "b holds none of x's events" '! c b --json contact list | grep >/dev/null Stranger'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
