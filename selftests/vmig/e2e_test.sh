#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end migrations of a running guest (vmig-guest, a VMM and its
# guest in one program) between two network namespaces joined by a veth
# pair shaped with tc, as two hosts, sharing one backing disk: the guest
# does O_DIRECT IO through a dm-vmig filter on each side (running on the
# source, incoming on the target) over dm-delay, so that IO is queued and
# in flight at the hand-off. Under load, verified by the guest's own
# journals of memory and disk on the target; a guest too busy to converge,
# whose switchover is forced; two guests at once; and cancels in pre-copy,
# in the disk hand-off and in the switchover, after which the guest goes
# on, intact, on the source. The first migration, under load with disk IO,
# carries TLS 1.3 (kernel TLS after a handshake keyed by a pre-shared key,
# as by default; mig_netns.sh tests TLS itself); the others plain TCP
# (--insecure): under TCG and the debug kernel, kTLS moves pages several
# times slower, and the guests at their write rates would stop converging.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/tap.sh
. "$dir/tap.sh"
# shellcheck source=SCRIPTDIR/netns.sh
. "$dir/netns.sh"

# iproute2's ip, not busybox's applet, which ash prefers to $PATH.
ip=$dir/../bin/ip
guest=$dir/../bin/vmig-guest
if [ ! -x "$ip" ] || [ ! -x "$guest" ]; then
	echo "1..0 # SKIP needs iproute2's ip and vmig-guest"
	exit 4
fi
# dmsetup: no udev here.
export DM_DISABLE_UDEV=1
a=vmig-ea b=vmig-eb work=$(mktemp -d) loop=
DISK=16384 # sectors: 8 MiB a guest
cleanup() {
	netns_del $a $b
	for vm in $(migctl vm list | awk '/^e2e-/ { print $1 }'); do
		migctl vm destroy "$vm"
	done
	for d in $(dmsetup ls | awk '/^e2e-/ { print $1 }'); do
		[ "$d" = e2e-slow ] || dmsetup remove "$d"
	done
	dmsetup remove e2e-slow 2>/dev/null
	[ -n "$loop" ] && losetup -d "$loop"
	rmmod dm_vmig 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..11"
# The key both hosts hold.
(umask 077 && migctl genkey >"$work/psk") || exit 1
psk="--psk $work/psk"
tls=--insecure
netns_pair $a $b 10.79.0.1 10.79.0.2 rate 1gbit burst 1mb latency 50ms
result $? "two namespaces joined by a veth pair shaped to 1 Gbit/s"

# The storage both hosts share: 8 MiB for each of up to 12 guests, 10 ms
# away. Each guest's disk is a filter over its region: on the source with
# room for two IO at the storage (the rest queues in the filter), on the
# target incoming.
insmod "${VMIG_MODULES:-/vmig/modules}/dm-vmig.ko" &&
	truncate -s 96M "$work/disk" && loop=$(losetup -f) &&
	losetup "$loop" "$work/disk" &&
	echo "0 $((DISK * 12)) delay $loop 0 10" | dmsetup create e2e-slow &&
	dmsetup mknodes e2e-slow
result $? "shared storage: a loop device behind dm-delay"

# disks ID REGION: the source's and the target's filters of guest ID.
disks() {
	off=$(($2 * DISK))
	echo "0 $DISK vmig /dev/mapper/e2e-slow $off 2 max_inflight 2" |
		dmsetup create "e2e-$1-s" &&
		echo "0 $DISK vmig /dev/mapper/e2e-slow $off 1 incoming" |
		dmsetup create "e2e-$1-d" && dmsetup mknodes
}

# watchdog SECONDS PID...: a program that hangs fails its check instead of
# the whole run: after SECONDS, what each PID's threads wait in, and the
# filters' states, go to the output (prefixed '# hung:'), then SIGKILL.
watchdog() {
	secs=$1
	shift
	(
		i=0
		while [ $i -lt "$secs" ]; do
			alive=0
			for p in "$@"; do
				[ -d "/proc/$p" ] && alive=1
			done
			[ $alive -eq 0 ] && exit 0
			sleep 1
			i=$((i + 1))
		done
		for p in "$@"; do
			[ -d "/proc/$p" ] || continue
			echo "# hung: $p after $secs s: $(tr '\0' ' ' <"/proc/$p/cmdline")"
			for t in /proc/"$p"/task/*; do
				echo "# hung:  thread ${t##*/}: $(cat "$t/wchan" 2>/dev/null)"
				sed 's/^/# hung:    /' "$t/stack" 2>/dev/null
			done
		done
		# What the sessions and the filters were doing.
		dmsetup status | grep '^e2e-' | sed 's/^/# hung:  /'
		for vm in $(migctl vm list | awk '/^e2e-/ { print $1 }'); do
			migctl status "$vm" 2>&1 | sed 's/^/# hung:  /'
		done
		for t in /proc/[0-9]*; do
			case $(cat "$t/comm" 2>/dev/null) in
			vmig-*)
				echo "# hung:  kthread $(cat "$t/comm"): $(cat "$t/wchan")"
				sed 's/^/# hung:    /' "$t/stack" 2>/dev/null
				;;
			esac
		done
		kill -9 "$@" 2>/dev/null
	) &
	dog=$!
}

