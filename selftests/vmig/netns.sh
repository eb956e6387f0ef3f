# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Two network namespaces joined by a veth pair, as two hosts. Source it with
# $ip set to iproute2's ip (busybox's applet, which ash prefers to $PATH,
# has no netns).
#
#   netns_pair A B ADDR_A ADDR_B [TBF-ARGS...]
#
# creates namespaces A and B, a veth pair with ADDR_A/24 on A's end (A-v)
# and ADDR_B/24 on B's (B-v), both up with their loopbacks, and with
# TBF-ARGS ("rate 1gbit burst 1mb latency 50ms") shapes A's end, the
# direction a source in A sends in. netns_del A B removes them.

netns_pair() {
	na=$1 nb=$2 addr_a=$3 addr_b=$4
	shift 4
	# shellcheck disable=SC2154 # $ip is set by the script that sources this
	"$ip" netns add "$na" && "$ip" netns add "$nb" &&
		"$ip" link add "$na-v" netns "$na" type veth \
			peer name "$nb-v" netns "$nb" &&
		"$ip" -n "$na" addr add "$addr_a/24" dev "$na-v" &&
		"$ip" -n "$nb" addr add "$addr_b/24" dev "$nb-v" &&
		"$ip" -n "$na" link set "$na-v" up &&
		"$ip" -n "$nb" link set "$nb-v" up &&
		"$ip" -n "$na" link set lo up &&
		"$ip" -n "$nb" link set lo up || return 1
	[ $# -eq 0 ] || "$ip" netns exec "$na" tc qdisc add dev "$na-v" root tbf "$@"
}

netns_del() {
	"$ip" netns del "$1" 2>/dev/null
	"$ip" netns del "$2" 2>/dev/null
}
