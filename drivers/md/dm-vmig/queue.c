// SPDX-License-Identifier: GPL-2.0
/*
 * dm-vmig: holding IO and dispatching it.
 *
 * IO goes straight through while the target is RUNNING, fewer than
 * max_inflight IO are at the backing device and nothing waits before it.
 * Otherwise it waits on the queue, in arrival order, and a work item
 * dispatches it as completions make room. A hand-off stops dispatching
 * by lowering limit_seq: what waits then is what it cancels.
 *
 * Reissued IO keeps the order of the package: while some is in flight, IO
 * that overlaps it, and any flush, waits at the head of the queue.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>

#include "dm-vmig.h"

static bool vmig_dm_overlap(const struct vmig_dm_req *a,
			    const struct vmig_dm_req *b)
{
	return a->sector < b->sector + b->sectors &&
	       b->sector < a->sector + a->sectors;
}

/* May @req go to the backing device now? Under the lock. */
bool vmig_dm_may_dispatch(struct vmig_dm *c, struct vmig_dm_req *req)
{
	struct vmig_dm_req *o;

	lockdep_assert_held(&c->lock);
	if (req->seq >= c->limit_seq && !req->reissue)
		return false;
	if (c->max_inflight && c->inflight >= c->max_inflight &&
	    !c->suspending)
		return false;
	if (list_empty(&c->ordered))
		return true;
	if (req->opf & REQ_PREFLUSH)
		return false;
	list_for_each_entry(o, &c->ordered, olist)
		if (vmig_dm_overlap(o, req))
			return false;
	return true;
}

/* Account @req as dispatched. Under the lock. */
void vmig_dm_start(struct vmig_dm *c, struct vmig_dm_req *req)
{
	lockdep_assert_held(&c->lock);
	req->dispatched = true;
	c->inflight++;
	if (req->reissue)
		list_add_tail(&req->olist, &c->ordered);
	else
		c->passed++;
}

/* Queue the dispatch work. Under the lock. */
void vmig_dm_kick(struct vmig_dm *c)
{
	lockdep_assert_held(&c->lock);
	if (!list_empty(&c->queue))
		queue_work(vmig_dm_wq, &c->dispatch);
}

/*
 * Record a completion for the hand-off that waits for it. Under the lock.
 * The hand-off sized @done for every IO it can see complete.
 */
static void vmig_dm_record(struct vmig_dm *c, struct vmig_dm_req *req,
			   blk_status_t status)
{
	struct vmig_disk_desc *d;
	u16 op, flags = 0;

	if (WARN_ON_ONCE(c->nr_done >= c->max_done))
		return;
	d = &c->done[c->nr_done++];
	switch (req->opf & REQ_OP_MASK) {
	case REQ_OP_READ:
		op = VMIG_DISK_OP_READ;
		break;
	case REQ_OP_DISCARD:
		op = VMIG_DISK_OP_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		op = VMIG_DISK_OP_WRITE_ZEROES;
		break;
	default:
		op = req->sectors ? VMIG_DISK_OP_WRITE : VMIG_DISK_OP_FLUSH;
		break;
	}
	if (req->opf & REQ_FUA)
		flags |= VMIG_DISK_F_FUA;
	if (req->opf & REQ_PREFLUSH)
		flags |= VMIG_DISK_F_PREFLUSH;
	if (req->opf & REQ_SYNC)
		flags |= VMIG_DISK_F_SYNC;
	if (req->opf & REQ_META)
		flags |= VMIG_DISK_F_META;
	if (req->opf & REQ_NOUNMAP)
		flags |= VMIG_DISK_F_NOUNMAP;
	*d = (struct vmig_disk_desc) {
		.seq = cpu_to_le64(req->seq),
		.sector = cpu_to_le64(req->sector),
		.len = cpu_to_le32(req->sectors << SECTOR_SHIFT),
		.op = cpu_to_le16(op),
		.flags = cpu_to_le16(flags),
		.kind = cpu_to_le16(VMIG_DISK_COMPLETED),
		.error = cpu_to_le16(-blk_status_to_errno(status)),
	};
}

/*
 * @req finished at the backing device. Wakes whoever waits for IO and
 * kicks the queue, under the lock: a reissued request's target may be
 * freed as soon as the last one is seen done.
 */
void vmig_dm_done(struct vmig_dm *c, struct vmig_dm_req *req,
		  blk_status_t status)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	c->inflight--;
	if (status)
		c->errors++;
	if (req->reissue) {
		list_del(&req->olist);
		if (req->status)
			*req->status = blk_status_to_errno(status);
		if (status)
			c->reissue_errors++;
		c->reissue_pending--;
	}
	if (c->recording)
		vmig_dm_record(c, req, status);
	vmig_dm_kick(c);
	/* Pairs with the barrier in the waiters' set_current_state(). */
	if (wq_has_sleeper(&c->wait))
		wake_up_all(&c->wait);
	spin_unlock_irqrestore(&c->lock, flags);
}

/* Is a hand-off's wait over? Nothing in flight, nothing to dispatch. */
bool vmig_dm_quiet_locked(struct vmig_dm *c)
{
	struct vmig_dm_req *head;

	lockdep_assert_held(&c->lock);
	head = list_first_entry_or_null(&c->queue, struct vmig_dm_req, list);
	return !c->inflight && (!head || !vmig_dm_may_dispatch(c, head));
}

bool vmig_dm_quiet(struct vmig_dm *c)
{
	bool quiet;

	spin_lock_irq(&c->lock);
	quiet = vmig_dm_quiet_locked(c);
	spin_unlock_irq(&c->lock);
	return quiet;
}

/* The work item: dispatch from the head of the queue while allowed. */
void vmig_dm_dispatch(struct work_struct *work)
{
	struct vmig_dm *c = container_of(work, struct vmig_dm, dispatch);
	struct vmig_dm_req *req;
	struct blk_plug plug;

	blk_start_plug(&plug);
	for (;;) {
		spin_lock_irq(&c->lock);
		req = list_first_entry_or_null(&c->queue, struct vmig_dm_req,
					       list);
		if (!req || !vmig_dm_may_dispatch(c, req)) {
			/* A hand-off may wait for the queue to stop. */
			if (c->state == VMIG_DISK_ST_HANDOFF)
				wake_up_all(&c->wait);
			spin_unlock_irq(&c->lock);
			break;
		}
		list_del(&req->list);
		c->queued--;
		vmig_dm_start(c, req);
		spin_unlock_irq(&c->lock);
		if (req->reissue)
			submit_bio_noacct(req->bio);
		else
			dm_submit_bio_remap(req->bio, NULL);
	}
	blk_finish_plug(&plug);
}

/* The disk's state and counters, for dmsetup status and GET_INFO. */
void vmig_dm_get_status(struct vmig_dm *c, struct vmig_disk_status *st)
{
	spin_lock_irq(&c->lock);
	*st = (struct vmig_disk_status) {
		.state = c->state,
		.max_inflight = c->max_inflight,
		.held = c->queued + c->nr_held,
		.inflight = c->inflight,
		.errors = c->errors,
		.passed = c->passed,
		.cancelled = c->cancelled,
		.reissued = c->reissued,
	};
	spin_unlock_irq(&c->lock);
}
