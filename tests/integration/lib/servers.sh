# shellcheck shell=bash
# servers.sh — real git servers on loopback for cairn's integration tests. Source it, never run it.
#
#   . tests/integration/lib/servers.sh
#   srv_init                          # private root, EXIT/INT/TERM trap that stops all we started
#   repo=$(srv_bare_repo central)     # $SRV_ROOT/repos/central.git, configured like cairn's central repo
#   srv_git_daemon                    # GIT_DAEMON_URL=git://127.0.0.1:P     (+ _stop, _start_again)
#   srv_http                          # SRV_HTTP_URL / SRV_HTTPS_URL = http(s)://127.0.0.1:P/git
#   srv_sshd                          # SRV_SSH_URL=ssh://root@127.0.0.1:P$SRV_ROOT/repos
#   git push "$GIT_DAEMON_URL/central.git" ...
#   srv_stop_all / srv_wait_port PORT [SECONDS] / srv_log NAME (git-daemon, http, sshd: its logs to stderr)
#
# Needs root (sshd runs as root, /run/sshd), python3, openssl, lighttpd with mod_openssl, openssh-server,
# ss from iproute2, pgrep: `scripts/deps.sh test` installs them.
#
# Invariants this file keeps:
#   1. Every daemon is started by the shell that called srv_init (never call a srv_* start function
#      inside $(...) or a pipeline): it is a direct child of that shell, leads its own process group,
#      and has PR_SET_PDEATHSIG=SIGTERM, so it dies with the test even when the test is SIGKILLed
#      (its zombie then waits for init, or for a subreaper: see servers_selftest.sh).
#   2. The EXIT trap (INT, TERM and HUP are turned into exits that reach it) kills each group, waits
#      for it, then SIGKILLs stragglers; an EXIT trap set before srv_init still runs after ours.
#   3. Readiness is observed, never assumed: a start function returns only when the port is listened
#      on by the process it started (ss -p), or fails with the log. No fixed sleeps. A port that
#      another process took between our probe and the daemon's bind(2) is retried with a new port.
#   4. Start functions are idempotent and silent on success; all output goes to $SRV_ROOT/logs/.
#
# Variables exported (after the matching start function):
#   SRV_ROOT                 the private root (mktemp -d under ${TMPDIR:-/tmp}); removed at exit
#                            unless SRV_KEEP=1 (or the test failed and SRV_KEEP_ON_FAILURE=1)
#   GIT_DAEMON_URL           git://127.0.0.1:P                       (SRV_GIT_DAEMON_PORT)
#   SRV_HTTP_URL             http://127.0.0.1:P/git                  (SRV_HTTP_PORT)
#   SRV_HTTPS_URL            https://127.0.0.1:P/git                 (SRV_HTTPS_PORT)
#   SRV_HTTP_USER            cairn;  SRV_HTTP_PASSWORD_FILE: its random password ([A-Za-z0-9]{24})
#   SRV_CA_FILE              PEM of the throwaway CA that signed the HTTPS certificate
#   SRV_CERT_SHA256          lowercase hex SHA-256 of the server certificate's DER (what libgit2's
#                            git_cert_x509.data holds); SRV_CERT_FILE is its PEM
#   SRV_SSH_URL              ssh://root@127.0.0.1:P$SRV_ROOT/repos   (SRV_SSH_PORT)
#   SRV_SSH_KEY, SRV_SSH_PUB the ed25519 client key, OpenSSH format (the one libgit2 1.5 can use here)
#   SRV_SSH_KEY_RSA, SRV_SSH_PUB_RSA   RSA-3072 client key in PEM ("BEGIN RSA PRIVATE KEY")
#   SRV_SSH_KNOWN_HOSTS      known_hosts for [127.0.0.1]:P, ed25519 line first, then RSA
#   SRV_SSH_HOSTKEY_SHA256   raw SHA-256 of the ed25519 host key blob, lowercase hex (what
#                            git_cert_hostkey.hash_sha256 holds); SRV_SSH_HOSTKEY_RSA_SHA256 likewise
#   SRV_SSH_COMMAND          a GIT_SSH_COMMAND for the plain git CLI (key, known_hosts, port, batch mode)
#
# Options read from the environment: SRV_START_TIMEOUT (seconds, default 20);
# SRV_SSH_LEGACY_RSA=1 makes sshd accept SHA-1 "ssh-rsa" signatures and host keys again, which is the
# only way libssh2 1.10 can use an RSA key (see below).
#
# What libgit2 1.5.1 (Debian 12: libssh2 1.10.0 on OpenSSL 3, mbedTLS 2.28) needs per transport.
# Measured against these servers with a C client; details and code in docs/transports.md.
#   file / bare path  nothing.
#   git://            nothing; no authentication, no encryption.
#   http(s)://        basic auth: the credentials callback is asked with allowed_types containing
#                     GIT_CREDENTIAL_USERPASS_PLAINTEXT after a 401; answer with
#                     git_credential_userpass_plaintext_new(). After a refusal libgit2 asks again,
#                     forever: stop after one failure yourself.
#   https://          mbedTLS only trusts /etc/ssl/certs/ca-certificates.crt (compiled in). A private
#                     CA needs git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, ca_file, dir), which is
#                     process-global and REPLACES the system bundle (dir "/etc/ssl/certs" keeps the
#                     system CAs too). GIT_SSL_CAINFO and http.sslCAInfo are ignored. mbedTLS 2.28
#                     does not match IP subjectAltNames: a certificate for https://127.0.0.1 must carry
#                     DNS:127.0.0.1 (ours does). certificate_check gets GIT_CERT_X509 with the DER in
#                     data/len, valid=0/1; returning 0 accepts even when valid=0, so a SHA-256 pin works
#                     without installing the CA at all.
#   ssh://            key: git_credential_ssh_key_new(&c, user, NULL, priv_path, passphrase_or_NULL) or
#                     git_credential_ssh_key_memory_new(); the ed25519 key in OpenSSH format works.
#                     RSA keys (PEM or OpenSSH) authenticate only with SRV_SSH_LEGACY_RSA=1: libssh2
#                     1.10 signs with SHA-1 "ssh-rsa", which OpenSSH >= 8.8 refuses by default.
#                     Host key: libgit2 itself checks $HOME/.ssh/known_hosts (nothing else) and calls
#                     certificate_check with GIT_CERT_HOSTKEY_LIBSSH2 (SHA-256/SHA-1/MD5 and the raw
#                     key blob) and valid=1 only on a match; return 0 to accept on your own pin.
#                     An "ssh-rsa" entry for the host in that file, listed first, makes libgit2 ask
#                     for an RSA host key and the handshake then fails against a default sshd.

