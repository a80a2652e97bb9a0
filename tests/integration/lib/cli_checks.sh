# cli_checks.sh — the checks the CLI test scripts share (cli_test.sh, cli_setup.sh, domain/domain_cli.sh,
# domain/caseload_audit.sh). Source it after setting T (a temporary directory) and CAIRN (the binary).
# run ARGS... runs cairn with stdout in $T/out, stderr in $T/err, the exit code in $rc; error_line calls
# it, and a script may define its own after sourcing this (cli_setup.sh adds a timeout). End with
#   echo "$passed passed, $failed failed"; [[ $failed == 0 ]]
passed=0
failed=0
rc=0
run() {
	set +e
	"$CAIRN" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	set -e
}
ok() { passed=$((passed + 1)); }
bad() {
	failed=$((failed + 1))
	echo "FAIL: $*" >&2
}
show_err() { head -c 400 "$T/err" | tr '\n' ' '; }
# check CONDITION DESCRIPTION: a shell test.
check() { if eval "$1"; then ok; else bad "$2"; fi; }
# error_line CODE DESCRIPTION REGEX ARGS...: exit CODE, nothing on stdout, one error line "cairn: ..."
# matching REGEX (warnings aside).
error_line() {
	local want=$1 what=$2 re=$3
	shift 3
	run "$@"
	if [[ $rc != "$want" ]]; then
		bad "$what: exit $rc, want $want (stderr: $(show_err))"
	elif [[ -s $T/out ]]; then
		bad "$what: wrote to stdout: $(head -c 200 "$T/out")"
	elif [[ $(grep -vc '^cairn: warning: ' "$T/err") != 1 ]]; then
		bad "$what: want one error line, got: $(show_err)"
	elif ! grep -v '^cairn: warning: ' "$T/err" | grep -E "^cairn: .*$re" >/dev/null; then
		bad "$what: stderr does not match '$re': $(show_err)"
	else
		ok
	fi
}
