#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dm-vmig benchmarks, in the bench VM (make bench VMIG_BENCH=dm):
#
# 1. Switchover time of a hand-off with 64 and 256 writes queued, on
#    storage with 20 ms and 100 ms latency (dm-delay), cancel-and-reissue
#    against drain-everything, max_inflight 16 on both filters (see
#    dm-vmig.rst: cancel waits for one latency, drain for queued /
#    max_inflight of them). switch_ms runs from the hand-off to the end of
#    the import, when the target lets its guest's IO through;
#    reissued_ms until the target has finished the reissued IO. Each
#    figure is the run with the median switchover time of REPS (3) runs.
# 2. Pass-through overhead: fio through the filter against the bare
#    backing device (and dm-linear for reference), 4 KiB random and 128 KiB
#    sequential, read and write, median of FIO_ROUNDS interleaved runs.
#
# Prints a table, then the figures as one JSON object after "JSON ".
set -e
dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
DEPTH=16
REPS=${REPS:-3}
FIO_SECS=${FIO_SECS:-4}
FIO_ROUNDS=${FIO_ROUNDS:-5}
loop=

insmod "${VMIG_MODULES:-/vmig/modules}/dm-vmig.ko"
# dmsetup without its notice that the VM has no udev (no SysV semaphores).
dm() { dmsetup "$@" 2>"$work/dm.err" || { cat "$work/dm.err" >&2; return 1; }; }
cleanup() {
	for d in bsrc bdst bslow blin; do dmsetup remove "$d" 2>/dev/null || true; done
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rmmod dm_vmig 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

dd if=/dev/zero of="$work/disk" bs=1M count=256 2>/dev/null
loop=$(losetup -f)
losetup "$loop" "$work/disk"
sectors=$((256 * 2048))

json_sw=
echo "Switchover: $DEPTH in flight at most, the rest queued in the filter"
printf '%-8s %-7s %-7s %12s %12s %10s %10s\n' latency queued mode \
	switch_ms reissued_ms cancelled ratio
for lat in 20 100; do
	for q in 64 256; do
		cancel_ms=
		for mode in cancel drain; do
			all=
			for _ in $(seq "$REPS"); do
				echo "0 $sectors delay $loop 0 $lat" | dm create bslow
				dm mknodes bslow
				echo "0 $sectors vmig /dev/mapper/bslow 0 2 max_inflight $DEPTH" |
					dm create bsrc
				echo "0 $sectors vmig /dev/mapper/bslow 0 3 max_inflight $DEPTH incoming" |
					dm create bdst
				dm mknodes
				all="$all$("$dir/dm_bench" /dev/mapper/bsrc /dev/mapper/bdst $q $mode)
"
				dm remove bsrc
				dm remove bdst
				dm remove bslow
			done
			# The run with the median switchover time.
			out=$(printf '%s' "$all" |
				awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^switch_ms=/) t = substr($i, 11); print t, $0 }' |
				sort -n | sed -n "$(((REPS + 1) / 2))p" | cut -d' ' -f2-)
			sws=$(printf '%s' "$all" | tr ' ' '\n' | sed -n 's/^switch_ms=//p' | tr '\n' ',' | sed 's/,$//')
			val() { echo "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
			sw=$(val switch_ms)
			re=$(val reissue_done_ms)
			if [ $mode = cancel ]; then
				cancel_ms=$sw
				ratio=-
			else
				ratio=$(awk -v d="$sw" -v c="$cancel_ms" 'BEGIN { printf "%.1fx", d / c }')
			fi
			printf '%-8s %-7s %-7s %12s %12s %10s %10s\n' "${lat}ms" $q $mode \
				"$sw" "$re" "$(val cancelled)" "$ratio"
			json_sw="$json_sw${json_sw:+, }{\"latency_ms\": $lat, \"queued\": $q, \"mode\": \"$mode\", \"max_inflight\": $DEPTH, \"switch_ms\": $sw, \"switch_ms_runs\": [$sws], \"reissue_done_ms\": $re, \"completed\": $(val completed), \"cancelled\": $(val cancelled), \"pkg_bytes\": $(val pkg_bytes)}"
		done
	done
done

# fio_bw DEV RW BS: the bandwidth in KiB/s, reads plus writes. Threads,
# and noshm.so in place of SysV shared memory, which the VM's kernel lacks.
fio_bw() {
	bw=$(LD_PRELOAD=$dir/noshm.so fio --name=b --filename="$1" --direct=1 --ioengine=libaio \
		--iodepth=16 --thread --rw="$2" --bs="$3" --size=200M \
		--runtime="$FIO_SECS" --time_based --group_reporting --minimal \
		2>"$work/fio.err" | awk -F';' '{ print $7 + $48 }')
	# shellcheck disable=SC2015 # the error when either test fails
	[ -n "$bw" ] && [ "$bw" != 0 ] || { cat "$work/fio.err" >&2; return 1; }
	echo "$bw"
}

echo
echo "Pass-through: fio, iodepth 16, median of $FIO_ROUNDS interleaved runs of ${FIO_SECS}s: bare"
echo "device, dm-linear (device-mapper's own cost, for reference), dm-vmig (default table)"
printf '%-14s %12s %12s %12s %8s %8s\n' job bare_KiB/s linear_KiB/s vmig_KiB/s \
	vmig/bare vmig/lin
json_pt=
echo "0 $sectors vmig $loop 0" | dm create bsrc
echo "0 $sectors linear $loop 0" | dm create blin
dm mknodes
# median "V V V": the middle value.
median() { echo "$1" | tr ' ' '\n' | grep . | sort -n | sed -n "$(((FIO_ROUNDS + 1) / 2))p"; }
for job in randread:4k randwrite:4k read:128k write:128k; do
	rw=${job%:*}
	bs=${job#*:}
	bv='' lv='' vv=''
	# Interleave the devices, rotating who goes first, and take the
	# median: the emulated machine's speed drifts.
	for round in $(seq "$FIO_ROUNDS"); do
		case $((round % 3)) in
		0) order="bare lin vmig" ;;
		1) order="lin vmig bare" ;;
		2) order="vmig bare lin" ;;
		esac
		for d in $order; do
			case $d in
			bare) bv="$bv $(fio_bw "$loop" "$rw" "$bs")" ;;
			lin) lv="$lv $(fio_bw /dev/mapper/blin "$rw" "$bs")" ;;
			vmig) vv="$vv $(fio_bw /dev/mapper/bsrc "$rw" "$bs")" ;;
			esac
		done
	done
	bare=$(median "$bv")
	lin=$(median "$lv")
	vmig=$(median "$vv")
	ratio=$(awk -v v="$vmig" -v b="$bare" 'BEGIN { printf "%.3f", v / b }')
	rlin=$(awk -v v="$vmig" -v b="$lin" 'BEGIN { printf "%.3f", v / b }')
	printf '%-14s %12s %12s %12s %8s %8s\n' "$rw-$bs" "$bare" "$lin" "$vmig" \
		"$ratio" "$rlin"
	json_pt="$json_pt${json_pt:+, }{\"job\": \"$rw-$bs\", \"bare_kib_s\": $bare, \"linear_kib_s\": $lin, \"vmig_kib_s\": $vmig, \"vmig_vs_bare\": $ratio, \"vmig_vs_linear\": $rlin}"
done
dm remove blin
echo
echo "JSON {\"bench\": \"dm\", \"switchover\": [$json_sw], \"passthrough\": [$json_pt]}"
