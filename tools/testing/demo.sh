#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: build everything, boot the test VM, load vmig and show it
# working. Arguments are passed to the demo program inside the VM.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tools/testing/vm
build=${VMIG_BUILD_DIR:-$top/build}
out=$build/demo

"$vm/deps.sh"
kbuild=$("$vm/kernel.sh" build debug)
ksrc=$("$vm/kernel.sh" src)
make -s -C "$top" KDIR="$kbuild" modules tools selftests >/dev/null

mkdir -p "$out"
echo "run demo.sh $*" >"$out/plan"
echo "booting the test VM (TCG, about 10 s)..."
"$vm/run.sh" "$kbuild" "$build" "$out/plan" "$out/vm"
: >"$out/tally"
"$vm/collect.py" --outdir "$out/vm" --tally "$out/tally" \
	--kunit-py "$ksrc/tools/testing/kunit/kunit.py"
if grep -q '^FAIL' "$out/tally"; then
	echo "demo failed: the kernel log is in $out/vm/console.log" >&2
	exit 1
fi
