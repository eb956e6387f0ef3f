#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# ioctl_fuzz on every device: /dev/vmig, a VM's fd, and /dev/dm-vmig with a
# dm-vmig disk (incoming, over a loop device) to name. See ioctl_fuzz.c.
dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) loop=
export DM_DISABLE_UDEV=1
cleanup() {
	dmsetup remove fz-disk 2>/dev/null
	[ -n "$loop" ] && losetup -d "$loop"
	rmmod dm_vmig 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

insmod "${VMIG_MODULES:-/vmig/modules}/dm-vmig.ko" &&
	truncate -s 4M "$work/disk" && loop=$(losetup -f) &&
	losetup "$loop" "$work/disk" &&
	echo "0 8192 vmig $loop 0 1 incoming" | dmsetup create fz-disk &&
	dmsetup mknodes fz-disk || exit 1
"$dir/ioctl_fuzz" /dev/mapper/fz-disk
