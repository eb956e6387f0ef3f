/* SPDX-License-Identifier: GPL-2.0 */
/* libvmig's stand-in for the kernel's <linux/overflow.h>: see ../kernel.h. */
#ifndef _LIBVMIG_KSHIM_OVERFLOW_H
#define _LIBVMIG_KSHIM_OVERFLOW_H

#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)

#endif /* _LIBVMIG_KSHIM_OVERFLOW_H */
