// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of filters by device number, for /dev/dm-vmig.
 *
 * Each target registers when it is constructed and unregisters when it is
 * destroyed. /dev/dm-vmig looks a filter up by the device number of the
 * block device whose file descriptor the caller passed, which takes a
 * reference: the registration outlives its filter until the last user
 * puts it. A call into the filter runs between vmig_dm_enter() and
 * vmig_dm_leave(), under the registration's lock taken for reading;
 * unregistering takes it for writing and marks the registration dead, so
 * that it waits for the calls in progress and later calls get -ENODEV.
 *
 * A table that is loaded but not resumed yet does not take IO: lookups
 * skip it until its resume activates it. While a table is replaced, two
 * registrations of the same device may exist; the newest active one wins,
 * and inherits the fence of the one it replaces (vmig_dm_activate()). One
 * table holds at most one vmig target: a device has one filter state.
 */
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "dm-vmig.h"

/**
 * struct vmig_dm_reg - a registered filter
 * @node: in vmig_dm_regs, newest first
 * @ref: the registry holds one reference until unregistered; each user
 *	holds one
 * @lock: calls into the filter under read, unregistering under write
 * @dev: the device-mapper device's number
 * @table: the table of the filter, compared, never followed
 * @active: the filter's table has been resumed; under vmig_dm_regs_lock
 * @dead: unregistered; under @lock
 * @c: the filter, valid while not @dead
 */
struct vmig_dm_reg {
	struct list_head node;
	struct kref ref;
	struct rw_semaphore lock;
	dev_t dev;
	const struct dm_table *table;
	bool active;
	bool dead;
	struct vmig_dm *c;
};

static LIST_HEAD(vmig_dm_regs);
static DEFINE_MUTEX(vmig_dm_regs_lock); /* the list and @active */

/**
 * vmig_dm_register() - register a filter, not findable before it is active
 * @c: the filter; sets @c->reg
 * @dev: its device-mapper device
 *
 * Return: 0, -EBUSY when the filter's table has a vmig target already, or
 * -ENOMEM.
 */
int vmig_dm_register(struct vmig_dm *c, dev_t dev)
{
	struct vmig_dm_reg *reg, *other;
	int ret = 0;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg)
		return -ENOMEM;
	kref_init(&reg->ref);
	init_rwsem(&reg->lock);
	reg->dev = dev;
	reg->table = c->ti->table;
	reg->c = c;
	mutex_lock(&vmig_dm_regs_lock);
	list_for_each_entry(other, &vmig_dm_regs, node)
		if (other->dev == dev && other->table == reg->table)
			ret = -EBUSY;
	if (!ret)
		list_add(&reg->node, &vmig_dm_regs);
	mutex_unlock(&vmig_dm_regs_lock);
	if (ret) {
		kfree(reg);
		return ret;
	}
	c->reg = reg;
	return 0;
}

/**
 * vmig_dm_activate() - the filter's table was resumed: make it findable
 * @c: the filter
 *
 * Return: whether the filter it replaces (the active one of an older table
 * of the same device, still there while the new one resumes) is GONE: the
 * caller keeps the fence, so that reloading the table after a hand-off
 * does not let the source's IO reach the storage again.
 */
bool vmig_dm_activate(struct vmig_dm *c)
{
	struct vmig_dm_reg *reg;
	bool gone = false;

	mutex_lock(&vmig_dm_regs_lock);
	list_for_each_entry(reg, &vmig_dm_regs, node) {
		if (reg == c->reg || reg->dev != c->reg->dev || !reg->active)
			continue;
		down_read(&reg->lock);
		if (!reg->dead) {
			spin_lock_irq(&reg->c->lock);
			gone = reg->c->state == VMIG_DISK_ST_GONE;
			spin_unlock_irq(&reg->c->lock);
		}
		up_read(&reg->lock);
		break;
	}
	c->reg->active = true;
	mutex_unlock(&vmig_dm_regs_lock);
	return gone;
}

static void vmig_dm_reg_free(struct kref *ref)
{
	kfree(container_of(ref, struct vmig_dm_reg, ref));
}

/**
 * vmig_dm_unregister() - the filter goes away
 * @c: the filter, registered or not
 *
 * Waits for the calls into the filter in progress; later ones fail.
 */
void vmig_dm_unregister(struct vmig_dm *c)
{
	struct vmig_dm_reg *reg = c->reg;

	if (!reg)
		return;
	down_write(&reg->lock);
	reg->dead = true;
	up_write(&reg->lock);
	mutex_lock(&vmig_dm_regs_lock);
	list_del(&reg->node);
	mutex_unlock(&vmig_dm_regs_lock);
	kref_put(&reg->ref, vmig_dm_reg_free);
	c->reg = NULL;
}

/**
 * vmig_dm_reg_get() - find the active filter of a device-mapper device
 * @dev: the device number
 *
 * Return: a reference (put it with vmig_dm_reg_put()), or NULL.
 */
struct vmig_dm_reg *vmig_dm_reg_get(dev_t dev)
{
	struct vmig_dm_reg *reg, *found = NULL;

	mutex_lock(&vmig_dm_regs_lock);
	list_for_each_entry(reg, &vmig_dm_regs, node) {
		if (reg->dev == dev && reg->active) {
			kref_get(&reg->ref);
			found = reg;
			break;
		}
	}
	mutex_unlock(&vmig_dm_regs_lock);
	return found;
}

/**
 * vmig_dm_reg_put() - drop a reference from vmig_dm_reg_get()
 * @reg: the registration, or NULL
 */
void vmig_dm_reg_put(struct vmig_dm_reg *reg)
{
	if (reg)
		kref_put(&reg->ref, vmig_dm_reg_free);
}

/**
 * vmig_dm_enter() - start a call into a registered filter
 * @reg: a registration the caller holds a reference to
 *
 * Return: the filter, to be left with vmig_dm_leave(), or ERR_PTR(-ENODEV)
 * when it is gone.
 */
struct vmig_dm *vmig_dm_enter(struct vmig_dm_reg *reg)
{
	down_read(&reg->lock);
	if (!reg->dead)
		return reg->c;
	up_read(&reg->lock);
	return ERR_PTR(-ENODEV);
}

/**
 * vmig_dm_leave() - end a call that vmig_dm_enter() started
 * @reg: the registration
 */
void vmig_dm_leave(struct vmig_dm_reg *reg)
{
	up_read(&reg->lock);
}
