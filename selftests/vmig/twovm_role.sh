#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# One side of the two-VM topology (tools/testing/vm/twovm.sh): this VM is
# the source host or the target host of a live migration of a running
# guest (vmig-guest), over a QEMU network link to the other VM, with one
# disk image attached to both as /dev/vda. The guest's disk is the first
# 8 MiB of it, 10 ms away (dm-delay), through a dm-vmig filter: running
# on the source, incoming on the target.
#
#   twovm_role.sh source|target migrate|kill-target|kill-source [KEY]
#
# KEY, the same in both VMs, is the pre-shared key (64 hex digits) of the
# streams' TLS; without it they are plain TCP (--insecure).
#
# migrate: a full migration with disk IO, verified by the guest's journals
# of memory and disk on the target. kill-target: the host kills the target
# VM while the source is in pre-copy; the source must report the failure
# and its guest go on, intact. kill-source: the source holds the guest
# paused after the disk hand-off (--hold-ms) and the host kills it there;
# the target must report the failure within the stream timeout
# (vmig.stream_timeout_s=5), keep nothing of the memory, and leave the
# shared disk untouched.
#
# Lines "# twovm: EVENT" tell the host when to kill the other side and
# when this one reported; the host times them. The VM that the host kills
# reports the checks it reached; tools/testing/vm/collect.py --killed does
# not count the rest.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/tap.sh
. "$dir/tap.sh"

# iproute2's ip, not busybox's applet, which ash prefers to $PATH.
ip=$dir/../bin/ip
guest=$dir/../bin/vmig-guest
role=$1 scenario=$2 key=${3:-}
src_addr=10.81.0.1 dst_addr=10.81.0.2 port=7300
# Jumbo frames, as on a migration network: under TCG, each packet costs
# so much that a 1500-byte MTU moves some 0.2 MB/s, 9000 some 3 MB/s.
mtu=9000
src_vm=twovm-src dst_vm=twovm-dst
DISK=16384 # sectors: the guest's 8 MiB disk
disk="--disk /dev/mapper/twovm-disk"
work=$(mktemp -d)
tls=--insecure
if [ -n "$key" ]; then
	(umask 077 && echo "$key" >"$work/psk") && tls="--psk $work/psk"
fi
# dmsetup: no udev here.
export DM_DISABLE_UDEV=1

case $role/$scenario in
source/migrate) plan=9 ;;
source/kill-target) plan=12 ;;
source/kill-source) plan=7 ;;
target/migrate) plan=8 ;;
target/kill-target) plan=6 ;;
target/kill-source) plan=11 ;;
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
	dmsetup remove twovm-disk 2>/dev/null
	dmsetup remove twovm-slow 2>/dev/null
	rmmod dm_vmig 2>/dev/null
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

# The source's vmig-guest handed the disk off.
handed_off() {
	grep -q "^disk: handed off" "$work/guest"
}

# status_is VM STATE ERROR: what migctl status says of VM's session.
status_is() {
	migctl status "$1" --json >"$work/status" 2>&1
	sed 's/^/# /' "$work/status"
	grep -q "\"state\":\"$2\",\"error\":\"$3\"" "$work/status"
}

