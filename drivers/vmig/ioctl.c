// SPDX-License-Identifier: GPL-2.0
/*
 * Table-driven dispatch of size-prefixed ioctls.
 *
 * Every ioctl takes a structure whose first member is its size (see the
 * "General ioctl format" in include/uapi/linux/vmig.h). The dispatcher reads
 * the size, copies the structure in with copy_struct_from_user(), which
 * zero-extends an older caller's structure and rejects a newer caller's
 * non-zero tail, and hands a kernel copy to the handler. Handlers validate
 * their own fields and write results back with vmig_ucmd_respond().
 */
#include "vmig.h"

#include <linux/uaccess.h>

int vmig_ucmd_respond(struct vmig_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

long vmig_ioctl_dispatch(const struct vmig_ioctl_table *table, void *ctx,
			 unsigned int cmd, unsigned long arg)
{
	const struct vmig_ioctl_op *op;
	union vmig_ucmd_buffer buf;
	struct vmig_ucmd ucmd = { .ctx = ctx };
	unsigned int nr;
	int ret;

	if (_IOC_TYPE(cmd) != VMIG_TYPE)
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

	ucmd.cmd = &buf;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	return op->execute(&ucmd);
}
