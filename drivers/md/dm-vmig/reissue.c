// SPDX-License-Identifier: GPL-2.0
/*
 * dm-vmig: the target side of a hand-off.
 *
 * An INCOMING target holds its guest's IO. Import checks the whole
 * package first, then builds a bio for every cancelled write, flush,
 * discard and write-zeroes, and queues them, in package order, ahead of
 * the guest's IO; the queue then lets the guest's IO through behind them,
 * keeping overlapping requests and flushes in order (see
 * queue.c). Cancelled reads are left to the VMM.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/device-mapper.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "dm-vmig.h"

static unsigned int import_wait_s = 60;
module_param(import_wait_s, uint, 0644);
MODULE_PARM_DESC(import_wait_s,
		 "How long VMIG_DISK_IMPORT with WAIT waits for the reissued IO, in seconds (default 60)");

static void vmig_dm_free_req(struct vmig_dm_req *req)
{
	struct bio *bio = req->bio;
	unsigned short i;

	if (bio) {
		for (i = 0; i < bio->bi_vcnt; i++)
			__free_page(bio->bi_io_vec[i].bv_page);
		bio_uninit(bio);
		kfree(bio);
	}
	kfree(req);
}

static void vmig_dm_reissue_end(struct bio *bio)
{
	struct vmig_dm_req *req = bio->bi_private;

	vmig_dm_done(req->c, req, bio->bi_status);
	vmig_dm_free_req(req);
}

static blk_opf_t vmig_dm_opf(u16 op, u16 flags)
{
	blk_opf_t opf;

	switch (op) {
	case VMIG_DISK_OP_DISCARD:
		opf = REQ_OP_DISCARD;
		break;
	case VMIG_DISK_OP_WRITE_ZEROES:
		opf = REQ_OP_WRITE_ZEROES;
		break;
	case VMIG_DISK_OP_FLUSH:
		opf = REQ_OP_WRITE | REQ_PREFLUSH;
		break;
	default:
		opf = REQ_OP_WRITE;
		break;
	}
	if (flags & VMIG_DISK_F_FUA)
		opf |= REQ_FUA;
	if (flags & VMIG_DISK_F_PREFLUSH)
		opf |= REQ_PREFLUSH;
	if (flags & VMIG_DISK_F_SYNC)
		opf |= REQ_SYNC;
	if (flags & VMIG_DISK_F_META)
		opf |= REQ_META;
	if (flags & VMIG_DISK_F_NOUNMAP)
		opf |= REQ_NOUNMAP;
	return opf;
}

/* A request, with its bio and data, for a checked descriptor. */
static struct vmig_dm_req *vmig_dm_reissue_req(struct vmig_dm *c,
					       const struct vmig_disk_desc *d,
					       const u8 *data)
{
	u16 op = le16_to_cpu(d->op);
	u32 len = le32_to_cpu(d->len);
	unsigned short nr_pages = 0;
	struct vmig_dm_req *req;
	struct bio *bio;
	u32 off;

	if (op == VMIG_DISK_OP_WRITE)
		nr_pages = DIV_ROUND_UP(len, PAGE_SIZE);
	/* The package's IO, sized by its peer: charged to the importer. */
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req)
		return NULL;
	bio = bio_kmalloc(nr_pages, GFP_KERNEL_ACCOUNT);
	if (!bio) {
		kfree(req);
		return NULL;
	}
	req->opf = vmig_dm_opf(op, le16_to_cpu(d->flags));
	bio_init(bio, c->dev->bdev, bio->bi_inline_vecs, nr_pages, req->opf);
	req->bio = bio;
	for (off = 0; off < len && nr_pages; off += PAGE_SIZE) {
		struct page *page = alloc_page(GFP_KERNEL_ACCOUNT);
		u32 n = min_t(u32, len - off, PAGE_SIZE);

		if (!page) {
			vmig_dm_free_req(req);
			return NULL;
		}
		memcpy(page_address(page), data + off, n);
		__bio_add_page(bio, page, n, 0);
	}
	if (!nr_pages)
		bio->bi_iter.bi_size = len;
	req->c = c;
	req->reissue = true;
	req->seq = le64_to_cpu(d->seq);
	req->sector = le64_to_cpu(d->sector);
	req->sectors = len >> SECTOR_SHIFT;
	bio->bi_iter.bi_sector = c->start + req->sector;
	bio->bi_end_io = vmig_dm_reissue_end;
	bio->bi_private = req;
	return req;
}

/*
 * With VMIG_DISK_IMPORT_WAIT: wait, at most import_wait_s and until a
 * signal, for the reissued IO. When it is not all done, the import stands
 * and its IO goes on: the filter keeps @statuses, which the IO writes its
 * results to, until it is done (*@statuses is then NULL), and the import
 * fails with -EINTR or -ETIMEDOUT. @statuses may be NULL. Under @op_lock.
 */
