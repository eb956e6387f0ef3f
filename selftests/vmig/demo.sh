#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What 'make demo' shows inside the VM: a running guest (vmig-guest: a VMM
# and its guest in one program) with memory and a disk, migrated live by
# migctl between two network namespaces joined by a shaped veth pair, as
# between two hosts sharing their storage, with the progress as it goes
# and a summary from each side.
#
#   demo.sh [--link RATE] [options]
#
# RATE is a tc rate (default 1gbit). Options: the guest's (--size MiB,
# --rate PAGES/S, --pattern, --content, --disk-rate IOPS, --disk-depth N)
# and the migration's (migctl migrate: --streams, --compress,
# --group-pages, --downtime-ms, --max-bandwidth, --max-rounds). Defaults:
# 256 MiB, 2000 pages/s, hot set, mixed content, a 64 MiB disk at 800 IOPS
# of 4 to 64 KiB, 2 streams, auto compression and group sizes; later
# options win.
dir=$(cd "$(dirname "$0")" && pwd)
ip=$dir/../bin/ip
guest=$dir/../bin/vmig-guest
# shellcheck source=SCRIPTDIR/netns.sh
. "$dir/netns.sh"
export DM_DISABLE_UDEV=1
link=1gbit size=256
if [ "$1" = --link ]; then
	link=$2
	shift 2
fi
gopts='' mopts=" --streams 2"
while [ $# -gt 0 ]; do
	case $1 in
	--size) size=$2 ;;
	--rate | --pattern | --content | --disk-rate | --disk-depth)
		gopts="$gopts $1 $2" ;;
	--streams | --compress | --group-pages | --downtime-ms | \
		--max-bandwidth | --max-rounds | --max-precopy-ms)
		mopts="$mopts $1 $2" ;;
	*)
		echo "demo: unknown option $1" >&2
		exit 2 ;;
	esac
	shift 2
done

echo "kernel:  $(uname -r), emulated by TCG: times are not a real machine's"
echo "module:  vmig $(cat /sys/module/vmig/version)"
echo
netns_pair src dst 10.80.0.1 10.80.0.2 rate "$link" burst 1mb latency 50ms ||
	exit 1
echo "network: namespaces 'src' and 'dst', a veth pair shaped to $link"

# The storage both hosts share, 5 ms away; on it the guest's disk is a
# dm-vmig filter on each host: running on the source (at most 4 IO at the
# storage, the rest queued in the filter), incoming on the target.
insmod "$VMIG_MODULES/dm-vmig.ko" || exit 1
truncate -s 64M /tmp/shared.img
loop=$(losetup -f) && losetup "$loop" /tmp/shared.img || exit 1
echo "0 131072 delay $loop 0 5" | dmsetup create shared
echo "0 131072 vmig /dev/mapper/shared 0 2 max_inflight 4" | dmsetup create disk-src
echo "0 131072 vmig /dev/mapper/shared 0 1 incoming" | dmsetup create disk-dst
dmsetup mknodes
echo "storage: a 64 MiB disk, dm-vmig on each side over one shared device"
echo

# The key both hosts hold: the streams carry TLS 1.3, kernel TLS after
# the handshake.
(umask 077 && migctl genkey >/tmp/demo.psk) || exit 1
echo "\$ migctl genkey > key   # copied to both hosts; every stream is TLS 1.3"

"$ip" netns exec dst "$guest" target demo-vm --size "$size" \
	--disk /dev/mapper/disk-dst --migctl --run-ms 2000 >/tmp/target.out 2>&1 &
target=$!
sleep 1
"$ip" netns exec dst migctl listen demo-vm --addr 10.80.0.2 --port 7070 \
	--psk /tmp/demo.psk --quiet >/tmp/listen.out 2>&1 &
listen=$!
# shellcheck disable=SC2086 # options are words
"$ip" netns exec src "$guest" source demo-vm-src --migctl --size "$size" \
	--rate 2000 --pattern hot --disk /dev/mapper/disk-src --disk-rate 800 --disk-depth 16 \
	$gopts >/tmp/source.out 2>&1 &
source=$!
sleep 2
echo "the guest runs: $size MiB, writing pages and its disk"
echo "\$ migctl migrate demo-vm-src 10.80.0.2:7070 --psk key --switchover vmm --downtime-ms 300$mopts"
# shellcheck disable=SC2086
"$ip" netns exec src migctl migrate demo-vm-src 10.80.0.2:7070 \
	--psk /tmp/demo.psk --switchover vmm --downtime-ms 300 $mopts
mig=$?
wait $source
src=$?
wait $listen
wait $target
dst=$?
echo
echo "--- the source's VMM"
cat /tmp/source.out
echo
echo "--- the target's VMM and the guest's own checks"
cat /tmp/target.out
[ $mig -eq 0 ] && [ $src -eq 0 ] && [ $dst -eq 0 ]
