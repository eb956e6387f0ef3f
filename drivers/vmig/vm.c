// SPDX-License-Identifier: GPL-2.0
/*
 * Named VMs: create, open, list and destroy, and the VM file descriptor.
 *
 * A VM lives in its file (an anonymous inode of its own, so that its
 * address_space, and with it the rmap of every mapping of the memory, is
 * the VM's alone). The registry holds a reference to the file while the VM
 * has a name; descriptors and mappings hold the others. The file's release
 * frees the VM. Since the file pins the module, vmig cannot be unloaded
 * while any VM exists.
 *
 * The privilege model follows KVM and device-mapper: the holder of a VM's
 * descriptor may do everything to that VM and needs nothing more. Reaching
 * a VM by name (open, list, destroy) needs the creator's effective uid or
 * CAP_SYS_ADMIN in the user namespace that owns the VM's IPC namespace, and
 * names are scoped by IPC namespace, as System V shared memory keys are: a
 * container with an IPC namespace of its own neither sees nor collides with
 * the VMs of another.
 */
#include "vmig.h"

#include <kunit/visibility.h>
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ctype.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static LIST_HEAD(vmig_vms);
static DEFINE_MUTEX(vmig_vms_lock);

/*
 * A name is 1 to VMIG_NAME_MAX - 1 characters of [A-Za-z0-9._-], then NUL
 * padding to the end of the array.
 */
VISIBLE_IF_KUNIT bool vmig_name_valid(const char *name)
{
	size_t len = strnlen(name, VMIG_NAME_MAX);
	size_t i;

	if (!len || len == VMIG_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && !strchr("._-", name[i]))
			return false;
	return !memchr_inv(name + len, 0, VMIG_NAME_MAX - len);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_name_valid);

/* The scope of the caller's names: its IPC namespace, NULL without one. */
static struct ipc_namespace *vmig_vm_scope(void)
{
	return current->nsproxy->ipc_ns;
}

/*
 * May the caller reach @vm by name? It must be in the VM's scope (the
 * lookups only return such VMs), and be its creator or hold CAP_SYS_ADMIN
 * over the scope. @audit: a refusal fails the call (else it only filters a
 * listing, and is not audited).
 */
static bool vmig_vm_may_reach(const struct vmig_vm *vm, bool audit)
{
	struct user_namespace *ns = vm->scope ? vm->scope->user_ns :
						&init_user_ns;

	if (uid_eq(current_euid(), vm->owner))
		return true;
	return audit ? ns_capable(ns, CAP_SYS_ADMIN) :
		       ns_capable_noaudit(ns, CAP_SYS_ADMIN);
}

/* The VM named @name in the caller's scope, or NULL. */
static struct vmig_vm *vmig_vm_lookup(const char *name)
{
	struct ipc_namespace *scope = vmig_vm_scope();
	struct vmig_vm *vm;

	lockdep_assert_held(&vmig_vms_lock);
	list_for_each_entry(vm, &vmig_vms, node)
		if (vm->scope == scope &&
		    !strncmp(vm->name, name, VMIG_NAME_MAX))
			return vm;
	return NULL;
}

/*
 * The VM named @name that the caller may reach: the VM, or ERR_PTR(-ENOENT)
 * when its scope has none of that name, ERR_PTR(-EACCES) when the caller may
 * not reach it.
 */
static struct vmig_vm *vmig_vm_find(const char *name)
{
	struct vmig_vm *vm = vmig_vm_lookup(name);

	if (!vm)
		return ERR_PTR(-ENOENT);
	if (!vmig_vm_may_reach(vm, true))
		return ERR_PTR(-EACCES);
	return vm;
}

static int vmig_vm_release(struct inode *inode, struct file *file)
{
	struct vmig_vm *vm = file->private_data;

	vmig_mig_uninit(vm);
	vmig_track_uninit(vm);
	vmig_mem_uninit(vm);
	if (vm->scope)
		put_ipc_ns(vm->scope);
	mutex_destroy(&vm->lock);
	kfree(vm);
	return 0;
}

