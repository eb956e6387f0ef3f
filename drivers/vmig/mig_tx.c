// SPDX-License-Identifier: GPL-2.0
/*
 * The source side of a migration session: a coordinator thread that runs
 * rounds, and one sender thread per stream.
 *
 * Each round, the coordinator harvests the dirty log of the whole memory
 * into mig->src.bits (round 0: every page) and bumps mig->src.seq; the senders take
 * chunks of VMIG_CHUNK_PAGES pages from it until none is left, copy each
 * dirty page to a bounce buffer (the guest may write it meanwhile: a write
 * after the harvest is reported by the next one), gather runs of up to
 * VMIG_WIRE_MAX_RUN neighbouring pages that are not zero, encode each run
 * as one compressed block (or raw pages) and send it, then end the round
 * on their stream with ROUND_END. The last sender to finish
 * wakes the coordinator, which updates the estimates and decides: another
 * round, ready, stalled. After VMIG_MIG_STATE_SWITCHOVER the next round is the
 * final one, harvested after the guest stopped; then stream 0 carries the
 * blob and the digest, and waits for the target's ACK.
 *
 * A switchover requested while a round is sent cuts that round short: the
 * senders take no new chunk, and the pages of the chunks nobody took are
 * carried (mig->src.carry) into the final round, which sends them with what
 * the guest dirtied since. The guest waits for the final round only.
 */
#include "mig.h"

#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/math64.h>

/* Rounds start at most this often while the guest runs. */
#define VMIG_ROUND_MIN_NS (20 * NSEC_PER_MSEC)

/* A bandwidth cap lets this much sending time pile up while idle. */
#define VMIG_THROTTLE_BURST_NS (10 * NSEC_PER_MSEC)

/* Wait until the bandwidth cap lets @len more bytes go. */
static void vmig_tx_throttle(struct vmig_mig *mig, u64 len)
{
	u64 cap = mig->params.max_bandwidth, cost, now, old, next;

	if (!cap)
		return;
	cost = mul_u64_u64_div_u64(len, NSEC_PER_SEC, cap);
	now = ktime_get_ns();
	old = atomic64_read(&mig->src.throttle_ns);
	do {
		next = max(old, now - VMIG_THROTTLE_BURST_NS) + cost;
	} while (!atomic64_try_cmpxchg(&mig->src.throttle_ns, &old, next));
	if (next - cost > now)
		wait_event_interruptible_timeout(mig->wq,
						 vmig_mig_stopping(mig),
						 nsecs_to_jiffies(next - cost -
								  now) + 1);
}

/* Send the PAGES record being built, if any. */
static int vmig_tx_flush(struct vmig_stream *s)
{
	u64 t0;
	int ret;

	if (!s->used)
		return 0;
	t0 = ktime_get_ns();
	vmig_tx_throttle(s->mig, sizeof(*s->rec) + s->used);
	vmig_wire_rec_seal(s->rec, VMIG_REC_PAGES, s->rec + 1, s->used);
	ret = vmig_sock_send(s, s->rec, sizeof(*s->rec) + s->used);
	s->used = 0;
	/* Copying into the socket counts too: it is small beside waiting. */
	s->epoch_wait_ns += ktime_get_ns() - t0;
	return ret;
}

static void vmig_tx_account(struct vmig_stream *s, u16 encoding,
			    unsigned int n)
{
	s->round_pages += n;
	vmig_mig_count(s->mig, encoding, n);
	/* Zero pages cost the same in every mode: they do not count. */
	if (encoding == VMIG_PAGE_ZERO)
		return;
	s->epoch_bytes += n * PAGE_SIZE;
	s->epoch_pages += n;
}

static void vmig_tx_epoch_reset(struct vmig_stream *s, u64 now)
{
	s->epoch_pages = 0;
	s->epoch_bytes = 0;
	s->epoch_wire = 0;
	s->epoch_wait_ns = 0;
	s->epoch_ns = now;
}

