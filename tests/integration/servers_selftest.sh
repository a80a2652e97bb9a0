#!/usr/bin/env bash
# Self-test of tests/integration/lib/servers.sh: starts every server, then for each URL kind (bare path,
# file://, git://, http:// with basic auth, https:// with the test CA, ssh://) pushes a commit and a
# fast-forward with the plain git CLI, fetches them back into another repository, and checks that the
# central repo's rules hold (non-fast-forward refused, deletion refused, fsck on). Then the negative
# paths (no/wrong password, wrong CA, unknown key, unknown host key, server down and back), and last the
# library's promise that nothing it started outlives the test: normal end, set -e failure, SIGTERM
# and SIGKILL of the test shell.
# Prints "N passed, N failed"; exits 1 on any failure. Needs root (sshd), scripts/deps.sh test.
set -u -o pipefail

# Become a child subreaper: daemons orphaned by the SIGKILL case below are then reparented to this
# shell, which reaps them, instead of lingering as zombies under an init that may not reap.
if [[ -z ${_CAIRN_SELFTEST_REAPER:-} ]]; then
	export _CAIRN_SELFTEST_REAPER=1
	exec python3 -c 'import ctypes, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
os.execvp("bash", ["bash"] + sys.argv[1:])' "$0" "$@"
fi

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/servers.sh
. "$here/lib/servers.sh"

passed=0 failed=0
out="" # output of the last run_ok / run_fails

pass() {
	passed=$((passed + 1))
	echo "ok - $*"
}
fail() {
	failed=$((failed + 1))
	echo "not ok - $*"
}
show_output() {
	[[ -n $out ]] && printf '%s\n' "$out" | tail -n 15 | sed 's/^/    # /'
	return 0
}

# run_ok DESC CMD... — CMD must succeed.
run_ok() {
	local desc=$1
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
		return 0
	fi
	fail "$desc"
	show_output
	return 1
}

# run_fails DESC PATTERN CMD... — CMD must fail, and say PATTERN (so it failed for the right reason).
run_fails() {
	local desc=$1 pattern=$2
	shift 2
	if out=$("$@" 2>&1); then
		fail "$desc (it succeeded)"
		show_output
		return 1
	fi
	if [[ $out != *"$pattern"* ]]; then
		fail "$desc (failed without saying '$pattern')"
		show_output
		return 1
	fi
	pass "$desc"
}

# check DESC EXPECTED ACTUAL
check() {
	if [[ $2 == "$3" ]]; then
		pass "$1"
	else
		fail "$1 (expected '$2', got '$3')"
	fi
}

# ---- the client side: plain git, isolated from the machine's and the user's configuration ----------

srv_init
export HOME=$SRV_ROOT/client GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME="cairn selftest" GIT_AUTHOR_EMAIL=selftest@cairn.invalid
export GIT_COMMITTER_NAME="cairn selftest" GIT_COMMITTER_EMAIL=selftest@cairn.invalid
unset XDG_CONFIG_HOME GIT_ASKPASS SSH_ASKPASS GIT_DIR GIT_WORK_TREE GIT_SSL_NO_VERIFY GIT_SSH \
	GIT_SSH_COMMAND GIT_PROXY_COMMAND http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
mkdir -p "$HOME"

# ---- servers -------------------------------------------------------------------------------------------

# start_ok DESC FUNCTION — runs a srv_* start function in this shell (it must: its daemons are our
# children) and checks that it succeeds silently.
start_ok() {
	local desc=$1 f=$SRV_ROOT/start.out rc=0
	"$2" >"$f" 2>&1 || rc=$?
	out=$(cat "$f")
	if ((rc == 0)) && [[ -z $out ]]; then
		pass "$desc"
		return 0
	fi
	fail "$desc (status $rc$([[ -n $out ]] && echo ', printed output'))"
	show_output
	((rc == 0))
}

