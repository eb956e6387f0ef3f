#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run dio_test on a loop device over a tmpfs file, and on the same data
# behind dm-delay (2 s per read), so that a read stays pinned while a
# harvest runs. Needs root, losetup and dmsetup.
set -e
dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
loop=
cleanup() {
	dmsetup remove vmig-dio-slow 2>/dev/null || true
	# shellcheck disable=SC2015 # true either way: a cleanup
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# dio_test writes the data through $loop before it reads.
dd if=/dev/zero of="$work/disk" bs=1M count=1 2>/dev/null
loop=$(losetup -f)
losetup "$loop" "$work/disk"
sectors=$(($(stat -c %s "$work/disk") / 512))
echo "0 $sectors delay $loop 0 2000" | dmsetup create vmig-dio-slow
# No udev in the test VM: make the /dev/mapper node ourselves.
dmsetup mknodes vmig-dio-slow

VMIG_DIO_DEV=$loop VMIG_SLOW_DEV=/dev/mapper/vmig-dio-slow "$dir/dio_test"
