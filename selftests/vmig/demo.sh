#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What 'make demo' shows inside the VM: a running guest (vmig-guest: a VMM
# and its guest in one program) migrated live between two network
# namespaces joined by a shaped veth pair, as between two hosts, with the
# progress as it goes and a summary from each side.
#
#   demo.sh [--link RATE] [vmig-guest source options]
#
# RATE is a tc rate (default 1gbit). Defaults: 256 MiB, 2000 pages/s, hot
# set, mixed content, 2 streams, auto compression and group sizes; later
# options win.
dir=$(cd "$(dirname "$0")" && pwd)
ip=$dir/../bin/ip
guest=$dir/../bin/vmig-guest
. "$dir/netns.sh"
link=1gbit size=256
if [ "$1" = --link ]; then
	link=$2
	shift 2
fi
for arg; do
	case $prev in --size) size=$arg ;; esac
	prev=$arg
done

echo "kernel:  $(uname -r), emulated by TCG: times are not a real machine's"
echo "module:  vmig $(cat /sys/module/vmig/version)"
echo
netns_pair src dst 10.80.0.1 10.80.0.2 rate "$link" burst 1mb latency 50ms ||
	exit 1
echo "network: namespaces 'src' and 'dst', a veth pair shaped to $link"
echo

"$ip" netns exec dst "$guest" target demo-vm --size "$size" \
	--addr 10.80.0.2 --port 7070 --run-ms 2000 >/tmp/target.out 2>&1 &
target=$!
sleep 1
echo "\$ vmig-guest source demo-vm-src 10.80.0.2:7070 --size $size --rate 2000 --pattern hot --downtime-ms 300 $*"
"$ip" netns exec src "$guest" source demo-vm-src 10.80.0.2:7070 \
	--size "$size" --rate 2000 --pattern hot --downtime-ms 300 --progress \
	"$@"
src=$?
wait $target
dst=$?
echo
echo "--- on the target"
cat /tmp/target.out
[ $src -eq 0 ] && [ $dst -eq 0 ]
