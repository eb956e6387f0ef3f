// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of disk filters, and the kernel API that drives them.
 *
 * dm-vmig.ko registers each of its targets here when it is constructed and
 * unregisters it when it is destroyed. Users (the /dev/vmig ioctls, the
 * migration session) look a filter up by device number, which takes a
 * reference: the struct vmig_disk outlives its filter until the last user
 * puts it. Each call into the filter runs under the disk's lock taken for
 * reading; unregistering takes it for writing and marks the disk dead, so
 * that it waits for the calls in progress and later calls get -ENODEV.
 */
#include "vmig.h"
#include "disk.h"

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

/**
 * struct vmig_disk - a registered filter
 * @node: in vmig_disks, newest first
 * @ref: the registry holds one reference until unregistered; each user
 *	holds one
 * @lock: calls into the filter under read, unregistering under write
 * @dev: the device-mapper device's number
 * @active: the filter's table has been resumed: a table loaded but not
 *	yet resumed does not take IO, so lookups skip it
 * @dead: unregistered; under @lock
 * @ops: the filter's operations
 * @priv: their argument
 */
struct vmig_disk {
	struct list_head node;
	struct kref ref;
	struct rw_semaphore lock;
	dev_t dev;
	bool active;
	bool dead;
	const struct vmig_disk_ops *ops;
	void *priv;
};

static LIST_HEAD(vmig_disks);
static DEFINE_MUTEX(vmig_disks_lock); /* the list and @active */

/**
 * vmig_disk_register() - register a filter
 * @dev: its device-mapper device
 * @ops: its operations
 * @priv: their argument, valid until vmig_disk_unregister() returns
 *
 * Return: the disk, or an ERR_PTR.
 */
struct vmig_disk *vmig_disk_register(dev_t dev, const struct vmig_disk_ops *ops,
				     void *priv)
{
	struct vmig_disk *disk;

	disk = kzalloc(sizeof(*disk), GFP_KERNEL);
	if (!disk)
		return ERR_PTR(-ENOMEM);
	kref_init(&disk->ref);
	init_rwsem(&disk->lock);
	disk->dev = dev;
	disk->ops = ops;
	disk->priv = priv;
	mutex_lock(&vmig_disks_lock);
	list_add(&disk->node, &vmig_disks);
	mutex_unlock(&vmig_disks_lock);
	return disk;
}
EXPORT_SYMBOL_GPL(vmig_disk_register);

/**
 * vmig_disk_activate() - the filter's table was resumed: make it findable
 * @disk: the disk
 */
void vmig_disk_activate(struct vmig_disk *disk)
{
	mutex_lock(&vmig_disks_lock);
	disk->active = true;
	mutex_unlock(&vmig_disks_lock);
}
EXPORT_SYMBOL_GPL(vmig_disk_activate);

static void vmig_disk_free(struct kref *ref)
{
	kfree(container_of(ref, struct vmig_disk, ref));
}

/**
 * vmig_disk_unregister() - the filter goes away
 * @disk: the disk
 *
 * Waits for the calls into the filter in progress; later ones fail.
 */
void vmig_disk_unregister(struct vmig_disk *disk)
{
	down_write(&disk->lock);
	disk->dead = true;
	up_write(&disk->lock);
	mutex_lock(&vmig_disks_lock);
	list_del(&disk->node);
	mutex_unlock(&vmig_disks_lock);
	kref_put(&disk->ref, vmig_disk_free);
}
EXPORT_SYMBOL_GPL(vmig_disk_unregister);

/**
 * vmig_disk_get() - find the filter of a device-mapper device
 * @dev: the device number
 *
 * Return: a reference to the disk (put it with vmig_disk_put()), or NULL.
 */
struct vmig_disk *vmig_disk_get(dev_t dev)
{
	struct vmig_disk *disk, *found = NULL;

	mutex_lock(&vmig_disks_lock);
	list_for_each_entry(disk, &vmig_disks, node) {
		if (disk->dev == dev && disk->active) {
			kref_get(&disk->ref);
			found = disk;
			break;
		}
	}
	mutex_unlock(&vmig_disks_lock);
	return found;
}
EXPORT_SYMBOL_GPL(vmig_disk_get);

/**
 * vmig_disk_put() - drop a reference from vmig_disk_get()
 * @disk: the disk, or NULL
 */
void vmig_disk_put(struct vmig_disk *disk)
{
	if (disk)
		kref_put(&disk->ref, vmig_disk_free);
}
EXPORT_SYMBOL_GPL(vmig_disk_put);

/* Enter a call into the filter: 0 under the disk's lock, or -ENODEV. */
static int vmig_disk_enter(struct vmig_disk *disk)
{
	down_read(&disk->lock);
	if (!disk->dead)
		return 0;
	up_read(&disk->lock);
	return -ENODEV;
}

static int vmig_disk_leave(struct vmig_disk *disk, int ret)
{
	up_read(&disk->lock);
	return ret;
}