static int vmig_dm_import_wait(struct vmig_dm *c, s32 **statuses,
			       struct vmig_disk_result *res)
{
	long left;
	int ret = 0;

	left = wait_event_interruptible_timeout(c->wait,
						!READ_ONCE(c->reissue_pending),
						(long)max(READ_ONCE(import_wait_s), 1U) * HZ);
	spin_lock_irq(&c->lock);
	if (c->reissue_pending) {
		if (statuses) {
			c->orphan = *statuses;
			*statuses = NULL;
		}
		ret = left < 0 ? -EINTR : -ETIMEDOUT;
	}
	res->failed += c->reissue_errors;
	spin_unlock_irq(&c->lock);
	return ret;
}

/*
 * The statuses an interrupted import left (vmig_dm_import_wait()), once
 * their IO is done: -EBUSY while it is not. Under @op_lock.
 */
static int vmig_dm_import_orphan(struct vmig_dm *c)
{
	s32 *orphan;

	spin_lock_irq(&c->lock);
	if (c->reissue_pending) {
		spin_unlock_irq(&c->lock);
		return -EBUSY;
	}
	orphan = c->orphan;
	c->orphan = NULL;
	spin_unlock_irq(&c->lock);
	kvfree(orphan);
	return 0;
}

int vmig_dm_import(struct vmig_dm *c, const void *pkg, size_t len,
		   u32 flags, s32 **statuses, struct vmig_disk_result *res)
{
	const struct vmig_disk_pkg *hdr = pkg;
	s32 *st = statuses ? *statuses : NULL;
	const struct vmig_disk_desc *d;
	struct vmig_dm_req *req, *tmp;
	LIST_HEAD(list);
	u32 i, nr, n = 0;
	const u8 *data;
	int ret;

	memset(res, 0, sizeof(*res));
	if (flags & ~VMIG_DISK_IMPORT_WAIT)
		return -EOPNOTSUPP;
	if (st && !(flags & VMIG_DISK_IMPORT_WAIT))
		return -EINVAL;
	if (!mutex_trylock(&c->op_lock))
		return -EBUSY;
	ret = vmig_dm_import_orphan(c);
	if (ret)
		goto out_unlock;
	spin_lock_irq(&c->lock);
	ret = vmig_disk_next_state(c->state, VMIG_DISK_EV_IMPORT);
	spin_unlock_irq(&c->lock);
	if (ret < 0)
		goto out_unlock;
	ret = vmig_disk_pkg_check(pkg, len, c->ti->len);
	if (ret)
		goto out_unlock;
	/* Made for this disk: the same identity (or none on either side). */
	ret = -EXDEV;
	if (memcmp(hdr->disk_id, &c->disk_uuid, sizeof(hdr->disk_id)))
		goto out_unlock;

	nr = le32_to_cpu(hdr->nr_descs);
	d = vmig_disk_pkg_descs(pkg);
	data = vmig_disk_pkg_data(pkg, nr);
	for (i = 0; i < nr; i++, d++) {
		int error = le16_to_cpu(d->error);

		if (le16_to_cpu(d->kind) == VMIG_DISK_COMPLETED) {
			if (st)
				st[i] = -error;
			if (error)
				res->failed++;
			continue;
		}
		if (le16_to_cpu(d->op) == VMIG_DISK_OP_READ) {
			if (st)
				st[i] = VMIG_DISK_RESUBMIT;
			res->resubmit++;
			continue;
		}
		req = vmig_dm_reissue_req(c, d, data + le64_to_cpu(d->data_off));
		if (!req) {
			ret = -ENOMEM;
			goto out_free;
		}
		req->status = st ? &st[i] : NULL;
		list_add_tail(&req->list, &list);
		n++;
	}

	spin_lock_irq(&c->lock);
	c->state = vmig_disk_next_state(c->state, VMIG_DISK_EV_IMPORT);
	list_splice_init(&list, &c->queue);
	c->queued += n;
	c->reissue_pending += n;
	c->reissue_errors = 0;
	c->reissued += n;
	c->limit_seq = U64_MAX;
	vmig_dm_kick(c);
	spin_unlock_irq(&c->lock);
	res->reissued = n;

	ret = 0;
	if (flags & VMIG_DISK_IMPORT_WAIT)
		ret = vmig_dm_import_wait(c, statuses, res);
	goto out_unlock;

out_free:
	list_for_each_entry_safe(req, tmp, &list, list)
		vmig_dm_free_req(req);
out_unlock:
	mutex_unlock(&c->op_lock);
	return ret;
}
