#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The migration benchmark's network: two namespaces joined by a veth pair,
# shaped by tbf on the source side to each link rate in turn (100 Mbit/s:
# the link is the bottleneck; 1 Gbit/s; unshaped: the CPU is), with
# mig_bench run in the source namespace for each. Arguments go to
# mig_bench (e.g. -m 32 for 32 MiB).
dir=$(cd "$(dirname "$0")" && pwd)
# iproute2's ip, not busybox's applet, which ash prefers to $PATH.
ip=$dir/../bin/ip
a=vmig-ba b=vmig-bb
cleanup() {
	"$ip" netns del $a 2>/dev/null
	"$ip" netns del $b 2>/dev/null
}
trap cleanup EXIT

set -e
"$ip" netns add $a
"$ip" netns add $b
"$ip" link add vmig-bva netns $a type veth peer name vmig-bvb netns $b
"$ip" -n $a addr add 10.78.0.1/24 dev vmig-bva
"$ip" -n $b addr add 10.78.0.2/24 dev vmig-bvb
for ns in $a $b; do
	"$ip" -n "$ns" link set lo up
done
"$ip" -n $a link set vmig-bva up
"$ip" -n $b link set vmig-bvb up

run() {
	"$ip" netns exec $a "$dir/mig_bench" -n /run/netns/$b -t 10.78.0.2 "$@"
}

"$ip" netns exec $a tc qdisc add dev vmig-bva root tbf rate 100mbit \
	burst 256kb latency 100ms
run -l 100mbit -r 100000000 "$@"
"$ip" netns exec $a tc qdisc replace dev vmig-bva root tbf rate 1gbit \
	burst 2mb latency 100ms
run -l 1gbit -r 1000000000 -d 2000,8000 "$@"
"$ip" netns exec $a tc qdisc del dev vmig-bva root
run -l unshaped -r 0 "$@"
