#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# migctl vm and track, as a person uses them: every command, and clear
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
echo "1..13"

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
expect 0 "" "vm destroy" migctl vm destroy "$vm"
expect 1 "no such VM" "vm destroy twice" migctl vm destroy "$vm"

[ $failed -eq 0 ]
