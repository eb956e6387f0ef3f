#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The two-VM topology: two test VMs, the source host and the target host,
# each with its own kernel and modules, joined by a QEMU network link and
# sharing one disk image, migrate a running guest between them
# (selftests/vmig/twovm_role.sh in each), and one of them is killed where
# the scenario says.
#
#   twovm.sh KBUILD STAGE OUTDIR [SCENARIO...]
#
# KBUILD and STAGE are run.sh's. SCENARIO is one of
#   migrate      a full migration with disk IO, verified by the guest's
#                journals of memory and disk on the target
#   kill-target  the target VM killed while the source is in pre-copy
#   kill-source  the source VM killed after the disk hand-off, before
#                the switchover
# (default: all three, in this order). Each is one pair of VM boots, the
# target's and the source's at once, in OUTDIR/SCENARIO/{target,source}.
# The results go to OUTDIR/tally, as collect.py writes them (prefix
# twovm/SCENARIO/ROLE/), with the host's own checks
# (twovm/SCENARIO/host/...). Exits non-zero when anything failed.
#
# Each VM has 1 vCPU and VMIG_TWOVM_MEM MiB (default 1024); VMIG_VM_TIMEOUT
# (default 300 s here) bounds each boot.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 3 ]; then
	echo "usage: $0 KBUILD STAGE OUTDIR [migrate|kill-target|kill-source...]" >&2
	exit 2
fi
kbuild=$1 stage=$2 out=$3
shift 3
[ $# -gt 0 ] || set -- migrate kill-target kill-source
for scen; do
	case $scen in
	migrate | kill-target | kill-source) ;;
	*)
		echo "twovm.sh: unknown scenario $scen" >&2
		exit 2
		;;
	esac
done
ksrc=$("$here/kernel.sh" src)
mkdir -p "$out"
out=$(cd "$out" && pwd)
tally=$out/tally
: >"$tally"
declare -A vm

# host STATUS SCENARIO DESC: one of the host's own results.
host() {
	local status=PASS
	[ "$1" -eq 0 ] || status=FAIL
	echo "$status twovm/$2/host/$3" >>"$tally"
	echo "  $status host: $3"
}

now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

# The streams' pre-shared key, the same for both VMs of a run.
psk=$(python3 -c 'import secrets; print(secrets.token_hex(32))')

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# boot ROLE NETDEV MAC: boot this scenario's VM ROLE in the background
# (run.sh's pid in vm[ROLE]), its NIC on QEMU's socket netdev NETDEV
# ("listen=..." or "connect=..."), the shared disk as virtio-blk.
#
# The kernel has no PCI_MSI, so its virtio devices use INTx; under TCG the
# ACPI _PRT method runs past ACPICA's 30 s loop timeout and leaves them
# without an interrupt: pci=noacpi routes them through the PIRQ table.
# (run.sh boots every VM with no5lvl: see there.)
boot() {
	local role=$1 dir=$out/$scen/$1
	mkdir -p "$dir"
	echo "kselftest twovm_role.sh $role $scen $psk" >"$dir/plan"
	rm -f "$dir/qemu.pid"
	VMIG_VM_CPUS=1 VMIG_VM_MEM=${VMIG_TWOVM_MEM:-1024} \
		VMIG_VM_TIMEOUT=${VMIG_VM_TIMEOUT:-300} \
		VMIG_APPEND="pci=noacpi vmig.stream_timeout_s=5 ${VMIG_APPEND:-}" \
		VMIG_QEMU_ARGS="-pidfile $dir/qemu.pid
			-netdev socket,id=n0,$2
			-device virtio-net-pci,netdev=n0,mac=$3
			-drive file=$img,format=raw,if=none,id=d0,file.locking=off
			-device virtio-blk-pci,drive=d0,share-rw=on" \
		"$here/run.sh" "$kbuild" "$stage" "$dir/plan" "$dir" \
		>"$dir/run.log" 2>&1 &
	vm[$role]=$!
}

# wait_for SECONDS PID CMD...: CMD every 200 ms until it succeeds; fails
# after SECONDS or once PID (a run.sh) has exited.
wait_for() {
	local tries=$(($1 * 5)) pid=$2
	shift 2
	until "$@"; do
		tries=$((tries - 1))
		if [ $tries -le 0 ] || ! kill -0 "$pid" 2>/dev/null; then
			"$@"
			return
		fi
		sleep 0.2
	done
}