[[ -n ${_SRV_LIB_LOADED:-} ]] && return 0
_SRV_LIB_LOADED=1

SRV_HTTP_USER=cairn
_SRV_PY=python3
[[ -x /usr/bin/python3 ]] && _SRV_PY=/usr/bin/python3 # skip version-manager shims: faster, same pid
_SRV_OWNER=""            # $BASHPID of the shell that ran srv_init
declare -gA _SRV_PID=()  # server name -> pid (== pgid) of the process we started
declare -gA _SRV_PORTS_USED=()

# ---- small helpers --------------------------------------------------------------------------------

_srv_die() {
	printf 'servers.sh: %s\n' "$*" >&2
	return 1
}

_srv_need_init() {
	[[ -n ${SRV_ROOT:-} && -d $SRV_ROOT && $_SRV_OWNER == "$BASHPID" ]] && return 0
	_srv_die "call srv_init first, from the test's main shell (not inside \$(...) or a pipeline)"
}

# Asks the kernel for a free loopback port; never hands out the same port twice in one run.
# Sets _srv_port (not echoed: the set of ports handed out must live in this shell).
_srv_free_port() {
	local p i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$("$_SRV_PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()') || return 1
		if [[ -z ${_SRV_PORTS_USED[$p]:-} ]]; then
			_SRV_PORTS_USED[$p]=1
			_srv_port=$p
			return 0
		fi
	done
	_srv_die "no free loopback port"
}

# 0 while PID exists and is not a zombie.
_srv_alive() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[[ ${st%% *} != Z ]]
}

# Starts "$@" as a direct child of this shell, in its own process group (pgid == pid), with stdin
# from /dev/null, output appended to LOG and PR_SET_PDEATHSIG so it cannot outlive us.
# Sets _srv_spawned to its pid.
_srv_spawn() {
	local log=$1 me=$BASHPID
	shift
	HOME=$SRV_ROOT/home "$_SRV_PY" -c '
import ctypes, os, signal, sys
try:
    os.setsid()
except OSError:
    pass  # already a process-group leader (job control is on): that is all we need
ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    sys.exit("servers.sh: parent died before the server started")
os.execvp(sys.argv[2], sys.argv[2:])' "$me" "$@" </dev/null >>"$log" 2>&1 &
	_srv_spawned=$!
}

