#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One side of the two-VM topology (tools/testing/vm/twovm.sh): this VM is
# the source host or the target host of a live migration of a running
# guest (vmig-guest), over a QEMU network link to the other VM, with one
# disk image attached to both as /dev/vda.
#
#   twovm_role.sh source|target migrate|kill-target|kill-source
#
# migrate: a full migration, verified by the guest's journal on the
# target. kill-target: the host kills the target VM while the source is in
# pre-copy; the source must report the failure, its guest intact.
# kill-source: the host kills the source VM in the middle of the
# migration; the target must report the failure within the stream timeout
# (vmig.stream_timeout_s=5) and keep nothing of it.
#
# Lines "# twovm: EVENT" tell the host when to kill the other side and
# when this one reported; the host times them. The VM that the host kills
# reports the checks it reached; tools/testing/vm/collect.py --killed does
# not count the rest.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=selftests/vmig/tap.sh
. "$dir/tap.sh"

# iproute2's ip, not busybox's applet, which ash prefers to $PATH.
ip=$dir/../bin/ip
guest=$dir/../bin/vmig-guest
role=$1 scenario=$2
src_addr=10.81.0.1 dst_addr=10.81.0.2 port=7300
src_vm=twovm-src dst_vm=twovm-dst
work=$(mktemp -d)

case $role/$scenario in
source/migrate) plan=7 ;;
source/kill-target) plan=9 ;;
source/kill-source) plan=6 ;;
target/migrate) plan=6 ;;
target/kill-target) plan=5 ;;
target/kill-source) plan=9 ;;
*)
	echo "usage: $0 source|target migrate|kill-target|kill-source" >&2
	exit 2
	;;
esac
if [ ! -x "$ip" ] || [ ! -x "$guest" ]; then
	echo "1..0 # SKIP needs iproute2's ip and vmig-guest"
	exit 4
fi

cleanup() {
	for vm in $src_vm $dst_vm; do
		migctl vm destroy "$vm" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

# event WORDS: tell the host (a TAP comment in the VM's output).
event() {
	read -r up _ </proc/uptime
	echo "# twovm: $* (at $up s)"
}

# wait_until SECONDS CMD...: run CMD every 200 ms until it succeeds.
wait_until() {
	tries=$(($1 * 5))
	shift
	while ! "$@"; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.2
	done
}

# The migration session of VM $1 is in pre-copy and has sent pages.
in_precopy() {
	migctl status "$1" --json 2>/dev/null |
		grep -q '"state":"active".*"pages_sent":[1-9]'
}

# status_is VM STATE ERROR: what migctl status says of VM's session.
status_is() {
	migctl status "$1" --json >"$work/status" 2>&1
	sed 's/^/# /' "$work/status"
	grep -q "\"state\":\"$2\",\"error\":\"$3\"" "$work/status"
}

# progress VM PID: while PID runs, VM's session every 2 s, as comments.
progress() {
	while kill -0 "$2" 2>/dev/null; do
		read -r up _ </proc/uptime
		migctl status "$1" --json 2>/dev/null | sed -n "s/.*\"state\":\"\([a-z]*\)\".*\"round\":\([0-9]*\).*\"pages_sent\":\([0-9]*\).*\"bytes_wire\":\([0-9]*\).*/# $up s: \1, round \2, \3 pages sent, \4 bytes/p"
		sleep 2
	done
}

# A TCP socket listening on $port (hex in /proc/net/tcp, state 0A).
listening() {
	grep -qi ":$(printf %04X $port) 00000000:0000 0A" /proc/net/tcp
}

echo "TAP version 13"
echo "1..$plan"
[ "$(cat /sys/module/vmig/parameters/stream_timeout_s)" = 5 ]
result $? "$role: vmig loaded with stream_timeout_s=5"
[ "$(cat /sys/block/vda/size 2>/dev/null)" = 131072 ]
result $? "$role: the shared disk is /dev/vda, 64 MiB"

if [ "$role" = target ]; then
	# The address first, for the listener; the link only once it
	# listens, so that the source's ping says it can connect.
	"$ip" addr add $dst_addr/24 dev eth0
	result $? "target: eth0 has $dst_addr"
	"$guest" target $dst_vm --size 8 --addr $dst_addr --port $port \
		--run-ms 300 >"$work/guest" 2>&1 &
	pid=$!
	progress $dst_vm $pid &
	wait_until 60 listening && "$ip" link set eth0 up
	result $? "target: listening on $dst_addr:$port, eth0 up"
	event listening
	wait $pid
	rc=$?
	event target exited $rc
	sed 's/^/# /' "$work/guest"
	case $scenario in
	migrate)
		[ $rc -eq 0 ]
		result $? "target: vmig-guest target exits with status 0"
		grep -q "verdict: intact" "$work/guest"
		result $? "target: the guest resumed, intact by its journal"
		;;
	kill-target)
		# The host killed this VM in pre-copy: never reached.
		result 1 "target: still running after the kill"
		;;
	kill-source)
		[ $rc -ne 0 ]
		result $? "target: vmig-guest target fails"
		grep -q "migration failed: Connection timed out" "$work/guest"
		result $? "target: it reports the stream timeout"
		! grep -q "resumed on the target" "$work/guest"
		result $? "target: the guest did not resume"
		status_is $dst_vm failed "Connection timed out"
		result $? "target: the session ended failed, timed out"
		"$dir/vm_zero" $dst_vm | sed 's/^/# /'
		"$dir/vm_zero" $dst_vm >/dev/null
		result $? "target: the VM's memory reads as zero"
		;;
	esac
	[ "$failed" -eq 0 ]
	exit
fi

"$ip" addr add $src_addr/24 dev eth0 && "$ip" link set eth0 up
result $? "source: eth0 has $src_addr"
wait_until 120 ping -c 1 -W 1 $dst_addr >/dev/null
result $? "source: the target answers on the link"

if [ "$scenario" = migrate ]; then
	"$guest" source $src_vm $dst_addr:$port --size 8 --rate 100 \
		--pattern hot --streams 2 --downtime-ms 2000 >"$work/guest" 2>&1
	rc=$?
	sed 's/^/# /' "$work/guest"
	[ $rc -eq 0 ]
	result $? "source: vmig-guest source exits with status 0"
	grep -q "migration done" "$work/guest"
	result $? "source: the migration is done"
	status_is $src_vm "done" ""
	result $? "source: the session ended done"
	[ "$failed" -eq 0 ]
	exit
fi

# Slow enough for the host to kill a VM in pre-copy: random content
# (half the pages, the others zero) at 400 kB/s, some 10 s.
"$guest" source $src_vm $dst_addr:$port --size 8 --rate 100 --pattern hot \
	--content random --max-bandwidth 400000 --downtime-ms 2000 \
	>"$work/guest" 2>&1 &
pid=$!
progress $src_vm $pid &
wait_until 120 in_precopy $src_vm
result $? "source: the migration is in pre-copy"
event in pre-copy
wait $pid
rc=$?
event source exited $rc
sed 's/^/# /' "$work/guest"
if [ "$scenario" = kill-source ]; then
	# The host killed this VM in pre-copy: never reached.
	result 1 "source: still running after the kill"
	exit 1
fi
[ $rc -ne 0 ]
result $? "source: vmig-guest source fails"
grep -q "migration failed: Connection timed out" "$work/guest"
result $? "source: it reports the stream timeout"
status_is $src_vm failed "Connection timed out"
result $? "source: the session ended failed, timed out"
migctl vm stats $src_vm >"$work/stats"
grep -q "tracking: *no" "$work/stats"
result $? "source: tracking stopped"
[ "$failed" -eq 0 ]
