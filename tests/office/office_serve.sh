#!/usr/bin/env bash
# The field hub: three enrolled devices with no central remote converge through one device's
# `cairn serve` (git daemon with receive-pack, guarded by the same pre-receive hook as central); a forged
# push to the hub is refused; the hub relays what it received to central later (store and forward).
# Usage: office_serve.sh CAIRN
set -euo pipefail
# Commits forged below by hand take the one form cairn reads (fixed identity, time 0), so each check
# meets the defect it is about, not the commit's form (that has its own check in sync_reject.sh).
canon() {
	GIT_AUTHOR_NAME=cairn GIT_AUTHOR_EMAIL=cairn@invalid GIT_AUTHOR_DATE='@0 +0000' \
		GIT_COMMITTER_NAME=cairn GIT_COMMITTER_EMAIL=cairn@invalid GIT_COMMITTER_DATE='@0 +0000' "$@"
}
. "$(cd "$(dirname "$0")" && pwd)/lib.sh" "$1"

# Enrolled at the office, then out in the field with no central in reach.
FP=$(c office office init --kdf min --repo "$central" 2>/dev/null)
for d in h t1 t2; do
	c $d init --kdf min --remote "$URL" --org "$FP" >/dev/null 2>&1
	c office office enroll approve "$(dev $d)" --team field >/dev/null
done
for d in h t1 t2; do c $d sync >/dev/null; done
for d in h t1 t2; do c $d remote remove central >/dev/null; done

# The hub: cairn serve execs git daemon (same pid), started like any server of servers.sh.
_srv_free_port
port=$_srv_port
_srv_spawn "$SRV_ROOT/logs/hub.log" "$C" --dir "$T/h" serve --listen "127.0.0.1:$port"
_SRV_PID[hub]=$_srv_spawned
_srv_await "$_srv_spawned" "$port" || { cat "$SRV_ROOT/logs/hub.log" >&2; exit 1; }
HUB=git://127.0.0.1:$port/logs.git
check "the hub's repository is append-only with the hook" \
	'[ "$(git -C h/logs.git config receive.denyDeletes)" = true ] && grep -q "hook pre-receive" h/logs.git/hooks/pre-receive'

c h contact add "Hub person" >/dev/null
c t1 contact add "Teammate one person" >/dev/null
c t2 contact add "Teammate two person" >/dev/null
for d in t1 t2; do c $d remote add hub "$HUB" >/dev/null; done
c h sync >/dev/null     # no remotes: seals into its own repository, which it serves
c t1 sync hub >/dev/null
c t2 sync hub >/dev/null
c h sync >/dev/null     # imports what teammates pushed into its repository
c t1 sync hub >/dev/null
for d in h t1 t2; do
	check "$d holds every record" 'has $d "Hub person" && has $d "Teammate one person" && has $d "Teammate two person"'
done
check "the three converge (same digest)" '[ "$(c h digest)" = "$(c t1 digest)" ] && [ "$(c t1 digest)" = "$(c t2 digest)" ]'

# A forged push to the hub: t1's segment grafted onto t2's log.
T1=$(dev t1); T2=$(dev t2)
git init -q --bare evil.git
git -C evil.git fetch -q "$HUB" "+refs/heads/logs/*:refs/heads/logs/*"
t2tip=$(git -C evil.git rev-parse refs/heads/logs/$T2)
tree=$(git -C evil.git rev-parse "refs/heads/logs/$T1^{tree}")
forged=$(echo "cairn segment" | canon git -C evil.git commit-tree "$tree" -p "$t2tip")
set +e; out=$(git -C evil.git push "$HUB" "$forged:refs/heads/logs/$T2" 2>&1); rc=$?; set -e
check "a forged push to the hub is refused ($out)" '[ $rc -ne 0 ] && echo "$out" | grep >/dev/null "cairn: refused refs/heads/logs/$T2"'
check "the hub's log of t2 is unchanged" '[ "$(git -C h/logs.git rev-parse refs/heads/logs/$T2)" = "$t2tip" ]'
set +e; out=$(git -C evil.git push "$HUB" ":refs/heads/logs/$T2" 2>&1); rc=$?; set -e
check "deleting a log on the hub is refused" '[ $rc -ne 0 ] && [ "$(git -C h/logs.git rev-parse refs/heads/logs/$T2)" = "$t2tip" ]'
# An unenrolled device (its own valid key, no roster entry) cannot push to the hub either.
c x init --kdf min >/dev/null 2>&1
c x team init >/dev/null
c x contact add "Stranger" >/dev/null
c x remote add hub "$HUB" >/dev/null
set +e; out=$(c x sync hub 2>&1); rc=$?; set -e
check "an unenrolled device's push to the hub is refused (exit 7: $out)" '[ $rc -eq 7 ] && echo "$out" | grep >/dev/null "not enrolled"'

# Back in reach of central: the hub relays everything it received.
c h remote add central "$URL" >/dev/null
c h sync central >/dev/null
c office sync >/dev/null
check "the office has the teammates' records, relayed by the hub" \
	'has office "Teammate one person" && has office "Teammate two person" && has office "Hub person"'
devs=$(c office --json office devices)
H=$(dev h)
check "office devices: the hub signed its head; t1's log came further by relay than t1's own claim" \
	'echo "$devs" | python3 -c "import json,sys; d={x[\"device\"]:x for x in json.load(sys.stdin)}; h=d[\"$H\"]; t=d[\"$T1\"]; assert h[\"fully_synced\"] and not t[\"fully_synced\"] and t[\"synced_seq\"] < t[\"last_seq\"] and t[\"head_signed\"], d"'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
