#!/usr/bin/env bash
# bench.sh — every benchmark, on the standard workload (shared/bench/workload.py). `make bench` runs it.
# Benchmarks are not tests: each prints its figures and ratios against a baseline measured in the same
# run, with PASS/MISS against its goal; this script fails only when a benchmark cannot run.
#
# Usage: scripts/bench.sh [BUILD_DIR]   (default: build)
# Sizes (environment): BENCH_JOURNAL_CONTACTS (50000), BENCH_VFS_CONTACTS (100000), and those of
# bench/bench_sync.sh (BENCH_WIRE_CONTACTS, BENCH_IMPORT_CONTACTS, BENCH_SYNC_ROUNDS) and
# bench/bench_link.sh (BENCH_LINK_RUNS), BENCH_CRISIS_N (100000), BENCH_DEDUPE_N (100000),
# BENCH_RECONCILE_DEVICES (1000) x BENCH_RECONCILE_CONTACTS (200; 1,000 events a device),
# BENCH_CASELOAD_N (1000).
# BENCH_ONLY="journal vfs sync link agent crisis dedupe reconcile caseload" picks some.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
workload=${CAIRN_WORKLOAD:-$root/../shared/bench/workload.py}
only=${BENCH_ONLY:-journal vfs sync link agent crisis dedupe reconcile caseload}
export CAIRN_WORKLOAD=$workload
[[ -f $workload ]] || { echo "bench.sh: no workload generator at $workload (set CAIRN_WORKLOAD)" >&2; exit 2; }
for b in bench/bench_journal bench/bench_vfs bench/bench_sync cairn; do
	[[ -x $build/$b ]] || { echo "bench.sh: $build/$b is missing (make build)" >&2; exit 2; }
done
# git daemon, python3, zstd, nftables and iproute2 come with the test dependencies.
"$root/scripts/deps.sh" test

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
want() { [[ " $only " == *" $1 "* ]]; }
section() { printf '\n==== %s ====\n' "$*"; }

if want journal; then
	n=${BENCH_JOURNAL_CONTACTS:-50000}
	section "journal: append + apply ($n contacts with one note each)"
	python3 "$workload" --contacts "$n" --notes 1 >"$tmp/journal.jsonl"
	"$build/bench/bench_journal" <"$tmp/journal.jsonl"
fi
if want vfs; then
	n=${BENCH_VFS_CONTACTS:-100000}
	section "vfs: encrypted pages vs stock SQLite ($n contacts' notes)"
	python3 "$workload" --contacts "$n" --notes 1 >"$tmp/vfs.jsonl"
	"$build/bench/bench_vfs" <"$tmp/vfs.jsonl"
fi
if want sync; then
	section "sync: bytes on the wire, import throughput, incremental cost"
	"$root/bench/bench_sync.sh" "$build/bench/bench_sync" all
fi
if want link; then
	section "sync over a shaped link"
	"$root/bench/bench_link.sh" "$build/cairn"
fi
if want crisis; then
	section "crisis: report crisis and due over ${BENCH_CRISIS_N:-100000} crises and contacts"
	"$build/bench/bench_crisis" "${BENCH_CRISIS_N:-100000}" "$tmp/crisis" "$build/cairn"
fi
if want dedupe; then
	section "duplicates over ${BENCH_DEDUPE_N:-100000} contacts"
	"$build/bench/bench_dedupe" "${BENCH_DEDUPE_N:-100000}"
fi
if want reconcile; then
	d=${BENCH_RECONCILE_DEVICES:-1000} c=${BENCH_RECONCILE_CONTACTS:-200}
	section "office: a cold central journal reconciling $d devices' logs ($c contacts with 4 notes each a device)"
	python3 "$workload" --contacts $((d * c)) --notes 4 | "$build/bench/bench_reconcile" "$d" "$c"
fi
if want caseload; then
	section "caseload views: one audit entry per person shown (${BENCH_CASELOAD_N:-1000} people)"
	"$build/bench/bench_caseload" "${BENCH_CASELOAD_N:-1000}"
fi
if want agent; then
	section "agent: a command with the agent's session vs unlocking itself; idle RSS"
	"$root/bench/bench_agent.sh" "$build"
fi
