#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Migrations between two network namespaces joined by a veth pair shaped
# with tc, as between two hosts: mig_test's migration under writes (the
# source in one namespace, the target's listener in the other), then the
# same through migctl migrate and migctl listen, with a blob.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/tap.sh
. "$dir/tap.sh"
# shellcheck source=SCRIPTDIR/netns.sh
. "$dir/netns.sh"
PATH=$dir/../bin:$PATH

# iproute2's ip, not busybox's applet, which ash prefers to $PATH.
ip=$dir/../bin/ip
[ -x "$ip" ] || ip=/sbin/ip
if [ ! -x "$ip" ] || ! command -v migctl >/dev/null; then
	echo "1..0 # SKIP needs iproute2's ip and migctl"
	exit 4
fi
a=vmig-a b=vmig-b work=$(mktemp -d)
cleanup() {
	netns_del $a $b
	migctl vm destroy mig-ns-src 2>/dev/null
	migctl vm destroy mig-ns-dst 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..5"
netns_pair $a $b 10.77.0.1 10.77.0.2 rate 400mbit burst 256kb latency 50ms
result $? "two namespaces joined by a shaped veth pair"

VMIG_MIG_NETNS=/run/netns/$b VMIG_MIG_TARGET_IP=10.77.0.2 \
	"$ip" netns exec $a "$dir/mig_test" \
	-r mig.three_streams_lz4_g512.under_writes >"$work/mig_test.log" 2>&1
rc=$?
sed 's/^/# /' "$work/mig_test.log"
result $rc "mig_test under_writes across namespaces"

migctl vm create mig-ns-src 8M && migctl vm create mig-ns-dst 8M
head -c 300000 /dev/urandom >"$work/blob.in"
"$ip" netns exec $b migctl listen mig-ns-dst --addr 10.77.0.2 --port 7071 \
	--timeout 60 --blob-out "$work/blob.out" --quiet &
listener=$!
sleep 1
"$ip" netns exec $a migctl migrate mig-ns-src 10.77.0.2:7071 --streams 3 \
	--compress auto --downtime-ms 2000 --on-stall force \
	--blob "$work/blob.in" --json >"$work/src.json"
src=$?
wait $listener
dst=$?
sed 's/^/# /' "$work/src.json"
[ $src -eq 0 ] && [ $dst -eq 0 ]
result $? "migctl migrate and listen across namespaces"
cmp -s "$work/blob.in" "$work/blob.out"
result $? "the blob arrives intact"
grep -q '"state":"done"' "$work/src.json" &&
	migctl status mig-ns-dst --json | grep -q '"state":"done"'
result $? "both sides report done"
[ "$failed" -eq 0 ]