have_daemon=0 have_http=0 have_ssh=0
start_ok "srv_git_daemon starts and listens" srv_git_daemon && have_daemon=1
start_ok "srv_http starts lighttpd (http and https)" srv_http && have_http=1
start_ok "srv_sshd starts sshd" srv_sshd && have_ssh=1

if ((have_daemon && have_http && have_ssh)); then
	pids_before="${_SRV_PID[*]}"
	start_ok "start functions are idempotent: git daemon" srv_git_daemon
	start_ok "start functions are idempotent: http" srv_http
	start_ok "start functions are idempotent: sshd" srv_sshd
	check "idempotent starts keep the same processes" "$pids_before" "${_SRV_PID[*]}"
fi

if ((have_http)); then
	# The password stays in its file: not in URLs, not in argv.
	helper="!f() { test \"\$1\" = get || exit 0; echo username=$SRV_HTTP_USER;"
	helper+=" printf 'password=%s\\n' \"\$(cat '$SRV_HTTP_PASSWORD_FILE')\"; }; f"
	git config --global credential.helper "$helper"
	export GIT_SSL_CAINFO=$SRV_CA_FILE # the machine may point it at the system bundle
fi
((have_ssh)) && export GIT_SSH_COMMAND=$SRV_SSH_COMMAND

# ---- push, fetch, and the central repo's rules, through every transport ----------------------------------

# transport_case NAME URL — NAME's own bare repo behind URL.
transport_case() {
	local name=$1 url=$2 repo w r ref=refs/heads/logs/dev-$1 c2
	repo=$(srv_bare_repo "$name") || { fail "$name: bare repo"; return; }
	w=$SRV_ROOT/client/writer-$name
	r=$SRV_ROOT/client/reader-$name
	if ! git init -q -b main "$w" || ! git init -q -b main "$r"; then
		fail "$name: client repos"
		return
	fi

	echo one >"$w/segment" && git -C "$w" add segment && git -C "$w" commit -qm "segment 1"
	run_ok "$name: push a new ref" git -C "$w" push "$url" "HEAD:$ref" &&
		check "$name: server has the pushed commit" "$(git -C "$w" rev-parse HEAD)" \
			"$(git --git-dir="$repo" rev-parse "$ref" 2>&1)"

	echo two >"$w/segment" && git -C "$w" commit -qam "segment 2"
	c2=$(git -C "$w" rev-parse HEAD)
	run_ok "$name: push a fast-forward" git -C "$w" push "$url" "HEAD:$ref" &&
		check "$name: server moved to the fast-forward" "$c2" "$(git --git-dir="$repo" rev-parse "$ref" 2>&1)"

	run_ok "$name: fetch back into another repository" \
		git -C "$r" fetch "$url" "+refs/heads/logs/*:refs/remotes/central/logs/*" &&
		check "$name: fetched the pushed commit" "$c2" \
			"$(git -C "$r" rev-parse "refs/remotes/central/logs/dev-$name" 2>&1)"

	git -C "$w" commit -q --amend -m "segment 2, rewritten"
	run_fails "$name: non-fast-forward push refused (receive.denyNonFastForwards)" "non-fast-forward" \
		git -C "$w" push --force "$url" "HEAD:$ref"
	run_fails "$name: deletion refused (receive.denyDeletes)" "deletion prohibited" \
		git -C "$w" push "$url" ":$ref"
	check "$name: server ref unchanged after the refused pushes" "$c2" \
		"$(git --git-dir="$repo" rev-parse "$ref" 2>&1)"
}

transport_case bare "$SRV_ROOT/repos/bare.git"
transport_case file "file://$SRV_ROOT/repos/file.git"
((have_daemon)) && transport_case git "$GIT_DAEMON_URL/git.git"
((have_http)) && transport_case http "$SRV_HTTP_URL/http.git"
((have_http)) && transport_case https "$SRV_HTTPS_URL/https.git"
((have_ssh)) && transport_case ssh "$SRV_SSH_URL/ssh.git"

