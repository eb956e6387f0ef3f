// SPDX-License-Identifier: GPL-2.0
/*
 * The compression policy: with VMIG_COMPRESS_AUTO, how a stream encodes:
 * raw, LZ4 or zstd. The codec itself (compressed runs in records) is
 * wire.c.
 *
 * Compression pays when the link is the bottleneck and costs when the CPU
 * is: LZ4 shrinks text-like pages 2-3x but runs at a fraction of memcpy's
 * speed, zstd shrinks them further at a few times LZ4's cost, and neither
 * gains anything on random data. A stream measures, in epochs of
 * VMIG_POLICY_EPOCH_PAGES pages (zero pages cost the same either way and do
 * not count), for each mode: its CPU cost (the epoch's time but for the
 * time spent waiting for the socket or the bandwidth cap) and its ratio
 * (bytes on the wire per guest byte); and, whenever its last epochs spent a
 * good part of their time waiting, the rate the link carried over them. A mode's expected
 * guest throughput is then the lesser of what the CPU can encode and what
 * the link can carry at that ratio, and the stream uses the best mode.
 *
 * Measuring throughput directly would be simpler, but the socket buffer
 * lies: it swallows megabytes at memcpy speed before it pushes back. CPU
 * cost and ratio do not depend on it, so that every VMIG_POLICY_PROBE epochs
 * a short probe (VMIG_POLICY_PROBE_PAGES) of one of the other modes, in
 * turn, refreshes them at a cost under 1 % of the pages.
 */
#include "mig.h"

#include <kunit/visibility.h>
#include <linux/math64.h>

/* One epoch in this many is a probe of the mode that lost. */
#define VMIG_POLICY_PROBE 16

/* The link's rate is measured over about this many epochs. */
#define VMIG_POLICY_WINDOW 8

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
	unsigned int m = c->mode, i, best = 0;
	bool fresh = c->prev != m || !c->epochs;
	u64 cpu_ns = ns > wait_ns ? ns - wait_ns : 1, rate, e, best_e = 0;

	guest = max_t(u64, guest, 1);
	ns = max_t(u64, ns, 1);
	c->cost[m] = vmig_policy_avg(c->cost[m],
				     div64_u64(cpu_ns * 65536, guest), fresh);
	c->ratio[m] = vmig_policy_avg(c->ratio[m],
				      div64_u64(wire * 1024, guest), fresh);
	/*
	 * The link's rate over the last epochs, each older one weighing 7/8
	 * of the next. A socket's writer sleeps until half its buffer is free,
	 * then writes megabytes at CPU speed: one epoch waits a long time and
	 * the next few not at all, and only their sum tells the link's rate.
	 */
	c->win_wire += wire - c->win_wire / VMIG_POLICY_WINDOW;
	c->win_ns += ns - c->win_ns / VMIG_POLICY_WINDOW;
	c->win_wait += wait_ns - c->win_wait / VMIG_POLICY_WINDOW;
	if (c->win_wait * 4 > c->win_ns) {
		/* The link (or the cap) held us back: it carries that much. */
		c->link = div64_u64(c->win_wire * NSEC_PER_MSEC,
				    max_t(u64, c->win_ns, 1));
		c->unsaturated = 0;
	} else {
		/*
		 * Lately the link has not held us back: it carries at least
		 * this epoch's @rate. That may still be a burst into a
		 * bucket (a shaper's, the socket buffer) at CPU speed, so the
		 * estimate at most doubles per epoch.
		 */
		rate = div64_u64(wire * NSEC_PER_MSEC, ns);
		if (c->link && rate > c->link)
			c->link = min(rate, 2 * c->link);
		/*
		 * ...and, if even raw pages do not fill it, any rate. A
		 * compressed epoch that does not wait says nothing of the
		 * sort: it may be CPU-bound because it compresses.
		 */
		if (!m && ++c->unsaturated >= VMIG_POLICY_UNSATURATED)
			c->link = 0;
	}
	c->prev = m;
	c->epochs++;
	for (i = 0; i < VMIG_POLICY_MODES; i++) {
		if (!c->cost[i]) {
			/* Measure every mode once before choosing. */
			c->mode = i;
			c->probe = true;
			return;
		}
		/* A tie (the link bounds both) goes to the cheaper mode. */
		e = vmig_policy_expect(c, i);
		if (!i || e > best_e ||
		    (e == best_e && c->cost[i] < c->cost[best])) {
			best = i;
			best_e = e;
		}
	}
	c->probe = !(c->epochs % VMIG_POLICY_PROBE);
	/* Probes visit the modes that lost in turn. */
	c->mode = c->probe ? (best + 1 + (c->epochs / VMIG_POLICY_PROBE) %
			      (VMIG_POLICY_MODES - 1)) % VMIG_POLICY_MODES :
			     best;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_policy_epoch);
