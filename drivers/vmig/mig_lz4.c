// SPDX-License-Identifier: GPL-2.0
/*
 * VMIG_COMPRESS_AUTO: whether a stream compresses.
 *
 * Compression pays when the link is the bottleneck and costs when the CPU
 * is: LZ4 shrinks text-like pages 2-3x but runs at a fraction of memcpy's
 * speed, and gains nothing on random data. Rather than model the link and
 * the CPU, each stream measures what counts, the guest bytes it moves per
 * unit of time, in epochs of VMIG_LZ4_EPOCH_PAGES pages, with and without
 * compression, and uses the faster. Every VMIG_LZ4_PROBE epochs it tries
 * the other again: the link's speed, the CPU left and the content change.
 * Zero pages cost the same either way and do not count.
 */
#include "mig.h"

#include <kunit/visibility.h>
#include <linux/math64.h>

/* One epoch in this many tries the mode that lost. */
#define VMIG_LZ4_PROBE 16

/*
 * Account an epoch that moved @bytes of guest data in @ns nanoseconds in
 * the current mode, and choose the mode of the next one.
 */
void vmig_lz4_epoch(struct vmig_lz4_choice *c, u64 bytes, u64 ns)
{
	/* Bytes per millisecond: plenty of precision, no overflow. */
	u64 rate = div64_u64(bytes * NSEC_PER_MSEC, max_t(u64, ns, 1));
	unsigned int m = c->lz4;
	bool best;

	/*
	 * Smooth over a run of epochs in one mode; but the first epoch after
	 * a switch (a probe) replaces an estimate that may be long stale.
	 */
	if (c->rate[m] && c->prev == m)
		c->rate[m] = (c->rate[m] * 3 + rate) / 4;
	else
		c->rate[m] = rate;
	c->prev = m;
	c->epochs++;
	if (!c->rate[!m]) {
		/* Measure the other mode once before choosing. */
		c->lz4 = !m;
		return;
	}
	best = c->rate[1] > c->rate[0];
	c->lz4 = c->epochs % VMIG_LZ4_PROBE ? best : !best;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_lz4_epoch);
