// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for VMIG_COMPRESS_AUTO's choice (mig_lz4.c): against a model
 * of a stream whose speed with and without compression is known, it must
 * settle on the faster mode, keep probing the other, and follow a change
 * of regime (the link gets faster, the content stops compressing).
 */
#include "../mig.h"

#include <kunit/test.h>

/*
 * Run @epochs epochs of a stream that moves a MiB in @raw_us microseconds
 * raw and @lz4_us compressed; return how many of them compressed.
 */
static unsigned int run(struct vmig_lz4_choice *c, unsigned int epochs,
			u64 raw_us, u64 lz4_us)
{
	unsigned int i, compressed = 0;

	for (i = 0; i < epochs; i++) {
		compressed += c->lz4;
		vmig_lz4_epoch(c, 1 << 20,
			       (c->lz4 ? lz4_us : raw_us) * NSEC_PER_USEC);
	}
	return compressed;
}

/* A slow link: compressing (2.5x) moves more guest data per second. */
static void vmig_lz4_link_bound(struct kunit *test)
{
	struct vmig_lz4_choice c = { .lz4 = true };
	unsigned int n = run(&c, 160, 80000, 35000);

	KUNIT_EXPECT_GE(test, n, 145);
	KUNIT_EXPECT_TRUE(test, c.rate[1] > c.rate[0]);
}

/* A fast link: LZ4 itself is the bottleneck, raw wins. */
static void vmig_lz4_cpu_bound(struct kunit *test)
{
	struct vmig_lz4_choice c = { .lz4 = true };
	unsigned int n = run(&c, 160, 8000, 9000);

	KUNIT_EXPECT_LE(test, n, 15);
	KUNIT_EXPECT_GE(test, n, 5);	/* it still probes */
}

/* Random content: no gain from LZ4 at any link speed. */
static void vmig_lz4_incompressible(struct kunit *test)
{
	struct vmig_lz4_choice c = { .lz4 = true };

	KUNIT_EXPECT_LE(test, run(&c, 320, 80000, 84000), 25);
}

/* The regime changes: the choice follows within a few probes. */
static void vmig_lz4_follows_change(struct kunit *test)
{
	struct vmig_lz4_choice c = { .lz4 = false };

	run(&c, 100, 8000, 9000);
	KUNIT_EXPECT_FALSE(test, c.rate[1] > c.rate[0]);
	/* The link slows down: compression wins now. */
	run(&c, 100, 80000, 35000);
	KUNIT_EXPECT_GE(test, run(&c, 64, 80000, 35000), 58);
	/* And speeds up again. */
	run(&c, 100, 8000, 9000);
	KUNIT_EXPECT_LE(test, run(&c, 64, 8000, 9000), 6);
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
