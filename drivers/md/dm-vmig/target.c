// SPDX-License-Identifier: GPL-2.0
/*
 * dm-vmig: the device-mapper target "vmig", a VM disk's filter for live
 * migration, and the module. See Documentation/admin-guide/dm-vmig.rst.
 *
 * Table: <dev> <offset> [<#opt args> [max_inflight <n>] [timeout_ms <n>]
 * [disk_uuid <uuid>] [incoming]]
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "dm-vmig.h"

#define DM_MSG_PREFIX "vmig"

struct workqueue_struct *vmig_dm_wq;

static void vmig_dm_dtr(struct dm_target *ti)
{
	struct vmig_dm *c = ti->private;

	vmig_dm_unregister(c);
	/* Suspend waited for our IO; this is for a table never resumed. */
	wait_event(c->wait, !READ_ONCE(c->reissue_pending));
	cancel_work_sync(&c->dispatch);
	if (c->nr_held || c->queued) {
		DMERR("%s: destroyed with %u IO held", vmig_dm_name(c),
		      c->nr_held + c->queued);
		spin_lock_irq(&c->lock);
		list_splice_tail_init(&c->queue, &c->held);
		c->nr_held += c->queued;
		c->queued = 0;
		spin_unlock_irq(&c->lock);
		vmig_dm_fail_held(c, BLK_STS_IOERR);
	}
	kvfree(c->orphan);
	kvfree(c->pkg);
	if (c->dev)
		dm_put_device(ti, c->dev);
	mutex_destroy(&c->op_lock);
	kfree(c);
}

static int vmig_dm_parse_opts(struct dm_target *ti, struct vmig_dm *c,
			      struct dm_arg_set *as)
{
	static const struct dm_arg nr_opts = { 0, 7, "Invalid number of optional arguments" };
	static const struct dm_arg depth = { 0, VMIG_DM_MAX_DEPTH, "Invalid max_inflight" };
	static const struct dm_arg timeout = { 1, VMIG_DM_TIMEOUT_MAX, "Invalid timeout_ms" };
	unsigned int argc, val;
	const char *name;
	int ret;

	if (!as->argc)
		return 0;
	ret = dm_read_arg_group(&nr_opts, as, &argc, &ti->error);
	if (ret)
		return ret;
	while (argc--) {
		name = dm_shift_arg(as);
		if (!strcasecmp(name, "incoming") && !c->opt_incoming) {
			c->opt_incoming = true;
		} else if (!strcasecmp(name, "max_inflight") && argc &&
			   !c->opt_max_inflight) {
			argc--;
			ret = dm_read_arg(&depth, as, &val, &ti->error);
			if (ret)
				return ret;
			c->max_inflight = val;
			c->opt_max_inflight = true;
		} else if (!strcasecmp(name, "timeout_ms") && argc &&
			   !c->opt_timeout) {
			argc--;
			ret = dm_read_arg(&timeout, as, &val, &ti->error);
			if (ret)
				return ret;
			c->timeout_ms = val;
			c->opt_timeout = true;
		} else if (!strcasecmp(name, "disk_uuid") && argc &&
			   uuid_is_null(&c->disk_uuid)) {
			argc--;
			if (uuid_parse(dm_shift_arg(as), &c->disk_uuid) ||
			    uuid_is_null(&c->disk_uuid)) {
				ti->error = "Invalid disk_uuid";
				return -EINVAL;
			}
		} else {
			ti->error = "Invalid or repeated optional argument";
			return -EINVAL;
		}
	}
	if (as->argc) {
		ti->error = "Too many arguments";
		return -EINVAL;
	}
	return 0;
}

static int vmig_dm_ctr(struct dm_target *ti, unsigned int argc, char **argv)
{
	struct dm_arg_set as = { .argc = argc, .argv = argv };
	unsigned long long start;
	struct vmig_dm *c;
	dev_t devt;
	char dummy;
	int ret;

	if (argc < 2) {
		ti->error = "Requires <dev> <offset> [<#opt args> <opt args>]";
		return -EINVAL;
	}
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	ti->private = c;
	c->ti = ti;
	c->timeout_ms = VMIG_DM_TIMEOUT_MS;
	c->limit_seq = U64_MAX;
	mutex_init(&c->op_lock);
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->held);
	INIT_LIST_HEAD(&c->queue);
	INIT_LIST_HEAD(&c->ordered);
	init_waitqueue_head(&c->wait);
	INIT_WORK(&c->dispatch, vmig_dm_dispatch);

	dm_consume_args(&as, 2);
	ret = -EINVAL;
	if (sscanf(argv[1], "%llu%c", &start, &dummy) != 1 ||
	    start != (sector_t)start) {
		ti->error = "Invalid device offset";
		goto bad;
	}
	c->start = start;
	ret = vmig_dm_parse_opts(ti, c, &as);
	if (ret)
		goto bad;
	if (c->opt_incoming) {
		c->state = VMIG_DISK_ST_INCOMING;
		c->limit_seq = 0;
	}
	ret = dm_get_device(ti, argv[0], dm_table_get_mode(ti->table),
			    &c->dev);
	if (ret) {
		ti->error = "Device lookup failed";
		goto bad;
	}
	/* Reissued bios are built from order-0 pages, BIO_MAX_VECS of them. */
	ret = dm_set_target_max_io_len(ti, VMIG_DISK_IO_MAX >> SECTOR_SHIFT);
	if (ret)
		goto bad;

	devt = disk_devt(dm_disk(dm_table_get_md(ti->table)));
	ret = vmig_dm_register(c, devt);
	if (ret) {
		ti->error = ret == -EBUSY ? "Only one vmig target per table" :
			    "Cannot register the filter";
		goto bad;
	}

	ti->num_flush_bios = 1;
	ti->num_discard_bios = 1;
	ti->num_write_zeroes_bios = 1;
	ti->max_discard_granularity = true;
	ti->per_io_data_size = sizeof(struct vmig_dm_req);
	ti->accounts_remapped_io = true;
	return 0;

