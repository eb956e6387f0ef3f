// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dm-vmig: the binary control interface of the filters (the text one
 * is dm messages, in target.c). Each ioctl names its filter by a file
 * descriptor of the device-mapper device, which the caller must have open:
 * the fd is the capability, and holding it keeps the device from being
 * removed. Checks, in order: CAP_SYS_ADMIN, as device-mapper's control
 * node requires; the general format (the dispatcher), flags,
 * reserved fields and ranges, the package (import copies it in first), the
 * fd, then the filter's state.
 */
#include <kunit/visibility.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dm-vmig.h"

#define VMIG_DM_CTL_OP(_ioctl, _fn, _struct, _last)			\
	VMIG_UCMD_OP(union vmig_dm_ucmd_buffer, _ioctl, _fn, _struct, _last)

/*
 * Enter the filter of the block device open as @fd: the filter, or an
 * ERR_PTR. @write: the call changes the filter's state, so the fd must be
 * open for writing. Leave it with vmig_dm_ctl_exit().
 */
static struct vmig_dm *vmig_dm_ctl_enter(s32 fd, bool write,
					 struct vmig_dm_reg **regp)
{
	struct vmig_dm_reg *reg;
	struct vmig_dm *c;
	struct file *file;
	dev_t dev;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	if (!S_ISBLK(file_inode(file)->i_mode)) {
		fput(file);
		return ERR_PTR(-ENOTBLK);
	}
	if (write && !(file->f_mode & FMODE_WRITE)) {
		fput(file);
		return ERR_PTR(-EBADF);
	}
	dev = file_inode(file)->i_rdev;
	fput(file);
	reg = vmig_dm_reg_get(dev);
	if (!reg)
		return ERR_PTR(-ENODEV);
	c = vmig_dm_enter(reg);
	if (IS_ERR(c))
		vmig_dm_reg_put(reg);
	else
		*regp = reg;
	return c;
}

static void vmig_dm_ctl_exit(struct vmig_dm_reg *reg)
{
	vmig_dm_leave(reg);
	vmig_dm_reg_put(reg);
}

static int vmig_dm_ctl_get_info(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_info *cmd = ucmd->cmd;
	struct vmig_disk_status st;
	struct vmig_dm_reg *reg;
	struct vmig_dm *c;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	c = vmig_dm_ctl_enter(cmd->disk_fd, false, &reg);
	if (IS_ERR(c))
		return PTR_ERR(c);
	vmig_dm_get_status(c, &st);
	vmig_dm_ctl_exit(reg);
	cmd->state = st.state;
	cmd->max_inflight = st.max_inflight;
	cmd->held = st.held;
	cmd->inflight = st.inflight;
	cmd->errors = st.errors;
	cmd->passed = st.passed;
	cmd->cancelled = st.cancelled;
	cmd->reissued = st.reissued;
	cmd->api_version = DM_VMIG_API_VERSION;
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

static int vmig_dm_ctl_handoff(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_handoff *cmd = ucmd->cmd;
	struct vmig_disk_result res;
	struct vmig_dm_reg *reg;
	struct vmig_dm *c;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->mode > VMIG_DISK_HANDOFF_DRAIN ||
	    cmd->timeout_ms > VMIG_DM_TIMEOUT_MAX)
		return -EINVAL;
	c = vmig_dm_ctl_enter(cmd->disk_fd, true, &reg);
	if (IS_ERR(c))
		return PTR_ERR(c);
	ret = vmig_dm_handoff(c, cmd->mode, cmd->timeout_ms, &res);
	vmig_dm_ctl_exit(reg);
	if (ret)
		return ret;
	cmd->nr_completed = res.completed;
	cmd->nr_cancelled = res.cancelled;
	cmd->nr_errors = res.errors;
	cmd->pkg_len = res.pkg_len;
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

static int vmig_dm_ctl_copy_out(void *arg, const void *pkg, size_t len)
{
	struct vmig_ucmd *ucmd = arg;
	struct vmig_disk_export *cmd = ucmd->cmd;
	int ret;

	cmd->pkg_len = len;
	if (cmd->buf_len < len) {
		ret = vmig_ucmd_respond(ucmd, sizeof(*cmd));
		return ret ?: -EMSGSIZE;
	}
	if (copy_to_user(u64_to_user_ptr(cmd->buf), pkg, len))
		return -EFAULT;
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

static int vmig_dm_ctl_export(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_export *cmd = ucmd->cmd;
	struct vmig_dm_reg *reg;
	struct vmig_dm *c;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->pkg_len)
		return -EINVAL;
	c = vmig_dm_ctl_enter(cmd->disk_fd, false, &reg);
	if (IS_ERR(c))
		return PTR_ERR(c);
	ret = vmig_dm_export(c, vmig_dm_ctl_copy_out, ucmd);
	vmig_dm_ctl_exit(reg);
	return ret;
}

/* Check the import's arguments and copy the package in. */
static void *vmig_dm_ctl_import_args(struct vmig_disk_import *cmd,
				     s32 **statuses)
{
	const struct vmig_disk_pkg *hdr;
	void *pkg;

	*statuses = NULL;
	/* Sized by the peer that built it: charged to the caller. */
	pkg = kvmalloc(cmd->buf_len, GFP_KERNEL_ACCOUNT);
	if (!pkg)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(pkg, u64_to_user_ptr(cmd->buf), cmd->buf_len)) {
		kvfree(pkg);
		return ERR_PTR(-EFAULT);
	}
	if (!cmd->statuses)
		return pkg;
	hdr = pkg;
	if (cmd->nr_statuses != le32_to_cpu(hdr->nr_descs)) {
		kvfree(pkg);
		return ERR_PTR(-EINVAL);
	}
	/*
	 * The count is the package's, not yet checked: no more descriptors
	 * than @buf_len holds (the full check, vmig_disk_pkg_check(), comes
	 * with the disk), so that the array stays below what the package
	 * itself takes.
	 */
	if (cmd->nr_statuses > (cmd->buf_len - sizeof(*hdr)) /
			       sizeof(struct vmig_disk_desc)) {
		kvfree(pkg);
		return ERR_PTR(-EBADMSG);
	}
	*statuses = kvcalloc(cmd->nr_statuses, sizeof(**statuses),
			     GFP_KERNEL_ACCOUNT);
	if (!*statuses) {
		kvfree(pkg);
		return ERR_PTR(-ENOMEM);
	}
	return pkg;
}