# receive.fsckObjects: a fast-forward whose commit has a malformed author line.
w=$SRV_ROOT/client/writer-bare
tip=$(git --git-dir="$SRV_ROOT/repos/bare.git" rev-parse refs/heads/logs/dev-bare)
bad=$(printf 'tree %s\nparent %s\nauthor no email 0 +0000\ncommitter x <x@y> 0 +0000\n\nbad\n' \
	"$(git -C "$w" rev-parse 'HEAD^{tree}')" "$tip" | git -C "$w" hash-object -w -t commit --literally --stdin)
run_fails "malformed commit refused (receive.fsckObjects)" "missingEmail" \
	git -C "$w" push "$SRV_ROOT/repos/bare.git" "$bad:refs/heads/logs/dev-bare"

# ---- authentication and identity -------------------------------------------------------------------------

if ((have_http)); then
	run_fails "http: no credentials, no access" "could not read Username" \
		git -c credential.helper= ls-remote "$SRV_HTTP_URL/http.git"
	run_fails "http: wrong password refused" "Authentication failed" \
		git -c credential.helper= \
		-c "credential.helper=!f() { echo username=$SRV_HTTP_USER; echo password=wrong; }; f" \
		ls-remote "$SRV_HTTP_URL/http.git"
	other_ca=$SRV_ROOT/client/other-ca.pem
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=other CA" \
		-keyout "$SRV_ROOT/client/other-ca.key" -out "$other_ca" >/dev/null 2>&1
	run_fails "https: a certificate from another CA is refused" "certificate" \
		env GIT_SSL_CAINFO="$other_ca" git ls-remote "$SRV_HTTPS_URL/https.git"
	served=$(openssl s_client -connect "127.0.0.1:$SRV_HTTPS_PORT" -servername 127.0.0.1 </dev/null 2>/dev/null |
		openssl x509 -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)
	check "https: SRV_CERT_SHA256 is the served certificate's DER SHA-256" "$SRV_CERT_SHA256" "$served"
	run_ok "https: the certificate verifies for IP 127.0.0.1 against SRV_CA_FILE" \
		openssl verify -CAfile "$SRV_CA_FILE" -verify_ip 127.0.0.1 "$SRV_CERT_FILE"
fi

if ((have_ssh)); then
	ssh-keygen -q -t ed25519 -N '' -f "$SRV_ROOT/client/stranger" </dev/null >/dev/null 2>&1
	run_fails "ssh: a key not in authorized_keys is refused" "Permission denied" \
		env GIT_SSH_COMMAND="${SRV_SSH_COMMAND/$SRV_SSH_KEY/$SRV_ROOT/client/stranger}" \
		git ls-remote "$SRV_SSH_URL/ssh.git"
	printf '[127.0.0.1]:%s %s\n' "$SRV_SSH_PORT" "$(cut -d' ' -f1,2 "$SRV_ROOT/client/stranger.pub")" \
		>"$SRV_ROOT/client/wrong_known_hosts"
	run_fails "ssh: an unknown host key is refused" "Host key verification failed" \
		env GIT_SSH_COMMAND="${SRV_SSH_COMMAND/$SRV_SSH_KNOWN_HOSTS/$SRV_ROOT/client/wrong_known_hosts}" \
		git ls-remote "$SRV_SSH_URL/ssh.git"
	run_ok "ssh: the RSA PEM key is authorized too" \
		env GIT_SSH_COMMAND="${SRV_SSH_COMMAND/$SRV_SSH_KEY/$SRV_SSH_KEY_RSA}" git ls-remote "$SRV_SSH_URL/ssh.git"
	check "ssh: the RSA client key is PEM" "-----BEGIN RSA PRIVATE KEY-----" "$(head -n 1 "$SRV_SSH_KEY_RSA")"
	scanned=$(ssh-keyscan -t ed25519 -p "$SRV_SSH_PORT" 127.0.0.1 2>/dev/null | cut -d' ' -f3 | base64 -d |
		sha256sum | cut -d' ' -f1)
	check "ssh: SRV_SSH_HOSTKEY_SHA256 is the served ed25519 host key's SHA-256" \
		"$SRV_SSH_HOSTKEY_SHA256" "$scanned"
