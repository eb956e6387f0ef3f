#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# dm-vmig, the disk filter, with real IO: tables, messages, pass-through,
# suspend, hand-off cycles between two filters over one backing device
# with dm-delay below (so that IO is queued and in flight at the hand-off),
# drain mode, a cancelled hand-off, the fence, ordering of overlapping
# writes, errors from dm-flakey and from a backing device that turns into
# an error target. dm_wl writes and checks the data. Needs root, losetup,
# dmsetup; dm-vmig.ko is loaded here.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/tap.sh
. "$dir/tap.sh"
echo "1..37"
wl=$dir/dm_wl
work=$(mktemp -d)
EBADE=52
EREMOTEIO=121
BLOCKS=4096 # 16 MiB of 4 KiB blocks
loop='' loop2=''

cleanup() {
	for d in vmig-a vmig-b vmig-c vmig-d vmig-e vmig-f vmig-g vmig-h \
		vmig-i vmig-j vmig-k vmig-slow vmig-slow2 vmig-flaky; do
		dmsetup remove "$d" 2>/dev/null
	done
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	[ -n "$loop2" ] && losetup -d "$loop2" 2>/dev/null
	rmmod dm_vmig 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

insmod "${VMIG_MODULES:-/vmig/modules}/dm-vmig.ko" || exit 1

dd if=/dev/zero of="$work/disk" bs=1M count=16 2>/dev/null
loop=$(losetup -f)
losetup "$loop" "$work/disk"
sectors=$((BLOCKS * 8))

# delay MS: the latency of the shared storage.
delay() {
	echo "0 $sectors delay $loop 0 $1" | dmsetup load vmig-slow &&
		dmsetup resume vmig-slow
}
echo "0 $sectors delay $loop 0 0" | dmsetup create vmig-slow
dmsetup mknodes vmig-slow

# mk NAME [OPT ARGS]: a filter over the shared storage.
mk() {
	name=$1
	shift
	echo "0 $sectors vmig /dev/mapper/vmig-slow 0 $*" | dmsetup create "$name" &&
		dmsetup mknodes "$name"
}
dev() { echo "/dev/mapper/$1"; }
state() { dmsetup status "$1" | awk '{print $4}'; }
field() { dmsetup status "$1" | awk -v k="$2" '{for (i = 4; i < NF; i++) if ($i == k) print $(i + 1)}'; }
# wait_field NAME KEY VALUE: until the status shows it, for up to 10 s.
wait_field() {
	for _ in $(seq 100); do
		[ "$(field "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
	done
	echo "# $1: $2 is $(field "$1" "$2"), not $3"
	return 1
}

# --- tables, status, messages -------------------------------------------

mk vmig-a 4 max_inflight 4 timeout_ms 5000
t1=$(dmsetup table vmig-a)
echo "$t1" | cut -d' ' -f4- | grep -q '^[0-9]*:[0-9]* 0 4 max_inflight 4 timeout_ms 5000$'
result $? "table shows the constructor arguments ($t1)"
echo "$t1" | dmsetup load vmig-a && dmsetup resume vmig-a
[ "$(dmsetup table vmig-a)" = "$t1" ]
result $? "table round-trips through reload"
mk vmig-b 1 incoming
dmsetup table vmig-b | grep -q ' 0 1 incoming$'
result $? "incoming round-trips"
dmsetup status vmig-a | grep -q ' vmig running passed [0-9]* held 0 inflight 0 cancelled 0 reissued 0 errors 0$'
result $? "status: state and counters"
[ "$(state vmig-b)" = incoming ]
result $? "an incoming filter starts incoming"

# Two disk identities.
u1=6f1c2a9e-3b5d-4c7e-9a10-2d4b6e8f0a1c u2=0b7d3e51-9c2a-4f68-8e1b-5a3c7d9e2f40
bad=0
for t in "" "/dev/mapper/vmig-slow" "/dev/nonexistent 0" \
	"/dev/mapper/vmig-slow x" "/dev/mapper/vmig-slow 0 1 bogus" \
	"/dev/mapper/vmig-slow 0 2 max_inflight -1" \
	"/dev/mapper/vmig-slow 0 2 max_inflight 99999999" \
	"/dev/mapper/vmig-slow 0 1 max_inflight" \
	"/dev/mapper/vmig-slow 0 2 incoming incoming" \
	"/dev/mapper/vmig-slow 0 2 timeout_ms 0" \
	"/dev/mapper/vmig-slow 0 1 incoming extra" \
	"/dev/mapper/vmig-slow 0 6 max_inflight 1 max_inflight 1 incoming" \
	"/dev/mapper/vmig-slow 0 2 disk_uuid nonsense" \
	"/dev/mapper/vmig-slow 0 2 disk_uuid 00000000-0000-0000-0000-000000000000" \
	"/dev/mapper/vmig-slow 0 1 disk_uuid" \
	"/dev/mapper/vmig-slow 0 4 disk_uuid $u1 disk_uuid $u1"; do
	if echo "0 $sectors vmig $t" | dmsetup create vmig-c 2>/dev/null; then
		echo "# accepted: '$t'"
		bad=1
		dmsetup remove vmig-c
	fi
done
result $bad "bad table lines are rejected"

bad=0
for m in bogus "handoff sideways" "handoff cancel 0" "handoff cancel x" \
	"handoff cancel 10 x" release complete "release now" import; do
	# shellcheck disable=SC2086 # words
	if dmsetup message vmig-a 0 $m 2>/dev/null; then
		echo "# accepted: '$m'"
		bad=1
	fi
done
[ "$(state vmig-a)" = running ] || bad=1
result $bad "bad messages are rejected and change nothing"

migctl disk import vmig-a /dev/null >/dev/null 2>&1
r1=$?
migctl disk export vmig-a "$work/x" >/dev/null 2>&1
r2=$?
migctl disk status vmig-nonexistent >/dev/null 2>&1
r3=$?
[ $r1 -ne 0 ] && [ $r2 -ne 0 ] && [ $r3 -ne 0 ]
result $? "migctl: import, export and status refuse what makes no sense"

DM_CTL_DISK=$(dev vmig-a) DM_CTL_OTHER=$loop "$dir/dm_ctl_test" >"$work/ctl" 2>&1
r=$?
sed 's/^/# /' "$work/ctl"
result $r "/dev/dm-vmig names a disk by an open fd, checked in the documented order"

# --- pass-through -------------------------------------------------------

dd if=/dev/urandom of="$work/rand" bs=64k count=16 2>/dev/null
dd if="$work/rand" of="$(dev vmig-a)" bs=64k seek=3 oflag=direct 2>/dev/null
dd if=/dev/mapper/vmig-slow of="$work/back" bs=64k skip=3 count=16 iflag=direct 2>/dev/null
cmp -s "$work/rand" "$work/back"
result $? "writes pass through to the backing device"
dd if="$(dev vmig-a)" of="$work/back2" bs=64k skip=3 count=16 iflag=direct 2>/dev/null
cmp -s "$work/rand" "$work/back2"
result $? "reads pass through"
dd if=/dev/zero of="$(dev vmig-a)" bs=1M count=16 oflag=direct 2>/dev/null

# --- suspend and resume under IO ---------------------------------------

delay 50
rm -f "$work/state"
"$wl" run "$(dev vmig-a)" "$work/log" 16 $BLOCKS 3000 7 >/dev/null &
wlpid=$!
ok=0
for _ in 1 2 3; do
	sleep 0.5
	dmsetup suspend vmig-a || ok=1
	[ "$(field vmig-a held)" = 0 ] || ok=1
	dmsetup resume vmig-a || ok=1
done
wait $wlpid
"$wl" verify "$(dev vmig-a)" "$work/state" $BLOCKS "$work/log" || ok=1
result $ok "suspend and resume under IO: nothing held across suspend, nothing lost"

# --- hand-off cycles ----------------------------------------------------

# handoff_cycle SRC DST MODE: write through SRC, hand off to DST, verify.
handoff_cycle() {
	src=$1 dst=$2 mode=$3
	"$wl" run "$(dev "$src")" "$work/log" 16 $BLOCKS 60000 5 >/dev/null &
	wlpid=$!
	sleep 1
	out=$(migctl disk handoff "$src" "$mode") || { echo "# $out"; return 1; }
	echo "# $src: $out"
	cancelled=$(echo "$out" | sed -n 's/.*, \([0-9]*\) cancelled.*/\1/p')
	[ "$(state "$src")" = fenced ] || return 1
	"$wl" probe "$(dev "$src")" $EBADE || return 1
	migctl disk export "$src" "$work/pkg" >/dev/null || return 1
	out=$(migctl disk import "$dst" "$work/pkg" wait | head -1) || return 1
	echo "# $dst: $out"
	reissued=$(echo "$out" | sed -n 's/imported: \([0-9]*\) IO reissued.*/\1/p')
	migctl disk complete "$src" || return 1
	wait $wlpid
	[ "$(state "$src")" = gone ] || return 1
	[ "$(state "$dst")" = running ] || return 1
	"$wl" verify "$(dev "$dst")" "$work/state" $BLOCKS "$work/log" "$work/pkg" || return 1
	# Exactly once: everything cancelled was reissued, nothing more.
	[ "$cancelled" = "$reissued" ] || { echo "# cancelled $cancelled, reissued $reissued"; return 1; }
	migctl disk incoming "$src"
}

ok=0
cancelled_total=0
for _ in 1 2 3; do
	handoff_cycle vmig-a vmig-b cancel || ok=1
	cancelled_total=$((cancelled_total + cancelled))
	handoff_cycle vmig-b vmig-a cancel || ok=1
	cancelled_total=$((cancelled_total + cancelled))
done
result $ok "six cancel hand-offs between two filters, with IO queued and in flight"
[ $cancelled_total -gt 0 ]
result $? "the hand-offs cancelled IO ($cancelled_total in all)"

handoff_cycle vmig-a vmig-b drain
result $? "drain hand-off"
migctl disk status vmig-a | grep -q '^state incoming$'
result $? "migctl disk status shows the state"

# --- a cancelled migration ---------------------------------------------

# vmig-b runs, vmig-a is incoming.
"$wl" run "$(dev vmig-b)" "$work/log" 16 $BLOCKS 3000 5 >/dev/null &
wlpid=$!
sleep 1
ok=0
migctl disk handoff vmig-b >/dev/null || ok=1
held=$(field vmig-b held)
migctl disk export vmig-b "$work/pkg" >/dev/null || ok=1
sleep 0.3
migctl disk release vmig-b || ok=1
migctl disk release vmig-a || ok=1
wait $wlpid
[ "$(state vmig-b)" = running ] || ok=1
"$wl" verify "$(dev vmig-b)" "$work/state" $BLOCKS "$work/log" || ok=1
result $ok "a released hand-off loses nothing ($held IO were held)"
migctl disk incoming vmig-a || ok=1
[ "$(state vmig-a)" = incoming ]
result $? "an idle filter can become incoming"

# --- ordering of overlapping writes -----------------------------------

dmsetup remove vmig-a
mk vmig-a 2 max_inflight 1
migctl disk incoming vmig-b
delay 3000
"$wl" aio "$(dev vmig-a)" 7 4 >"$work/aio" &
aiopid=$!
wait_field vmig-a held 3
out=$(migctl disk handoff vmig-a)
echo "# $out"
migctl disk export vmig-a "$work/pkg" >/dev/null
migctl disk import vmig-b "$work/pkg" wait >/dev/null
migctl disk complete vmig-a
wait $aiopid
echo "$out" | grep -q '1 IO waited for (0 failed), 3 cancelled'
result $? "one write in flight, three overlapping writes cancelled"
[ "$("$wl" gen "$(dev vmig-b)" 7)" = 4 ]
result $? "overlapping writes are reissued in order: the last one wins"
[ "$(grep -c ": -$EREMOTEIO$" "$work/aio")" = 3 ] && grep -q "write 1: 4096$" "$work/aio"
result $? "the source reports the cancelled writes as handed off (EREMOTEIO)"

# --- a second hand-off, removal while IO is held ------------------------

migctl disk incoming vmig-a
migctl disk handoff vmig-b >/dev/null
migctl disk complete vmig-b
migctl disk export vmig-a "$work/x" >/dev/null 2>&1 && echo "# export from incoming"
migctl disk release vmig-a
# An incoming disk holds IO for as long as it takes.
migctl disk incoming vmig-a
dd if=/dev/zero of="$(dev vmig-a)" bs=4k count=1 oflag=direct 2>/dev/null &
ddpid=$!
wait_field vmig-a held 1
dmsetup remove vmig-a 2>/dev/null
r1=$?
[ $r1 -ne 0 ] && [ "$(field vmig-a held)" = 1 ]
result $? "removing a disk that holds IO fails, the IO stays held"
migctl disk release vmig-a
wait $ddpid
result $? "released IO completes"
# A hand-off that waits for a slow write: a second one fails meanwhile.
delay 5000
dd if=/dev/zero of="$(dev vmig-a)" bs=4k count=1 seek=1 oflag=direct 2>/dev/null &
ddpid=$!
wait_field vmig-a inflight 1
migctl disk handoff vmig-a cancel 20000 >"$work/h1" 2>&1 &
hpid=$!
for _ in $(seq 100); do
	[ "$(state vmig-a)" = handoff ] && break
	sleep 0.1
done
dmsetup message vmig-a 0 handoff 2>/dev/null
r1=$?
wait $hpid
r2=$?
[ $r1 -ne 0 ] && [ $r2 -eq 0 ]
result $? "a second hand-off while one runs fails"
! dmsetup message vmig-a 0 handoff 2>/dev/null && [ "$(state vmig-a)" = fenced ]
result $? "a hand-off of a fenced disk fails"
migctl disk release vmig-a
wait $ddpid
dd if=/dev/zero of="$(dev vmig-a)" bs=4k count=1 seek=2 oflag=direct 2>/dev/null &
ddpid=$!
wait_field vmig-a inflight 1
dmsetup message vmig-a 0 handoff cancel 1000 2>"$work/err"
r1=$?
wait $ddpid
r2=$?
[ $r1 -ne 0 ] && grep -q "timed out" "$work/err" && [ $r2 -eq 0 ] &&
	[ "$(state vmig-a)" = running ]
result $? "a hand-off that outlasts its timeout fails with ETIMEDOUT and is undone"

# A discard is held, handed off and reissued like a write, in 1 MiB pieces.
migctl disk incoming vmig-b
dd if=/dev/zero of="$(dev vmig-a)" bs=4k count=1 oflag=direct 2>/dev/null &
ddpid=$!
wait_field vmig-a inflight 1
blkdiscard -o 1048576 -l 4194304 "$(dev vmig-a)" 2>/dev/null &
bdpid=$!
wait_field vmig-a held 4
migctl disk handoff vmig-a >/dev/null
migctl disk export vmig-a "$work/pkg" >/dev/null
nd=$(migctl disk show "$work/pkg" | grep -c 'cancelled  discard .* 1048576 ')
out=$(migctl disk import vmig-b "$work/pkg" wait | head -1)
migctl disk complete vmig-a
wait $ddpid
wait $bdpid
[ "$nd" = 4 ] && echo "$out" | grep -q '^imported: 4 IO reissued, 0 reads to resubmit, 0 failed'
result $? "discards are handed off and reissued ($nd of 1 MiB: $out)"
migctl disk incoming vmig-a
migctl disk handoff vmig-b >/dev/null
migctl disk export vmig-b "$work/pkg" >/dev/null
migctl disk import vmig-a "$work/pkg" wait >/dev/null
migctl disk complete vmig-b

# An import that waits for its reissued IO ends at a signal (the import
# stands, its IO goes on): one write in flight on vmig-a (max_inflight
# 1), one cancelled, reissued on vmig-b over storage 8 s away.
migctl disk incoming vmig-b
dd if=/dev/zero of="$(dev vmig-a)" bs=4k count=1 oflag=direct 2>/dev/null &
ddpid=$!
wait_field vmig-a inflight 1
dd if=/dev/zero of="$(dev vmig-a)" bs=4k count=1 seek=64 oflag=direct 2>/dev/null &
dd2pid=$!
wait_field vmig-a held 1
migctl disk handoff vmig-a >/dev/null
migctl disk export vmig-a "$work/pkg" >/dev/null
wait $ddpid
delay 8000
migctl disk import vmig-b "$work/pkg" wait >"$work/imp" 2>&1 &
ipid=$!
wait_field vmig-b inflight 1
kill -TERM $ipid
gone=1
for _ in $(seq 30); do
	kill -0 $ipid 2>/dev/null || { gone=0; break; }
	sleep 0.1
done
wait $ipid
r=$?
[ $gone -eq 0 ] && [ $r -ne 0 ] && [ "$(state vmig-b)" = running ]
result $? "an import waiting for its IO ends at a signal (exit $r), the import stands"
for _ in $(seq 150); do
	[ "$(field vmig-b inflight)" = 0 ] && break
	sleep 0.1
done
migctl disk complete vmig-a
wait $dd2pid
delay 50
migctl disk incoming vmig-a
migctl disk handoff vmig-b >/dev/null
migctl disk export vmig-b "$work/pkg" >/dev/null
migctl disk import vmig-a "$work/pkg" wait >/dev/null
migctl disk complete vmig-b

# --- the fence across a table reload; one filter per table ----------------

# A filter handed off (gone) whose table is loaded again, as is: the new
# table must stay gone, or the source's IO would reach the storage that
# the target now owns.
mk vmig-e 0
mk vmig-f 1 incoming
migctl disk handoff vmig-e >/dev/null &&
	migctl disk export vmig-e "$work/pkg-e" >/dev/null &&
	migctl disk import vmig-f "$work/pkg-e" wait >/dev/null &&
	migctl disk complete vmig-e && [ "$(state vmig-e)" = gone ] &&
	dmsetup table vmig-e | dmsetup load vmig-e && dmsetup resume vmig-e &&
	[ "$(state vmig-e)" = gone ] && "$wl" probe "$(dev vmig-e)" $EBADE
result $? "a table reloaded over a handed-off filter keeps the fence"
# Two vmig targets in one table would share one device number.
printf '0 8 vmig /dev/mapper/vmig-slow 0\n8 8 vmig /dev/mapper/vmig-slow 8\n' |
	dmsetup create vmig-g 2>"$work/two.err"
r=$?
[ $r -ne 0 ] && ! dmsetup info vmig-g >/dev/null 2>&1
result $? "a table with two vmig targets is refused"

# The disk's identity: a package made by a filter with one disk_uuid is
# refused (EXDEV) by a filter with another and by one with none, which
# stay incoming, and taken by one with the same; the table shows it.
mk vmig-h 2 disk_uuid $u1
mk vmig-i 3 disk_uuid $u2 incoming
mk vmig-j 1 incoming
mk vmig-k 3 disk_uuid $u1 incoming
migctl disk handoff vmig-h >/dev/null &&
	migctl disk export vmig-h "$work/pkg-h" >/dev/null &&
	migctl disk show "$work/pkg-h" | grep -q "disk $u1, CRC ok" &&
	! migctl disk import vmig-i "$work/pkg-h" 2>"$work/xdev.err" &&
	grep -q "Invalid cross-device link" "$work/xdev.err" &&
	! migctl disk import vmig-j "$work/pkg-h" 2>/dev/null &&
	[ "$(state vmig-i)" = incoming ] && [ "$(state vmig-j)" = incoming ] &&
	migctl disk import vmig-k "$work/pkg-h" wait >/dev/null &&
	[ "$(state vmig-k)" = running ] &&
	dmsetup table vmig-k | grep -q " 0 3 disk_uuid $u1 incoming\$"
result $? "a package is taken only by a filter with its disk_uuid (EXDEV otherwise)"
migctl disk complete vmig-h
for d in vmig-h vmig-i vmig-j vmig-k; do
	dmsetup remove $d
done
dmsetup remove vmig-e
dmsetup remove vmig-f

# --- errors from the backing device -------------------------------------

# C: vmig over dm-delay (300 ms) over dm-flakey that fails every write.
dd if=/dev/zero of="$work/disk2" bs=1M count=16 2>/dev/null
loop2=$(losetup -f)
losetup "$loop2" "$work/disk2"
echo "0 $sectors flakey $loop2 0 0 60 1 error_writes" | dmsetup create vmig-flaky
dmsetup mknodes vmig-flaky
echo "0 $sectors delay /dev/mapper/vmig-flaky 0 3000" | dmsetup create vmig-slow2
dmsetup mknodes vmig-slow2
echo "0 $sectors vmig /dev/mapper/vmig-slow2 0" | dmsetup create vmig-c
dmsetup mknodes vmig-c
dd if=/dev/zero of="$(dev vmig-c)" bs=4k count=1 oflag=direct 2>/dev/null &
ddpid=$!
wait_field vmig-c inflight 1
out=$(migctl disk handoff vmig-c)
r=$?
echo "# $out"
wait $ddpid
r2=$?
[ $r -eq 3 ] && echo "$out" | grep -q '1 IO waited for (1 failed)' && [ $r2 -ne 0 ]
result $? "an IO error during the hand-off is reported to the guest and by the hand-off"
migctl disk export vmig-c "$work/pkg" >/dev/null
migctl disk show "$work/pkg" | grep -q 'completed .*write .*error'
result $? "the package records the error"
migctl disk release vmig-c
[ "$(field vmig-c errors)" = 1 ]
result $? "status counts the error"

# The target's backing device fails: the reissued IO's errors are
# reported; the migration is cancelled and the source loses nothing.
# vmig-a (max_inflight 1) has IO queued at any time.
echo "0 $sectors error" | dmsetup load vmig-slow2 && dmsetup resume vmig-slow2
dd if=/dev/zero of=/dev/mapper/vmig-slow bs=1M count=16 oflag=direct 2>/dev/null
rm -f "$work/state"
migctl disk incoming vmig-c
"$wl" run "$(dev vmig-a)" "$work/log" 8 $BLOCKS 2500 >/dev/null &
wlpid=$!
sleep 1
migctl disk handoff vmig-a >/dev/null
migctl disk export vmig-a "$work/pkg" >/dev/null
out=$(migctl disk import vmig-c "$work/pkg" wait)
r=$?
echo "$out" | head -1 | sed 's/^/# /'
nerr=$(echo "$out" | grep -c 'error')
[ $r -eq 3 ] && [ "$nerr" -gt 0 ]
result $? "reissue errors on a failed backing device are reported per IO"
migctl disk release vmig-a
wait $wlpid
"$wl" verify "$(dev vmig-a)" "$work/state" $BLOCKS "$work/log"
result $? "the migration cancelled after that loses nothing on the source"

dmsetup remove vmig-c
dmsetup remove vmig-slow2
dmsetup remove vmig-flaky
dmsetup remove vmig-a
dmsetup remove vmig-b
rmmod dm_vmig
result $? "the module unloads"
[ "$failed" -eq 0 ]
