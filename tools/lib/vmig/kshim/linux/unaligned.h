/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's little-endian unaligned accessors, for the codecs. */
#ifndef _LIBVMIG_KSHIM_UNALIGNED_H
#define _LIBVMIG_KSHIM_UNALIGNED_H

#include <string.h>

static inline u32 get_unaligned_le32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return le32_to_cpu(v);
}

static inline void put_unaligned_le32(u32 v, void *p)
{
	v = cpu_to_le32(v);
	memcpy(p, &v, sizeof(v));
}

#endif /* _LIBVMIG_KSHIM_UNALIGNED_H */
