/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vmig's wire codec (drivers/vmig/wire.c) needs of the kernel's LZ4,
 * from liblz4: the same block format. The kernel's LZ4_compress_fast()
 * takes its work memory last; liblz4's _extState() variant takes it first.
 */
#ifndef _LIBVMIG_KSHIM_LZ4_H
#define _LIBVMIG_KSHIM_LZ4_H

#include <lz4.h>

#define LZ4_MEM_COMPRESS LZ4_sizeofState()
#define LZ4_compress_fast(src, dst, n, cap, accel, wrkmem) \
	LZ4_compress_fast_extState(wrkmem, (const char *)(src), (char *)(dst), \
				   n, cap, accel)

#endif /* _LIBVMIG_KSHIM_LZ4_H */
