/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmig's stand-in for the kernel's <kunit/visibility.h>: see ../kernel.h.
 * The Makefile defines EXPORT_SYMBOL_IF_KUNIT() as nothing: the library
 * exports what libvmig.h declares, no more.
 */
#ifndef _LIBVMIG_KSHIM_VISIBILITY_H
#define _LIBVMIG_KSHIM_VISIBILITY_H
#endif /* _LIBVMIG_KSHIM_VISIBILITY_H */
