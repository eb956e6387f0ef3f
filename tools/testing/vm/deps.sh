#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages vmig's build and tests need, when missing.
# Runs 'apt-get update' at most once, and only when something is missing.
set -euo pipefail

pkgs=(
	# the test kernel and out-of-tree module builds
	linux-source-6.12 gcc make bc bison flex libelf-dev libssl-dev
	xz-utils kmod cpio python3 dwarves
	# the test VM, and the programs the tests run in it
	qemu-system-x86 busybox-static dmsetup iproute2 lz4 zstd
	# the userspace tools and libvmig: JSON output (json-c), CRC32C (ISA-L),
	# the streams' TLS handshake (GnuTLS); openssl makes the tests' X.509
	libjson-c-dev libisal-dev libgnutls28-dev openssl
	# the benchmarks
	fio
	# lint: the modules, and every shell script
	sparse shellcheck
	# the fuzzers: clang's libFuzzer, ASan and UBSan; LZ4 and zstd for the
	# wire codec
	clang-14 libclang-rt-14-dev liblz4-dev libzstd-dev
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
