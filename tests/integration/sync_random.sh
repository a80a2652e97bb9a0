#!/usr/bin/env bash
# Runs sync_random (three devices, random operations, random sync orders, a USB relay) against real
# servers on loopback: a bare path, file://, git:// (git daemon), http:// and https:// (git http-backend
# behind lighttpd, basic auth, a pinned certificate) and ssh:// (sshd, key auth, pinned host key).
# Usage: sync_random.sh SYNC_RANDOM_BINARY RUNS
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/servers.sh"
srv_init
srv_git_daemon
srv_http
srv_sshd
repos=$SRV_ROOT/repos
export CAIRN_TEST_CRED=$SRV_ROOT/cred CAIRN_TEST_PIN=$SRV_CERT_SHA256 CAIRN_TEST_CA=$SRV_CA_FILE
export CAIRN_TEST_SSH_KEY=$SRV_SSH_KEY CAIRN_TEST_SSH_PIN=$SRV_SSH_HOSTKEY_SHA256
printf '%s:%s\n' "$SRV_HTTP_USER" "$(cat "$SRV_HTTP_PASSWORD_FILE")" > "$CAIRN_TEST_CRED"
chmod 600 "$CAIRN_TEST_CRED"
"$1" "$2" "$repos" "$repos" "file://$repos" "$GIT_DAEMON_URL" "$SRV_HTTP_URL" "$SRV_HTTPS_URL" "$SRV_SSH_URL"
