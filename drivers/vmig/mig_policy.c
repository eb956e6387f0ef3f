// SPDX-License-Identifier: GPL-2.0
/*
 * The compression policy: with VMIG_COMPRESS_AUTO, whether a stream
 * compresses. The codec itself (LZ4 blocks in records) is wire.c.
 *
 * Compression pays when the link is the bottleneck and costs when the CPU
 * is: LZ4 shrinks text-like pages 2-3x but runs at a fraction of memcpy's
 * speed, and gains nothing on random data. A stream measures, in epochs of
 * VMIG_POLICY_EPOCH_PAGES pages (zero pages cost the same either way and do
 * not count), for each mode: its CPU cost (the epoch's time but for the
 * time spent waiting for the socket or the bandwidth cap) and its ratio
 * (bytes on the wire per guest byte); and, whenever an epoch spent a good
 * part of its time waiting, the rate the link carries. A mode's expected
 * guest throughput is then the lesser of what the CPU can encode and what
 * the link can carry at that ratio, and the stream uses the better mode.
 *
 * Measuring throughput directly would be simpler, but the socket buffer
 * lies: it swallows megabytes at memcpy speed before it pushes back. CPU
 * cost and ratio do not depend on it, so that every VMIG_POLICY_PROBE epochs
 * a short probe (VMIG_POLICY_PROBE_PAGES) of the other mode refreshes them at
 * a cost under 1 % of the pages.
 */
#include "mig.h"

#include <kunit/visibility.h>
#include <linux/math64.h>

/* One epoch in this many is a probe of the mode that lost. */
#define VMIG_POLICY_PROBE 16

/* Epochs without waiting before the link counts as unlimited. */
#define VMIG_POLICY_UNSATURATED 8

static u64 vmig_policy_avg(u64 old, u64 new, bool fresh)
{
	return fresh || !old ? new : (old + new) / 2;
}

/* Expected guest bytes per millisecond in mode @m. */
static u64 vmig_policy_expect(const struct vmig_policy *c, unsigned int m)
{
	/* @cost: ns per 64 KiB of guest data. */
	u64 cpu = div64_u64(65536ULL * NSEC_PER_MSEC, max_t(u64, c->cost[m], 1));

	if (!c->link)
		return cpu;
	/* @ratio: wire bytes per guest byte, times 1024. */
	return min(cpu, div64_u64(c->link * 1024, max_t(u32, c->ratio[m], 1)));
}

/*
 * Account an epoch that encoded @guest bytes into @wire bytes in @ns
 * nanoseconds, @wait_ns of which were spent waiting for the socket or the
 * bandwidth cap, in the current mode; and choose the next epoch's mode.
 */
void vmig_policy_epoch(struct vmig_policy *c, u64 guest, u64 wire, u64 ns,
		       u64 wait_ns)
{
	unsigned int m = c->lz4;
	bool fresh = c->prev != m || !c->epochs;
	u64 cpu_ns = ns > wait_ns ? ns - wait_ns : 1, rate;
	bool best;

	guest = max_t(u64, guest, 1);
	ns = max_t(u64, ns, 1);
	c->cost[m] = vmig_policy_avg(c->cost[m],
				     div64_u64(cpu_ns * 65536, guest), fresh);
	c->ratio[m] = vmig_policy_avg(c->ratio[m],
				      div64_u64(wire * 1024, guest), fresh);
	rate = div64_u64(wire * NSEC_PER_MSEC, ns);
	if (wait_ns * 4 > ns) {
		/* The link (or the cap) held us back: it carries @rate. */
		c->link = vmig_policy_avg(c->link, rate, !c->link);
		c->unsaturated = 0;
	} else {
		/* The link carries at least @rate... */
		if (c->link && rate > c->link)
			c->link = rate;
		/*
		 * ...and, if even raw pages do not fill it, any rate. An LZ4
		 * epoch that does not wait says nothing of the sort: it may
		 * be CPU-bound because it compresses.
		 */
		if (!m && ++c->unsaturated >= VMIG_POLICY_UNSATURATED)
			c->link = 0;
	}
	c->prev = m;
	c->epochs++;
	if (!c->cost[!m]) {
		/* Measure the other mode once before choosing. */
		c->lz4 = !m;
		c->probe = true;
		return;
	}
	best = vmig_policy_expect(c, 1) > vmig_policy_expect(c, 0);
	c->probe = !(c->epochs % VMIG_POLICY_PROBE);
	c->lz4 = c->probe ? !best : best;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_policy_epoch);
