// SPDX-License-Identifier: GPL-2.0
/*
 * The target side of a migration session: one receiver thread per stream.
 *
 * Everything that arrives is untrusted. A record is checked (header, CRC)
 * before its payload is looked at, every page entry before its data is,
 * and a run of pages is decoded into a bounce buffer and each of its pages
 * checked against its CRC before any is written into the VM's memory, at
 * indices checked against the memory's size. Anything out of place ends the session (EPROTO,
 * EBADMSG); a failed session zeroes the memory it wrote.
 *
 * The streams meet at a barrier at the end of every round, so that a page
 * sent again in a later round, on another stream, lands after the earlier
 * copy. After the final round, stream 0 receives the blob and the digest
 * and answers with ACK.
 */
#include "mig.h"

#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

static int vmig_rx_hello(struct vmig_stream *s, const char **why)
{
	struct vmig_mig *mig = s->mig;
	const struct vmig_wire_hello *h = (void *)(s->rec + 1);
	unsigned int stream, nr;
	bool all;
	int ret;

	*why = "no handshake";
	ret = vmig_sock_recv_rec(s);
	if (ret < 0)
		return ret;
	*why = "bad handshake";
	if (ret != VMIG_REC_HELLO)
		return -EPROTO;
	stream = le16_to_cpu(h->stream);
	nr = le16_to_cpu(h->nr_streams);
	if (h->__reserved)
		return -EBADMSG;
	if (le32_to_cpu(h->magic) != VMIG_WIRE_MAGIC)
		return -EPROTO;
	*why = "the source speaks another wire version";
	if (le16_to_cpu(h->version) != VMIG_WIRE_VERSION)
		return -EPROTO;
	*why = "bad handshake";
	if (le16_to_cpu(h->page_shift) != PAGE_SHIFT ||
	    le32_to_cpu(h->flags) & ~VMIG_HELLO_VERIFY ||
	    !nr || nr > VMIG_MIG_MAX_STREAMS || stream >= nr)
		return -EPROTO;
	*why = "memory sizes differ";
	if (le64_to_cpu(h->nr_pages) != mig->vm->nr_pages)
		return -EMSGSIZE;

	*why = "streams disagree";
	spin_lock(&mig->lock);
	ret = 0;
	if (!mig->nr_streams) {
		mig->nr_streams = nr;
		mig->session = le64_to_cpu(h->session);
		if (le32_to_cpu(h->flags) & VMIG_HELLO_VERIFY)
			mig->params.flags |= VMIG_MIG_VERIFY;
	} else if (nr != mig->nr_streams ||
		   le64_to_cpu(h->session) != mig->session ||
		   !!(le32_to_cpu(h->flags) & VMIG_HELLO_VERIFY) !=
		   !!(mig->params.flags & VMIG_MIG_VERIFY)) {
		ret = -EPROTO;
	}
	if (!ret && (__test_and_set_bit(stream, &mig->dst.hellos) ||
		     mig->attached > nr))
		ret = -EPROTO;
	s->index = stream;
	all = hweight_long(mig->dst.hellos) == nr;
	if (all)
		mig->dst.round_ns = ktime_get_ns();
	spin_unlock(&mig->lock);
	if (!ret && all)
		vmig_mig_move(mig, BIT(VMIG_MIG_STATE_CONNECTING), VMIG_MIG_STATE_ACTIVE);
	return ret;
}

/* Write page @i of a checked, decoded entry into the memory. */
static int vmig_rx_store(struct vmig_stream *s, const struct vmig_wire_page *d,
			 unsigned int i)
{
	struct vmig_vm *vm = s->mig->vm;
	unsigned long idx = le64_to_cpu(d->index) + i;
	struct page *page;

	if (le16_to_cpu(d->encoding) == VMIG_PAGE_ZERO) {
		page = vmig_mem_peek(vm, idx);
		if (page)
			clear_highpage(page);
		return 0;
	}
	page = vmig_mem_page(vm, idx);
	if (!page)
		return -ENOMEM;
	memcpy_to_page(page, 0, (u8 *)s->bounce + i * PAGE_SIZE, PAGE_SIZE);
	return 0;
}

static int vmig_rx_pages(struct vmig_stream *s, const char **why)
{
	struct vmig_mig *mig = s->mig;
	u32 len = le32_to_cpu(s->rec->len), off = 0;
	struct vmig_wire_page d;
	const void *data;
	int ret, n, i;

	*why = "bad page";
	while ((ret = vmig_wire_pages_next(s->rec + 1, len, &off,
					   mig->vm->nr_pages, &d, &data)) > 0) {
		n = vmig_wire_decode_run(&d, data, s->bounce, s->dctx);
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			ret = vmig_rx_store(s, &d, i);
			if (ret)
				return ret;
			mig->crcs[le64_to_cpu(d.index) + i] =
				vmig_wire_run_crc(&d, data, i);
		}
		vmig_mig_count(mig, le16_to_cpu(d.encoding), n);
		s->round_pages += n;
	}
	cond_resched();
	return ret;
}

static unsigned int max_rounds_in = 10000;
module_param(max_rounds_in, uint, 0644);
MODULE_PARM_DESC(max_rounds_in,
		 "Fail an incoming migration whose source sends more rounds than this (default 10000)");

/*
 * The end of a round on this stream: check it, then wait for the other
 * streams. Sets *@final after the final round.
 */
