// SPDX-License-Identifier: GPL-2.0
/*
 * dm-vmig: the source side of a hand-off.
 *
 * handoff: stop dispatching (in drain mode, after what is queued), wait
 * for the IO in flight up to the timeout, recording how each one ends,
 * then fence: take what still waits as cancelled, and build the package
 * from the records and the cancelled IO. From then on new IO fails with
 * EBADE. release puts the cancelled IO back at the head of the queue, in
 * order; complete ends it with EREMOTEIO: the target carried it out.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/sort.h>

#include "dm-vmig.h"

#define DM_MSG_PREFIX "vmig"

static u16 vmig_dm_desc_op(const struct vmig_dm_req *req)
{
	switch (req->opf & REQ_OP_MASK) {
	case REQ_OP_READ:
		return VMIG_DISK_OP_READ;
	case REQ_OP_DISCARD:
		return VMIG_DISK_OP_DISCARD;
	case REQ_OP_WRITE_ZEROES:
		return VMIG_DISK_OP_WRITE_ZEROES;
	default:
		return req->sectors ? VMIG_DISK_OP_WRITE : VMIG_DISK_OP_FLUSH;
	}
}

static u16 vmig_dm_desc_flags(blk_opf_t opf)
{
	u16 flags = 0;

	if (opf & REQ_FUA)
		flags |= VMIG_DISK_F_FUA;
	if (opf & REQ_PREFLUSH)
		flags |= VMIG_DISK_F_PREFLUSH;
	if (opf & REQ_SYNC)
		flags |= VMIG_DISK_F_SYNC;
	if (opf & REQ_META)
		flags |= VMIG_DISK_F_META;
	if (opf & REQ_NOUNMAP)
		flags |= VMIG_DISK_F_NOUNMAP;
	return flags;
}

static int vmig_dm_cmp_seq(const void *a, const void *b)
{
	u64 x = le64_to_cpu(((const struct vmig_disk_desc *)a)->seq);
	u64 y = le64_to_cpu(((const struct vmig_disk_desc *)b)->seq);

	return x < y ? -1 : x > y;
}

static void vmig_dm_copy_bio(struct bio *bio, u8 *dst)
{
	struct bvec_iter iter;
	struct bio_vec bv;

	bio_for_each_segment(bv, bio, iter) {
		memcpy_from_bvec(dst, &bv);
		dst += bv.bv_len;
	}
}

/*
 * Build the package of a fenced target from the @nr_done records in
 * @done and the cancelled IO on @c->held. Under @op_lock.
 */
static int vmig_dm_build(struct vmig_dm *c, struct vmig_disk_desc *done,
			 u32 nr_done, u32 mode, u64 next_seq)
{
	struct vmig_disk_pkg *hdr;
	struct vmig_disk_desc *d;
	struct vmig_dm_req *req;
	u64 data_len = 0;
	size_t len;
	u8 *data;
	u32 nr;

	list_for_each_entry(req, &c->held, list)
		if (vmig_dm_desc_op(req) == VMIG_DISK_OP_WRITE)
			data_len += (u64)req->sectors << SECTOR_SHIFT;
	nr = nr_done + c->nr_held;
	len = vmig_disk_pkg_size(nr, data_len);
	if (len > VMIG_DISK_PKG_MAX)
		return -E2BIG;
	hdr = kvzalloc(len, GFP_KERNEL);
	if (!hdr)
		return -ENOMEM;

	hdr->magic = cpu_to_le32(VMIG_DISK_PKG_MAGIC);
	hdr->version = cpu_to_le16(VMIG_DISK_PKG_VERSION);
	hdr->hdr_size = cpu_to_le16(sizeof(*hdr));
	hdr->desc_size = cpu_to_le32(sizeof(*d));
	hdr->nr_descs = cpu_to_le32(nr);
	hdr->mode = cpu_to_le32(mode);
	hdr->nr_sectors = cpu_to_le64(c->ti->len);
	hdr->data_len = cpu_to_le64(data_len);
	hdr->next_seq = cpu_to_le64(next_seq);
	memcpy(hdr->disk_id, &c->disk_uuid, sizeof(hdr->disk_id));

	d = vmig_disk_pkg_descs(hdr);
	sort(done, nr_done, sizeof(*done), vmig_dm_cmp_seq, NULL);
	memcpy(d, done, nr_done * sizeof(*d));
	d += nr_done;
	data = vmig_disk_pkg_data(hdr, nr);
	data_len = 0;
	list_for_each_entry(req, &c->held, list) {
		u16 op = vmig_dm_desc_op(req);

		*d = (struct vmig_disk_desc) {
			.seq = cpu_to_le64(req->seq),
			.sector = cpu_to_le64(req->sector),
			.len = cpu_to_le32(req->sectors << SECTOR_SHIFT),
			.op = cpu_to_le16(op),
			.flags = cpu_to_le16(vmig_dm_desc_flags(req->opf)),
			.kind = cpu_to_le16(VMIG_DISK_CANCELLED),
		};
		if (op == VMIG_DISK_OP_WRITE) {
			d->data_off = cpu_to_le64(data_len);
			vmig_dm_copy_bio(req->bio, data + data_len);
			data_len += (u64)req->sectors << SECTOR_SHIFT;
		}
		d++;
	}
	vmig_disk_pkg_seal(hdr, len);
	c->pkg = hdr;
	c->pkg_len = len;
	return 0;
}

