// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/vmig ioctls for disks: a thin layer over the kernel API of
 * disk.c, which checks the arguments and copies the package in and out.
 */
#include "vmig.h"
#include "disk.h"

#include <kunit/visibility.h>
#include <linux/kdev_t.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/* Find the disk named by @major and @minor: a reference, or an ERR_PTR. */
static struct vmig_disk *vmig_disk_lookup(u32 major, u32 minor)
{
	struct vmig_disk *disk;

	if (major >= (1U << (32 - MINORBITS)) || minor > MINORMASK)
		return ERR_PTR(-EINVAL);
	disk = vmig_disk_get(MKDEV(major, minor));
	return disk ?: ERR_PTR(-ENODEV);
}

static int vmig_disk_get_info(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_info *cmd = ucmd->cmd;
	struct vmig_disk_status st;
	struct vmig_disk *disk;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	disk = vmig_disk_lookup(cmd->major, cmd->minor);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	ret = vmig_disk_status(disk, &st);
	vmig_disk_put(disk);
	if (ret)
		return ret;
	cmd->state = st.state;
	cmd->max_inflight = st.max_inflight;
	cmd->held = st.held;
	cmd->inflight = st.inflight;
	cmd->passed = st.passed;
	cmd->cancelled = st.cancelled;
	cmd->reissued = st.reissued;
	cmd->errors = st.errors;
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

static int vmig_disk_handoff_ioctl(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_handoff *cmd = ucmd->cmd;
	struct vmig_disk_result res;
	struct vmig_disk *disk;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->mode > VMIG_DISK_HANDOFF_DRAIN ||
	    cmd->timeout_ms > 600000)
		return -EINVAL;
	disk = vmig_disk_lookup(cmd->major, cmd->minor);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	ret = vmig_disk_handoff(disk, cmd->mode, cmd->timeout_ms, &res);
	vmig_disk_put(disk);
	if (ret)
		return ret;
	cmd->nr_completed = res.completed;
	cmd->nr_cancelled = res.cancelled;
	cmd->nr_errors = res.errors;
	cmd->pkg_len = res.pkg_len;
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

struct vmig_disk_copy_out {
	struct vmig_ucmd *ucmd;
	void __user *buf;
};

static int vmig_disk_copy_out(void *arg, const void *pkg, size_t len)
{
	struct vmig_disk_copy_out *out = arg;
	struct vmig_disk_export *cmd = out->ucmd->cmd;
	int ret;

	cmd->pkg_len = len;
	if (cmd->buf_len < len) {
		ret = vmig_ucmd_respond(out->ucmd, sizeof(*cmd));
		return ret ?: -EMSGSIZE;
	}
	if (copy_to_user(out->buf, pkg, len))
		return -EFAULT;
	return vmig_ucmd_respond(out->ucmd, sizeof(*cmd));
}

static int vmig_disk_export_ioctl(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_export *cmd = ucmd->cmd;
	struct vmig_disk_copy_out out = {
		.ucmd = ucmd,
		.buf = u64_to_user_ptr(cmd->buf),
	};
	struct vmig_disk *disk;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->pkg_len)
		return -EINVAL;
	disk = vmig_disk_lookup(cmd->major, cmd->minor);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	ret = vmig_disk_export(disk, vmig_disk_copy_out, &out);
	vmig_disk_put(disk);
	return ret;
}

