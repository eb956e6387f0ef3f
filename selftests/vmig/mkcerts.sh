#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# mkcerts.sh DIR: the X.509 test credentials mig_netns.sh migrates with,
# made fresh by every build (never checked in): a CA, the source's and the
# target's certificates from it (the target's for the name vmig-dst), and a
# self-signed certificate for the same name that chains to nothing.
set -e
dir=$1
[ -n "$dir" ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key tls-ca.key
openssl req -x509 -new -key tls-ca.key -out tls-ca.pem -days 30 \
	-subj /CN=vmig-test-ca 2>/dev/null
for n in src dst; do
	key "tls-$n.key"
	openssl req -new -key "tls-$n.key" -out "tls-$n.csr" \
		-subj "/CN=vmig-$n" 2>/dev/null
	printf 'subjectAltName=DNS:vmig-%s\n' "$n" >"tls-$n.ext"
	openssl x509 -req -in "tls-$n.csr" -CA tls-ca.pem -CAkey tls-ca.key \
		-CAcreateserial -out "tls-$n.pem" -days 30 \
		-extfile "tls-$n.ext" 2>/dev/null
	rm -f "tls-$n.csr" "tls-$n.ext"
done
key tls-rogue.key
openssl req -x509 -new -key tls-rogue.key -out tls-rogue.pem -days 30 \
	-subj /CN=vmig-dst -addext subjectAltName=DNS:vmig-dst 2>/dev/null
rm -f tls-ca.key tls-ca.srl
