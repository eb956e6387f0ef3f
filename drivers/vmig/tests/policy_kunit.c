// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for VMIG_COMPRESS_AUTO's choice (mig_policy.c): against a model
 * of a stream whose CPU costs, compression ratio and link rate are known,
 * it must settle on the faster mode, keep probing the other, and follow a
 * change of regime (the link gets faster or slower).
 */
#include "../mig.h"

#include <kunit/test.h>
#include <linux/math64.h>

/*
 * A stream: encoding a MiB costs @raw_us or @lz4_us microseconds of CPU;
 * LZ4 leaves @ratio thousandths of the bytes; the link carries @link bytes
 * per millisecond, 0 for unlimited. The CPU and the link work in parallel
 * (the socket buffer), so an epoch lasts the longer of its CPU time and its
 * link time, and waits the difference.
 */
struct model {
	u64 raw_us, lz4_us, ratio, link;
};

/* Run @epochs epochs; return the share of pages compressed, in 1/1000. */
static unsigned int run(struct vmig_policy *c, unsigned int epochs,
			const struct model *m)
{
	u64 pages = 0, compressed = 0, n, guest, wire, cpu, ns;
	unsigned int i;

	for (i = 0; i < epochs; i++) {
		n = vmig_policy_epoch_pages(c);
		pages += n;
		if (c->lz4)
			compressed += n;
		guest = n * PAGE_SIZE;
		wire = c->lz4 ? guest * m->ratio / 1000 : guest + n * 24;
		cpu = (c->lz4 ? m->lz4_us : m->raw_us) * NSEC_PER_USEC * n / 256;
		ns = cpu;
		if (m->link)
			ns = max(cpu, div64_u64(wire * NSEC_PER_MSEC, m->link));
		vmig_policy_epoch(c, guest, wire, ns, ns - cpu);
	}
	return div64_u64(compressed * 1000, pages);
}

/* 100 Mbit/s; memcpy 500 MB/s, LZ4 170 MB/s at 2.2x. */
static const struct model slow_link = { 2000, 6000, 450, 12500 };
/* The same CPU, no link limit: LZ4 itself is the bottleneck. */
static const struct model no_link = { 2000, 6000, 450, 0 };
/* 1 Gbit/s: LZ4 still wins, CPU-bound at 170 MB/s against 125. */
static const struct model gbit = { 2000, 6000, 450, 125000 };
/* Random content on a slow link: LZ4 gains nothing and costs CPU. */
static const struct model random_data = { 2000, 8000, 1006, 12500 };

static void vmig_lz4_link_bound(struct kunit *test)
{
	struct vmig_policy c = { .lz4 = true };

	KUNIT_EXPECT_GE(test, run(&c, 160, &slow_link), 980);
	KUNIT_EXPECT_GE(test, run(&c, 160, &gbit), 980);
}

static void vmig_lz4_cpu_bound(struct kunit *test)
{
	struct vmig_policy c = { .lz4 = true };
	unsigned int n = run(&c, 160, &no_link);

	/* The first epoch compressed; then probes only, but still some. */
	KUNIT_EXPECT_LE(test, n, 70);
	KUNIT_EXPECT_GT(test, n, 0);
	KUNIT_EXPECT_LE(test, run(&c, 160, &no_link), 10);
}

static void vmig_lz4_incompressible(struct kunit *test)
{
	struct vmig_policy c = { .lz4 = true };

	run(&c, 16, &random_data);
	KUNIT_EXPECT_LE(test, run(&c, 320, &random_data), 10);
}

/* The regime changes: the choice follows within a probe or two. */
static void vmig_lz4_follows_change(struct kunit *test)
{
	struct vmig_policy c = { .lz4 = false };

	run(&c, 100, &no_link);
	KUNIT_EXPECT_FALSE(test, c.lz4);
	/* The link slows down: compression wins now. */
	run(&c, 32, &slow_link);
	KUNIT_EXPECT_GE(test, run(&c, 64, &slow_link), 980);
	/* And the limit goes away again. */
	run(&c, 32, &no_link);
	KUNIT_EXPECT_LE(test, run(&c, 64, &no_link), 10);
}

static struct kunit_case vmig_lz4_cases[] = {
	KUNIT_CASE(vmig_lz4_link_bound),
	KUNIT_CASE(vmig_lz4_cpu_bound),
	KUNIT_CASE(vmig_lz4_incompressible),
	KUNIT_CASE(vmig_lz4_follows_change),
	{}
};

static struct kunit_suite vmig_lz4_suite = {
	.name = "vmig_lz4",
	.test_cases = vmig_lz4_cases,
};

kunit_test_suites(&vmig_lz4_suite);
