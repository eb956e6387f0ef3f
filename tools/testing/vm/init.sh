#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the vmig test VM. Runs the plan in /vmig/plan, one program a line
# ("kunit MODULE [DEP...]", "kselftest PROGRAM" or "run PROGRAM"), and
# writes each one's output between markers to the second serial port, where
# the host collects it.
# The kernel log goes to the first serial port; the host scans it for
# KASAN, lockdep, WARN, BUG and hung-task reports. Last comes a kmemleak
# scan. Then the VM powers off by rebooting into QEMU's -no-reboot.

export PATH=/vmig/bin:/bin:/sbin:/usr/bin:/usr/sbin
export VMIG_MODULES=/vmig/modules

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/shm /run
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
ip link set lo up

out=/dev/ttyS1
stty -F $out raw -echo
say() { echo "@@vmig $*" >$out; }

kmemleak=/sys/kernel/debug/kmemleak
if [ -w $kmemleak ]; then
	# Forget whatever boot left behind: only the tests' leaks count.
	echo scan >$kmemleak
	echo clear >$kmemleak
fi

# The parameters the kernel command line gives module $1 (MODULE.PARAM=VALUE,
# run.sh's VMIG_APPEND), as modprobe would pass them; insmod does not look.
modparams() {
	read -r cmdline </proc/cmdline
	for word in $cmdline; do
		case $word in
		"$1".*=*) echo "${word#"$1".}" ;;
		esac
	done
}

say start "$(uname -r)"
# shellcheck disable=SC2013 # module names, words
for m in $(cat /vmig/preload); do
	# shellcheck disable=SC2046 # one word per parameter
	insmod "$VMIG_MODULES/$m.ko" $(modparams "$m") || say fail "insmod $m"
done

while read -r kind name args; do
	[ -n "$kind" ] || continue
	say begin "$kind" "$name"
	case $kind in
	kunit)
		# "kunit MODULE [DEP...]": the modules it tests, loaded first
		# (those not preloaded) and unloaded after.
		dmesg -c >/dev/null
		rc=0
		for dep in $args; do
			insmod "$VMIG_MODULES/$dep.ko" || rc=1
		done
		insmod "$VMIG_MODULES/$name.ko" || rc=1
		dmesg >$out
		rmmod "$name" || rc=1
		for dep in $args; do
			rmmod "$dep" || rc=1
		done
		;;
	kselftest | run)
		# shellcheck disable=SC2086 # args are words
		(cd /vmig/tests && "./$name" $args) >$out 2>&1
		rc=$?
		;;
	*)
		echo "unknown kind $kind" >$out
		rc=1
		;;
	esac
	say end "$kind" "$name" "$rc"
done </vmig/plan

if [ -w $kmemleak ]; then
	# Objects younger than five seconds are never reported: scan twice.
	echo scan >$kmemleak
	sleep 6
	echo scan >$kmemleak
	say begin kmemleak scan
	cat $kmemleak >$out
	say end kmemleak scan 0
fi

say "done"
sync
reboot -f