# srv_wait_port PORT [TIMEOUT_SECONDS] — waits until 127.0.0.1:PORT accepts a connection.
srv_wait_port() {
	local port=$1 timeout=${2:-${SRV_START_TIMEOUT:-20}} deadline
	deadline=$((SECONDS + timeout))
	while ((SECONDS <= deadline)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	_srv_die "nothing listens on 127.0.0.1:$port after ${timeout}s"
}

# 0 once every PORT is listened on by PID itself; 1 as soon as PID is gone; 2 on timeout.
# Without ss(8) falls back to "the port accepts and PID is alive".
_srv_await() {
	local pid=$1 deadline port ok line
	shift
	deadline=$((SECONDS + ${SRV_START_TIMEOUT:-20}))
	while ((SECONDS <= deadline)); do
		_srv_alive "$pid" || return 1
		ok=1
		for port in "$@"; do
			if command -v ss >/dev/null 2>&1; then
				# Not "| grep -q": under a caller's pipefail, ss's SIGPIPE would read as "absent".
				line=$(ss -Hltnp "sport = :$port" 2>/dev/null) || line=""
				# Listening, and by PID; or listening and ss cannot name the owner at all.
				[[ -n $line && ($line == *"pid=$pid,"* || $line != *users:*) ]] || ok=0
			else
				(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || ok=0
			fi
		done
		((ok)) && return 0
		sleep 0.05
	done
	return 2
}

# Stops the server NAME: TERM its group, wait (bounded), reap, KILL whatever is left of the group.
# Safe under the caller's set -e: every step that may find nothing to do is guarded.
_srv_stop() {
	local name=$1 pid i kids
	pid=${_SRV_PID[$name]:-}
	[[ -n $pid ]] || return 0
	unset "_SRV_PID[$name]"
	# sshd's per-connection children setsid() away from its group; take them by parent id.
	kids=$(pgrep -P "$pid" 2>/dev/null) || kids=""
	# shellcheck disable=SC2086 # $kids: a list of pids
	kill -TERM -- "-$pid" $kids 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		_srv_alive "$pid" || break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	kill -KILL -- "-$pid" $kids 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		kill -0 -- "-$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	return 0
}

# 0 when the last lines of the log files say the port was taken (we lost the race for it).
_srv_port_taken() {
	local f
	for f in "$@"; do
		[[ -e $f && $(tail -n 5 -- "$f") == *'Address already in use'* ]] && return 0
	done
	return 1
}

# _srv_cleanup EXIT_STATUS — stops everything and removes $SRV_ROOT (kept on request).
_srv_cleanup() {
	local rc=${1:-0}
	[[ $_SRV_OWNER == "$BASHPID" ]] || return 0
	srv_stop_all
	if [[ -n ${SRV_ROOT:-} && -d $SRV_ROOT ]]; then
		if [[ ${SRV_KEEP:-0} == 1 || ($rc != 0 && ${SRV_KEEP_ON_FAILURE:-0} == 1) ]]; then
			echo "servers.sh: kept $SRV_ROOT" >&2
		else
			rm -rf -- "$SRV_ROOT"
		fi
	fi
	_SRV_OWNER=""
	return 0
}

_srv_on_exit() {
	local rc=$?
	_srv_cleanup "$rc"
	if [[ -n ${_SRV_PREV_EXIT_TRAP:-} ]]; then
		(exit "$rc")
		eval "$_SRV_PREV_EXIT_TRAP"
	fi
	exit "$rc"
}

# The command of a `trap -p` line ("trap -- 'CMD' EXIT"), or nothing.
_srv_trap_command() {
	[[ -n $1 ]] || return 0
	eval "set -- $1"
	printf '%s' "$3"
}

# ---- public API -----------------------------------------------------------------------------------

srv_init() {
	[[ -n ${SRV_ROOT:-} && -d $SRV_ROOT && $_SRV_OWNER == "$BASHPID" ]] && return 0
	command -v "$_SRV_PY" >/dev/null || { _srv_die "python3 is required"; return 1; }
	SRV_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/cairn-srv.XXXXXX") || return 1
	export SRV_ROOT
	mkdir -p "$SRV_ROOT"/{repos,logs,home,http,ssh}
	_SRV_OWNER=$BASHPID
	_SRV_PID=()
	# Keep a test's own EXIT trap: ours runs first, then theirs with the same $?. `trap -p` quotes
	# for reuse, so eval recovers the exact command.
	_SRV_PREV_EXIT_TRAP=$(_srv_trap_command "$(trap -p EXIT)")
	[[ $_SRV_PREV_EXIT_TRAP == _srv_on_exit ]] && _SRV_PREV_EXIT_TRAP=""
	trap _srv_on_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# srv_stop_all — stops every server this shell started; $SRV_ROOT and its logs stay until exit.
srv_stop_all() {
	local name
	for name in "${!_SRV_PID[@]}"; do
		_srv_stop "$name"
	done
	return 0
}

# srv_log NAME — prints the logs of server NAME (git-daemon, http, sshd, or any log file stem) to stderr.
srv_log() {
	local f found=0
	for f in "$SRV_ROOT"/logs/"$1"*.log; do
		[[ -e $f ]] || continue
		found=1
		printf '==== %s ====\n' "${f#"$SRV_ROOT"/}" >&2
		tail -n 200 -- "$f" >&2
	done
	((found)) || echo "servers.sh: no log for '$1' in $SRV_ROOT/logs" >&2
	return 0
}

# srv_bare_repo NAME — creates (once) $SRV_ROOT/repos/NAME.git like cairn's central repo; echoes its path.
srv_bare_repo() {
	local name=$1 dir
	[[ -n ${SRV_ROOT:-} && -d $SRV_ROOT ]] || { _srv_die "call srv_init first"; return 1; }
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { _srv_die "bad repository name '$name'"; return 1; }
	dir=$SRV_ROOT/repos/$name.git
	if [[ ! -d $dir ]]; then
		if ! {
			git -c init.defaultBranch=main init -q --bare "$dir" &&
				git -C "$dir" config receive.denyNonFastForwards true &&
				git -C "$dir" config receive.denyDeletes true &&
				git -C "$dir" config receive.fsckObjects true &&
				git -C "$dir" config http.receivepack true
		} >>"$SRV_ROOT/logs/repos.log" 2>&1; then
			_srv_die "cannot create $dir (see $SRV_ROOT/logs/repos.log)"
			return 1
		fi
	fi
	echo "$dir"
}

# ---- git daemon ---------------------------------------------------------------------------------------

_srv_git_daemon_launch() {
	local port=$1 log=$SRV_ROOT/logs/git-daemon.log
	echo "---- $(date -u +%FT%TZ) git daemon on 127.0.0.1:$port" >>"$log"
	# The dashed binary, not `git daemon`: the git wrapper would fork it and keep the listener
	# out of reach of our pid checks.
	_srv_spawn "$log" "$(git --exec-path)/git-daemon" --verbose --informative-errors --reuseaddr \
		--base-path="$SRV_ROOT/repos" --export-all --enable=receive-pack \
		--listen=127.0.0.1 --port="$port" --pid-file="$SRV_ROOT/git-daemon.pid"
	_SRV_PID[git-daemon]=$_srv_spawned
	_srv_await "$_srv_spawned" "$port"
}

srv_git_daemon() {
	local port rc
	_srv_need_init || return 1
	if [[ -n ${_SRV_PID[git-daemon]:-} ]] && _srv_alive "${_SRV_PID[git-daemon]}"; then
		return 0
	fi
	for _ in 1 2 3 4 5; do # retried only when another process took the port first
		_srv_free_port || return 1
		port=$_srv_port
		_srv_git_daemon_launch "$port" && rc=0 || rc=$?
		((rc == 0)) && break
		_srv_stop git-daemon
		# Lost the race for the port to another process: try another one. Anything else is fatal.
		if ((rc != 1)) || ! _srv_port_taken "$SRV_ROOT/logs/git-daemon.log"; then
			break
		fi
	done
	((rc == 0)) || { srv_log git-daemon; _srv_die "git daemon did not start"; return 1; }
	SRV_GIT_DAEMON_PORT=$port
	GIT_DAEMON_URL=git://127.0.0.1:$port
	export SRV_GIT_DAEMON_PORT GIT_DAEMON_URL
}

# Takes the git daemon down (connections then fail with "connection refused").
srv_git_daemon_stop() {
	_srv_need_init || return 1
	_srv_stop git-daemon
}

# Brings it back on the same port, so URLs a test has stored stay valid.
srv_git_daemon_start_again() {
	_srv_need_init || return 1
	[[ -n ${SRV_GIT_DAEMON_PORT:-} ]] || { _srv_die "srv_git_daemon was never started"; return 1; }
	if [[ -n ${_SRV_PID[git-daemon]:-} ]] && _srv_alive "${_SRV_PID[git-daemon]}"; then
		return 0
	fi
	_srv_git_daemon_launch "$SRV_GIT_DAEMON_PORT" && return 0
	_srv_stop git-daemon
	srv_log git-daemon
	_srv_die "git daemon did not start again on port $SRV_GIT_DAEMON_PORT"
}

# ---- lighttpd + git http-backend ----------------------------------------------------------------------

# CA, server certificate (SAN IP:127.0.0.1 and DNS:127.0.0.1, see the header), password file.
_srv_http_material() {
	local d=$SRV_ROOT/http log=$SRV_ROOT/logs/http-setup.log
	[[ -s $d/server.pem ]] && return 0
	command -v openssl >/dev/null || { _srv_die "openssl is required (scripts/deps.sh test)"; return 1; }
	{
		"$_SRV_PY" -c 'import secrets, string
a = string.ascii_letters + string.digits
print("".join(secrets.choice(a) for _ in range(24)), end="")' >"$d/password.tmp" &&
			mv "$d/password.tmp" "$SRV_ROOT/http.password" &&
			printf '%s:%s\n' "$SRV_HTTP_USER" "$(cat "$SRV_ROOT/http.password")" >"$d/users" &&
			openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=cairn test CA" \
				-addext "basicConstraints=critical,CA:TRUE" \
				-addext "keyUsage=critical,keyCertSign,cRLSign" \
				-keyout "$d/ca.key" -out "$d/ca.pem" &&
			openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" \
				-keyout "$d/server.key" -out "$d/server.csr" &&
			printf '%s\n' "basicConstraints=critical,CA:FALSE" \
				"keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
				"subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost" >"$d/server.ext" &&
			openssl x509 -req -sha256 -days 2 -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
				-set_serial "0x$(openssl rand -hex 8)" -extfile "$d/server.ext" -out "$d/server.pem.tmp" &&
			mv "$d/server.pem.tmp" "$d/server.pem"
	} >>"$log" 2>&1 || { srv_log http-setup; _srv_die "cannot make the HTTPS certificate"; return 1; }
	chmod 600 "$d/ca.key" "$d/server.key" "$SRV_ROOT/http.password" "$d/users"
}

_srv_http_config() {
	local port=$1 tls_port=$2 d=$SRV_ROOT/http backend
	backend=$(git --exec-path)/git-http-backend
	mkdir -p "$d/docroot" "$d/tmp"
	# lighttpd runs as root: without server.username it keeps its uid, and git (http-backend,
	# receive-pack) then owns what it writes exactly as the other servers do; no safe.directory.
	cat >"$d/lighttpd.conf" <<EOF
server.modules = ( "mod_alias", "mod_auth", "mod_authn_file", "mod_setenv", "mod_cgi", "mod_openssl",
                   "mod_accesslog" )
server.document-root = "$d/docroot"
server.upload-dirs   = ( "$d/tmp" )
server.bind          = "127.0.0.1"
server.port          = $port
server.pid-file      = "$d/lighttpd.pid"
server.errorlog      = "$SRV_ROOT/logs/http-error.log"
accesslog.filename   = "$SRV_ROOT/logs/http-access.log"
server.tag           = "cairn-test"
\$SERVER["socket"] == "127.0.0.1:$tls_port" {
    ssl.engine  = "enable"
    ssl.pemfile = "$d/server.pem"
    ssl.privkey = "$d/server.key"
}
alias.url = ( "/git" => "$backend" )
\$HTTP["url"] =~ "^/git/" {
    cgi.assign = ( "" => "" )
    setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$SRV_ROOT/repos",
                               "GIT_HTTP_EXPORT_ALL" => "1",
                               "HOME" => "$SRV_ROOT/home" )
    auth.backend = "plain"
    auth.backend.plain.userfile = "$d/users"
    auth.require = ( "" => ( "method" => "basic", "realm" => "cairn", "require" => "valid-user" ) )
}
EOF
}

srv_http() {
	local port tls_port rc log=$SRV_ROOT/logs/http.log lighttpd
	_srv_need_init || return 1
	if [[ -n ${_SRV_PID[http]:-} ]] && _srv_alive "${_SRV_PID[http]}"; then
		return 0
	fi
	lighttpd=$(command -v lighttpd || echo /usr/sbin/lighttpd)
	[[ -x $lighttpd ]] || { _srv_die "lighttpd is not installed (scripts/deps.sh test)"; return 1; }
	_srv_http_material || return 1
	for _ in 1 2 3 4 5; do # retried only when another process took the port first
		_srv_free_port || return 1
		port=$_srv_port
		_srv_free_port || return 1
		tls_port=$_srv_port
		_srv_http_config "$port" "$tls_port"
		"$lighttpd" -tt -f "$SRV_ROOT/http/lighttpd.conf" >>"$log" 2>&1 ||
			{ srv_log http; _srv_die "lighttpd rejects its configuration"; return 1; }
		echo "---- $(date -u +%FT%TZ) lighttpd on 127.0.0.1:$port and :$tls_port (TLS)" >>"$log"
		_srv_spawn "$log" "$lighttpd" -D -f "$SRV_ROOT/http/lighttpd.conf"
		_SRV_PID[http]=$_srv_spawned
		_srv_await "$_srv_spawned" "$port" "$tls_port" && rc=0 || rc=$?
		((rc == 0)) && break
		_srv_stop http
		if ((rc != 1)) || ! _srv_port_taken "$log" "$SRV_ROOT/logs/http-error.log"; then
			break
		fi
	done
	((rc == 0)) || { srv_log http; _srv_die "lighttpd did not start"; return 1; }
	SRV_HTTP_PORT=$port
	SRV_HTTPS_PORT=$tls_port
	SRV_HTTP_URL=http://127.0.0.1:$port/git
	SRV_HTTPS_URL=https://127.0.0.1:$tls_port/git
	SRV_HTTP_PASSWORD_FILE=$SRV_ROOT/http.password
	SRV_CA_FILE=$SRV_ROOT/http/ca.pem
	SRV_CERT_FILE=$SRV_ROOT/http/server.pem
	SRV_CERT_SHA256=$(openssl x509 -in "$SRV_CERT_FILE" -outform DER | sha256sum | cut -d' ' -f1)
	export SRV_HTTP_PORT SRV_HTTPS_PORT SRV_HTTP_URL SRV_HTTPS_URL SRV_HTTP_USER \
		SRV_HTTP_PASSWORD_FILE SRV_CA_FILE SRV_CERT_FILE SRV_CERT_SHA256
}

# ---- sshd -----------------------------------------------------------------------------------------------

_srv_ssh_material() {
	local d=$SRV_ROOT/ssh log=$SRV_ROOT/logs/sshd-setup.log
	[[ -s $d/authorized_keys ]] && return 0
	{
		ssh-keygen -q -t ed25519 -N '' -C cairn-test-host -f "$d/host_ed25519" &&
			ssh-keygen -q -t rsa -b 3072 -N '' -C cairn-test-host -f "$d/host_rsa" &&
			ssh-keygen -q -t ed25519 -N '' -C cairn-test-client -f "$d/id_ed25519" &&
			ssh-keygen -q -m PEM -t rsa -b 3072 -N '' -C cairn-test-client -f "$d/id_rsa" &&
			cat "$d/id_ed25519.pub" "$d/id_rsa.pub" >"$d/authorized_keys"
	} >>"$log" 2>&1 </dev/null || { srv_log sshd-setup; _srv_die "ssh-keygen failed"; return 1; }
}

# Hex SHA-256 of the key blob in an OpenSSH .pub file, as libssh2 computes it for the host key.
_srv_pub_sha256() {
	cut -d' ' -f2 "$1" | base64 -d | sha256sum | cut -d' ' -f1
}

_srv_sshd_config() {
	local port=$1 d=$SRV_ROOT/ssh legacy=""
	if [[ ${SRV_SSH_LEGACY_RSA:-0} == 1 ]]; then
		legacy=$'PubkeyAcceptedAlgorithms +ssh-rsa\nHostKeyAlgorithms +ssh-rsa'
	fi
	cat >"$d/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $d/host_ed25519
HostKey $d/host_rsa
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
HostbasedAuthentication no
UsePAM no
StrictModes no
PermitUserEnvironment no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
UseDNS no
MaxStartups 100
LogLevel VERBOSE
# Commands run through root's bash, which sources ~/.bashrc when started by sshd unless SHLVL says
# it is nested. A developer's rc (pyenv init, ...) costs a second or more per git operation here.
SetEnv SHLVL=1
$legacy
EOF
}

srv_sshd() {
	local port rc sshd log=$SRV_ROOT/logs/sshd.log d=$SRV_ROOT/ssh
	_srv_need_init || return 1
	if [[ -n ${_SRV_PID[sshd]:-} ]] && _srv_alive "${_SRV_PID[sshd]}"; then
		return 0
	fi
	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	[[ -x $sshd ]] || { _srv_die "sshd is not installed (scripts/deps.sh test)"; return 1; }
	[[ $(id -u) == 0 ]] || { _srv_die "srv_sshd needs root"; return 1; }
	# sshd refuses a locked account when PAM is off; say so rather than fail at the first push.
	if [[ $(getent shadow root 2>/dev/null | cut -d: -f2) == '!'* ]]; then
		_srv_die "root's password is locked ('!' in /etc/shadow): sshd without PAM refuses it"
		return 1
	fi
	mkdir -p /run/sshd && chmod 755 /run/sshd # privilege separation directory
	_srv_ssh_material || return 1
	for _ in 1 2 3 4 5; do # retried only when another process took the port first
		_srv_free_port || return 1
		port=$_srv_port
		_srv_sshd_config "$port"
		"$sshd" -t -f "$d/sshd_config" >>"$log" 2>&1 ||
			{ srv_log sshd; _srv_die "sshd rejects its configuration"; return 1; }
		echo "---- $(date -u +%FT%TZ) sshd on 127.0.0.1:$port" >>"$log"
		_srv_spawn "$log" "$sshd" -D -e -f "$d/sshd_config"
		_SRV_PID[sshd]=$_srv_spawned
		_srv_await "$_srv_spawned" "$port" && rc=0 || rc=$?
		((rc == 0)) && break
		_srv_stop sshd
		if ((rc != 1)) || ! _srv_port_taken "$log"; then
			break
		fi
	done
	((rc == 0)) || { srv_log sshd; _srv_die "sshd did not start"; return 1; }
	# ed25519 first: libgit2 asks the server for the key type of the first entry it finds here.
	{
		printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$d/host_ed25519.pub")"
		printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$d/host_rsa.pub")"
	} >"$d/known_hosts"
	SRV_SSH_PORT=$port
	SRV_SSH_URL=ssh://root@127.0.0.1:$port$SRV_ROOT/repos
	SRV_SSH_KEY=$d/id_ed25519
	SRV_SSH_PUB=$d/id_ed25519.pub
	SRV_SSH_KEY_RSA=$d/id_rsa
	SRV_SSH_PUB_RSA=$d/id_rsa.pub
	SRV_SSH_KNOWN_HOSTS=$d/known_hosts
	SRV_SSH_HOSTKEY_SHA256=$(_srv_pub_sha256 "$d/host_ed25519.pub")
	SRV_SSH_HOSTKEY_RSA_SHA256=$(_srv_pub_sha256 "$d/host_rsa.pub")
	# GIT_SSH_COMMAND is run by a shell: quote the paths.
	SRV_SSH_COMMAND=$(printf 'ssh -F /dev/null -i %q -o IdentitiesOnly=yes -o BatchMode=yes' "$SRV_SSH_KEY")
	SRV_SSH_COMMAND+=$(printf ' -o StrictHostKeyChecking=yes -o UserKnownHostsFile=%q' "$SRV_SSH_KNOWN_HOSTS")
	SRV_SSH_COMMAND+=" -o GlobalKnownHostsFile=/dev/null -p $port"
	export SRV_SSH_PORT SRV_SSH_URL SRV_SSH_KEY SRV_SSH_PUB SRV_SSH_KEY_RSA SRV_SSH_PUB_RSA \
		SRV_SSH_KNOWN_HOSTS SRV_SSH_HOSTKEY_SHA256 SRV_SSH_HOSTKEY_RSA_SHA256 SRV_SSH_COMMAND
}
