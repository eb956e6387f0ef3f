#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# migctl vm, track and the migration commands, as a person uses them: every command, and clear
# errors with the documented exit status for bad input. Prints TAP.
vm=mctl-$$
. "$(dirname "$0")/tap.sh"

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
echo "1..26"

expect 0 "" "vm create" migctl vm create "$vm" 8M
expect 0 "^$vm .*8.0 MiB .* 2048 no" "vm list shows it" migctl vm list
expect 1 "exists" "vm create twice" migctl vm create "$vm" 8M
expect 2 "bad size" "vm create with a bad size" migctl vm create x 12345
expect 1 "bad name" "vm create with a bad name" migctl vm create "a b" 8M
expect 0 "write faults: *0" "vm stats" migctl vm stats "$vm"
expect 0 '"nr_pages": 2048' "vm stats --json" migctl vm stats "$vm" --json
expect 0 "round 2: 0 pages dirty" "track two rounds" \
	migctl track "$vm" --group-pages 16 --interval 10 --count 2
expect 0 "^$vm .* no$" "tracking stopped after track" migctl vm list
expect 1 "power of two" "track with a bad group size" \
	migctl track "$vm" --group-pages 3 --count 1
expect 1 "no such VM" "stats of a missing VM" migctl vm stats nosuchvm
expect 1 "never migrated" "status before any migration" migctl status "$vm"
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
	migctl migrate "$vm" 127.0.0.1:1
expect 2 "usage: migctl status" "status without a name" \
	migctl status --json
expect 2 "usage: migctl cancel" "cancel with a stray option" \
	migctl cancel "$vm" -x
expect 2 "usage: migctl switchover" "switchover with a stray option" \
	migctl switchover "$vm" -x
expect 2 "the VMM handles a stall" "vmm switchover with a forced stall" \
	migctl migrate "$vm" 127.0.0.1:1 --switchover vmm --on-stall force
expect 1 "no source connected" "listen times out" \
	migctl listen "$vm" --port 7099 --timeout 1
expect 0 "" "vm destroy" migctl vm destroy "$vm"
expect 1 "no such VM" "vm destroy twice" migctl vm destroy "$vm"

[ $failed -eq 0 ]
