#!/usr/bin/env bash
# Installs the Debian packages cairn needs to build, test and demo, only when some are missing.
# Usage: scripts/deps.sh [build|test|all]
set -eu
want="build-essential cmake pkg-config git libsqlite3-dev libgit2-dev libsodium-dev libuv1-dev
      libzstd-dev libjansson-dev libcmocka-dev libinih-dev python3 sqlite3 zstd"
case "${1:-build}" in
  test|all) want="$want clang clang-format libclang-rt-14-dev valgrind openssh-server openssh-client lighttpd fcgiwrap
                  lighttpd-mod-openssl openssl nftables iproute2 strace procps gdb
                  chromium fonts-dejavu-core" ;;
esac
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "cairn: installing Debian packages:$missing" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
