#!/usr/bin/env bash
# cli_setup.sh — setting a device up with the real `cairn` binary: mistakes in init, remote add, sync and
# serve fail at once with one line, and a failed init leaves nothing behind, so it can simply run again.
#
# Usage: cli_setup.sh PATH/TO/cairn
#
# Style and helpers as in cli_test.sh. Everything runs in a temporary directory; serve listens on a free
# loopback port and is stopped by its pid.
set -euo pipefail

CAIRN=${1:?usage: cli_setup.sh PATH/TO/cairn}
command -v python3 >/dev/null || { echo "cli_setup.sh: python3 is required" >&2; exit 2; }
command -v git >/dev/null || { echo "cli_setup.sh: git is required" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-setup.XXXXXX")
SERVE_PID=
BUSY_PID=
trap 'for p in $SERVE_PID $BUSY_PID; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
unset CAIRN_DIR CAIRN_DEBUG
export HOME="$T/home" XDG_DATA_HOME="$T/xdg"
mkdir -p "$HOME"
. "$(cd "$(dirname "$0")" && pwd)/lib/cli_checks.sh"
cd "$T"

# run ARGS...: cairn with stdout in $T/out, stderr in $T/err, the exit code in $rc; never waits on a
# terminal (setsid: no controlling tty), never runs longer than 20 s (a daemon that should not start).
run() {
	set +e
	setsid timeout 20 "$CAIRN" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	set -e
}
# Every entry under a directory, with the hash of each file's content.
tree() { (cd "$1" && find . | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }

P="$T/pw"
JP="$T/join.pw"
printf 'correct horse battery staple\n' >"$P"
printf 'a join passphrase\n' >"$JP"
printf 'not the join passphrase\n' >"$T/wrong.pw"
chmod 600 "$P" "$JP" "$T/wrong.pw"
A="$T/a"
c() { "$CAIRN" --dir "$A" --passphrase-file "$P" "$@"; }
c init --kdf min >/dev/null 2>&1
c team init >/dev/null
c team export "$T/team.join" --join-passphrase-file "$JP" --kdf min >/dev/null 2>&1
FP=$(printf 'ab%.0s' {1..32})

# ---- init: checked before anything is made; what a late failure made is taken back -----------------
init_in() { run --dir "$1" --passphrase-file "$P" init --kdf min "${@:2}"; }
for i in 1 2; do
	error_line 4 "init --join with a missing join file (run $i)" "cannot read join file '/nonexistent'" \
		--dir "$T/x1" --passphrase-file "$P" init --kdf min --join /nonexistent --join-passphrase-file "$JP"
	check '! grep -q "created" "$T/err" && [[ ! -e $T/x1 ]]' "init --join /nonexistent (run $i) creates nothing"
done
error_line 4 "init --join with a missing join file, no --join-passphrase-file: the file is named" \
	"cannot read join file" --dir "$T/x2" --passphrase-file "$P" init --kdf min --join /nonexistent
error_line 2 "init --join without a terminal or --join-passphrase-file" "--join-passphrase-file" \
	--dir "$T/x2" --passphrase-file "$P" init --kdf min --join "$T/team.join"
error_line 2 "init with a missing --join-passphrase-file" "/nonexistent" \
	--dir "$T/x2" --passphrase-file "$P" init --kdf min --join "$T/team.join" --join-passphrase-file /nonexistent
check '[[ ! -e $T/x2 ]]' "an init refused for its join options creates nothing"
error_line 2 "team join without a terminal or --join-passphrase-file names that option" "--join-passphrase-file" \
	--dir "$A" --passphrase-file "$P" team join "$T/team.join"
# A failed init never removes what was there: not through "new/.." (which names an existing journal only
# once "new" is made), and not an empty directory. Before, the first case deleted the journal, key included.
error_line 2 "init through a missing directory and '..' is refused" "goes through '..'" \
	--dir "$T/nothere/../a" --passphrase-file "$P" init --kdf min
check '[[ -s $T/a/key && -s $T/a/journal.db && ! -e $T/nothere ]]' "and the journal it named is untouched"
mkdir "$T/empty"
error_line 2 "init into an empty directory through '..' is refused" "goes through '..'" \
	--dir "$T/nothere/../empty" --passphrase-file "$P" init --kdf min
check '[[ -d $T/empty ]]' "and the empty directory is still there"

# A wrong join passphrase shows only after the journal exists: all of it goes, parents made for it too.
error_line 3 "init --join with a wrong join passphrase" "wrong passphrase for join file" \
	--dir "$T/x3/deep/dir" --passphrase-file "$P" init --kdf min --join "$T/team.join" --join-passphrase-file "$T/wrong.pw"
check '! grep -q "created" "$T/err"' "a failed init does not say it created a journal"
check '[[ ! -e $T/x3 ]]' "a failed init removes the journal and the directories it made"
init_in "$T/x3/deep/dir" --join "$T/team.join" --join-passphrase-file "$JP"
check '[[ $rc == 0 && -f $T/x3/deep/dir/key ]] && grep -q "joined the team" "$T/err"' \
	"the same init runs again once the passphrase is right ($(show_err))"
check 'grep -q "created an encrypted journal" "$T/err"' "a successful init says it created the journal"

# A directory that was there keeps everything it had.
mkdir -p "$T/x4"
echo "mine" >"$T/x4/notes.txt"
before=$(tree "$T/x4")
error_line 3 "init in an existing directory, wrong join passphrase" "wrong passphrase" \
	--dir "$T/x4" --passphrase-file "$P" init --kdf min --join "$T/team.join" --join-passphrase-file "$T/wrong.pw"
check '[[ $(tree "$T/x4") == "$before" ]]' "a failed init in an existing directory leaves it as it was: $(ls -A "$T/x4")"
# A log repository that was there stays (here its remote 'central' makes the late step fail).
git init -q --bare "$T/x4/logs.git"
git -C "$T/x4/logs.git" remote add central /elsewhere
before=$(cd "$T/x4" && find . | sort)
error_line 9 "init --remote over a logs.git that has 'central'" "already exists" \
	--dir "$T/x4" --passphrase-file "$P" init --kdf min --remote "$T/central.git"
check '[[ $(cd "$T/x4" && find . | sort) == "$before" && $(cat "$T/x4/notes.txt") == mine ]]' \
	"a failed init removes its key and database, and nothing that was there"

error_line 2 "init --org malformed with --remote" "--org takes" \
	--dir "$T/x5" --passphrase-file "$P" init --kdf min --remote "$T/central.git" --org zz
error_line 2 "init --remote with a scheme cairn cannot use" "unsupported URL scheme 'ftp://'" \
	--dir "$T/x5" --passphrase-file "$P" init --kdf min --remote ftp://example.org/x --org "$FP"
check '[[ ! -e $T/x5 ]]' "an init refused for --org or --remote creates nothing"
git init -q --bare "$T/central.git"
(cd "$T" && run --dir "$T/x6" --passphrase-file "$P" init --kdf min --remote central.git)
run --dir "$T/x6" --passphrase-file "$P" --json remote list
url=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["url"])' <"$T/out" || true)
check '[[ $url == "$T/central.git" ]]' "init --remote with a relative path stores it absolute: '$url'"

# ---- office init: the same, for the office journal and its central repository -----------------------
touch "$T/afile"
error_line 2 "office init with a file in the way of --repo" "'$T/afile' is not a directory" \
	--dir "$T/o1" --passphrase-file "$P" office init --kdf min --repo "$T/afile/deep/central.git"
check '[[ ! -e $T/o1 ]]' "an office init refused for its --repo creates nothing"
# A directory that cannot take the repository fails only once the journal exists; it all goes again.
# (root ignores permissions, so root makes the directory immutable; chattr needs ext2/3/4 or the like.)
mkdir "$T/ro"
if [[ $(id -u) == 0 ]]; then chattr +i "$T/ro" 2>/dev/null || true; else chmod 555 "$T/ro"; fi
if mkdir "$T/ro/probe" 2>/dev/null; then
	rmdir "$T/ro/probe"
	echo "SKIP: cannot make a directory read-only here: the late office init failure is not checked" >&2
else
	error_line 10 "office init whose repository cannot be made" "cannot open or create the git repository '$T/ro/central.git'" \
		--dir "$T/o2/deep" --passphrase-file "$P" office init --kdf min --repo "$T/ro/central.git"
	check '[[ ! -e $T/o2 && ! -e $T/ro/central.git ]]' \
		"a failed office init removes its journal and the directories it made: $(find "$T/o2" 2>/dev/null | tr '\n' ' ')"
fi
if [[ $(id -u) == 0 ]]; then chattr -i "$T/ro" 2>/dev/null || true; else chmod 755 "$T/ro"; fi
run --dir "$T/o2/deep" --passphrase-file "$P" office init --kdf min --repo "$T/ro/central.git"
check '[[ $rc == 0 && -s $T/o2/deep/key && -d $T/ro/central.git ]]' \
	"the same office init runs again once the directory can take it ($(show_err))"

# ---- remote add ---------------------------------------------------------------------------------------
# Each under its own name, so that one accepted by mistake does not make the next fail for that.
error_line 2 "remote add ftp://" "unsupported URL scheme 'ftp://'" --dir "$A" --passphrase-file "$P" remote add x1 ftp://foo
error_line 2 "remote add a path with ':'" "file://" --dir "$A" --passphrase-file "$P" remote add x2 /media/a:b
error_line 2 "remote add file:// with a relative path" "absolute path" --dir "$A" --passphrase-file "$P" remote add x3 file://a/b
error_line 2 "remote add --credential-file missing" "--credential-file '/nonexistent'" \
	--dir "$A" --passphrase-file "$P" remote add x4 https://example.org/x --credential-file /nonexistent
error_line 2 "remote add --ssh-key missing" "--ssh-key '/nonexistent'" \
	--dir "$A" --passphrase-file "$P" remote add x5 ssh://git@example.org/x --ssh-key /nonexistent
run --dir "$A" --passphrase-file "$P" remote list
check '! grep -q "^x[0-9]" "$T/out"' "a refused remote is not added: $(tr '\n' ' ' <"$T/out")"
run --dir "$A" --passphrase-file "$P" remote add scp git@example.org:team/logs.git
check '[[ $rc == 0 ]]' "remote add takes scp-like user@host:path ($(show_err))"
run --dir "$A" --passphrase-file "$P" remote remove scp
for x in x1 x2 x3 x4 x5; do c remote remove $x >/dev/null 2>&1 || true; done

# ---- sync ---------------------------------------------------------------------------------------------
c contact add "Pending Person" >/dev/null
sealed() { c --json sync status | python3 -c 'import json,sys; print(json.load(sys.stdin)["sealed_seq"])'; }
s0=$(sealed)
error_line 4 "sync with a remote that does not exist" "no remote 'nosuch'" --dir "$A" --passphrase-file "$P" sync nosuch
check '[[ $(sealed) == "$s0" ]]' "sync NAME with no such remote seals nothing"
c remote add usb "$T/stick/cairn.git" >/dev/null
run --dir "$A" --passphrase-file "$P" sync usb
check '[[ $rc == 7 ]] && grep -Fq "no repository at '"'$T/stick/cairn.git'"' (is the drive mounted?)" "$T/err"' \
	"sync with a USB remote whose path is not there says so: exit $rc, $(show_err)"
c remote remove usb >/dev/null

# ---- serve --------------------------------------------------------------------------------------------
error_line 2 "serve --listen with port 99999" "1 to 65535" --dir "$A" serve --listen 127.0.0.1:99999
check '! grep -q serving "$T/err"' "serve announces nothing for a port it cannot use"
error_line 2 "serve --listen with port 0" "not 0" --dir "$A" serve --listen 127.0.0.1:0
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CAIRN" --dir "$A" serve --listen "127.0.0.1:0$port" 2>"$T/serve.err" </dev/null &
SERVE_PID=$!
for _ in $(seq 100); do
	git ls-remote "git://127.0.0.1:$port/logs.git" >/dev/null 2>&1 && break
	sleep 0.1
done
check 'grep -q "git://127.0.0.1:$port/logs.git" "$T/serve.err"' \
	"serve announces the port it listens on: $(tr '\n' ' ' <"$T/serve.err")"
check 'git ls-remote "git://127.0.0.1:$port/logs.git" | grep >/dev/null refs/heads/logs/' "the announced URL serves the logs"
kill "$SERVE_PID" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true
SERVE_PID=
error_line 2 "serve --listen with an unbracketed IPv6 address" "brackets" --dir "$A" serve --listen ::1:9418
# A port taken by another program: said before anything is announced.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(60)' \
	>"$T/busy.port" &
BUSY_PID=$!
for _ in $(seq 100); do [[ -s $T/busy.port ]] && break; sleep 0.05; done
busy=$(cat "$T/busy.port")
error_line 1 "serve on a port in use" "cannot listen on 127.0.0.1:$busy" --dir "$A" serve --listen "127.0.0.1:$busy"
kill "$BUSY_PID" 2>/dev/null || true
wait "$BUSY_PID" 2>/dev/null || true
BUSY_PID=

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