static int vmig_dm_ctl_import(struct vmig_ucmd *ucmd)
{
	struct vmig_disk_import *cmd = ucmd->cmd;
	struct vmig_disk_result res;
	struct vmig_dm_reg *reg;
	s32 *statuses;
	struct vmig_dm *c;
	void *pkg;
	int ret;

	if (cmd->flags & ~VMIG_DISK_IMPORT_WAIT)
		return -EOPNOTSUPP;
	if (cmd->nr_reissued || cmd->nr_resubmit || cmd->nr_failed ||
	    cmd->__reserved ||
	    cmd->buf_len < sizeof(struct vmig_disk_pkg) ||
	    cmd->buf_len > VMIG_DISK_PKG_MAX ||
	    !cmd->statuses != !cmd->nr_statuses ||
	    (cmd->statuses && !(cmd->flags & VMIG_DISK_IMPORT_WAIT)))
		return -EINVAL;
	pkg = vmig_dm_ctl_import_args(cmd, &statuses);
	if (IS_ERR(pkg))
		return PTR_ERR(pkg);
	c = vmig_dm_ctl_enter(cmd->disk_fd, true, &reg);
	ret = PTR_ERR_OR_ZERO(c);
	if (ret)
		goto out_free;
	ret = vmig_dm_import(c, pkg, cmd->buf_len, cmd->flags,
			     statuses ? &statuses : NULL, &res);
	vmig_dm_ctl_exit(reg);
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
	return ret;
}

static int vmig_dm_ctl_state(struct vmig_ucmd *ucmd,
			     int (*fn)(struct vmig_dm *c))
{
	struct vmig_disk_ctl *cmd = ucmd->cmd;
	struct vmig_dm_reg *reg;
	struct vmig_dm *c;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	c = vmig_dm_ctl_enter(cmd->disk_fd, true, &reg);
	if (IS_ERR(c))
		return PTR_ERR(c);
	ret = fn(c);
	vmig_dm_ctl_exit(reg);
	return ret;
}

static int vmig_dm_ctl_release(struct vmig_ucmd *ucmd)
{
	return vmig_dm_ctl_state(ucmd, vmig_dm_release);
}

static int vmig_dm_ctl_complete(struct vmig_ucmd *ucmd)
{
	return vmig_dm_ctl_state(ucmd, vmig_dm_complete);
}

static int vmig_dm_ctl_incoming(struct vmig_ucmd *ucmd)
{
	return vmig_dm_ctl_state(ucmd, vmig_dm_incoming);
}

/* In command order: the KUnit suite checks it. */
static const struct vmig_ioctl_op vmig_dm_ctl_ops[] = {
	VMIG_DM_CTL_OP(VMIG_DISK_GET_INFO, vmig_dm_ctl_get_info,
		       struct vmig_disk_info, __reserved),
	VMIG_DM_CTL_OP(VMIG_DISK_HANDOFF, vmig_dm_ctl_handoff,
		       struct vmig_disk_handoff, pkg_len),
	VMIG_DM_CTL_OP(VMIG_DISK_EXPORT, vmig_dm_ctl_export,
		       struct vmig_disk_export, pkg_len),
	VMIG_DM_CTL_OP(VMIG_DISK_IMPORT, vmig_dm_ctl_import,
		       struct vmig_disk_import, __reserved),
	VMIG_DM_CTL_OP(VMIG_DISK_RELEASE, vmig_dm_ctl_release,
		       struct vmig_disk_ctl, __reserved),
	VMIG_DM_CTL_OP(VMIG_DISK_COMPLETE, vmig_dm_ctl_complete,
		       struct vmig_disk_ctl, __reserved),
	VMIG_DM_CTL_OP(VMIG_DISK_INCOMING, vmig_dm_ctl_incoming,
		       struct vmig_disk_ctl, __reserved),
};

VISIBLE_IF_KUNIT const struct vmig_ioctl_table vmig_dm_ctl_ioctls = {
	.ops = vmig_dm_ctl_ops,
	.nr_ops = ARRAY_SIZE(vmig_dm_ctl_ops),
	.base = DM_VMIG_CMD_BASE,
	.type = DM_VMIG_TYPE,
};
EXPORT_SYMBOL_IF_KUNIT(vmig_dm_ctl_ioctls);

static long vmig_dm_ctl_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	union vmig_dm_ucmd_buffer buf;

	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;
	return vmig_ucmd_dispatch(&vmig_dm_ctl_ioctls, NULL, cmd, arg, &buf);
}

static const struct file_operations vmig_dm_ctl_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = vmig_dm_ctl_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice vmig_dm_ctl_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dm-vmig",
	.fops = &vmig_dm_ctl_fops,
	.mode = 0600,
};

int vmig_dm_ctl_init(void)
{
	return misc_register(&vmig_dm_ctl_misc);
}

void vmig_dm_ctl_uninit(void)
{
	misc_deregister(&vmig_dm_ctl_misc);
}