/*
 * With automatic compression, at the end of an epoch: send what it encoded,
 * so that its time includes sending its own data, and choose the mode of
 * the next one.
 */
static int vmig_tx_epoch(struct vmig_stream *s)
{
	u64 now;
	int ret;

	if (s->mig->params.compress != VMIG_COMPRESS_AUTO ||
	    s->epoch_pages < vmig_policy_epoch_pages(&s->choice))
		return 0;
	ret = vmig_tx_flush(s);
	if (ret)
		return ret;
	now = ktime_get_ns();
	vmig_policy_epoch(&s->choice, s->epoch_bytes, s->epoch_wire,
			  now - s->epoch_ns, s->epoch_wait_ns);
	vmig_tx_epoch_reset(s, now);
	return 0;
}

/* Make room for @len more bytes in the record being built. */
static int vmig_tx_room(struct vmig_stream *s, size_t len)
{
	if (s->used + len <= VMIG_WIRE_MAX_PAYLOAD)
		return 0;
	return vmig_tx_flush(s);
}

/* Encode the run gathered in the bounce buffer, if any, into the record. */
static int vmig_tx_run(struct vmig_stream *s)
{
	unsigned int n = s->run_n;
	u16 used;
	size_t len;
	int ret;

	if (!n)
		return 0;
	s->run_n = 0;
	ret = vmig_tx_room(s, VMIG_WIRE_RUN_ROOM(n));
	if (ret)
		return ret;
	len = vmig_wire_encode_run(s->bounce, n, s->run_first, s->run_crcs,
				   &s->codec, vmig_policy_encoding(&s->choice),
				   (u8 *)(s->rec + 1) + s->used, &used);
	s->used += len;
	s->epoch_wire += len;
	vmig_tx_account(s, used, n);
	return vmig_tx_epoch(s);
}

/* The pages a run may have in the current mode: raw pages go one by one. */
static unsigned int vmig_tx_run_max(const struct vmig_stream *s)
{
	return s->choice.mode ? VMIG_WIRE_MAX_RUN : 1;
}

/* Add page @idx to the run being gathered, or to the record if zero. */
static int vmig_tx_page(struct vmig_stream *s, unsigned long idx)
{
	struct vmig_mig *mig = s->mig;
	struct page *page;
	void *slot;
	u32 crc;
	int ret;

	page = vmig_mem_peek(mig->vm, idx);
	/* Never written: zero, and so is the target's (vmig_mem_discard()). */
	if (!page)
		return 0;
	if (s->run_n && idx != s->run_first + s->run_n) {
		ret = vmig_tx_run(s);
		if (ret)
			return ret;
	}
	slot = (u8 *)s->bounce + s->run_n * PAGE_SIZE;
	memcpy_from_page(slot, page, 0, PAGE_SIZE);
	crc = vmig_wire_page_crc(slot);
	mig->crcs[idx] = crc;
	if (vmig_wire_page_zero(slot)) {
		ret = vmig_tx_room(s, sizeof(struct vmig_wire_page));
		if (ret)
			return ret;
		s->used += vmig_wire_encode_zero(idx, crc, (u8 *)(s->rec + 1) +
						 s->used);
		vmig_tx_account(s, VMIG_PAGE_ZERO, 1);
		return 0;
	}
	if (!s->run_n)
		s->run_first = idx;
	s->run_crcs[s->run_n++] = crc;
	return s->run_n >= vmig_tx_run_max(s) ? vmig_tx_run(s) : 0;
}

