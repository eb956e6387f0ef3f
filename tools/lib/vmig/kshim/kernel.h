/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmig: what dm-vmig's package codec (drivers/md/dm-vmig/pkg.c) needs of
 * the kernel, so that the library compiles that file as it is instead of a
 * copy of it, as perf and objtool compile lib/ files. Private to the
 * library's build: forced into that one file with -include, next to the
 * headers in this folder, which stand in for the kernel's.
 */
#ifndef _LIBVMIG_KSHIM_KERNEL_H
#define _LIBVMIG_KSHIM_KERNEL_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

#define le16_to_cpu(x) le16toh(x)
#define le32_to_cpu(x) le32toh(x)
#define le64_to_cpu(x) le64toh(x)
#define cpu_to_le32(x) htole32(x)

#define MAX_ERRNO 4095

#endif /* _LIBVMIG_KSHIM_KERNEL_H */