bad:
	vmig_dm_dtr(ti);
	return ret;
}

static bool vmig_dm_op_ok(struct bio *bio)
{
	switch (bio_op(bio)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		return true;
	default:
		return false;
	}
}

static int vmig_dm_map(struct dm_target *ti, struct bio *bio)
{
	struct vmig_dm_req *req = dm_per_bio_data(bio, sizeof(*req));
	struct vmig_dm *c = ti->private;
	unsigned long flags;

	if (!vmig_dm_op_ok(bio))
		return DM_MAPIO_KILL;
	req->bio = bio;
	req->sector = dm_target_offset(ti, bio->bi_iter.bi_sector);
	req->sectors = bio_sectors(bio);
	req->opf = bio->bi_opf;
	req->dispatched = false;
	req->reissue = false;
	req->status = NULL;
	bio_set_dev(bio, c->dev->bdev);
	if (bio_sectors(bio))
		bio->bi_iter.bi_sector = c->start + req->sector;

	spin_lock_irqsave(&c->lock, flags);
	req->seq = c->next_seq++;
	if (c->state == VMIG_DISK_ST_FENCED || c->state == VMIG_DISK_ST_GONE) {
		spin_unlock_irqrestore(&c->lock, flags);
		/* The disk belongs to the target host now. */
		bio->bi_status = BLK_STS_RESV_CONFLICT;
		bio_endio(bio);
		return DM_MAPIO_SUBMITTED;
	}
	if (list_empty(&c->queue) && vmig_dm_may_dispatch(c, req)) {
		vmig_dm_start(c, req);
		spin_unlock_irqrestore(&c->lock, flags);
		return DM_MAPIO_REMAPPED;
	}
	list_add_tail(&req->list, &c->queue);
	c->queued++;
	vmig_dm_kick(c);
	spin_unlock_irqrestore(&c->lock, flags);
	return DM_MAPIO_SUBMITTED;
}

static int vmig_dm_end_io(struct dm_target *ti, struct bio *bio,
			  blk_status_t *error)
{
	struct vmig_dm_req *req = dm_per_bio_data(bio, sizeof(*req));

	if (req->dispatched)
		vmig_dm_done(ti->private, req, *error);
	return DM_ENDIO_DONE;
}

/*
 * Like dm-delay: nothing the queue holds for the depth may stay held
 * across a suspend, and the flag is set under the lock that map takes, so
 * no bio slips into the queue after we emptied it. IO a hand-off holds
 * (FENCED, INCOMING) stays: suspend waits until it is released, completed
 * or imported.
 */
static void vmig_dm_presuspend(struct dm_target *ti)
{
	struct vmig_dm *c = ti->private;

	spin_lock_irq(&c->lock);
	c->suspending = true;
	vmig_dm_kick(c);
	spin_unlock_irq(&c->lock);
}

static void vmig_dm_postsuspend(struct dm_target *ti)
{
	struct vmig_dm *c = ti->private;

	/* Reissued bios are ours, not DM's: DM did not wait for them. */
	wait_event(c->wait, !READ_ONCE(c->reissue_pending));
	flush_work(&c->dispatch);
}

static void vmig_dm_resume(struct dm_target *ti)
{
	struct vmig_dm *c = ti->private;
	bool gone = vmig_dm_activate(c);

	spin_lock_irq(&c->lock);
	/*
	 * A table loaded over a filter that was handed off stays fenced,
	 * unless it says it is incoming; IO is not let in before this.
	 */
	if (gone && c->state == VMIG_DISK_ST_RUNNING) {
		c->state = VMIG_DISK_ST_GONE;
		DMINFO("%s: replaces a filter that was handed off: gone",
		       vmig_dm_name(c));
	}
	c->suspending = false;
	vmig_dm_kick(c);
	spin_unlock_irq(&c->lock);
}