listening() { [ -n "$(ss -Hltn "sport = :$port")" ]; }
said() { grep -q "^# twovm: $2" "$out/$scen/$1/results.log" 2>/dev/null; }

# kill_vm ROLE: kill the VM's QEMU, as a host dies.
kill_vm() {
	local dir=$out/$scen/$1 qpid
	qpid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 1
	# Ours: QEMU started with this pidfile.
	tr '\0' ' ' <"/proc/$qpid/cmdline" 2>/dev/null |
		grep -q -- "-pidfile $dir/qemu.pid " || return 1
	kill -KILL "$qpid"
}

# killed ROLE EVENT SECONDS: once the source says EVENT, kill ROLE's VM;
# the other one must report the end of its migration within SECONDS (its
# "exited" event). The bounds leave room for a loaded machine; with
# vmig's default stream timeout (60 s) the source took 132 s.
killed() {
	local victim=$1 limit=$3 other=source t0 secs
	[ "$victim" = source ] && other=target
	wait_for 240 "${vm[source]}" said source "$2"
	host $? "$scen" "the source said '$2'"
	t0=$(now)
	kill_vm "$victim"
	host $? "$scen" "the $victim VM killed"
	wait "${vm[$victim]}"
	if ! wait_for 120 "${vm[$other]}" said "$other" "$other exited"; then
		host 1 "$scen" "the $other reported the end of its migration"
		return
	fi
	secs=$(since "$t0")
	echo "  the $other reported $secs s after the kill"
	awk "BEGIN { exit !($secs < $limit) }"
	host $? "$scen" "the $other reported the end within $limit s of the kill"
}

# After a migration: the IO that the source's disk hand-off cancelled were
# all redone on the target (reissued writes, resubmitted reads).
redone() {
	local nc nr
	nc=$(sed -n 's/^# disk: handed off.* \([0-9]*\) cancelled.*/\1/p' \
		"$out/$scen/source/results.log")
	nr=$(sed -n 's/.* \([0-9]*\) writes reissued, \([0-9]*\) reads resubmitted.*/\1 \2/p' \
		"$out/$scen/target/results.log" | awk '{ print $1 + $2 }')
	echo "  ${nc:-no} IO cancelled by the hand-off, ${nr:-none} redone on the target"
	[ "${nc:-0}" -gt 0 ] && [ "$nr" = "$nc" ]
	host $? "$scen" "the IO the source's hand-off cancelled were redone on the target"
}

collect() {
	"$here/collect.py" --outdir "$out/$scen/$1" --tally "$tally" \
		--prefix "twovm/$scen/$1/" --kunit-py "$ksrc/tools/testing/kunit/kunit.py" \
		"${@:2}" >"$out/$scen/$1/collect.log"
}

# Interrupted: take this scenario's VMs down with us.
trap 'kill_vm target; kill_vm source; exit 130' INT TERM

for scen; do
	echo "== twovm/$scen"
	t_scen=$(now)
	rm -rf "${out:?}/$scen"
	mkdir -p "$out/$scen"
	img=$out/$scen/disk.img
	truncate -s 64M "$img"
	port=$(free_port)
	# The target listens for the link, so it boots first; the source
	# connects once QEMU listens (a refused connect ends QEMU).
	boot target "listen=127.0.0.1:$port" 52:54:00:81:00:02
	wait_for 120 "${vm[target]}" listening
	host $? "$scen" "the target's QEMU listens for the link"
	boot source "connect=127.0.0.1:$port" 52:54:00:81:00:01
	victim=
	case $scen in
	kill-target)
		victim=target
		killed target "in pre-copy" 45
		;;
	kill-source)
		victim=source
		killed source "handed off" 30
		;;
	esac
	wait "${vm[target]}" "${vm[source]}" 2>/dev/null
	[ "$scen" = migrate ] && redone
	for role in target source; do
		if [ "$role" = "$victim" ]; then
			collect $role --killed
		else
			collect $role
		fi
	done
	echo "  $(since "$t_scen") s"
done

grep '^FAIL' "$tally" || true
echo "twovm: $(grep -c '^PASS' "$tally") passed, $(grep -c '^FAIL' "$tally") failed"
! grep -q '^FAIL' "$tally"
