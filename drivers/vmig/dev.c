// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/vmig: the misc device, and its ioctls that are not about one VM.
 */
#include "vmig.h"

#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

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

/* In command order: the KUnit suite checks it. */
static const struct vmig_ioctl_op vmig_dev_ops[] = {
	VMIG_IOCTL_OP(VMIG_GET_API_VERSION, vmig_get_api_version,
		      struct vmig_api_version, features),
	VMIG_IOCTL_OP(VMIG_VM_CREATE, vmig_vm_create,
		      struct vmig_vm_create, __reserved),
	VMIG_IOCTL_OP(VMIG_VM_OPEN, vmig_vm_open,
		      struct vmig_vm_open, __reserved),
	VMIG_IOCTL_OP(VMIG_VM_DESTROY, vmig_vm_destroy,
		      struct vmig_vm_destroy, name),
	VMIG_IOCTL_OP(VMIG_VM_LIST, vmig_vm_list,
		      struct vmig_vm_list, entries),
};

VISIBLE_IF_KUNIT const struct vmig_ioctl_table vmig_dev_ioctls = {
	.ops = vmig_dev_ops,
	.nr_ops = ARRAY_SIZE(vmig_dev_ops),
	.base = VMIG_CMD_BASE,
	.type = VMIG_TYPE,
};
EXPORT_SYMBOL_IF_KUNIT(vmig_dev_ioctls);

VISIBLE_IF_KUNIT long vmig_dev_ioctl(struct file *filp, unsigned int cmd,
				     unsigned long arg)
{
	return vmig_ioctl_dispatch(&vmig_dev_ioctls, NULL, cmd, arg);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_dev_ioctl);

static const struct file_operations vmig_dev_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = vmig_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vmig_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmig",
	.fops = &vmig_dev_fops,
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