/* Send this stream's share of the round, then its ROUND_END. */
static int vmig_tx_round(struct vmig_stream *s, u32 round, bool final)
{
	struct vmig_mig *mig = s->mig;
	unsigned long nr = mig->vm->nr_pages, c, i, end;
	struct vmig_wire_round_end re = {};
	int ret;

	s->round_pages = 0;
	vmig_tx_epoch_reset(s, ktime_get_ns());
	/* Every chunk taken is sent: the coordinator carries the rest. */
	while ((final || !READ_ONCE(mig->src.switch_requested)) &&
	       (c = atomic_long_fetch_inc(&mig->src.next_chunk)) <
	       DIV_ROUND_UP(nr, VMIG_CHUNK_PAGES)) {
		if (vmig_mig_stopping(mig))
			return -ECANCELED;
		end = min(nr, (c + 1) * VMIG_CHUNK_PAGES);
		for (i = find_next_bit(mig->src.bits, end, c * VMIG_CHUNK_PAGES);
		     i < end; i = find_next_bit(mig->src.bits, end, i + 1)) {
			ret = vmig_tx_page(s, i);
			if (ret)
				return ret;
		}
		cond_resched();
	}
	ret = vmig_tx_run(s);
	if (!ret)
		ret = vmig_tx_flush(s);
	if (ret)
		return ret;
	re.round = cpu_to_le32(round);
	re.flags = cpu_to_le32(final ? VMIG_ROUND_FINAL : 0);
	re.pages = cpu_to_le64(s->round_pages);
	return vmig_sock_send_rec(s, VMIG_REC_ROUND_END, &re, sizeof(re));
}

static void vmig_tx_run_stream(void *data)
{
	struct vmig_stream *s = data;
	struct vmig_mig *mig = s->mig;
	struct vmig_wire_hello h = {
		.magic = cpu_to_le32(VMIG_WIRE_MAGIC),
		.version = cpu_to_le16(VMIG_WIRE_VERSION),
		.page_shift = cpu_to_le16(PAGE_SHIFT),
		.stream = cpu_to_le16(s->index),
		.nr_streams = cpu_to_le16(mig->nr_streams),
		.nr_pages = cpu_to_le64(mig->vm->nr_pages),
		.session = cpu_to_le64(mig->session),
	};
	u32 seen = 0, round;
	bool final;
	int ret;

	if (mig->params.flags & VMIG_MIG_VERIFY)
		h.flags = cpu_to_le32(VMIG_HELLO_VERIFY);
	ret = vmig_sock_send_rec(s, VMIG_REC_HELLO, &h, sizeof(h));
	while (!ret) {
		wait_event_interruptible(mig->wq, READ_ONCE(mig->src.seq) != seen ||
					 vmig_mig_stopping(mig));
		if (vmig_mig_stopping(mig))
			return;
		spin_lock(&mig->lock);
		seen = mig->src.seq;
		round = mig->round;
		final = mig->src.final;
		spin_unlock(&mig->lock);
		ret = vmig_tx_round(s, round, final);
		if (ret)
			break;
		spin_lock(&mig->lock);
		if (!--mig->src.busy)
			wake_up_all(&mig->wq);
		spin_unlock(&mig->lock);
		if (final)
			return;
	}
	vmig_mig_fail(mig, ret, "cannot send");
}

/* A source stream's thread. */
int vmig_tx_stream(void *data)
{
	struct vmig_stream *s = data;

	return vmig_mig_thread_run(s->mig, vmig_tx_run_stream, s);
}

/* After a round: update the estimates and the state. */
static void vmig_tx_estimate(struct vmig_mig *mig, u32 round)
{
	u64 pages = atomic64_read(&mig->st.pages_sent), bpp, dirty, rate;
	u64 expected = U64_MAX;
	long peek;

	peek = vmig_track_dirty_count(mig->vm);
	dirty = peek > 0 ? peek : 0;
	bpp = pages ? div64_u64(mig->src.wire_bytes_rounds, pages) : PAGE_SIZE;
	rate = mig->src.wire_ns ?
	       mul_u64_u64_div_u64(mig->src.wire_bytes_rounds, NSEC_PER_SEC,
				   mig->src.wire_ns) : 0;
	if (rate)
		expected = mul_u64_u64_div_u64(dirty * bpp, MSEC_PER_SEC, rate);
	spin_lock(&mig->lock);
	mig->st.link_rate = rate;
	mig->st.expected_downtime_ms = expected;
	mig->st.pages_remaining = dirty;
	spin_unlock(&mig->lock);

	if (expected <= mig->params.downtime_ms) {
		vmig_mig_move(mig, BIT(VMIG_MIG_STATE_ACTIVE) | BIT(VMIG_MIG_STATE_STALLED),
			      VMIG_MIG_STATE_READY);
	} else if (round + 1 >= mig->params.max_rounds ||
		   (mig->params.max_precopy_ms &&
		    ktime_get_ns() - mig->start_ns >=
		    (u64)mig->params.max_precopy_ms * NSEC_PER_MSEC)) {
		vmig_mig_move(mig, BIT(VMIG_MIG_STATE_ACTIVE), VMIG_MIG_STATE_STALLED);
	}
}