static void vmig_dm_status(struct dm_target *ti, status_type_t type,
			   unsigned int status_flags, char *result,
			   unsigned int maxlen)
{
	struct vmig_dm *c = ti->private;
	struct vmig_disk_status st;
	unsigned int sz = 0, nr;

	switch (type) {
	case STATUSTYPE_INFO:
		vmig_dm_get_status(c, &st);
		DMEMIT("%s passed %llu held %u inflight %u cancelled %llu reissued %llu errors %u",
		       vmig_disk_state_name(st.state), st.passed, st.held,
		       st.inflight, st.cancelled, st.reissued, st.errors);
		break;
	case STATUSTYPE_TABLE:
		DMEMIT("%s %llu", c->dev->name, (unsigned long long)c->start);
		nr = 2 * c->opt_max_inflight + 2 * c->opt_timeout +
		     2 * !uuid_is_null(&c->disk_uuid) + c->opt_incoming;
		if (nr)
			DMEMIT(" %u", nr);
		if (c->opt_max_inflight)
			DMEMIT(" max_inflight %u", c->max_inflight);
		if (c->opt_timeout)
			DMEMIT(" timeout_ms %u", c->timeout_ms);
		if (!uuid_is_null(&c->disk_uuid))
			DMEMIT(" disk_uuid %pUb", &c->disk_uuid);
		if (c->opt_incoming)
			DMEMIT(" incoming");
		break;
	case STATUSTYPE_IMA:
		*result = '\0';
		break;
	}
}

static int vmig_dm_message(struct dm_target *ti, unsigned int argc,
			   char **argv, char *result, unsigned int maxlen)
{
	struct vmig_dm *c = ti->private;
	struct vmig_disk_result res;
	u32 mode = VMIG_DISK_HANDOFF_CANCEL;
	unsigned int sz = 0, timeout = 0;
	int ret;

	if (!strcasecmp(argv[0], "handoff") && argc <= 3) {
		if (argc >= 2 && !strcasecmp(argv[1], "drain"))
			mode = VMIG_DISK_HANDOFF_DRAIN;
		else if (argc >= 2 && strcasecmp(argv[1], "cancel"))
			goto bad;
		if (argc == 3 && (kstrtouint(argv[2], 10, &timeout) ||
				  !timeout || timeout > VMIG_DM_TIMEOUT_MAX))
			goto bad;
		ret = vmig_dm_handoff(c, mode, timeout, &res);
		if (!ret)
			DMEMIT("completed %u cancelled %u errors %u pkg_len %llu",
			       res.completed, res.cancelled, res.errors,
			       res.pkg_len);
		return ret;
	}
	if (argc != 1)
		goto bad;
	if (!strcasecmp(argv[0], "release"))
		return vmig_dm_release(c);
	if (!strcasecmp(argv[0], "complete"))
		return vmig_dm_complete(c);
	if (!strcasecmp(argv[0], "incoming"))
		return vmig_dm_incoming(c);
bad:
	DMWARN("%s: unrecognised message", vmig_dm_name(c));
	return -EINVAL;
}

/* Discards and write-zeroes fit in a package descriptor too: 1 MiB at most. */
static void vmig_dm_io_hints(struct dm_target *ti, struct queue_limits *limits)
{
	const unsigned int max = VMIG_DISK_IO_MAX >> SECTOR_SHIFT;

	if (limits->max_hw_discard_sectors > max)
		limits->max_hw_discard_sectors = max;
	if (limits->max_discard_sectors > max)
		limits->max_discard_sectors = max;
	if (limits->max_write_zeroes_sectors > max)
		limits->max_write_zeroes_sectors = max;
}

static int vmig_dm_iterate_devices(struct dm_target *ti,
				   iterate_devices_callout_fn fn, void *data)
{
	struct vmig_dm *c = ti->private;

	return fn(ti, c->dev, c->start, ti->len, data);
}

static struct target_type vmig_dm_target = {
	.name = "vmig",
	.version = {1, 0, 0},
	.module = THIS_MODULE,
	.ctr = vmig_dm_ctr,
	.dtr = vmig_dm_dtr,
	.map = vmig_dm_map,
	.end_io = vmig_dm_end_io,
	.presuspend = vmig_dm_presuspend,
	.presuspend_undo = vmig_dm_resume,
	.postsuspend = vmig_dm_postsuspend,
	.resume = vmig_dm_resume,
	.status = vmig_dm_status,
	.message = vmig_dm_message,
	.iterate_devices = vmig_dm_iterate_devices,
	.io_hints = vmig_dm_io_hints,
};

static int __init vmig_dm_init(void)
{
	int ret;

	vmig_dm_wq = alloc_workqueue("vmig_dm", WQ_MEM_RECLAIM, 0);
	if (!vmig_dm_wq)
		return -ENOMEM;
	ret = dm_register_target(&vmig_dm_target);
	if (ret)
		goto err_register;
	ret = vmig_dm_ctl_init();
	if (ret)
		goto err_ctl;
	return 0;

err_ctl:
	dm_unregister_target(&vmig_dm_target);
err_register:
	destroy_workqueue(vmig_dm_wq);
	return ret;
}

static void __exit vmig_dm_exit(void)
{
	vmig_dm_ctl_uninit();
	dm_unregister_target(&vmig_dm_target);
	destroy_workqueue(vmig_dm_wq);
}

module_init(vmig_dm_init);
module_exit(vmig_dm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION(DM_NAME " vmig target: a VM disk's filter for live migration");
MODULE_AUTHOR("The vmig developers");
