#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build everything, boot the test VM and migrate a running
# guest in it, showing the progress live. Arguments (make demo ARGS="...")
# go to selftests/vmig/demo.sh inside the VM: --link RATE, then
# vmig-guest source options (--size MiB, --rate, --pattern, --content,
# --streams, --compress, --group-pages, --downtime-ms, --max-bandwidth).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tools/testing/vm
build=${VMIG_BUILD_DIR:-$top/build}
out=$build/demo

# The non-debug kernel of 'make bench' (built once and cached, like the
# test kernel): the debug one, with KASAN, moves memory ten times slower.
# VMIG_DEMO_KERNEL=debug runs the demo on the test kernel instead.
flavour=${VMIG_DEMO_KERNEL:-bench}
stage=$out/stage
"$vm/deps.sh"
kbuild=$("$vm/kernel.sh" build "$flavour")
ksrc=$("$vm/kernel.sh" src)
rm -rf "$stage"
mkdir -p "$stage/modules" "$stage/bin" "$stage/tests"
mods=$("$top/tools/testing/build-modules.sh" "$kbuild" "$out/src" 2>"$out/build.log")
cp "$mods/vmig.ko" "$mods/dm-vmig.ko" \
	"$stage/modules/"
make -s -C "$top/tools/migctl" O="$stage/bin"
make -s -C "$top/tools/vmig-guest" O="$stage/bin"
install -m 0755 "$top/selftests/vmig/demo.sh" "$top/selftests/vmig/netns.sh" \
	"$stage/tests/"

mkdir -p "$out"
echo "run demo.sh $*" >"$out/plan"
echo "booting the test VM ($flavour kernel, TCG, about 10 s)..."
mkdir -p "$out/vm"
: >"$out/vm/results.log"
# Show the VM's output as it comes (the progress line included).
tail -n +1 -F "$out/vm/results.log" --pid=$$ 2>/dev/null |
	grep --line-buffered -v '^@@vmig' &
VMIG_VM_MEM=${VMIG_VM_MEM:-3072} "$vm/run.sh" "$kbuild" "$stage" "$out/plan" "$out/vm" >/dev/null
sleep 1
: >"$out/tally"
"$vm/collect.py" --outdir "$out/vm" --tally "$out/tally" \
	--kunit-py "$ksrc/tools/testing/kunit/kunit.py" >"$out/collect.log"
if grep -q '^FAIL' "$out/tally"; then
	grep '^FAIL' "$out/tally" >&2
	echo "demo failed: the kernel log is in $out/vm/console.log" >&2
	exit 1
fi
echo
echo "demo done: no kernel warning, leak or failure (kernel log in $out/vm/console.log)"