static int vmig_disk_import_ioctl(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_import *cmd = ucmd->cmd;
	struct vmig_disk_result res;
	struct vmig_disk *disk;
	s32 *statuses = NULL;
	void *pkg;
	int ret;

	if (cmd->flags & ~VMIG_DISK_IMPORT_WAIT)
		return -EOPNOTSUPP;
	if (cmd->nr_reissued || cmd->nr_resubmit || cmd->nr_failed ||
	    cmd->buf_len < sizeof(struct vmig_disk_pkg) ||
	    cmd->buf_len > VMIG_DISK_PKG_MAX ||
	    !cmd->statuses != !cmd->nr_statuses ||
	    (cmd->statuses && !(cmd->flags & VMIG_DISK_IMPORT_WAIT)))
		return -EINVAL;
	disk = vmig_disk_lookup(cmd->major, cmd->minor);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	pkg = vmemdup_user(u64_to_user_ptr(cmd->buf), cmd->buf_len);
	if (IS_ERR(pkg)) {
		ret = PTR_ERR(pkg);
		goto out_put;
	}
	if (cmd->statuses) {
		const struct vmig_disk_pkg *hdr = pkg;

		ret = -EINVAL;
		if (cmd->nr_statuses != le32_to_cpu(hdr->nr_descs))
			goto out_free;
		ret = -ENOMEM;
		statuses = kvcalloc(cmd->nr_statuses, sizeof(*statuses),
				    GFP_KERNEL);
		if (!statuses)
			goto out_free;
	}
	ret = vmig_disk_import(disk, pkg, cmd->buf_len, cmd->flags, statuses,
			       &res);
	if (ret)
		goto out_free;
	cmd->nr_reissued = res.reissued;
	cmd->nr_resubmit = res.resubmit;
	cmd->nr_failed = res.failed;
	ret = -EFAULT;
	if (statuses &&
	    copy_to_user(u64_to_user_ptr(cmd->statuses), statuses,
			 array_size(cmd->nr_statuses, sizeof(*statuses))))
		goto out_free;
	ret = vmig_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	kvfree(statuses);
	kvfree(pkg);
out_put:
	vmig_disk_put(disk);
	return ret;
}

static int vmig_disk_ctl(struct vmig_ucmd *ucmd,
			 int (*fn)(struct vmig_disk *disk))
{
	struct vmig_disk_ctl *cmd = ucmd->cmd;
	struct vmig_disk *disk;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	disk = vmig_disk_lookup(cmd->major, cmd->minor);
	if (IS_ERR(disk))
		return PTR_ERR(disk);
	ret = fn(disk);
	vmig_disk_put(disk);
	return ret;
}

static int vmig_disk_release_ioctl(struct vmig_ucmd *ucmd)
{
	return vmig_disk_ctl(ucmd, vmig_disk_release);
}

static int vmig_disk_complete_ioctl(struct vmig_ucmd *ucmd)
{
	return vmig_disk_ctl(ucmd, vmig_disk_complete);
}

static int vmig_disk_incoming_ioctl(struct vmig_ucmd *ucmd)
{
	return vmig_disk_ctl(ucmd, vmig_disk_incoming);
}

/* In command order, from VMIG_DISK_CMD_BASE. */
static const struct vmig_ioctl_op vmig_disk_ops[] = {
	VMIG_IOCTL_OP(VMIG_DISK_GET_INFO, vmig_disk_get_info,
		      struct vmig_disk_info, __reserved),
	VMIG_IOCTL_OP(VMIG_DISK_HANDOFF, vmig_disk_handoff_ioctl,
		      struct vmig_disk_handoff, pkg_len),
	VMIG_IOCTL_OP(VMIG_DISK_EXPORT, vmig_disk_export_ioctl,
		      struct vmig_disk_export, pkg_len),
	VMIG_IOCTL_OP(VMIG_DISK_IMPORT, vmig_disk_import_ioctl,
		      struct vmig_disk_import, nr_failed),
	VMIG_IOCTL_OP(VMIG_DISK_RELEASE, vmig_disk_release_ioctl,
		      struct vmig_disk_ctl, minor),
	VMIG_IOCTL_OP(VMIG_DISK_COMPLETE, vmig_disk_complete_ioctl,
		      struct vmig_disk_ctl, minor),
	VMIG_IOCTL_OP(VMIG_DISK_INCOMING, vmig_disk_incoming_ioctl,
		      struct vmig_disk_ctl, minor),
};

VISIBLE_IF_KUNIT const struct vmig_ioctl_table vmig_disk_ioctls = {
	.ops = vmig_disk_ops,
	.nr_ops = ARRAY_SIZE(vmig_disk_ops),
	.base = VMIG_DISK_CMD_BASE,
};
EXPORT_SYMBOL_IF_KUNIT(vmig_disk_ioctls);

/**
 * vmig_disk_ioctl() - dispatch a disk ioctl of /dev/vmig
 * @cmd: the command, from VMIG_DISK_CMD_BASE on
 * @arg: its argument
 *
 * Return: as the ioctl documents.
 */
long vmig_disk_ioctl(unsigned int cmd, unsigned long arg)
{
	return vmig_ioctl_dispatch(&vmig_disk_ioctls, NULL, cmd, arg);
}
