# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP helpers for the shell kselftests; source it. The test then ends
# with: [ "$failed" -eq 0 ]
n=0
failed=0

# result STATUS DESC: one TAP line, ok when STATUS is 0.
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

# check DESC CMD...: ok when CMD succeeds.
check() {
	desc=$1
	shift
	"$@"
	result $? "$desc"
}
