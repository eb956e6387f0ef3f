#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: build the non-debug test kernel, the modules for it and the
# benchmark programs, run them in one VM boot, print their tables and save
# their figures as JSON.
#
# VMIG_BENCH selects the benchmarks (default: all): track (write tracking,
# track_bench), mig (migration streaming, mig_bench.sh), dm (the disk
# filter, dm_bench.sh). Arguments go to
# each benchmark program.
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

declare -A progs=([track]=track_bench [mig]=mig_bench.sh [dm]=dm_bench.sh)
benches=${VMIG_BENCH:-track mig dm}
: >"$out/plan"
for b in $benches; do
	[ -n "${progs[$b]:-}" ] || { echo "unknown benchmark '$b'" >&2; exit 2; }
	echo "run ${progs[$b]} $*" >>"$out/plan"
done
echo "booting the bench VM (non-debug kernel, TCG, 2 vCPUs)..."
VMIG_VM_PROGS="fio zstd" VMIG_VM_CPUS=${VMIG_VM_CPUS:-2} VMIG_VM_MEM=${VMIG_VM_MEM:-4096} VMIG_VM_TIMEOUT=${VMIG_VM_TIMEOUT:-1800} "$vm/run.sh" "$kbuild" "$stage" "$out/plan" "$out/vm"

results=$out/vm/results.log
json=$out/bench-$(date +%Y%m%d-%H%M%S).json
failed=0
echo "{" >"$json"
sep=
for b in $benches; do
	prog=${progs[$b]}
	section=$(sed -n "/^@@vmig begin run $prog\$/,/^@@vmig end run $prog /p" "$results" | tr -d '\r')
	echo "$section" | grep -v -e '^@@vmig' -e '^JSON '
	if ! echo "$section" | grep -q "^@@vmig end run $prog 0"; then
		echo "bench $b failed: see $out/vm/console.log" >&2
		failed=1
	fi
	printf '%s"%s": [%s]\n' "$sep" "$b" \
		"$(echo "$section" | sed -n 's/^JSON //p' | paste -sd, -)" >>"$json"
	sep=,
done
echo "}" >>"$json"
python3 -m json.tool "$json" >/dev/null || { echo "bad JSON in $json" >&2; failed=1; }
echo
echo "figures saved as JSON in $json"
exit $failed
