#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: lint, builds, and the KUnit and kselftest suites in the debug
# test VM. Every step adds PASS/FAIL/SKIP lines to a tally; the run ends
# with the line "N passed, N failed" (and ", N skipped" where any) and a
# non-zero exit status when anything failed.
#
# make check-full (check.sh --full): the same, then the two-VM topology
# (tools/testing/vm/twovm.sh), in the same tally. make check-twovm
# (check.sh --twovm): the builds and the two-VM topology only.
set -uo pipefail

full='' twovm_only=''
case ${1:-} in
--full) full=y ;;
--twovm) full=y twovm_only=y ;;
"") ;;
*)
	echo "usage: $0 [--full|--twovm]" >&2
	exit 2
	;;
esac

top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tools/testing/vm
build=${VMIG_BUILD_DIR:-$top/build}
out=$build/check
tally=$out/tally
mkdir -p "$out"
: >"$tally"

pass() { echo "PASS $1" >>"$tally"; }
fail() { echo "FAIL $1" >>"$tally"; echo "FAIL $1${2:+: $2}"; }

# step NAME COMMAND...: run a command, its output in $out/NAME.log.
step() {
	local name=$1 log=$out/${1//\//_}.log
	shift
	echo "== $name"
	if "$@" >"$log" 2>&1; then
		pass "$name"
	else
		tail -n 40 "$log"
		fail "$name" "see $log"
	fi
}

summary() {
	local p f s
	p=$(grep -c '^PASS' "$tally")
	f=$(grep -c '^FAIL' "$tally")
	s=$(grep -c '^SKIP' "$tally")
	echo
	grep '^FAIL' "$tally"
	if [ "$s" -gt 0 ]; then
		echo "$p passed, $f failed, $s skipped"
	else
		echo "$p passed, $f failed"
	fi
	[ "$f" -eq 0 ]
}

if ! "$vm/deps.sh" || ! kbuild=$("$vm/kernel.sh" build debug) ||
	! ksrc=$("$vm/kernel.sh" src); then
	fail setup "could not install the dependencies or build the test kernel"
	summary
	exit 1
fi
echo "test kernel: $kbuild"

c_files=$(cd "$top" && git ls-files -co --exclude-standard '*.c' '*.h' \
	':!tools/testing/fuzz/*' ':!tools/lib/vmig/kshim/linux/lz4.h' \
	':!tools/lib/vmig/kshim/linux/zstd.h' ':!drivers/vmig/wire.c' \
	':!drivers/vmig/tests/wire_kunit.c')
# Files that must name foreign CamelCase APIs (libFuzzer's entry point,
# liblz4's, libzstd's, the fields of the kernel's zstd types): checkpatch
# without its CamelCase check.
camel_files=$(cd "$top" && git ls-files -co --exclude-standard \
	'tools/testing/fuzz/*.[ch]' 'tools/lib/vmig/kshim/linux/lz4.h' \
	'tools/lib/vmig/kshim/linux/zstd.h' 'drivers/vmig/wire.c' \
	'drivers/vmig/tests/wire_kunit.c')
kdoc_files=$(cd "$top" && git ls-files -co --exclude-standard 'include/*.h' \
	'drivers/*.[ch]')
# The shell scripts: *.sh, and the files whose first line runs sh or bash.
sh_files=()
while IFS= read -r f; do
	[ -f "$top/$f" ] || continue
	first=
	[[ $f == *.sh ]] || IFS= read -r first <"$top/$f" || :
	[[ $f == *.sh || $first =~ ^'#!'.*/(env\ +)?(ba)?sh(\ |$) ]] &&
		sh_files+=("$top/$f")
done < <(cd "$top" && git ls-files -co --exclude-standard)

if [ -n "$twovm_only" ]; then
	step build/modules make -C "$top" KDIR="$kbuild" VMIG_DEBUG=y modules
	step build/tools make -C "$top" tools
	step build/selftests make -C "$top" KDIR="$kbuild" selftests
fi

if [ -z "$twovm_only" ]; then
	# Warnings are errors, W=1 included; then sparse over every file.
	step build/modules make -C "$top" KDIR="$kbuild" W=1 VMIG_WERROR=y \
		VMIG_DEBUG=y modules
	# C=2 runs sparse over every file, built or not; sparse itself exits 0.
	step lint/sparse bash -c "make -C '$top' KDIR='$kbuild' C=2 VMIG_DEBUG=y modules 2>&1 |
		tee /dev/stderr | grep -E '(warning|error):' && exit 1 || exit 0"
	step lint/checkpatch bash -c "cd '$top' && '$ksrc/scripts/checkpatch.pl' \
		--no-tree --strict --terse --show-types --quiet -f ${c_files//$'\n'/ }"
	step lint/kernel-doc bash -c "cd '$top' && '$ksrc/scripts/kernel-doc' \
		-Wall -none ${kdoc_files//$'\n'/ } 2>&1 |
		tee /dev/stderr | grep -q . && exit 1 || exit 0"
	step lint/checkpatch-foreign-api bash -c "cd '$top' && '$ksrc/scripts/checkpatch.pl' \
		--no-tree --strict --terse --show-types --quiet --ignore CAMELCASE \
		-f ${camel_files//$'\n'/ }"
	# -x: a script's sourced helpers are followed, where it says.
	step lint/shellcheck shellcheck -x "${sh_files[@]}"
	step build/tools make -C "$top" tools
	step build/selftests make -C "$top" KDIR="$kbuild" selftests
	step build/distro-headers make -C "$top" headers-check
	# The parsers of untrusted input, fuzzed for a fixed budget from the
	# checked-in corpus (about 20 s in all).
	step fuzz/run make -C "$top/tools/testing/fuzz" O="$build/fuzz" \
		RUNS=2000000 run

	echo "== vm (debug kernel, TCG unless VMIG_ACCEL=kvm)"
	plan=$out/plan
	cat "$top"/selftests/vmig/plan >"$plan"
	# The whole plan takes some 15 minutes under TCG: 30 is a hang.
	VMIG_VM_TIMEOUT=${VMIG_VM_TIMEOUT:-1800} \
		"$vm/run.sh" "$kbuild" "$build" "$plan" "$out/vm"
	"$vm/collect.py" --outdir "$out/vm" --tally "$tally" \
		--kunit-py "$ksrc/tools/testing/kunit/kunit.py"
fi

if [ -n "$full" ]; then
	echo "== twovm (two VMs as two hosts, three pairs of boots)"
	rm -f "$out/twovm/tally"
	"$vm/twovm.sh" "$kbuild" "$build" "$out/twovm" 2>&1 |
		tee "$out/twovm.log" | grep -v '^FAIL'
	# Its own failures are in its tally; a crash of the script is ours.
	rc=${PIPESTATUS[0]}
	cat "$out/twovm/tally" >>"$tally" 2>/dev/null
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL' "$out/twovm/tally" 2>/dev/null; then
		fail twovm "twovm.sh exited with status $rc: see $out/twovm.log"
	fi
fi

summary