static int vmig_vm_get_info(struct vmig_ucmd *ucmd)
{
	struct vmig_vm_info *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;

	if (cmd->flags)
		return -EOPNOTSUPP;
	memset(&cmd->entry, 0, sizeof(cmd->entry));
	memcpy(cmd->entry.name, vm->name, VMIG_NAME_MAX);
	cmd->entry.nr_pages = vm->nr_pages;
	vmig_track_info(vm, &cmd->entry);
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

static int vmig_vm_get_stats(struct vmig_ucmd *ucmd)
{
	struct vmig_vm_stats *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	int cpu;

	if (cmd->flags)
		return -EOPNOTSUPP;
	memset_after(cmd, 0, flags);
	for_each_possible_cpu(cpu) {
		struct vmig_vm_pcpu_stats *s = per_cpu_ptr(vm->stats, cpu);

		cmd->write_faults += READ_ONCE(s->write_faults);
		cmd->groups_dirtied += READ_ONCE(s->groups_dirtied);
		cmd->pages_present += READ_ONCE(s->pages_present);
	}
	mutex_lock(&vm->lock);
	cmd->pages_reported = vm->pages_reported;
	cmd->pinned_pages = vm->pinned_pages;
	cmd->harvests = vm->harvests;
	cmd->harvest_ns = vm->harvest_ns;
	mutex_unlock(&vm->lock);
	return vmig_ucmd_respond(ucmd, sizeof(*cmd));
}

/* In command order: the KUnit suite checks it. */
static const struct vmig_ioctl_op vmig_vm_ops[] = {
	VMIG_IOCTL_OP(VMIG_VM_GET_INFO, vmig_vm_get_info,
		      struct vmig_vm_info, entry),
	VMIG_IOCTL_OP(VMIG_TRACK_START, vmig_track_start,
		      struct vmig_track_start, __reserved),
	VMIG_IOCTL_OP(VMIG_TRACK_STOP, vmig_track_stop,
		      struct vmig_track_stop, flags),
	VMIG_IOCTL_OP(VMIG_DIRTY_HARVEST, vmig_track_harvest,
		      struct vmig_dirty_harvest, nr_dirty),
	VMIG_IOCTL_OP(VMIG_VM_GET_STATS, vmig_vm_get_stats,
		      struct vmig_vm_stats, pages_present),
	VMIG_IOCTL_OP(VMIG_MIG_START, vmig_mig_start,
		      struct vmig_mig_start, __reserved),
	VMIG_IOCTL_OP(VMIG_MIG_ADD_STREAM, vmig_mig_add_stream,
		      struct vmig_mig_add_stream, __reserved),
	VMIG_IOCTL_OP(VMIG_MIG_STATUS, vmig_mig_status,
		      struct vmig_mig_status, events),
	VMIG_IOCTL_OP(VMIG_MIG_SWITCHOVER, vmig_mig_switchover,
		      struct vmig_mig_switchover, blob_len),
	VMIG_IOCTL_OP(VMIG_MIG_GET_BLOB, vmig_mig_get_blob,
		      struct vmig_mig_get_blob, buf_len),
	VMIG_IOCTL_OP(VMIG_MIG_CANCEL, vmig_mig_cancel,
		      struct vmig_mig_cancel, flags),
};

VISIBLE_IF_KUNIT const struct vmig_ioctl_table vmig_vm_ioctls = {
	.ops = vmig_vm_ops,
	.nr_ops = ARRAY_SIZE(vmig_vm_ops),
	.base = VMIG_VM_CMD_BASE,
	.type = VMIG_TYPE,
};
EXPORT_SYMBOL_IF_KUNIT(vmig_vm_ioctls);

static long vmig_vm_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	return vmig_ioctl_dispatch(&vmig_vm_ioctls, file->private_data, cmd,
				   arg);
}

static const struct file_operations vmig_vm_fops = {
	.owner = THIS_MODULE,
	.release = vmig_vm_release,
	.mmap = vmig_mem_mmap,
	.poll = vmig_mig_poll,
	.unlocked_ioctl = vmig_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* Give the caller a descriptor of @file, consuming one reference. */
static int vmig_vm_install_fd(struct vmig_ucmd *ucmd, struct file *file,
			      s32 *out_fd, size_t cmd_len)
{
	int fd, ret;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		fput(file);
		return fd;
	}
	*out_fd = fd;
	ret = vmig_ucmd_respond(ucmd, cmd_len);
	if (ret) {
		put_unused_fd(fd);
		fput(file);
		return ret;
	}
	fd_install(fd, file);
	return 0;
}

