#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# migctl vm, track and the migration commands, as a person uses them: every command, and clear
# errors with the documented exit status for bad input. Prints TAP.
vm=mctl-$$
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# expect STATUS PATTERN DESC CMD...: exit status and output (stdout+stderr)
expect() {
	want=$1 pat=$2 desc=$3
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq "$want" ] && echo "$out" | grep -q -- "$pat"
	r=$?
	[ $r -eq 0 ] || echo "# got status $rc: $out"
	result $r "$desc"
}

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ] || [ ! -e /dev/vmig ]; then
	echo "1..0 # SKIP needs root and vmig loaded"
	exit 4
fi
echo "1..43"

expect 0 "" "vm create" migctl vm create "$vm" 8M
expect 0 "^$vm .*8.0 MiB .* 2048 no" "vm list shows it" migctl vm list
expect 0 "{\"name\":\"$vm\",\"nr_pages\":2048,\"group_pages\":0}" \
	"vm list --json shows it" migctl vm list --json
expect 1 "exists" "vm create twice" migctl vm create "$vm" 8M
expect 2 "bad size" "vm create with a bad size" migctl vm create x 12345
expect 2 "SIZE: 4K to 64G" "vm create above 64 GiB" migctl vm create x 65G
expect 1 "bad name" "vm create with a bad name" migctl vm create "a b" 8M
expect 0 "write faults: *0" "vm stats" migctl vm stats "$vm"
expect 0 "^{\"name\":\"$vm\",\"nr_pages\":2048,.*\"pages_present\":[0-9]*}$" \
	"vm stats --json" migctl vm stats "$vm" --json
expect 0 "round 2: 0 pages dirty" "track two rounds" \
	migctl track "$vm" --group-pages 16 --interval 10 --count 2
expect 0 "round 1: 0 pages dirty" "track with the options before the name" \
	migctl track --count 1 --interval 10 "$vm"
expect 0 "^{\"name\":\"$vm\",\"round\":1,\"dirty_pages\":0," "track --json" \
	migctl track "$vm" --count 1 --interval 10 --json
expect 2 "--count: 0 to 1000000000, not '99999999999'" \
	"track with an out-of-range count" \
	migctl track "$vm" --count 99999999999
expect 0 "^$vm .* no$" "tracking stopped after track" migctl vm list
expect 1 "power of two" "track with a bad group size" \
	migctl track "$vm" --group-pages 3 --count 1
expect 1 "no such VM" "stats of a missing VM" migctl vm stats nosuchvm
expect 1 "never migrated" "status before any migration" migctl status "$vm"
expect 1 "never migrated" "status --json before the name" \
	migctl status --json "$vm"
expect 0 "^usage: migctl status NAME \[--json\]" "status --help" \
	migctl status --help
expect 1 "no migration runs" "cancel with no migration" migctl cancel "$vm"
expect 1 "cannot switch over" "switchover with no migration" \
	migctl switchover "$vm"
expect 2 "usage: migctl migrate" "migrate without a target" \
	migctl migrate "$vm"
expect 2 "usage: migctl migrate" "migrate to a malformed target" \
	migctl migrate "$vm" nohostport
expect 2 "--streams: 1 to 16" "migrate with 17 streams" \
	migctl migrate "$vm" 127.0.0.1:1 --streams 17
expect 2 "--compress" "migrate with a bad compression" \
	migctl migrate "$vm" 127.0.0.1:1 --compress zip
expect 1 "cannot connect" "migrate to nobody" \
	migctl migrate "$vm" 127.0.0.1:1 --insecure
expect 1 "warning: --insecure: the guest's memory crosses the network unencrypted" \
	"--insecure warns" migctl migrate "$vm" 127.0.0.1:1 --insecure
expect 2 "no credentials: --psk FILE" "migrate without credentials" \
	migctl migrate "$vm" 127.0.0.1:1
expect 2 "no credentials: --psk FILE" "listen without credentials" \
	migctl listen "$vm" --port 7099 --timeout 1
expect 2 "--insecure and credentials: choose" "--insecure with a key" \
	migctl migrate "$vm" 127.0.0.1:1 --insecure --psk /dev/null
expect 2 "X.509 needs --cert, --key and --ca" "a certificate without its CA" \
	migctl listen "$vm" --cert /dev/null --key /dev/null
(umask 022 && migctl genkey >"$work/key" 2>"$work/genkey.err")
r1=$?
(umask 077 && migctl genkey >"$work/key") && chmod 644 "$work/key"
expect 1 "readable by others than its owner" "a key file others can read is refused" \
	migctl migrate "$vm" 127.0.0.1:1 --psk "$work/key"
[ $r1 -eq 1 ] && grep -q "readable by others" "$work/genkey.err"
result $? "genkey refuses to write a key into a file others can read"
expect 2 "usage: migctl status" "status without a name" \
	migctl status --json
expect 2 "usage: migctl cancel" "cancel with a stray option" \
	migctl cancel "$vm" -x
expect 2 "usage: migctl switchover" "switchover with a stray option" \
	migctl switchover "$vm" -x
expect 2 "the VMM handles a stall" "vmm switchover with a forced stall" \
	migctl migrate "$vm" 127.0.0.1:1 --switchover vmm --on-stall force --insecure
expect 1 "no source connected" "listen times out" \
	migctl listen "$vm" --port 7099 --timeout 1 --insecure
expect 2 "TIMEOUT_MS: 0 to 600000" "disk handoff with an out-of-range timeout" \
	migctl disk handoff nosuchdisk cancel 600001

# An empty hand-off package (64 bytes, CRC32C 0x77e232cf) in a file whose
# name JSON must escape.
pkg="$work/pkg \"q\\.pkg"
printf '\126\104\123\113\001\000\100\000\050\000\000\000\000\000\000\000' >"$pkg"
printf '\317\062\342\167\000\000\000\000\010\000\000\000\000\000\000\000' >>"$pkg"
head -c 32 /dev/zero >>"$pkg"
expect 0 "^package: 0 IO, 0 bytes of data, cancel mode, 8 sectors, disk without an id, CRC ok" \
	"disk show checks a package" migctl disk show "$pkg"
want=$(printf '{"file":"%s/pkg \\"q\\\\.pkg","pkg_len":64,' "$work")
out=$(migctl disk show "$pkg" --json 2>&1)
rc=$?
[ $rc -eq 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
	printf '%s\n' "$out" | grep -qF "$want" &&
	printf '%s\n' "$out" | grep -q '"ios":\[\]}$'
r=$?
[ $r -eq 0 ] || echo "# got status $rc: $out"
result $r "disk show --json escapes the file name"

expect 0 "" "vm destroy" migctl vm destroy "$vm"
expect 1 "no such VM" "vm destroy twice" migctl vm destroy "$vm"

[ "$failed" -eq 0 ]
