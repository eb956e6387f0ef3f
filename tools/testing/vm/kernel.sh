#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or find in the cache) the vmig test kernel.
#
#   kernel.sh src            print the kernel source tree, extracting it once
#   kernel.sh build FLAVOUR  build the FLAVOUR kernel (debug or bench) if it is
#                            not cached yet, and print its build directory
#
# The kernel is tinyconfig plus config/base.config plus config/FLAVOUR.config,
# merged with the kernel's own scripts/kconfig/merge_config.sh. The cache lives
# outside the checkout ($VMIG_CACHE, default ~/.cache/vmig) and is keyed by the
# version of Debian's linux-source-6.12 package and a hash of the fragments
# and of this script, so a fresh clone reuses it and a config change rebuilds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${VMIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmig}
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz

log() { echo "kernel.sh: $*" >&2; }

src_tree() {
	local ver dir tmp
	ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
		{ log "$pkg is not installed (make deps)"; exit 1; }
	dir=$cache/src/$pkg-$ver
	if [ ! -f "$dir/.vmig-extracted" ]; then
		log "extracting $tarball"
		mkdir -p "$cache/src"
		tmp=$(mktemp -d "$cache/src/.extract.XXXXXX")
		tar -C "$tmp" -xf "$tarball"
		rm -rf "$dir"
		mv "$tmp/$pkg" "$dir"
		rmdir "$tmp"
		touch "$dir/.vmig-extracted"
	fi
	echo "$dir"
}

# Every option a fragment asks for must survive olddefconfig: an option whose
# dependencies are missing is dropped silently, and a debug kernel without
# KASAN would pass every test while checking nothing.
verify_config() {
	local cfg=$1 frag line sym bad=0
	shift
	for frag in "$@"; do
		while IFS= read -r line; do
			case $line in
			CONFIG_*=*)
				grep -qxF "$line" "$cfg" ||
					{ log "$frag: '$line' did not take"; bad=1; }
				;;
			"# CONFIG_"*" is not set")
				sym=${line#\# }
				sym=${sym%% *}
				if grep -q "^$sym=" "$cfg"; then
					log "$frag: '$sym' is set"
					bad=1
				fi
				;;
			esac
		done <"$frag"
	done
	return $bad
}

build() {
	local flavour=$1 src ver key out frags
	frags=("$here/config/base.config" "$here/config/$flavour.config")
	[ -f "${frags[1]}" ] || { log "no such flavour: $flavour"; exit 1; }
	src=$(src_tree)
	ver=$(basename "$src")
	ver=${ver#"$pkg"-}
	key=$(cat "${frags[@]}" "$0" | sha256sum | cut -c1-12)
	out=$cache/kernel/$ver-$flavour-$key
	mkdir -p "$cache/kernel"
	exec 9>"$cache/kernel/.lock"
	flock 9
	if [ ! -f "$out/.vmig-built" ]; then
		log "building the $flavour kernel in $out (about 6 minutes on 2 cores)"
		rm -rf "$out"
		mkdir -p "$out"
		make -s -C "$src" O="$out" tinyconfig >&2
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" "${frags[@]}" >/dev/null
		make -s -C "$src" O="$out" olddefconfig >&2
		verify_config "$out/.config" "${frags[@]}"
		make -s -C "$src" O="$out" -j"$(nproc)" bzImage modules >&2
		make -s -C "$src" O="$out" headers >&2
		touch "$out/.vmig-built"
	fi
	echo "$out"
}

case ${1:-} in
src) src_tree ;;
build) build "${2:-debug}" ;;
*) echo "usage: $0 src | build FLAVOUR" >&2; exit 2 ;;
esac
