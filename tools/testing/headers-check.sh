#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the vmig modules against Debian's linux-headers-6.12.*-amd64, the
# distro kernel our users load them on, installing the newest such package
# when none is installed. VMIG_HEADERS names a headers directory to use
# instead. The build runs on a copy of the tree, so it never mixes objects
# with the test kernel's build.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
work=${VMIG_BUILD_DIR:-$top/build}/headers-check

kdir=${VMIG_HEADERS:-}
if [ -z "$kdir" ]; then
	# shellcheck disable=SC2010 # Debian's names; ls drops an unmatched glob
	kdir=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
		grep -v -e cloud -e rt-amd64 | sort -V | tail -n 1 || true)
fi
if [ -z "$kdir" ]; then
	[ -n "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null)" ] ||
		apt-get update -qq
	pkg=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb[0-9]+-amd64$' |
		cut -d' ' -f1 | sort -V | tail -n 1)
	[ -n "$pkg" ] || { echo "no linux-headers-6.12 package found" >&2; exit 1; }
	echo "installing $pkg" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"$pkg" >&2
	kdir=/usr/src/linux-headers-${pkg#linux-headers-}
fi
echo "building against $kdir"

ls "$("$top/tools/testing/build-modules.sh" "$kdir" "$work" W=1 VMIG_WERROR=y)"/*.ko