/* Put the cancelled IO back at the head of the queue. Under @op_lock. */
static void vmig_dm_requeue_held(struct vmig_dm *c)
{
	lockdep_assert_held(&c->lock);
	list_splice_init(&c->held, &c->queue);
	c->queued += c->nr_held;
	c->nr_held = 0;
	c->limit_seq = U64_MAX;
	vmig_dm_kick(c);
}

int vmig_dm_handoff(struct vmig_dm *c, u32 mode, u32 timeout_ms,
		    struct vmig_disk_result *res)
{
	bool drain = mode == VMIG_DISK_HANDOFF_DRAIN;
	struct vmig_disk_desc *done;
	u32 cap, nr_done, i;
	u64 next_seq;
	long left;
	int ret;

	memset(res, 0, sizeof(*res));
	if (mode > VMIG_DISK_HANDOFF_DRAIN || timeout_ms > VMIG_DM_TIMEOUT_MAX)
		return -EINVAL;
	if (!mutex_trylock(&c->op_lock))
		return -EBUSY;
	/* Room for a record of everything that may still be dispatched. */
	for (;;) {
		cap = READ_ONCE(c->inflight) + 16;
		if (drain)
			cap += READ_ONCE(c->queued);
		done = kvcalloc(cap, sizeof(*done), GFP_KERNEL);
		ret = -ENOMEM;
		if (!done)
			goto out_unlock;
		spin_lock_irq(&c->lock);
		if (c->inflight + (drain ? c->queued : 0) <= cap)
			break;
		spin_unlock_irq(&c->lock);
		kvfree(done);
	}
	ret = vmig_disk_next_state(c->state, VMIG_DISK_EV_HANDOFF);
	if (ret >= 0 && c->reissue_pending)
		ret = -EBUSY;
	if (ret < 0) {
		spin_unlock_irq(&c->lock);
		kvfree(done);
		goto out_unlock;
	}
	c->state = ret;
	c->limit_seq = drain ? c->next_seq : 0;
	c->done = done;
	c->nr_done = 0;
	c->max_done = cap;
	c->recording = true;
	vmig_dm_kick(c);
	spin_unlock_irq(&c->lock);

	left = wait_event_timeout(c->wait, vmig_dm_quiet(c),
				  msecs_to_jiffies(timeout_ms ?: c->timeout_ms));

	spin_lock_irq(&c->lock);
	c->recording = false;
	c->done = NULL;
	nr_done = c->nr_done;
	if (!left && !vmig_dm_quiet_locked(c)) {
		/* Timed out: undo, the IO goes on here. */
		c->state = vmig_disk_next_state(c->state, VMIG_DISK_EV_ABORT);
		c->limit_seq = U64_MAX;
		vmig_dm_kick(c);
		spin_unlock_irq(&c->lock);
		DMWARN("%s: hand-off timed out, IO goes on", vmig_dm_name(c));
		ret = -ETIMEDOUT;
		goto out_free;
	}
	/* Fence: what waits is cancelled, new IO fails. */
	c->state = vmig_disk_next_state(c->state, VMIG_DISK_EV_FENCE);
	list_splice_init(&c->queue, &c->held);
	c->nr_held = c->queued;
	c->queued = 0;
	c->limit_seq = 0;
	next_seq = c->next_seq;
	spin_unlock_irq(&c->lock);

