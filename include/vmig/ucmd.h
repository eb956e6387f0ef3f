/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Table-driven dispatch of size-prefixed ioctls, for every module of the
 * suite (vmig.ko's /dev/vmig and VM file descriptors, dm-vmig.ko's
 * /dev/dm-vmig). Header only, so that no module depends on another's
 * exports for it.
 *
 * Every ioctl takes a structure whose first member is its size (see the
 * "General ioctl format" in include/uapi/linux/vmig.h). The dispatcher reads
 * the size, copies the structure in with copy_struct_from_user(), which
 * zero-extends an older caller's structure and rejects a newer caller's
 * non-zero tail, and hands a kernel copy to the handler. Handlers validate
 * their own fields and write results back with vmig_ucmd_respond().
 */
#ifndef _VMIG_UCMD_H
#define _VMIG_UCMD_H

#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/ioctl.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uaccess.h>

/**
 * struct vmig_ucmd - one ioctl call in flight
 * @ubuffer: the caller's argument
 * @user_size: the caller's idea of the structure size (its first __u32)
 * @cmd: the structure, copied in and zero-extended to the kernel's size
 * @ctx: what the file descriptor stands for, as its table's user passes
 *	it (NULL for a control node, the struct vmig_vm of a VM fd)
 */
struct vmig_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	void *ctx;
};

/**
 * struct vmig_ioctl_op - one row of an ioctl dispatch table
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

/**
 * struct vmig_ioctl_table - the ioctls of one kind of file descriptor
 * @ops: rows indexed by _IOC_NR() - @base
 * @nr_ops: the number of rows
 * @base: the command number of the first row
 * @type: the ioctl type (magic) of every row
 */
struct vmig_ioctl_table {
	const struct vmig_ioctl_op *ops;
	unsigned int nr_ops;
	unsigned int base;
	unsigned int type;
};

/*
 * A row for @_ioctl: structure @_struct, whose first version ends with
 * member @_last, handled by @_fn. @_buf is the type of the module's
 * dispatch buffer, which must hold @_struct.
 */
#define VMIG_UCMD_OP(_buf, _ioctl, _fn, _struct, _last)		\
	{								\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(_buf) < sizeof(_struct)), \
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

/* Copy the structure back, up to the size the caller knows. */
static inline int vmig_ucmd_respond(struct vmig_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/*
 * Dispatch @cmd through @table. @buf is room for the largest structure of
 * the table (VMIG_UCMD_OP checks that at build time).
 */
static inline long vmig_ucmd_dispatch(const struct vmig_ioctl_table *table,
				      void *ctx, unsigned int cmd,
				      unsigned long arg, void *buf)
{
	const struct vmig_ioctl_op *op;
	struct vmig_ucmd ucmd = { .ctx = ctx, .cmd = buf };
	unsigned int nr;
	int ret;

	if (_IOC_TYPE(cmd) != table->type)
		return -ENOTTY;
	nr = _IOC_NR(cmd);
	if (nr < table->base || nr - table->base >= table->nr_ops)
		return -ENOTTY;
	op = &table->ops[nr - table->base];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	ucmd.ubuffer = (void __user *)arg;
	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}

#endif /* _VMIG_UCMD_H */
