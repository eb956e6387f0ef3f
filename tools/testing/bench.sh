#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build the non-debug test kernel, the modules for it and the
# benchmark programs, run them in one VM boot, print their tables and save
# their figures as JSON. Arguments go to the benchmark program.
# BENCH=track or BENCH=dm runs one of them (default: both).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tools/testing/vm
out=${VMIG_BUILD_DIR:-$top/build}/bench
stage=$out/stage

"$vm/deps.sh"
kbuild=$("$vm/kernel.sh" build bench)
rm -rf "$stage"
mkdir -p "$stage/modules" "$stage/bin" "$stage/tests"
mods=$("$top/tools/testing/build-modules.sh" "$kbuild" "$out/src" W=1 2>"$out/build.log")
cp "$mods/vmig.ko" "$mods/dm-vmig.ko" "$stage/modules/"
make -s -C "$top/tools/migctl" O="$stage/bin"
make -s -C "$top/tools/testing/bench" O="$stage/tests" KBUILD="$kbuild"

case ${BENCH:-all} in
track) runs="track_bench" ;;
dm) runs="dm_bench.sh" ;;
*) runs="track_bench dm_bench.sh" ;;
esac
: >"$out/plan"
for r in $runs; do
	if [ "$r" = track_bench ]; then
		echo "run track_bench $*" >>"$out/plan"
	else
		echo "run $r" >>"$out/plan"
	fi
done
echo "booting the bench VM (non-debug kernel, TCG)..."
VMIG_VM_PROGS=fio VMIG_VM_CPUS=${VMIG_VM_CPUS:-1} VMIG_VM_MEM=${VMIG_VM_MEM:-4096} VMIG_VM_TIMEOUT=${VMIG_VM_TIMEOUT:-1800} "$vm/run.sh" "$kbuild" "$stage" "$out/plan" "$out/vm"

results=$out/vm/results.log
for r in $runs; do
	if ! grep -q "^@@vmig end run $r 0" "$results"; then
		sed -n "/^@@vmig begin run $r/,/^@@vmig end run $r/p" "$results" | grep -v '^@@vmig' >&2
		echo "bench $r failed: see $out/vm/console.log" >&2
		exit 1
	fi
done
stamp=$(date +%Y%m%d-%H%M%S)
for r in $runs; do
	json=$out/bench-${r%%[._]*}-$stamp.json
	[ "$r" = track_bench ] && json=$out/bench-$stamp.json
	sed -n "/^@@vmig begin run $r/,/^@@vmig end run $r/p" "$results" |
		grep -v -e '^@@vmig' -e '^JSON ' | tr -d '\r'
	sed -n "/^@@vmig begin run $r/,/^@@vmig end run $r/p" "$results" |
		grep '^JSON ' | sed 's/^JSON //' | tr -d '\r' >"$json"
	echo
	echo "figures saved as JSON in $json"
done
