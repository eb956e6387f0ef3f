#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Migrations between two network namespaces joined by a veth pair shaped
# with tc, as between two hosts: mig_test's migration under writes (the
# source in one namespace, the target's listener in the other), then the
# same through migctl migrate and migctl listen, with a blob, over TLS
# keyed by a pre-shared key; then the closed door: peers without the key
# (one in clear, one with another key) that reach the listener first are
# refused and the real source still gets through, a fake target cannot
# make the source report done, OpenSSL's s_server, keyed alike, reads what
# the kernel's TLS sends and OpenSSL's s_client carries a whole session
# into migctl listen, and a capture of the link shows a pattern of the
# guest's memory in clear only without TLS.
dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/tap.sh
. "$dir/tap.sh"
# shellcheck source=SCRIPTDIR/netns.sh
. "$dir/netns.sh"
PATH=$dir/../bin:$PATH

# iproute2's ip, not busybox's applet, which ash prefers to $PATH.
ip=$dir/../bin/ip
[ -x "$ip" ] || ip=/sbin/ip
if [ ! -x "$ip" ] || ! command -v migctl >/dev/null; then
	echo "1..0 # SKIP needs iproute2's ip and migctl"
	exit 4
fi
a=vmig-a b=vmig-b work=$(mktemp -d)
cleanup() {
	netns_del $a $b
	for vm in mig-ns-src mig-ns-dst mig-ns-evil mig-ns-dst2 mig-ns-dst3 \
		mig-ns-cap1 mig-ns-cap1-src mig-ns-cap2 mig-ns-cap2-src \
		mig-ns-dst4 mig-ns-dst5 mig-ns-dst6; do
		migctl vm destroy "$vm" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
echo "1..15"
# The key both hosts hold, and another one.
(umask 077 && migctl genkey >"$work/psk" && migctl genkey >"$work/other") ||
	exit 1
netns_pair $a $b 10.77.0.1 10.77.0.2 rate 400mbit burst 256kb latency 50ms
result $? "two namespaces joined by a shaped veth pair"

VMIG_MIG_NETNS=/run/netns/$b VMIG_MIG_TARGET_IP=10.77.0.2 \
	"$ip" netns exec $a "$dir/mig_test" \
	-r mig.three_streams_lz4_g512.under_writes >"$work/mig_test.log" 2>&1
rc=$?
sed 's/^/# /' "$work/mig_test.log"
result $rc "mig_test under_writes across namespaces"

migctl vm create mig-ns-src 8M && migctl vm create mig-ns-dst 8M
head -c 300000 /dev/urandom >"$work/blob.in"
"$ip" netns exec $b migctl listen mig-ns-dst --addr 10.77.0.2 --port 7071 \
	--timeout 60 --blob-out "$work/blob.out" --quiet --psk "$work/psk" &
listener=$!
sleep 1
"$ip" netns exec $a migctl migrate mig-ns-src 10.77.0.2:7071 --streams 3 \
	--compress auto --downtime-ms 2000 --on-stall force --psk "$work/psk" \
	--blob "$work/blob.in" --json >"$work/src.json"
src=$?
wait $listener
dst=$?
sed 's/^/# /' "$work/src.json"
[ $src -eq 0 ] && [ $dst -eq 0 ]
result $? "migctl migrate and listen across namespaces"
cmp -s "$work/blob.in" "$work/blob.out"
result $? "the blob arrives intact"
grep -q '"state":"done"' "$work/src.json" &&
	migctl status mig-ns-dst --json | grep -q '"state":"done"'
result $? "both sides report done"

# A listener that peers without the key reach first: one in clear, one
# with another key. Both are refused; the real source gets through.
migctl vm create mig-ns-evil 8M && migctl vm create mig-ns-dst2 8M
head -c 4096 /dev/urandom >"$work/blob2.in"
echo evil >"$work/evil.blob"
"$ip" netns exec $b migctl listen mig-ns-dst2 --addr 10.77.0.2 --port 7072 \
	--timeout 60 --blob-out "$work/blob2.out" --quiet --psk "$work/psk" \
	2>"$work/listen2.err" &
listener=$!
sleep 1
"$ip" netns exec $a migctl migrate mig-ns-evil 10.77.0.2:7072 --insecure \
	--on-stall force --blob "$work/evil.blob" --quiet >"$work/evil1" 2>&1
e1=$?
"$ip" netns exec $a migctl migrate mig-ns-evil 10.77.0.2:7072 \
	--psk "$work/other" --on-stall force --blob "$work/evil.blob" \
	--quiet >"$work/evil2" 2>&1
e2=$?
sed 's/^/# evil: /' "$work/evil1" "$work/evil2"
"$ip" netns exec $a migctl migrate mig-ns-src 10.77.0.2:7072 --psk "$work/psk" \
	--on-stall force --blob "$work/blob2.in" --quiet
src=$?
wait $listener
dst=$?
sed 's/^/# listen: /' "$work/listen2.err"
[ $e1 -ne 0 ] && [ $e2 -ne 0 ] && grep -q "TLS handshake failed.*another key" "$work/evil2"
result $? "peers without the key fail (in clear: $e1, another key: $e2), with a clear message"
[ "$(grep -c "refused a connection from 10.77.0.1" "$work/listen2.err")" -eq 2 ]
result $? "the listener refuses both and goes on waiting"
[ $src -eq 0 ] && [ $dst -eq 0 ] && cmp -s "$work/blob2.in" "$work/blob2.out" &&
	migctl status mig-ns-dst2 --json | grep -q '"state":"done"'
result $? "the real source then migrates, its blob intact (not the peers')"

# A fake target, with another key: the source does not even start.
migctl vm create mig-ns-dst3 8M
"$ip" netns exec $b migctl listen mig-ns-dst3 --addr 10.77.0.2 --port 7073 \
	--timeout 10 --quiet --psk "$work/other" >/dev/null 2>&1 &
listener=$!
sleep 1
"$ip" netns exec $a migctl migrate mig-ns-src 10.77.0.2:7073 --psk "$work/psk" \
	--on-stall force --json >"$work/fake.json" 2>"$work/fake.err"
src=$?
wait $listener
sed 's/^/# /' "$work/fake.err"
[ $src -ne 0 ] && grep -q "TLS handshake failed" "$work/fake.err" &&
	! grep -q '"state":"done"' "$work/fake.json"
result $? "a target without the key cannot make the source report done"

# X.509 (mkcerts.sh made the credentials at build time): both sides'
# certificates from one CA, the source checking the target's name; then a
# target whose certificate names the right host but chains to nothing.
x509() { echo "--cert $dir/tls-$1.pem --key $dir/tls-$1.key --ca $dir/tls-ca.pem"; }
migctl vm create mig-ns-dst4 8M && migctl vm create mig-ns-dst5 8M
# shellcheck disable=SC2046 # x509's words
"$ip" netns exec $b migctl listen mig-ns-dst4 --addr 10.77.0.2 --port 7075 \
	--timeout 60 --quiet $(x509 dst) 2>"$work/listen4.err" &
listener=$!
sleep 1
# shellcheck disable=SC2046
"$ip" netns exec $a migctl migrate mig-ns-src 10.77.0.2:7075 $(x509 src) \
	--peer-name vmig-dst --on-stall force --quiet 2>"$work/x509.err"
src=$?
wait $listener
dst=$?
sed 's/^/# /' "$work/x509.err" "$work/listen4.err"
[ $src -eq 0 ] && [ $dst -eq 0 ] &&
	migctl status mig-ns-dst4 --json | grep -q '"state":"done"'
result $? "X.509: certificates from one CA, the target's name checked"
# shellcheck disable=SC2046
"$ip" netns exec $b migctl listen mig-ns-dst5 --addr 10.77.0.2 --port 7076 \
	--timeout 10 --quiet $(x509 rogue) >/dev/null 2>&1 &
listener=$!
sleep 1
# shellcheck disable=SC2046
"$ip" netns exec $a migctl migrate mig-ns-src 10.77.0.2:7076 $(x509 src) \
	--peer-name vmig-dst --on-stall force --quiet 2>"$work/rogue.err"
src=$?
wait $listener
sed 's/^/# /' "$work/rogue.err"
[ $src -ne 0 ] && grep -q "NOT trusted" "$work/rogue.err"
result $? "a target whose certificate does not chain to the CA is refused"

# Another TLS implementation: OpenSSL's s_server, with the same PSK and
# identity, completes the handshake with migctl's GnuTLS, and decrypts the
# records the kernel's TLS sends: vmig's HELLO (its magic, "VMIG").
sleep 60 2>/dev/null |
	"$ip" netns exec $b openssl s_server -accept 10.77.0.2:7077 -naccept 1 \
	-nocert -tls1_3 -psk "$(cat "$work/psk")" -psk_identity vmig \
	>"$work/ossl.out" 2>"$work/ossl.err" &
server=$!
sleep 1
"$ip" netns exec $a migctl migrate mig-ns-src 10.77.0.2:7077 --streams 1 \
	--psk "$work/psk" --on-stall force --quiet 2>"$work/ossl.mig" &
source=$!
i=0
while [ $i -lt 30 ] && ! grep -q VMIG "$work/ossl.out"; do
	sleep 1
	i=$((i + 1))
done
kill $source $server 2>/dev/null
wait $source
wait $server
grep "CIPHER is\|Reused\|error" "$work/ossl.out" "$work/ossl.err" |
	sed 's/^/# /'
sed 's/^/# /' "$work/ossl.mig"
grep -q "CIPHER is TLS_AES" "$work/ossl.out" && grep -q VMIG "$work/ossl.out"
result $? "OpenSSL's s_server, keyed alike, decrypts the kernel's TLS records"

# The other way: OpenSSL's s_client, keyed alike, handshakes with migctl
# listen's GnuTLS and carries a whole session (wire_gen's, a 64-page VM),
# which the kernel's TLS decrypts: the target ends done, page 5 and the
# blob as sent.
migctl vm create mig-ns-dst6 256K
"$ip" netns exec $b migctl listen mig-ns-dst6 --addr 10.77.0.2 --port 7078 \
	--timeout 30 --quiet --psk "$work/psk" --blob-out "$work/blob6" \
	2>"$work/listen6.err" &
listener=$!
sleep 1
"$dir/wire_gen" | "$ip" netns exec $a openssl s_client \
	-connect 10.77.0.2:7078 -tls1_3 -psk "$(cat "$work/psk")" \
	-psk_identity vmig -quiet -ign_eof >/dev/null 2>"$work/ossl-c.err" &
client=$!
wait $listener
dst=$?
kill $client 2>/dev/null
wait $client
sed 's/^/# /' "$work/listen6.err"
[ $dst -eq 0 ] || sed 's/^/# /' "$work/ossl-c.err"
[ $dst -eq 0 ] && [ "$(cat "$work/blob6")" = state ] &&
	migctl status mig-ns-dst6 --json | grep -q '"state":"done"'
result $? "OpenSSL's s_client, keyed alike, carries a session into migctl listen"

# A pattern the guest writes all over its memory (vmig-guest --content
# text), sent uncompressed: on the wire in clear without TLS (so that the
# capture can see it), never with TLS.
guest=$dir/../bin/vmig-guest
# capture N TLS-OPTIONS...: migrate VM mig-ns-capN, print the sniffer's count.
capture() {
	cap=mig-ns-cap$1
	shift
	"$ip" netns exec $b "$dir/sniff" $b-v "0xdeadbeef journal" 90 \
		>"$work/sniff" 2>&1 &
	sniffer=$!
	sleep 1
	"$ip" netns exec $b "$guest" target "$cap" --size 2 --addr 10.77.0.2 \
		--port 7074 --run-ms 100 "$@" >"$work/cap.dst" 2>&1 &
	target=$!
	sleep 1
	t0=$(date +%s)
	"$ip" netns exec $a "$guest" source "$cap-src" 10.77.0.2:7074 \
		--size 2 --content text --compress none --rate 10 \
		--downtime-ms 2000 "$@" >"$work/cap.src" 2>&1
	rc=$?
	wait $target || rc=1
	echo "# the migration took $(($(date +%s) - t0)) s"
	kill -TERM $sniffer 2>/dev/null
	wait $sniffer
	sed 's/^/# /' "$work/sniff"
	[ $rc -eq 0 ] || sed 's/^/# /' "$work/cap.src" "$work/cap.dst"
	return $rc
}
capture 1 --insecure
r=$?
clear=$(sed -n 's/.*frames, \([0-9]*\) with the pattern/\1/p' "$work/sniff")
[ $r -eq 0 ] && [ "${clear:-0}" -gt 0 ]
result $? "without TLS, the capture sees the guest's pattern (${clear:-no} frames)"
capture 2 --psk "$work/psk"
r=$?
tls=$(sed -n 's/.*frames, \([0-9]*\) with the pattern/\1/p' "$work/sniff")
[ $r -eq 0 ] && [ "$tls" = 0 ]
result $? "with TLS, the migration works and no frame shows the pattern (${tls:-?})"
[ "$failed" -eq 0 ]
