#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmig.ko loads and unloads cleanly, /dev/vmig comes and goes with it, an open
# device pins the module, and migctl explains a missing module instead of
# crashing. Prints TAP. Needs root and the module already loaded.
#
# VMIG_MODULES names the directory holding vmig.ko (default: the running
# kernel's extra/ directory, where 'make modules_install' puts it).

moddir=${VMIG_MODULES:-/lib/modules/$(uname -r)/extra}
# shellcheck source=SCRIPTDIR/tap.sh
. "$(dirname "$0")/tap.sh"

loaded() { [ -d /sys/module/vmig ]; }
no_node() { [ ! -e /dev/vmig ]; }

echo "TAP version 13"
if [ "$(id -u)" -ne 0 ] || ! loaded; then
	echo "1..0 # SKIP needs root and vmig loaded"
	exit 4
fi
echo "1..9"

check "device node exists while loaded" test -c /dev/vmig

exec 3<>/dev/vmig
rmmod vmig 2>/dev/null
result $((! $?)) "an open /dev/vmig pins the module"
exec 3>&-

check "rmmod succeeds once closed" rmmod vmig
check "module and node are gone" sh -c '! [ -d /sys/module/vmig ] && ! [ -e /dev/vmig ]'

out=$(migctl version 2>/tmp/migctl.err)
rc=$?
[ $rc -eq 1 ] && grep -q "is the vmig module loaded" /tmp/migctl.err &&
	echo "$out" | grep -q "^migctl "
result $? "migctl version without the module: clear error, status 1 (got $rc)"

check "insmod succeeds" insmod "$moddir/vmig.ko"
check "node is back" test -c /dev/vmig

out=$(migctl version)
rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q "^vmig module .*(API [0-9]*, features"
result $? "migctl version with the module (got $rc)"

i=0
while [ $i -lt 10 ] && rmmod vmig && insmod "$moddir/vmig.ko"; do
	i=$((i + 1))
done
[ $i -eq 10 ] && loaded
result $? "ten unload/load cycles"

[ "$failed" -eq 0 ]
