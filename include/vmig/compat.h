/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything vmig knows about kernel versions lives here, and only here.
 * Force-included into every file of the suite by Kbuild.
 */
#ifndef _VMIG_COMPAT_H
#define _VMIG_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_MAJOR != 6 || LINUX_VERSION_PATCHLEVEL != 12
#error "vmig supports Linux 6.12.y only"
#endif

/* Dirty bitmaps go to userspace as arrays of __u64 without conversion. */
#ifndef CONFIG_64BIT
#error "vmig needs a 64-bit kernel"
#endif

#endif /* _VMIG_COMPAT_H */