static int vmig_rx_round_end(struct vmig_stream *s, bool *final,
			     const char **why)
{
	const struct vmig_wire_round_end *re = (void *)(s->rec + 1);
	struct vmig_mig *mig = s->mig;
	u32 round = s->round;
	int ret = 0;

	*why = "bad end of round";
	if (le32_to_cpu(re->flags) & ~VMIG_ROUND_FINAL)
		return -EBADMSG;
	if (le32_to_cpu(re->round) != round ||
	    le64_to_cpu(re->pages) != s->round_pages)
		return -EPROTO;
	*final = le32_to_cpu(re->flags) & VMIG_ROUND_FINAL;
	/* Empty rounds, endlessly, would hold the session forever. */
	*why = "more rounds than max_rounds_in";
	if (!*final && round + 1 >= max(READ_ONCE(max_rounds_in), 1U))
		return -ETIMEDOUT;
	*why = "bad end of round";

	spin_lock(&mig->lock);
	if (!mig->dst.arrived)
		mig->dst.barrier_final = *final;
	else if (mig->dst.barrier_final != *final)
		ret = -EPROTO;
	if (!ret && ++mig->dst.arrived == mig->nr_streams) {
		mig->dst.arrived = 0;
		mig->dst.rounds_done = round + 1;
		if (*final) {
			mig->dst.final_round = round;
			mig->switch_ns = mig->dst.round_ns;
			vmig_mig_switch_begins(mig);
		}
		mig->dst.round_ns = ktime_get_ns();
		wake_up_all(&mig->wq);
	}
	spin_unlock(&mig->lock);
	if (ret)
		return ret;
	if (*final)
		vmig_mig_move(mig, BIT(VMIG_MIG_STATE_ACTIVE), VMIG_MIG_STATE_SWITCHOVER);
	*why = "the other streams did not end the round";
	if (!wait_event_interruptible_timeout(mig->wq,
					      READ_ONCE(mig->dst.rounds_done) > round ||
					      vmig_mig_stopping(mig),
					      vmig_stream_timeout()))
		return -ETIMEDOUT;
	if (vmig_mig_stopping(mig))
		return -ECANCELED;
	s->round++;
	s->round_pages = 0;
	return 0;
}

/* A piece of the blob. */
static int vmig_rx_blob(struct vmig_stream *s)
{
	const struct vmig_wire_blob *b = (void *)(s->rec + 1);
	u32 len = le32_to_cpu(s->rec->len) - sizeof(*b);
	u64 total = le64_to_cpu(b->total), off = le64_to_cpu(b->offset);
	struct vmig_mig *mig = s->mig;
	void *blob = mig->blob;

	if (total > VMIG_BLOB_MAX || len > total || off > total - len)
		return -EBADMSG;
	if (!blob) {
		if (off)
			return -EPROTO;
		blob = kvmalloc(total, GFP_KERNEL_ACCOUNT);
		if (!blob)
			return -ENOMEM;
		spin_lock(&mig->lock);
		mig->blob = blob;
		mig->blob_len = total;
		spin_unlock(&mig->lock);
	} else if (total != mig->blob_len || off != mig->dst.blob_got) {
		return -EPROTO;
	}
	memcpy(blob + off, b + 1, len);
	mig->dst.blob_got += len;
	return 0;
}

/* After the final round, on stream 0: the blob, END, and our ACK. */
static int vmig_rx_finish(struct vmig_stream *s, const char **why)
{
	const struct vmig_wire_end *end = (void *)(s->rec + 1);
	struct vmig_mig *mig = s->mig;
	struct vmig_wire_ack ack = {};
	u32 digest;
	int ret;

	for (;;) {
		*why = "bad device state";
		ret = vmig_sock_recv_rec(s);
		if (ret < 0)
			return ret;
		if (ret == VMIG_REC_END)
			break;
		if (ret != VMIG_REC_BLOB)
			return -EPROTO;
		ret = vmig_rx_blob(s);
		if (ret)
			return ret;
	}
	*why = "bad end";
	if (end->__reserved)
		return -EBADMSG;
	if (le64_to_cpu(end->blob_len) != mig->blob_len ||
	    mig->dst.blob_got != mig->blob_len)
		return -EPROTO;
	digest = vmig_mig_digest(mig, mig->params.flags & VMIG_MIG_VERIFY);
	ack.digest = cpu_to_le32(digest);
	if (digest != le32_to_cpu(end->digest))
		ack.status = cpu_to_le32(EIO);
	ret = vmig_sock_send_rec(s, VMIG_REC_ACK, &ack, sizeof(ack));
	*why = "the memory digests differ";
	if (!ret && ack.status)
		ret = -EIO;
	return ret;
}

static void vmig_rx_run(void *data)
{
	struct vmig_stream *s = data;
	struct vmig_mig *mig = s->mig;
	bool final = false;
	const char *why;
	int ret;

	ret = vmig_rx_hello(s, &why);
	while (!ret && !final) {
		why = "cannot receive";
		ret = vmig_sock_recv_rec(s);
		if (ret < 0)
			break;
		switch (ret) {
		case VMIG_REC_PAGES:
			ret = vmig_rx_pages(s, &why);
			break;
		case VMIG_REC_ROUND_END:
			ret = vmig_rx_round_end(s, &final, &why);
			break;
		default:
			why = "unexpected record";
			ret = -EPROTO;
		}
	}
	if (!ret && s->index == 0)
		ret = vmig_rx_finish(s, &why);
	if (ret) {
		vmig_mig_fail(mig, ret, why);
		return;
	}
	if (s->index == 0) {
		spin_lock(&mig->lock);
		mig->st.downtime_ns = ktime_get_ns() - mig->switch_ns;
		spin_unlock(&mig->lock);
		vmig_mig_done(mig);
	}
}

/* A target stream's thread; guest pages and the blob are the VMM's. */
int vmig_rx_stream(void *data)
{
	struct vmig_stream *s = data;

	return vmig_mig_thread_run(s->mig, vmig_rx_run, s);
}
