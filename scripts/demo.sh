#!/usr/bin/env bash
# The cairn demo: three outreach workers record offline, sync in different orders through a central
# bare git repository and a "USB stick" (another bare repository), edit the same person concurrently,
# and the office reconciles: the conflict is shown with both values, resolved by a new event, and every
# journal ends with the same state digest.
# Usage: scripts/demo.sh [path/to/cairn]   (make demo builds it and passes it)
set -euo pipefail
CAIRN=$(cd "$(dirname "${1:-build/cairn}")" && pwd)/$(basename "${1:-build/cairn}")
ROOT=${CAIRN_DEMO_DIR:-$PWD/demo-run}
rm -rf "$ROOT"
mkdir -p "$ROOT"
cd "$ROOT"
umask 077

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$CAIRN#cairn#; s#--passphrase-file [^ ]*##"; "$@"; }

# Passphrases for a script come from files, never argv (interactive use prompts without echo).
for w in ana ben cruz office; do echo "demo passphrase of $w" > "$w.pass"; done
echo "team join passphrase" > team.pass
c() { local who=$1; shift; "$CAIRN" --dir "$ROOT/$who" --passphrase-file "$ROOT/$who.pass" "$@"; }

say "The central office's repository: a bare git repo that only ever holds ciphertext"
git init -q --bare central.git
git -C central.git config receive.denyNonFastForwards true
git -C central.git config receive.denyDeletes true
git -C central.git config receive.fsckObjects true
git init -q --bare usb-stick.git
echo "central.git (append-only), usb-stick.git"

say "Each worker's device gets an encrypted journal (Argon2id-protected key file)"
for w in ana ben cruz office; do
	printf '%-7s device %s\n' "$w" "$(c $w init --kdf interactive --worker "${w^}" 2>/dev/null | tail -n 1)"
done
run c office team init >/dev/null
c office team export "$ROOT/team.join" --join-passphrase-file "$ROOT/team.pass" --kdf interactive >/dev/null
for w in ana ben cruz; do c $w team join "$ROOT/team.join" --join-passphrase-file "$ROOT/team.pass" >/dev/null; done
echo "team key handed out in a passphrase-sealed join file"
for w in ana ben office; do c $w remote add central "$ROOT/central.git" >/dev/null; done
for w in ben cruz; do c $w remote add usb "$ROOT/usb-stick.git" >/dev/null; done
echo "ana, ben and the office reach central; cruz works out of signal and only ever meets the USB stick"

say "Ana meets Dana under the 5th Street bridge (offline)"
dana=$(c ana contact add "Dana Reyes" --phone 555-0100 --dob 1988-04-12)
echo "Met Dana at the underpass on 5th Street; she said she felt hopeful. Gave naloxone kit." |
	c ana note add "$dana" --kind encounter --text-file - >/dev/null
ref=$(c ana referral add "$dana" --category housing --to "Hope House" --reason "needs a bed tonight")
c ana referral status "$ref" accepted --reporter receiver >/dev/null
run c ana contact show "$dana"

say "Ana syncs; Ben picks the record up from central"
run c ana sync central
run c ben sync central

say "Both edit Dana's phone without seeing each other's change (offline)"
c ana contact set "$dana" --phone 555-1111 >/dev/null
c ben contact set "$dana" --phone 555-2222 >/dev/null
echo "ana: 555-1111   ben: 555-2222"

say "Cruz, out of signal, meets two people and syncs only with the USB stick"
sam=$(c cruz contact add "Sam Ortiz" --alias Santi)
echo "Sam asked about detox intake; warm handoff to the intake worker." | c cruz note add "$sam" --text-file - >/dev/null
c cruz contact add "Rosa Lee" >/dev/null
run c cruz sync usb

say "Ben meets the USB stick, then reaches central: he carries Cruz's log (store and forward)"
run c ben sync usb
run c ben sync central
run c ana sync central

say "The office reconciles everything from central"
run c office sync
run c office conflicts
echo "Both values are kept; nothing was overwritten. The office decides, and the decision is an event:"
run c office resolve "$dana" phone --value 555-1111
run c office conflicts
echo "Reading everyone's referrals is audited (42 CFR Part 2): one entry per person shown, synced like any record:"
run c office referral list
run c office audit "$dana"

say "Everyone syncs again; the USB stick carries the rest back to Cruz"
for w in office ana ben; do c $w sync >/dev/null; done
c ben sync usb >/dev/null
c cruz sync usb >/dev/null

say "Report"
run c office status
run c office sync status
today=$(date +%Y-%m-%d)
month_ago=$(date -d '30 days ago' +%Y-%m-%d)
echo "As released (to a funder): counts of 1 to 10 people, and any cell they could be worked out from, show *"
run c office report --from "$month_ago" --to "$today"
echo "For the program's own use, unsuppressed (the report says so at its top):"
run c office report --from "$month_ago" --to "$today" --no-suppression
c office report --from "$month_ago" --to "$today" --format html --output "$ROOT/report.html"
echo "The released report as one offline HTML file with charts: $ROOT/report.html"

say "State digests (equal journals, whatever order the events arrived in)"
ok=1
first=""
for w in ana ben cruz office; do
	d=$(c $w digest)
	printf '%-7s %s\n' "$w" "$d"
	[ -z "$first" ] && first=$d
	[ "$d" = "$first" ] || ok=0
done
say "What the git host sees"
printf 'refs: '; git -C central.git for-each-ref --format='%(refname:short)' | tr '\n' ' '; echo
if git -C central.git cat-file --batch-all-objects --batch | grep -a -q -e "Dana" -e "Reyes" -e "naloxone"; then
	echo "PLAINTEXT FOUND IN THE CENTRAL REPOSITORY"; exit 1
fi
echo "no name or note text in any object of central.git: only signed ciphertext"
if [ $ok = 1 ]; then
	say "All four journals converged. Demo files are in $ROOT"
else
	echo "digests differ"; exit 1
fi
