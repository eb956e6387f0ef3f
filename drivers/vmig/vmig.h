/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Definitions shared by the files of the vmig core module.
 */
#ifndef _VMIG_VMIG_H
#define _VMIG_VMIG_H

#include <linux/types.h>
#include <linux/vmig.h>

struct file;

/* The VMIG_FEATURE_* bits this module reports in VMIG_GET_API_VERSION. */
#define VMIG_FEATURES 0ULL

/**
 * struct vmig_ucmd - one ioctl call in flight
 * @ubuffer: the caller's argument
 * @user_size: the caller's idea of the structure size (its first __u32)
 * @cmd: the structure, copied in and zero-extended to the kernel's size
 */
struct vmig_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/**
 * struct vmig_ioctl_op - one row of the ioctl dispatch table
 * @size: sizeof the structure the kernel knows
 * @min_size: the size of its first version; smaller calls get -EINVAL
 * @ioctl_num: the full ioctl number, so that stray direction or size bits
 *	in a command get -ENOTTY
 * @execute: the handler
 */
struct vmig_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct vmig_ucmd *ucmd);
};

int vmig_ucmd_respond(struct vmig_ucmd *ucmd, size_t cmd_len);

int vmig_dev_init(void);
void vmig_dev_uninit(void);

#if IS_ENABLED(CONFIG_KUNIT)
extern const struct vmig_ioctl_op vmig_ioctl_ops[];
extern const size_t vmig_ioctl_ops_count;
extern const size_t vmig_ucmd_buffer_size;
long vmig_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
#endif

#endif /* _VMIG_VMIG_H */
