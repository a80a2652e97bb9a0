#!/usr/bin/env bash
# Every C file git tracks is laid out as .clang-format says (clang-format 14, scripts/deps.sh test
# installs it). A failure lists the files; `make format` rewrites them. Usage: format.sh SOURCE_DIR
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
