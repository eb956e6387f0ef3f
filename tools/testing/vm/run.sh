#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the vmig test VM once and run a test plan in it.
#
#   run.sh KBUILD STAGE PLAN OUTDIR
#
# KBUILD is a kernel build directory (kernel.sh build), STAGE a directory
# with modules/, bin/ and tests/ (what 'make' produced), PLAN the list of
# test programs for init.sh, OUTDIR where console.log (the kernel log) and
# results.log (the tests' output) are left for collect.py.
#
# Environment: VMIG_ACCEL=kvm to use KVM instead of TCG (the default: KVM
# cannot boot our kernel on the machines we test on), VMIG_VM_MEM (MiB,
# default 2048), VMIG_VM_CPUS (default 2), VMIG_VM_TIMEOUT (seconds,
# default 1200), VMIG_PRELOAD (modules to load before the plan, default vmig),
# VMIG_APPEND (extra kernel command line; init.sh passes MODULE.PARAM=VALUE
# words of it to the modules it loads, as modprobe does), VMIG_QEMU_ARGS
# (extra QEMU arguments, split into words at white space: devices,
# -pidfile), VMIG_VM_PROGS (more host programs to copy in, e.g. fio).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 4 ] || { echo "usage: $0 KBUILD STAGE PLAN OUTDIR" >&2; exit 2; }
kbuild=$1 stage=$2 plan=$3 outdir=$4

root=$outdir/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,vmig}

# Copy an ELF program and the shared libraries it needs, at the same paths.
add_elf() {
	local src=$1 dst=$2 lib
	install -D -m 0755 "$src" "$root/$dst"
	for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$root/$lib" ] || install -D -m 0755 "$lib" "$root/$lib"
	done
}

install -m 0755 /bin/busybox "$root/bin/busybox"
# Host programs the tests use, with their libraries; first in $PATH, so
# that they win over busybox's applets of the same name (ip).
for prog in dmsetup ip tc lz4 openssl ${VMIG_VM_PROGS:-}; do
	path=$(command -v "$prog") && add_elf "$path" "vmig/bin/$prog"
done
ln -s busybox "$root/bin/sh"
install -m 0755 "$here/init.sh" "$root/init"
cp -r "$stage/modules" "$root/vmig/modules"
mkdir -p "$root/vmig/bin" "$root/vmig/tests"
for f in "$stage"/bin/* "$stage"/tests/*; do
	[ -f "$f" ] || continue
	dst=vmig/${f#"$stage"/}
	if [ "$(head -c 4 "$f" | tail -c 3)" = ELF ]; then
		add_elf "$f" "$dst"
	else
		install -m 0755 "$f" "$root/$dst"
	fi
done
cp "$plan" "$root/vmig/plan"
echo "${VMIG_PRELOAD-vmig}" >"$root/vmig/preload"

(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$outdir/initramfs.cpio.gz"

# no5lvl: with 5-level paging (-cpu max has LA57), KASAN now and then
# reports a false wild-memory-access while identify_cpu() runs at boot (a
# known upstream false positive); 4-level paging avoids it.
accel=tcg,thread=multi
cpu=max
if [ "${VMIG_ACCEL:-tcg}" = kvm ]; then
	accel=kvm
	cpu=host
fi

# Words separated by any white space, newlines included.
read -r -d '' -a qemu_args <<<"${VMIG_QEMU_ARGS:-}" || true

rm -f "$outdir/console.log" "$outdir/results.log"
set +e
timeout --foreground "${VMIG_VM_TIMEOUT:-1200}" \
	qemu-system-x86_64 -nodefaults -nographic -no-reboot -monitor none \
	-machine pc -accel "$accel" -cpu "$cpu" \
	-smp "${VMIG_VM_CPUS:-2}" -m "${VMIG_VM_MEM:-2048}" \
	-kernel "$kbuild/arch/x86/boot/bzImage" \
	-initrd "$outdir/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 oops=panic reboot=t loglevel=7 random.trust_cpu=on kunit.enable=1 no5lvl ${VMIG_APPEND:-}" \
	-serial "file:$outdir/console.log" \
	-serial "file:$outdir/results.log" \
	"${qemu_args[@]}" </dev/null
rc=$?
set -e
[ $rc -eq 124 ] && echo "run.sh: the VM did not finish within ${VMIG_VM_TIMEOUT:-1200} s" >&2
exit 0