# migrate ID PORT REGION SOURCE-OPTIONS...: the target in $b, the source
# in $a, with a disk in REGION (none if it is -); leaves their exit
# statuses in $src and $dst, their output in $work.
migrate() {
	id=$1 port=$2 sdisk='' ddisk=''
	if [ "$3" != - ]; then
		disks "$id" "$3"
		sdisk="--disk /dev/mapper/e2e-$id-s"
		ddisk="--disk /dev/mapper/e2e-$id-d"
	fi
	shift 3
	# shellcheck disable=SC2086 # $ddisk and $sdisk are words
	"$ip" netns exec $b "$guest" target "e2e-$id-dst" --size 8 $ddisk $tls \
		--addr 10.79.0.2 --port "$port" --run-ms 300 \
		>"$work/$id.dst" 2>&1 &
	pid=$!
	sleep 1
	# shellcheck disable=SC2086
	"$ip" netns exec $a "$guest" source "e2e-$id-src" 10.79.0.2:"$port" \
		--size 8 $sdisk $tls "$@" >"$work/$id.src" 2>&1 &
	spid=$!
	# A migration here takes seconds to a minute: 5 minutes is a hang.
	watchdog 300 $spid $pid
	wait $spid
	src=$?
	wait $pid
	dst=$?
	wait $dog
	sed 's/^/# /' "$work/$id.src" "$work/$id.dst"
}

# The IO a hand-off cancelled, and what the target did with it.
cancelled() { sed -n 's/^disk: handed off.* \([0-9]*\) cancelled.*/\1/p' "$work/$1.src"; }
redone() {
	sed -n 's/.* \([0-9]*\) writes reissued, \([0-9]*\) reads resubmitted.*/\1 \2/p' \
		"$work/$1.dst" | awk '{ print $1 + $2 }'
}
intact_here='0 pages differ from the journal; tracking off'
disk_here='disk against the journal at the source: 0 of 2048 blocks differ; reads that disagreed 0, IO errors 0, unanswered 0'

# Rates are low: the debug kernel under TCG moves a few MiB a second.
tls=$psk
migrate load 7201 0 --rate 100 --pattern hot --streams 2 --downtime-ms 2000 \
	--disk-rate 1000
nc=$(cancelled load)
[ $src -eq 0 ] && [ $dst -eq 0 ] && grep -q "verdict: intact" "$work/load.dst" &&
	[ "${nc:-0}" -gt 0 ] && [ "$(redone load)" = "$nc" ]
result $? "a guest under load, with disk IO, migrates over TLS intact by its journals (${nc:-no} IO cancelled and reissued)"
tls=--insecure

# Two requests submitted after the fence (as by a VMM that failed to stop
# its queue) fail there with EBADE, never reach the disk, and are
# submitted on the target.
migrate late 7210 9 --rate 100 --downtime-ms 2000 --disk-rate 1000 --late-io 2
nl=$(sed -n 's/^disk: handed off.* \([0-9]*\) not yet sent.*/\1/p' "$work/late.src")
[ $src -eq 0 ] && [ $dst -eq 0 ] && grep -q "verdict: intact" "$work/late.dst" &&
	[ "${nl:-0}" -gt 0 ] &&
	grep -q " $nl requests the source never sent resubmitted" "$work/late.dst"
result $? "requests fenced on the source are carried out on the target (${nl:-none})"

