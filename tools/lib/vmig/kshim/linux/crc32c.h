/* SPDX-License-Identifier: GPL-2.0 */
/* libvmig's stand-in for the kernel's <linux/crc32c.h>: see ../kernel.h. */
#ifndef _LIBVMIG_KSHIM_CRC32C_H
#define _LIBVMIG_KSHIM_CRC32C_H

/*
 * libvmig.h's, declared again: that header would clash with the kernel
 * file's own names. The kernel's crc32c() neither seeds nor inverts
 * either.
 */
__u32 vmig_crc32c(__u32 crc, const void *buf, size_t len);

#define crc32c(crc, buf, len) vmig_crc32c(crc, buf, len)

#endif /* _LIBVMIG_KSHIM_CRC32C_H */