/*
 * After a round cut short by a switchover: keep the pages of the chunks no
 * sender took for the final round.
 */
static void vmig_tx_carry(struct vmig_mig *mig)
{
	unsigned long nr = mig->vm->nr_pages, i;
	unsigned long first = atomic_long_read(&mig->src.next_chunk) *
			      VMIG_CHUNK_PAGES;

	if (first >= nr)
		return;
	bitmap_zero(mig->src.carry, nr);
	for (i = find_next_bit(mig->src.bits, nr, first); i < nr;
	     i = find_next_bit(mig->src.bits, nr, i + 1))
		__set_bit(i, mig->src.carry);
	mig->src.carried = true;
}

/* Run one round on the senders; false when the session ends meanwhile. */
static bool vmig_tx_run_round(struct vmig_mig *mig, u32 round, bool final,
			      u64 *prev_ns)
{
	u64 t0 = ktime_get_ns(), bytes0, t1, sent;
	long n;

	n = vmig_track_collect(mig->vm, mig->src.bits);
	if (n < 0) {
		vmig_mig_fail(mig, n, "tracking stopped");
		return false;
	}
	if (mig->src.carried) {
		bitmap_or(mig->src.bits, mig->src.bits, mig->src.carry, mig->vm->nr_pages);
		n = bitmap_weight(mig->src.bits, mig->vm->nr_pages);
		mig->src.carried = false;
	}
	bytes0 = atomic64_read(&mig->st.bytes_wire);
	spin_lock(&mig->lock);
	if (round)
		mig->st.dirty_rate = mul_u64_u64_div_u64(n, NSEC_PER_SEC,
							 max(t0 - *prev_ns, 1ULL));
	mig->st.pages_remaining = n;
	mig->st.round_sent0 = atomic64_read(&mig->st.pages_sent);
	mig->round = round;
	mig->src.final = final;
	mig->src.busy = mig->nr_streams;
	atomic_long_set(&mig->src.next_chunk, 0);
	mig->src.seq++;
	spin_unlock(&mig->lock);
	*prev_ns = t0;
	wake_up_all(&mig->wq);

	wait_event_interruptible(mig->wq, !READ_ONCE(mig->src.busy) ||
				 vmig_mig_stopping(mig));
	if (vmig_mig_stopping(mig))
		return false;
	/*
	 * Order the senders' work (mig->crcs) before what follows; what the
	 * round sent is no longer remaining.
	 */
	spin_lock(&mig->lock);
	sent = atomic64_read(&mig->st.pages_sent) - mig->st.round_sent0;
	mig->st.pages_remaining -= min(sent, mig->st.pages_remaining);
	spin_unlock(&mig->lock);
	if (!final)
		vmig_tx_carry(mig);
	t1 = ktime_get_ns();
	mig->src.wire_ns += t1 - t0;
	mig->src.wire_bytes_rounds += atomic64_read(&mig->st.bytes_wire) - bytes0;
	return true;
}