fi

# ---- taking the git daemon down and back ----------------------------------------------------------------

if ((have_daemon)); then
	port=$SRV_GIT_DAEMON_PORT url=$GIT_DAEMON_URL
	start_ok "srv_git_daemon_stop" srv_git_daemon_stop
	run_fails "git daemon down: connection refused" "Connection refused" git ls-remote "$url/git.git"
	start_ok "srv_git_daemon_start_again" srv_git_daemon_start_again
	check "git daemon back on the same port" "$port" "$SRV_GIT_DAEMON_PORT"
	run_ok "git daemon back: fetch works on the old URL" git ls-remote "$url/git.git"
fi

# ---- nothing outlives a test --------------------------------------------------------------------------

# child_case DESC HOW SERVERS... — a child test shell (set -euo pipefail) starts SERVERS (srv_*
# functions), then ends by HOW: "normal" (falls off the end), "errexit" (a failing command under
# set -e), "TERM" or "KILL" (signalled by us). Afterwards no process of its root may remain.
child_case() {
	local desc=$1 how=$2 info=$SRV_ROOT/child-$2.info root="" child i left
	shift 2
	bash -c '
		set -euo pipefail
		. "$1"
		info=$2 how=$3
		shift 3
		srv_init
		for start in "$@"; do "$start"; done
		echo "$SRV_ROOT" >"$info.tmp"; mv "$info.tmp" "$info"
		case $how in
		normal) exit 0 ;;
		errexit) false ;;
		*) while :; do sleep 0.1; done ;;
		esac' child "$here/lib/servers.sh" "$info" "$how" "$@" </dev/null >"$SRV_ROOT/logs/child-$how.log" 2>&1 &
	child=$!
	for ((i = 0; i < 1200; i++)); do # the child generates keys: allow it 60 s
		[[ -s $info ]] && break
		_srv_alive "$child" || break
		sleep 0.05
	done
	root=$(cat "$info" 2>/dev/null) || root=""
	if [[ -z $root ]]; then
		fail "$desc (the child did not start its servers)"
		out=$(cat "$SRV_ROOT/logs/child-$how.log")
		show_output
		kill -KILL "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		return
	fi
	case $how in TERM | KILL) kill "-$how" "$child" ;; esac
	wait "$child" 2>/dev/null
	for ((i = 0; i < 200; i++)); do # bounded: up to 10 s for the daemons to act on their signals
		left=$(pgrep -f -- "$root") || left=""
		[[ -z $left ]] && break
		sleep 0.05
	done
	if [[ -n $left ]]; then
		fail "$desc: processes left behind: $(ps -o pid=,args= -p "${left//$'\n'/,}" | tr '\n' ';')"
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL $left 2>/dev/null
	elif [[ $how != KILL && -e $root ]]; then
		fail "$desc: $root was not removed"
	else
		pass "$desc"
	fi
	[[ $how == KILL ]] && rm -rf -- "$root" # nobody was left to clean up after SIGKILL
	return 0
}

# Key generation makes srv_sshd the slow one: the two signal cases, which matter most, get all three.
child_case "no leftovers after a test ends normally" normal srv_git_daemon
child_case "no leftovers after a test fails under set -e" errexit srv_git_daemon srv_http
child_case "no leftovers after a test is terminated (SIGTERM)" TERM srv_git_daemon srv_http srv_sshd
child_case "no leftovers after a test is killed (SIGKILL: parent-death signal)" KILL \
	srv_git_daemon srv_http srv_sshd

root=$SRV_ROOT
srv_stop_all
left=""
for ((i = 0; i < 100; i++)); do
	left=$(pgrep -f -- "$root") || left=""
	[[ -z $left ]] && break
	sleep 0.05
done
check "srv_stop_all leaves no process behind" "" "$left"

echo "$passed passed, $failed failed"
((failed == 0))
