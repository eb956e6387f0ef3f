#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end migrations of a running guest (vmig-guest, a VMM and its
# guest in one program) between two network namespaces joined by a veth
# pair shaped with tc: under load, verified by the guest's own journal on
# the target; a guest too busy to converge, whose switchover is forced;
# two guests at once; and cancels in pre-copy and in the switchover, after
# which the guest goes on, intact, on the source. Memory only: the disk
# hand-off is not joined yet.
dir=$(cd "$(dirname "$0")" && pwd)
. "$dir/tap.sh"
. "$dir/netns.sh"

# iproute2's ip, not busybox's applet, which ash prefers to $PATH.
ip=$dir/../bin/ip
guest=$dir/../bin/vmig-guest
if [ ! -x "$ip" ] || [ ! -x "$guest" ]; then
	echo "1..0 # SKIP needs iproute2's ip and vmig-guest"
	exit 4
fi
a=vmig-ea b=vmig-eb work=$(mktemp -d)
cleanup() {
	netns_del $a $b
	for vm in $(migctl vm list | awk '/^e2e-/ { print $1 }'); do
		migctl vm destroy "$vm"
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..6"
netns_pair $a $b 10.79.0.1 10.79.0.2 rate 1gbit burst 1mb latency 50ms
result $? "two namespaces joined by a veth pair shaped to 1 Gbit/s"

# migrate ID PORT SOURCE-OPTIONS...: the target in $b, the source in $a;
# leaves their exit statuses in $src and $dst, their output in $work.
migrate() {
	id=$1 port=$2
	shift 2
	"$ip" netns exec $b "$guest" target "e2e-$id-dst" --size 8 \
		--addr 10.79.0.2 --port "$port" --run-ms 300 \
		>"$work/$id.dst" 2>&1 &
	pid=$!
	sleep 1
	"$ip" netns exec $a "$guest" source "e2e-$id-src" 10.79.0.2:"$port" \
		--size 8 "$@" >"$work/$id.src" 2>&1
	src=$?
	wait $pid
	dst=$?
	sed 's/^/# /' "$work/$id.src" "$work/$id.dst"
}

# Rates are low: the debug kernel under TCG moves a few MiB a second.
migrate load 7201 --rate 100 --pattern hot --streams 2 --downtime-ms 2000
[ $src -eq 0 ] && [ $dst -eq 0 ] && grep -q "verdict: intact" "$work/load.dst"
result $? "a guest under load migrates, intact by its journal"

# Too busy to converge in 1 ms: stalled after 2 rounds, then forced.
migrate busy 7202 --rate 5000 --downtime-ms 1 --max-rounds 2 --pattern random
[ $src -eq 0 ] && [ $dst -eq 0 ] && grep -q "verdict: intact" "$work/busy.dst"
result $? "a guest that cannot converge is forced over, intact"

"$ip" netns exec $b "$guest" target e2e-two1-dst --size 8 --addr 10.79.0.2 \
	--port 7203 --run-ms 200 >"$work/two1.dst" 2>&1 &
t1=$!
"$ip" netns exec $b "$guest" target e2e-two2-dst --size 8 --addr 10.79.0.2 \
	--port 7204 --run-ms 200 >"$work/two2.dst" 2>&1 &
t2=$!
sleep 1
"$ip" netns exec $a "$guest" source e2e-two1-src 10.79.0.2:7203 --size 8 \
	--rate 100 --pattern hot --downtime-ms 2000 >"$work/two1.src" 2>&1 &
s1=$!
"$ip" netns exec $a "$guest" source e2e-two2-src 10.79.0.2:7204 --size 8 \
	--rate 100 --pattern seq --compress lz4 --downtime-ms 2000 >"$work/two2.src" 2>&1
rc=$?
wait $s1 || rc=1
wait $t1 || rc=1
wait $t2 || rc=1
sed 's/^/# /' "$work"/two*
[ $rc -eq 0 ]
result $? "two guests migrate at once"

migrate cpre 7205 --rate 100 --max-bandwidth 2000000 --cancel-at precopy
[ $src -eq 0 ] && [ $dst -ne 0 ] &&
	grep -q "0 pages differ from the journal; tracking off" "$work/cpre.src"
result $? "cancelled in pre-copy, the guest goes on intact on the source"

migrate csw 7206 --rate 100 --downtime-ms 2000 --cancel-at switchover
[ $src -eq 0 ] && [ $dst -ne 0 ] &&
	grep -q "0 pages differ from the journal; tracking off" "$work/csw.src"
result $? "cancelled in the switchover, the guest goes on intact"

[ $failed -eq 0 ]