/**
 * vmig_disk_handoff() - hand a disk off: hold, cancel, wait, fence
 * @disk: the disk
 * @mode: VMIG_DISK_HANDOFF_CANCEL or VMIG_DISK_HANDOFF_DRAIN
 * @timeout_ms: the longest wait for IO in flight; 0 for the default
 * @res: what it did
 *
 * Return: 0 with the package ready for vmig_disk_export(), or -errno as
 * VMIG_DISK_HANDOFF documents.
 */
int vmig_disk_handoff(struct vmig_disk *disk, u32 mode, u32 timeout_ms,
		      struct vmig_disk_result *res)
{
	int ret;

	memset(res, 0, sizeof(*res));
	if (mode > VMIG_DISK_HANDOFF_DRAIN || timeout_ms > 600000)
		return -EINVAL;
	ret = vmig_disk_enter(disk);
	if (ret)
		return ret;
	return vmig_disk_leave(disk, disk->ops->handoff(disk->priv, mode,
						       timeout_ms, res));
}
EXPORT_SYMBOL_GPL(vmig_disk_handoff);

/**
 * vmig_disk_export() - pass a FENCED disk's package to @fn
 * @disk: the disk
 * @fn: called once with the package, which does not change meanwhile
 * @arg: its first argument
 *
 * Return: what @fn returned, -EINVAL when the disk is not FENCED, or
 * -ENODEV.
 */
int vmig_disk_export(struct vmig_disk *disk, vmig_disk_export_fn fn, void *arg)
{
	int ret;

	ret = vmig_disk_enter(disk);
	if (ret)
		return ret;
	return vmig_disk_leave(disk, disk->ops->export(disk->priv, fn, arg));
}
EXPORT_SYMBOL_GPL(vmig_disk_export);

/**
 * vmig_disk_import() - reissue a package on an INCOMING disk
 * @disk: the disk
 * @pkg: the package, untrusted
 * @len: its size
 * @flags: VMIG_DISK_IMPORT_WAIT or 0
 * @statuses: NULL, or one status per descriptor (with the WAIT flag)
 * @res: what it did
 *
 * Return: 0, or -errno as VMIG_DISK_IMPORT documents.
 */
int vmig_disk_import(struct vmig_disk *disk, const void *pkg, size_t len,
		     u32 flags, s32 *statuses, struct vmig_disk_result *res)
{
	int ret;

	memset(res, 0, sizeof(*res));
	if (flags & ~VMIG_DISK_IMPORT_WAIT)
		return -EOPNOTSUPP;
	if (statuses && !(flags & VMIG_DISK_IMPORT_WAIT))
		return -EINVAL;
	ret = vmig_disk_enter(disk);
	if (ret)
		return ret;
	return vmig_disk_leave(disk, disk->ops->import(disk->priv, pkg, len,
						      flags, statuses, res));
}
EXPORT_SYMBOL_GPL(vmig_disk_import);

/**
 * vmig_disk_release() - cancel a migration: the held IO goes on here
 * @disk: the disk
 *
 * Return: 0, -EINVAL when there is nothing to release, -EBUSY, -ENODEV.
 */
int vmig_disk_release(struct vmig_disk *disk)
{
	int ret;

	ret = vmig_disk_enter(disk);
	if (ret)
		return ret;
	return vmig_disk_leave(disk, disk->ops->release(disk->priv));
}
EXPORT_SYMBOL_GPL(vmig_disk_release);

/**
 * vmig_disk_complete() - the target took the disk over: fail the held IO
 * @disk: the disk
 *
 * Return: 0, -EINVAL when the disk is not FENCED, -EBUSY, -ENODEV.
 */
int vmig_disk_complete(struct vmig_disk *disk)
{
	int ret;

	ret = vmig_disk_enter(disk);
	if (ret)
		return ret;
	return vmig_disk_leave(disk, disk->ops->complete(disk->priv));
}
EXPORT_SYMBOL_GPL(vmig_disk_complete);

/**
 * vmig_disk_incoming() - make a disk wait for a package
 * @disk: the disk
 *
 * Return: 0, -EBUSY when IO is in the way, -EINVAL, -ENODEV.
 */
int vmig_disk_incoming(struct vmig_disk *disk)
{
	int ret;

	ret = vmig_disk_enter(disk);
	if (ret)
		return ret;
	return vmig_disk_leave(disk, disk->ops->incoming(disk->priv));
}
EXPORT_SYMBOL_GPL(vmig_disk_incoming);

/**
 * vmig_disk_status() - a disk's state and counters
 * @disk: the disk
 * @st: filled in
 *
 * Return: 0 or -ENODEV.
 */
int vmig_disk_status(struct vmig_disk *disk, struct vmig_disk_status *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = vmig_disk_enter(disk);
	if (ret)
		return ret;
	disk->ops->status(disk->priv, st);
	return vmig_disk_leave(disk, 0);
}
EXPORT_SYMBOL_GPL(vmig_disk_status);
