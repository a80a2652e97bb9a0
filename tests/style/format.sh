#!/usr/bin/env bash
# Every C file git tracks is laid out as .clang-format says (clang-format 14, scripts/deps.sh test
# installs it); a failure lists the files, and `make format` rewrites them. No test script pipes into
# `grep -q` (see the end). Usage: format.sh SOURCE_DIR
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "clang-format missing (scripts/deps.sh test installs it)"; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || true)
if [ "${#files[@]}" -eq 0 ]; then # not a git checkout (a source tarball): every C file under the tree
	mapfile -t files < <(find core cli sync tests bench -name '*.[ch]' | sort)
fi
bad=()
for f in "${files[@]}"; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
echo "${#files[@]} files checked, ${#bad[@]} not formatted"
if [ "${#bad[@]}" -gt 0 ]; then
	printf '  %s\n' "${bad[@]}"
	echo "run 'make format'"
	exit 1
fi
# Test scripts run under pipefail: "cmd | grep -q" exits at the first match, and a writer with more to say
# then dies of SIGPIPE, which pipefail reads as a failed check (office/trust failed so in CI). They pipe
# into "grep >/dev/null", which reads everything.
early=$(grep -rn -E '\| *grep +-[a-zA-Z]*q' tests --include='*.sh' | grep -v -E '^[^:]*:[0-9]*:[[:space:]]*#' || true)
if [ -n "$early" ]; then
	printf 'a test script pipes into grep -q (use grep >/dev/null):\n%s\n' "$early"
	exit 1
fi