int vmig_vm_create(struct vmig_ucmd *ucmd)
{
	struct vmig_vm_create *cmd = ucmd->cmd;
	struct vmig_vm *vm;
	struct file *file;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!cmd->nr_pages || cmd->nr_pages > VMIG_VM_MAX_PAGES ||
	    !vmig_name_valid(cmd->name))
		return -EINVAL;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	INIT_LIST_HEAD(&vm->node);
	memcpy(vm->name, cmd->name, VMIG_NAME_MAX);
	vm->nr_pages = cmd->nr_pages;
	vm->owner = current_euid();
	mutex_init(&vm->lock);
	vmig_mig_init(vm);
	ret = vmig_mem_init(vm);
	if (ret)
		goto err_mem;

	file = anon_inode_create_getfile("[vmig-vm]", &vmig_vm_fops, vm,
					 O_RDWR, NULL);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_file;
	}
	/* From here on the file owns the VM: fput() frees it. */
	vm->file = file;
	vm->scope = vmig_vm_scope();
	if (vm->scope)
		get_ipc_ns(vm->scope);
	file_inode(file)->i_size = (loff_t)vm->nr_pages << PAGE_SHIFT;

	mutex_lock(&vmig_vms_lock);
	if (vmig_vm_lookup(vm->name)) {
		mutex_unlock(&vmig_vms_lock);
		fput(file);
		return -EEXIST;
	}
	/* Keep the list sorted by name. */
	{
		struct vmig_vm *pos;

		list_for_each_entry(pos, &vmig_vms, node)
			if (strncmp(pos->name, vm->name, VMIG_NAME_MAX) > 0)
				break;
		list_add_tail(&vm->node, &pos->node);
	}
	get_file(file);		/* the registry's */
	mutex_unlock(&vmig_vms_lock);

	/*
	 * One more for the descriptor, which installing consumes; ours, from
	 * creation, keeps the VM alive until we return, even if somebody
	 * destroys it by name meanwhile.
	 */
	get_file(file);
	ret = vmig_vm_install_fd(ucmd, file, &cmd->out_fd, sizeof(*cmd));
	if (ret) {
		/*
		 * The caller never learnt of the VM: take it back, unless a
		 * VMIG_VM_DESTROY by name did so already.
		 */
		bool named;

		mutex_lock(&vmig_vms_lock);
		named = !list_empty(&vm->node);
		list_del_init(&vm->node);
		mutex_unlock(&vmig_vms_lock);
		if (named)
			fput(file);
	}
	fput(file);
	return ret;

err_file:
	vmig_mem_uninit(vm);
err_mem:
	mutex_destroy(&vm->mig_lock);
	mutex_destroy(&vm->lock);
	kfree(vm);
	return ret;
}

int vmig_vm_open(struct vmig_ucmd *ucmd)
{
	struct vmig_vm_open *cmd = ucmd->cmd;
	struct file *file = NULL;
	struct vmig_vm *vm;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || !vmig_name_valid(cmd->name))
		return -EINVAL;

	mutex_lock(&vmig_vms_lock);
	vm = vmig_vm_find(cmd->name);
	if (!IS_ERR(vm))
		file = get_file(vm->file);
	mutex_unlock(&vmig_vms_lock);
	if (!file)
		return PTR_ERR(vm);
	return vmig_vm_install_fd(ucmd, file, &cmd->out_fd, sizeof(*cmd));
}

int vmig_vm_destroy(struct vmig_ucmd *ucmd)
{
	struct vmig_vm_destroy *cmd = ucmd->cmd;
	struct vmig_vm *vm;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (!vmig_name_valid(cmd->name))
		return -EINVAL;

	mutex_lock(&vmig_vms_lock);
	vm = vmig_vm_find(cmd->name);
	if (IS_ERR(vm)) {
		mutex_unlock(&vmig_vms_lock);
		return PTR_ERR(vm);
	}
	if (vmig_mig_busy(vm)) {
		mutex_unlock(&vmig_vms_lock);
		return -EBUSY;
	}
	list_del_init(&vm->node);
	mutex_unlock(&vmig_vms_lock);
	fput(vm->file);
	return 0;
}

/* Does VMIG_VM_LIST show @vm to the caller? */
static bool vmig_vm_listed(const struct vmig_vm *vm)
{
	return vm->scope == vmig_vm_scope() && vmig_vm_may_reach(vm, false);
}

int vmig_vm_list(struct vmig_ucmd *ucmd)
{
	struct vmig_vm_list *cmd = ucmd->cmd;
	struct vmig_vm_entry *entries = NULL;
	struct vmig_vm *vm;
	u32 total = 0, n = 0;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;

	mutex_lock(&vmig_vms_lock);
	list_for_each_entry(vm, &vmig_vms, node)
		if (vmig_vm_listed(vm))
			total++;
	n = min(total, cmd->nr_entries);
	if (n) {
		entries = kvcalloc(n, sizeof(*entries), GFP_KERNEL);
		if (!entries) {
			mutex_unlock(&vmig_vms_lock);
			return -ENOMEM;
		}
	}
	n = 0;
	list_for_each_entry(vm, &vmig_vms, node) {
		if (n == cmd->nr_entries)
			break;
		if (!vmig_vm_listed(vm))
			continue;
		memcpy(entries[n].name, vm->name, VMIG_NAME_MAX);
		entries[n].nr_pages = vm->nr_pages;
		vmig_track_info(vm, &entries[n]);
		n++;
	}
	mutex_unlock(&vmig_vms_lock);

	ret = 0;
	if (n && copy_to_user(u64_to_user_ptr(cmd->entries), entries,
			      n * sizeof(*entries)))
		ret = -EFAULT;
	kvfree(entries);
	if (ret)
		return ret;
	cmd->nr_entries = total;
	ret = vmig_ucmd_respond(ucmd, sizeof(*cmd));
	if (!ret && n < total)
		ret = -EMSGSIZE;
	return ret;
}