# Too busy to converge in 1 ms: stalled after 2 rounds, then forced.
migrate busy 7202 1 --rate 5000 --downtime-ms 1 --max-rounds 2 --pattern random
[ $src -eq 0 ] && [ $dst -eq 0 ] && grep -q "verdict: intact" "$work/busy.dst"
result $? "a guest that cannot converge is forced over, intact"

# The same, and cancelled: the guest goes on at the source.
migrate stall 7208 7 --rate 5000 --downtime-ms 1 --max-rounds 2 \
	--pattern random --on-stall cancel
[ $src -eq 0 ] && [ $dst -ne 0 ] && grep -q "^stalled: .*: cancelling" "$work/stall.src" &&
	grep -q "cancelled: .*$intact_here" "$work/stall.src" &&
	grep -q "$disk_here" "$work/stall.src"
result $? "a guest that cannot converge can be cancelled instead, intact"

# The disk as busy as it gets: 16 requests of up to 64 KiB at a time
# (some cross the filter's 1 MiB boundaries and are split), two at the
# storage, the rest queued in the filter and cancelled at the hand-off.
migrate io 7209 8 --rate 50 --downtime-ms 2000 --disk-depth 16 --disk-rate 0
nc=$(cancelled io)
[ $src -eq 0 ] && [ $dst -eq 0 ] && grep -q "verdict: intact" "$work/io.dst" &&
	[ "${nc:-0}" -ge 8 ]
result $? "a guest with 16 disk requests in flight migrates intact (${nc:-no} cancelled)"

disks two1 2 && disks two2 3
# shellcheck disable=SC2086 # $tls is words
"$ip" netns exec $b "$guest" target e2e-two1-dst --size 8 --addr 10.79.0.2 $tls \
	--port 7203 --run-ms 200 --disk /dev/mapper/e2e-two1-d \
	>"$work/two1.dst" 2>&1 &
t1=$!
# shellcheck disable=SC2086
"$ip" netns exec $b "$guest" target e2e-two2-dst --size 8 --addr 10.79.0.2 $tls \
	--port 7204 --run-ms 200 --disk /dev/mapper/e2e-two2-d \
	>"$work/two2.dst" 2>&1 &
t2=$!
sleep 1
# shellcheck disable=SC2086
"$ip" netns exec $a "$guest" source e2e-two1-src 10.79.0.2:7203 --size 8 $tls \
	--rate 100 --pattern hot --downtime-ms 2000 \
	--disk /dev/mapper/e2e-two1-s >"$work/two1.src" 2>&1 &
s1=$!
# shellcheck disable=SC2086
"$ip" netns exec $a "$guest" source e2e-two2-src 10.79.0.2:7204 --size 8 $tls \
	--rate 100 --pattern seq --compress lz4 --downtime-ms 2000 \
	--disk /dev/mapper/e2e-two2-s >"$work/two2.src" 2>&1 &
s2=$!
watchdog 300 $s1 $s2 $t1 $t2
rc=0
for p in $s1 $s2 $t1 $t2; do
	wait "$p" || rc=1
done
wait $dog
sed 's/^/# /' "$work"/two*
[ $rc -eq 0 ]
result $? "two guests migrate at once"

# cancelled_ok ID: the guest went on at the source, intact, and the
# target, which never got its disk, says so.
cancelled_ok() {
	[ $src -eq 0 ] && [ $dst -ne 0 ] &&
		grep -q "cancelled: .*$intact_here" "$work/$1.src" &&
		grep -q "$disk_here" "$work/$1.src" &&
		grep -q "nothing resumed here; the disk still waits" "$work/$1.dst"
}

migrate cpre 7205 4 --rate 100 --max-bandwidth 2000000 --cancel-at precopy
cancelled_ok cpre
result $? "cancelled in pre-copy, the guest goes on intact on the source"

migrate cho 7206 5 --rate 100 --downtime-ms 2000 --disk-rate 1000 \
	--cancel-at handoff
nc=$(cancelled cho)
cancelled_ok cho && [ "${nc:-0}" -gt 0 ]
result $? "cancelled in the disk hand-off, the guest goes on intact (${nc:-no} IO cancelled, then released)"

# Capped at 2 MB/s, so that the cancel comes before the switchover's END
# (after it, the kernel refuses it: the target may be done).
migrate csw 7207 6 --rate 100 --downtime-ms 2000 --max-bandwidth 2000000 \
	--cancel-at switchover
cancelled_ok csw
result $? "cancelled in the switchover, the guest goes on intact"

[ "$failed" -eq 0 ]
