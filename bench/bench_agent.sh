#!/usr/bin/env bash
# bench_agent.sh — what the agent's session saves a CLI command, and what an idle agent costs.
#  1. `cairn contact show ID` end to end (process start to exit), median of RUNS, with the agent
#     unlocked, beside the same command unlocking the journal itself (default Argon2id cost) measured in
#     the same run; `cairn --version` is printed as the floor (process start and dynamic linking).
#  2. The agent's resident memory when idle (goal <= 15 MB), after a sync round with a git remote.
# Usage: bench/bench_agent.sh BUILD_DIR   Environment: BENCH_AGENT_CONTACTS (1000), BENCH_AGENT_RUNS (21),
# CAIRN_WORKLOAD (shared/bench/workload.py beside the repository).
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
workload=${CAIRN_WORKLOAD:-$here/../../shared/bench/workload.py}
C=$build/cairn
n=${BENCH_AGENT_CONTACTS:-1000} runs=${BENCH_AGENT_RUNS:-21}
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-agent.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
umask 077
echo "bench-agent-passphrase" >"$T/p"
python3 "$workload" --contacts "$n" --notes 1 | "$build/bench/bench_agent" "$T/j" "$T/p" >"$T/id"
id=$(cat "$T/id")
git init -q --bare "$T/central.git"
"$C" --dir "$T/j" --passphrase-file "$T/p" remote add central "$T/central.git" >/dev/null

# Median wall time of a command, in ms, over $2 runs.
median() {
	local k=$1
	shift
	python3 - "$k" "$@" <<'PY'
import os, statistics, subprocess, sys, time
k, cmd = int(sys.argv[1]), sys.argv[2:]
env = dict(os.environ)
t = []
for _ in range(k):
    s = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    t.append((time.perf_counter() - s) * 1000)
print(f"{statistics.median(t):.1f}")
PY
}
floor=$(median "$runs" "$C" --version)
without=$(CAIRN_NO_AGENT=1 median 5 "$C" --dir "$T/j" --passphrase-file "$T/p" contact show "$id")
"$C" --dir "$T/j" --passphrase-file "$T/p" agent --detach --log-file "$T/agent.log" >/dev/null
pid=$(head -1 "$T/j/agent.lock")
"$C" --dir "$T/j" sync --now >/dev/null
with=$(median "$runs" "$C" --dir "$T/j" contact show "$id")
printf 'agent: cairn contact show, %s contacts: %s ms median with the agent, %s ms without (Argon2id), ratio %.1fx; floor (cairn --version) %s ms\n' \
	"$n" "$with" "$without" "$(python3 -c "print($without / $with)")" "$floor"
python3 -c "import sys; print('agent: CLI with the agent <= 10 ms:', 'PASS' if $with <= 10 else 'MISS')"
for i in 1 2 3; do "$C" --dir "$T/j" sync --now >/dev/null; done
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
printf 'agent: idle RSS %.1f MB after 4 rounds (goal <= 15 MB): %s\n' "$(python3 -c "print($rss / 1024)")" \
	"$([ "$rss" -le 15360 ] && echo PASS || echo MISS)"
