// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/vmig: the misc device and its table-driven ioctl dispatch.
 *
 * Every ioctl takes a size-prefixed structure (see the "General ioctl
 * format" in include/uapi/linux/vmig.h). The dispatcher reads the size,
 * copies the structure in with copy_struct_from_user(), which zero-extends
 * an older caller's structure and rejects a newer caller's non-zero tail,
 * and hands a kernel copy to the handler. Handlers validate their own
 * fields and write results back with vmig_ucmd_respond().
 */
#include "vmig.h"

#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>

int vmig_ucmd_respond(struct vmig_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

static int vmig_get_api_version(struct vmig_ucmd *ucmd)
{
	struct vmig_api_version *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	cmd->api_version = VMIG_API_VERSION;
	cmd->features = VMIG_FEATURES;
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

/* Large enough for the structure of any ioctl in the table. */
union vmig_ucmd_buffer {
	struct vmig_api_version api_version;
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last)				\
	{								\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union vmig_ucmd_buffer) < \
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.ioctl_num = _ioctl,					\
		.execute = _fn,						\
	}

/*
 * Indexed by _IOC_NR() - VMIG_CMD_BASE, so rows stay in command order; the
 * dispatcher compares the full number and the KUnit suite checks the order.
 */
VISIBLE_IF_KUNIT const struct vmig_ioctl_op vmig_ioctl_ops[] = {
	IOCTL_OP(VMIG_GET_API_VERSION, vmig_get_api_version,
		 struct vmig_api_version, features),
};
EXPORT_SYMBOL_IF_KUNIT(vmig_ioctl_ops);

#if IS_ENABLED(CONFIG_KUNIT)
const size_t vmig_ioctl_ops_count = ARRAY_SIZE(vmig_ioctl_ops);
EXPORT_SYMBOL_IF_KUNIT(vmig_ioctl_ops_count);

const size_t vmig_ucmd_buffer_size = sizeof(union vmig_ucmd_buffer);
EXPORT_SYMBOL_IF_KUNIT(vmig_ucmd_buffer_size);
#endif

VISIBLE_IF_KUNIT long vmig_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	const struct vmig_ioctl_op *op;
	union vmig_ucmd_buffer buf;
	struct vmig_ucmd ucmd = {};
	unsigned int nr;
	int ret;

	if (_IOC_TYPE(cmd) != VMIG_TYPE)
		return -ENOTTY;
	nr = _IOC_NR(cmd);
	if (nr < VMIG_CMD_BASE || nr - VMIG_CMD_BASE >= ARRAY_SIZE(vmig_ioctl_ops))
		return -ENOTTY;
	op = &vmig_ioctl_ops[nr - VMIG_CMD_BASE];
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
EXPORT_SYMBOL_IF_KUNIT(vmig_ioctl);

static const struct file_operations vmig_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = vmig_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vmig_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmig",
	.fops = &vmig_fops,
	.mode = 0600,
};

int vmig_dev_init(void)
{
	return misc_register(&vmig_misc);
}

void vmig_dev_uninit(void)
{
	misc_deregister(&vmig_misc);
}
