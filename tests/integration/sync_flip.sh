#!/usr/bin/env bash
# Runs sync_flip (every bit flip of a segment in central is quarantined; other logs keep flowing) in a
# tmpfs when there is one: each position copies a repository and creates a device.
# Usage: sync_flip.sh SYNC_FLIP_BINARY
set -euo pipefail
base=${TMPDIR:-/tmp}
if [[ -d /dev/shm && -w /dev/shm ]]; then
	base=/dev/shm
fi
exec "$1" "$base"
