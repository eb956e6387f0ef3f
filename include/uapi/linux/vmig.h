/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmig: kernel support for live migration of virtual machines.
 *
 * This header is the whole userspace ABI of /dev/vmig: ioctl numbers and the
 * types they take. It holds only fixed-width types; pointers travel as __u64.
 */
#ifndef _UAPI_LINUX_VMIG_H
#define _UAPI_LINUX_VMIG_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * Every ioctl of /dev/vmig takes a pointer to a structure whose first member
 * is ``__u32 size``: the size of the structure as the caller knows it. The
 * kernel accepts any size from the first version of the structure upwards.
 * A caller built against an older header passes a smaller size and the
 * kernel treats the missing members as zero; a caller built against a newer
 * header passes a larger size and the kernel accepts it as long as every
 * byte it does not know is zero. Output members are written back only up to
 * the size the caller passed.
 *
 * Fields named ``__reserved`` must be zero, and so must every bit of a
 * ``flags`` member that the ioctl does not define.
 *
 * The ioctls return 0 on success, or -1 with errno set:
 *
 * - ENOTTY: the command is not a vmig ioctl.
 * - EFAULT: the argument pointer, or a pointer inside the structure, is not
 *   a valid user address.
 * - EINVAL: ``size`` is below the first version of the structure, a
 *   ``__reserved`` field is not zero, or a value is out of range.
 * - E2BIG: ``size`` is larger than the kernel knows and the extra bytes are
 *   not all zero: the caller asks for something this kernel does not have.
 * - EOPNOTSUPP: a ``flags`` bit the ioctl does not define is set.
 * - ENOMEM: the kernel could not allocate memory.
 *
 * Individual ioctls document further errors.
 */

/* The ioctl type (magic). 0xBA is unassigned in ioctl-number.rst as of 6.12. */
#define VMIG_TYPE 0xBA

/* Bumped on any incompatible change to this header. */
#define VMIG_API_VERSION 1

enum {
	VMIG_CMD_BASE = 0x00,
	VMIG_CMD_GET_API_VERSION = VMIG_CMD_BASE,
};

/**
 * struct vmig_api_version - ioctl(VMIG_GET_API_VERSION)
 * @size: sizeof(struct vmig_api_version)
 * @flags: must be 0
 * @api_version: output: the module's VMIG_API_VERSION
 * @__reserved: must be 0
 * @features: output: a mask of VMIG_FEATURE_* bits the module supports
 *
 * Tells userspace which ABI the loaded module speaks. A tool compares
 * @api_version with the VMIG_API_VERSION it was built with and refuses to
 * go on when they differ; @features lets it find optional capabilities
 * without probing. No bits are defined yet.
 */
struct vmig_api_version {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 __reserved;
	__aligned_u64 features;
};

#define VMIG_GET_API_VERSION _IO(VMIG_TYPE, VMIG_CMD_GET_API_VERSION)

#endif /* _UAPI_LINUX_VMIG_H */
