#!/usr/bin/env bash
# demo_test.sh — `make demo` is one of the two commands a new user runs: run scripts/demo.sh on this
# build in a temporary directory and check that it ends as it says it does (every journal converged,
# no plaintext in central.git) and shows what it promises on the way: the conflict with both values,
# the office's decision, the USB relay and the report.
# Usage: demo_test.sh CAIRN
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-demo-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { if grep -q -- "$2" "$T/out"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1 (no '$2')" >&2; fi; }
set +e
CAIRN_DEMO_DIR=$T/run bash "$here/../../scripts/demo.sh" "$1" >"$T/out" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
	fail=$((fail + 1))
	echo "FAIL: the demo exits $rc; its last lines:" >&2
	tail -n 20 "$T/out" >&2
fi
check "the conflict is listed with both values" '1) "555-'
check "the office decides it" 'resolve .* phone --value 555-1111'
check "the sync that brings both values says a conflict was raised" '1 new conflict '
check "a worker syncs through the USB stick" 'sync usb'
check "the report is written" 'report.html'
check "no plaintext reaches the git host" 'no name or note text in any object of central.git'
check "every journal converges" 'All four journals converged'
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
