/* SPDX-License-Identifier: GPL-2.0 */
/* x86-64's page size, the only one vmig's wire format knows. */
#ifndef _LIBVMIG_KSHIM_PAGE_H
#define _LIBVMIG_KSHIM_PAGE_H

#define PAGE_SIZE 4096UL

#endif /* _LIBVMIG_KSHIM_PAGE_H */
