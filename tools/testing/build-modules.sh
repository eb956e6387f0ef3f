#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   build-modules.sh KDIR WORKDIR [make arguments]
#
# Build the vmig modules against the kernel build or headers in KDIR, on a
# copy of the tree in WORKDIR, so that builds for several kernels never mix
# their objects. Prints the directory that collects every module's .ko.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=$1 work=$2
shift 2

rm -rf "$work"
mkdir -p "$work"
(cd "$top" && git ls-files -co --exclude-standard Kbuild VERSION drivers include |
	cpio -pdm --quiet "$work")
make -C "$kdir" M="$work" "$@" modules >&2
mkdir -p "$work/ko"
(cd "$work" && find drivers -name '*.ko' -exec cp {} ko/ \;)
echo "$work/ko"
