#!/usr/bin/env bash
# bench_sync.sh — runs bench_sync (bytes on the wire, import throughput, incremental cost) against a real
# git daemon on loopback with the counting relay (tests/integration/lib/cutproxy.py) in front of it.
#
# Usage: bench/bench_sync.sh BENCH_SYNC_BINARY [wire|import|all]
# Environment: BENCH_WIRE_CONTACTS (default 1000: one contact + one note each),
#              BENCH_IMPORT_CONTACTS (default 50000: 100,000 events of history), BENCH_SYNC_ROUNDS (5),
#              CAIRN_WORKLOAD (shared/bench/workload.py beside the repository).
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
what=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)
lib=$here/../tests/integration/lib
workload=${CAIRN_WORKLOAD:-$here/../../shared/bench/workload.py}
[[ -f $workload ]] || { echo "bench_sync: no workload generator at $workload (set CAIRN_WORKLOAD)" >&2; exit 2; }
command -v zstd >/dev/null || { echo "bench_sync: zstd is required (apt-get install zstd)" >&2; exit 2; }
. "$lib/servers.sh"
. "$lib/cutproxy.sh"
srv_init
srv_git_daemon
cutproxy_start "$SRV_GIT_DAEMON_PORT"
export BENCH_GIT_URL=$CUTPROXY_URL BENCH_REPOS=$SRV_ROOT/repos BENCH_RELAY_CONTROL=$CUTPROXY_CONTROL
export TMPDIR=${TMPDIR:-/tmp}
rounds=${BENCH_SYNC_ROUNDS:-5}
if [[ $what == wire || $what == all ]]; then
	python3 "$workload" --contacts "${BENCH_WIRE_CONTACTS:-1000}" --notes 1 >"$SRV_ROOT/wire.jsonl"
	"$bin" wire "$SRV_ROOT/wire.jsonl"
fi
if [[ $what == import || $what == all ]]; then
	# History plus the contacts the incremental rounds add (50 a round).
	python3 "$workload" --contacts $((${BENCH_IMPORT_CONTACTS:-50000} + rounds * 50)) --notes 1 >"$SRV_ROOT/import.jsonl"
	"$bin" import "$SRV_ROOT/import.jsonl"
fi
