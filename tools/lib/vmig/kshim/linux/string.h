/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's <linux/string.h>, as far as vmig's pure codecs use it. */
#ifndef _LIBVMIG_KSHIM_STRING_H
#define _LIBVMIG_KSHIM_STRING_H

#include <string.h>

/* The first byte of @p[0..@n) that is not @c, or NULL: as lib/string.c. */
static inline void *memchr_inv(const void *p, int c, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != (unsigned char)c)
			return (void *)(s + i);
	return NULL;
}

#endif /* _LIBVMIG_KSHIM_STRING_H */
