#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build the non-debug test kernel, the modules for it and the
# benchmark programs, run them in one VM boot, print their tables and save
# their figures as JSON. Arguments go to the benchmark program.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tools/testing/vm
out=${VMIG_BUILD_DIR:-$top/build}/bench
stage=$out/stage

"$vm/deps.sh"
kbuild=$("$vm/kernel.sh" build bench)
rm -rf "$stage"
mkdir -p "$stage/modules" "$stage/bin" "$stage/tests"
cp "$("$top/tools/testing/build-modules.sh" "$kbuild" "$out/src" W=1 2>"$out/build.log")"/vmig.ko \
	"$stage/modules/"
make -s -C "$top/tools/migctl" O="$stage/bin"
make -s -C "$top/tools/testing/bench" O="$stage/tests" KBUILD="$kbuild"

echo "run track_bench $*" >"$out/plan"
echo "booting the bench VM (non-debug kernel, TCG)..."
VMIG_VM_CPUS=${VMIG_VM_CPUS:-1} VMIG_VM_MEM=${VMIG_VM_MEM:-4096} VMIG_VM_TIMEOUT=${VMIG_VM_TIMEOUT:-1800} "$vm/run.sh" "$kbuild" "$stage" "$out/plan" "$out/vm"

results=$out/vm/results.log
if ! grep -q '^@@vmig end run track_bench 0' "$results"; then
	sed -n '/^@@vmig begin/,/^@@vmig end/p' "$results" | grep -v '^@@vmig' >&2
	echo "bench failed: see $out/vm/console.log" >&2
	exit 1
fi
json=$out/bench-$(date +%Y%m%d-%H%M%S).json
sed -n '/^@@vmig begin run/,/^@@vmig end run/p' "$results" |
	grep -v -e '^@@vmig' -e '^JSON ' | tr -d '\r'
grep '^JSON ' "$results" | sed 's/^JSON //' | tr -d '\r' >"$json"
echo
echo "figures saved as JSON in $json"