# filter_is WORDS: the status of this VM's dm-vmig filter starts so.
filter_is() {
	dmsetup status twovm-disk >"$work/filter" 2>&1
	sed 's/^/# filter: /' "$work/filter"
	grep -q "^0 $DISK vmig $*" "$work/filter"
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

# disk_setup FILTER-ARGS: the guest's disk on the shared image.
disk_setup() {
	insmod "${VMIG_MODULES:-/vmig/modules}/dm-vmig.ko" &&
		echo "0 $DISK delay /dev/vda 0 10" | dmsetup create twovm-slow &&
		dmsetup mknodes twovm-slow &&
		echo "0 $DISK vmig /dev/mapper/twovm-slow 0 $*" |
		dmsetup create twovm-disk && dmsetup mknodes twovm-disk
}

intact_here='0 pages differ from the journal; tracking off'
disk_here="disk against the journal at the source: 0 of $((DISK / 8)) blocks differ; reads that disagreed 0, IO errors 0, unanswered 0"

echo "TAP version 13"
echo "1..$plan"
[ "$(cat /sys/module/vmig/parameters/stream_timeout_s)" = 5 ]
result $? "$role: vmig loaded with stream_timeout_s=5"
[ "$(cat /sys/block/vda/size 2>/dev/null)" = 131072 ]
result $? "$role: the shared disk is /dev/vda, 64 MiB"

if [ "$role" = target ]; then
	disk_setup 1 incoming
	result $? "target: the guest's disk, an incoming dm-vmig filter"
	# The address first, for the listener; the link only once it
	# listens, so that the source's ping says it can connect.
	"$ip" addr add $dst_addr/24 dev eth0 &&
		"$ip" link set eth0 mtu $mtu
	result $? "target: eth0 has $dst_addr, MTU $mtu"
	# shellcheck disable=SC2086 # $disk and $tls are words
	"$guest" target $dst_vm --size 8 --addr $dst_addr --port $port \
		--run-ms 300 $disk $tls >"$work/guest" 2>&1 &
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
		result $? "target: the guest resumed, memory and disk intact by its journals"
		filter_is running
		result $? "target: its disk filter runs"
		;;
	kill-target)
		# The host killed this VM in pre-copy: never reached.
		result 1 "target: still running after the kill"
		;;
	kill-source)
		[ $rc -ne 0 ]
		result $? "target: vmig-guest target fails"
		grep -q "migration failed (Connection timed out): nothing resumed here; the disk still waits for a package" "$work/guest"
		result $? "target: it reports the stream timeout, nothing resumed"
		! grep -q "resumed on the target" "$work/guest"
		result $? "target: the guest did not resume"
		status_is $dst_vm failed "Connection timed out"
		result $? "target: the session ended failed, timed out"
		"$dir/vm_zero" $dst_vm >"$work/zero"
		rc=$?
		sed 's/^/# /' "$work/zero"
		result $rc "target: the VM's memory reads as zero"
		filter_is "incoming passed 0 held 0 inflight 0"
		result $? "target: its disk still waits for a package, no IO sent"
		;;
	esac
	[ "$failed" -eq 0 ]
	exit
fi

"$ip" addr add $src_addr/24 dev eth0 && "$ip" link set eth0 mtu $mtu &&
	"$ip" link set eth0 up
result $? "source: eth0 has $src_addr, MTU $mtu"
disk_setup 2 max_inflight 2
result $? "source: the guest's disk, a dm-vmig filter"
wait_until 120 ping -c 1 -W 1 $dst_addr >/dev/null
result $? "source: the target answers on the link"

case $scenario in
migrate)
	# As e2e_test.sh's first migration: under load, with disk IO;
	# forced over after 10 rounds on a machine too loaded to converge.
	set -- --rate 100 --pattern hot --streams 2 --downtime-ms 2000 \
		--disk-rate 400 --max-rounds 10
	;;
kill-target)
	# Slow enough for the host to kill the target in pre-copy: 6 MiB
	# of uncompressed pages at 400 kB/s, some 15 s. One stream: the
	# source notices only once its socket buffer is full, then 5 s.
	set -- --rate 100 --pattern hot --compress none --streams 1 \
		--max-bandwidth 400000 --downtime-ms 2000
	;;
kill-source)
	# Held paused for a minute after the hand-off: the host kills it.
	set -- --rate 100 --pattern hot --downtime-ms 2000 --disk-rate 400 \
		--max-rounds 10 --hold-ms 60000
	;;
esac
# shellcheck disable=SC2086 # $disk and $tls are words
"$guest" source $src_vm $dst_addr:$port --size 8 $disk $tls "$@" \
	>"$work/guest" 2>&1 &
pid=$!
progress $src_vm $pid &
case $scenario in
kill-target)
	wait_until 120 in_precopy $src_vm
	result $? "source: the migration is in pre-copy"
	event in pre-copy
	;;
kill-source)
	wait_until 120 handed_off
	result $? "source: the disk is handed off"
	event handed off
	;;
esac
wait $pid
rc=$?
event source exited $rc
sed 's/^/# /' "$work/guest"
case $scenario in
migrate)
	[ $rc -eq 0 ]
	result $? "source: vmig-guest source exits with status 0"
	grep -q "migration done" "$work/guest"
	result $? "source: the migration is done"
	status_is $src_vm "done" ""
	result $? "source: the session ended done"
	filter_is gone
	result $? "source: its disk filter is gone to the target"
	;;
kill-target)
	[ $rc -ne 0 ]
	result $? "source: vmig-guest source fails"
	grep -q "migration failed: Connection timed out" "$work/guest"
	result $? "source: it reports the stream timeout"
	status_is $src_vm failed "Connection timed out"
	result $? "source: the session ended failed, timed out"
	grep -q "failed: .*$intact_here" "$work/guest"
	result $? "source: the guest ran on, its memory intact, tracking off"
	grep -q "$disk_here" "$work/guest"
	result $? "source: its disk intact by its journal"
	filter_is running
	result $? "source: its disk filter runs"
	;;
kill-source)
	# The host killed this VM after the hand-off: never reached.
	result 1 "source: still running after the kill"
	;;
esac
[ "$failed" -eq 0 ]