	ret = vmig_dm_build(c, done, nr_done, mode, next_seq);
	if (ret) {
		/* No package: cancel the hand-off, like release. */
		spin_lock_irq(&c->lock);
		c->state = vmig_disk_next_state(c->state,
						VMIG_DISK_EV_RELEASE);
		vmig_dm_requeue_held(c);
		spin_unlock_irq(&c->lock);
		goto out_free;
	}
	res->completed = nr_done;
	res->cancelled = c->nr_held;
	for (i = 0; i < nr_done; i++)
		if (done[i].error)
			res->errors++;
	res->pkg_len = c->pkg_len;
	if (res->errors)
		DMERR("%s: %u IO waited for by the hand-off failed",
		      vmig_dm_name(c), res->errors);
	spin_lock_irq(&c->lock);
	c->cancelled += c->nr_held;
	spin_unlock_irq(&c->lock);
out_free:
	kvfree(done);
out_unlock:
	mutex_unlock(&c->op_lock);
	return ret;
}

int vmig_dm_export(struct vmig_dm *c, vmig_disk_export_fn fn, void *arg)
{
	int ret;

	ret = mutex_lock_interruptible(&c->op_lock);
	if (ret)
		return ret;
	ret = c->pkg ? fn(arg, c->pkg, c->pkg_len) : -EINVAL;
	mutex_unlock(&c->op_lock);
	return ret;
}

static void vmig_dm_drop_pkg(struct vmig_dm *c)
{
	kvfree(c->pkg);
	c->pkg = NULL;
	c->pkg_len = 0;
}

int vmig_dm_release(struct vmig_dm *c)
{
	int ret;

	if (!mutex_trylock(&c->op_lock))
		return -EBUSY;
	spin_lock_irq(&c->lock);
	ret = vmig_disk_next_state(c->state, VMIG_DISK_EV_RELEASE);
	if (ret >= 0) {
		c->state = ret;
		vmig_dm_requeue_held(c);
		ret = 0;
	}
	spin_unlock_irq(&c->lock);
	if (!ret)
		vmig_dm_drop_pkg(c);
	mutex_unlock(&c->op_lock);
	return ret;
}

/* End the held IO with @status. Under @op_lock, or in the destructor. */
void vmig_dm_fail_held(struct vmig_dm *c, blk_status_t status)
{
	struct vmig_dm_req *req, *tmp;
	LIST_HEAD(list);

	spin_lock_irq(&c->lock);
	list_splice_init(&c->held, &list);
	c->nr_held = 0;
	spin_unlock_irq(&c->lock);
	list_for_each_entry_safe(req, tmp, &list, list) {
		list_del_init(&req->list);
		req->bio->bi_status = status;
		bio_endio(req->bio);
	}
}

int vmig_dm_complete(struct vmig_dm *c)
{
	int ret;

	if (!mutex_trylock(&c->op_lock))
		return -EBUSY;
	spin_lock_irq(&c->lock);
	ret = vmig_disk_next_state(c->state, VMIG_DISK_EV_COMPLETE);
	if (ret >= 0)
		c->state = ret;
	spin_unlock_irq(&c->lock);
	if (ret >= 0) {
		vmig_dm_fail_held(c, BLK_STS_TARGET);
		vmig_dm_drop_pkg(c);
		ret = 0;
	}
	mutex_unlock(&c->op_lock);
	return ret;
}

int vmig_dm_incoming(struct vmig_dm *c)
{
	int ret;

	if (!mutex_trylock(&c->op_lock))
		return -EBUSY;
	spin_lock_irq(&c->lock);
	ret = vmig_disk_next_state(c->state, VMIG_DISK_EV_INCOMING);
	if (ret >= 0 && (c->queued || c->inflight))
		ret = -EBUSY;
	if (ret >= 0) {
		c->state = ret;
		c->limit_seq = 0;
		ret = 0;
	}
	spin_unlock_irq(&c->lock);
	mutex_unlock(&c->op_lock);
	return ret;
}
