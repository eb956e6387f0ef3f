/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmig: what the kernel's pure codecs need of the kernel, so that
 * userspace compiles those files as they are instead of copies of them, as
 * perf and objtool compile lib/ files: dm-vmig's package codec
 * (drivers/md/dm-vmig/pkg.c, in the library) and vmig's wire codec
 * (drivers/vmig/wire.c, in the fuzzers of tools/testing/fuzz). Private to
 * those builds: forced into those files with -include, next to the headers
 * in this folder, which stand in for the kernel's.
 */
#ifndef _LIBVMIG_KSHIM_KERNEL_H
#define _LIBVMIG_KSHIM_KERNEL_H

#include <endian.h>
#include <stdbool.h>
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
#define cpu_to_le16(x) htole16(x)
#define cpu_to_le32(x) htole32(x)
#define cpu_to_le64(x) htole64(x)

#define MAX_ERRNO 4095

#endif /* _LIBVMIG_KSHIM_KERNEL_H */