/* The end: the blob and the digest on stream 0, then the target's ACK. */
static int vmig_tx_finish(struct vmig_mig *mig, const char **why)
{
	const size_t room = VMIG_WIRE_MAX_PAYLOAD - sizeof(struct vmig_wire_blob);
	struct vmig_stream *s = &mig->streams[0];
	struct vmig_wire_end end = {};
	struct vmig_wire_ack *ack;
	u64 off;
	int ret;

	*why = "cannot send the device state";
	for (off = 0; off < mig->blob_len; off += room) {
		struct vmig_wire_blob *b = (void *)(s->rec + 1);
		size_t len = min_t(u64, room, mig->blob_len - off);

		b->total = cpu_to_le64(mig->blob_len);
		b->offset = cpu_to_le64(off);
		memcpy(b + 1, mig->blob + off, len);
		vmig_tx_throttle(mig, sizeof(*s->rec) + sizeof(*b) + len);
		vmig_wire_rec_seal(s->rec, VMIG_REC_BLOB, b, sizeof(*b) + len);
		ret = vmig_sock_send(s, s->rec,
				     sizeof(*s->rec) + sizeof(*b) + len);
		if (ret)
			return ret;
	}
	end.digest = cpu_to_le32(vmig_mig_digest(mig, mig->params.flags &
						 VMIG_MIG_VERIFY));
	end.blob_len = cpu_to_le64(mig->blob_len);
	/* From here a cancel could leave the target done and us not. */
	spin_lock(&mig->lock);
	if (mig->stopping) {
		spin_unlock(&mig->lock);
		return -ECANCELED;
	}
	mig->src.end_sent = true;
	spin_unlock(&mig->lock);
	ret = vmig_sock_send_rec(s, VMIG_REC_END, &end, sizeof(end));
	if (ret)
		return ret;

	*why = "no acknowledgment from the target";
	ret = vmig_sock_recv_rec(s);
	if (ret < 0)
		return ret;
	if (ret != VMIG_REC_ACK)
		return -EPROTO;
	ack = (void *)(s->rec + 1);
	*why = "the target refused the memory";
	if (ack->status)
		return le32_to_cpu(ack->status) < MAX_ERRNO ?
		       -(int)le32_to_cpu(ack->status) : -EPROTO;
	*why = "the memory digests differ";
	if (ack->digest != end.digest)
		return -EIO;
	return 0;
}

/* Wait @ns before the next round, unless the switchover comes first. */
static void vmig_tx_pace(struct vmig_mig *mig, u64 ns)
{
	wait_event_interruptible_timeout(mig->wq,
					 READ_ONCE(mig->src.switch_requested) ||
					 vmig_mig_stopping(mig),
					 nsecs_to_jiffies(ns));
}

static void vmig_tx_run_coord(void *data)
{
	struct vmig_mig *mig = data;
	u64 prev_ns = 0, t0;
	const char *why;
	u32 round;
	bool final;
	int ret;

	for (round = 0;; round++) {
		spin_lock(&mig->lock);
		final = mig->src.switch_requested;
		spin_unlock(&mig->lock);
		t0 = ktime_get_ns();
		if (!vmig_tx_run_round(mig, round, final, &prev_ns))
			return;
		if (final)
			break;
		vmig_tx_estimate(mig, round);
		t0 = ktime_get_ns() - t0;
		if (t0 < VMIG_ROUND_MIN_NS)
			vmig_tx_pace(mig, VMIG_ROUND_MIN_NS - t0);
	}
	ret = vmig_tx_finish(mig, &why);
	if (ret) {
		vmig_mig_fail(mig, ret, why);
		return;
	}
	spin_lock(&mig->lock);
	mig->st.downtime_ns = ktime_get_ns() - mig->switch_ns;
	mig->st.pages_remaining = 0;
	spin_unlock(&mig->lock);
	vmig_mig_done(mig);
}

/* The source's coordinator thread: the rounds, the switchover, the end. */
int vmig_tx_coord(void *data)
{
	return vmig_mig_thread_run(data, vmig_tx_run_coord, data);
}
