// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the arithmetic of write tracking: taking and restoring
 * ranges of the dirty bitmap, checking harvest ranges, and the cost model
 * of automatic group sizes.
 */
#include "../vmig.h"

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/random.h>

#define NBITS 300

/* Take every range of a random bitmap; compare with a bit-by-bit model. */
static void vmig_track_take_ranges(struct kunit *test)
{
	static const unsigned long starts[] = { 0, 1, 5, 63, 64, 65, 127, 128,
						200 };
	static const unsigned long lens[] = { 1, 2, 63, 64, 65, 100, 128, 172 };
	DECLARE_BITMAP(orig, NBITS);
	DECLARE_BITMAP(src, NBITS);
	DECLARE_BITMAP(dst, NBITS);
	size_t i, j;
	unsigned long b;

	for (i = 0; i < BITS_TO_LONGS(NBITS); i++)
		orig[i] = get_random_long();
	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			unsigned long s = starts[i], n = lens[j];

			if (s + n > NBITS)
				continue;
			bitmap_copy(src, orig, NBITS);
			memset(dst, 0xff, sizeof(dst));
			vmig_bitmap_take(dst, src, s, n);
			for (b = 0; b < NBITS; b++) {
				bool in = b >= s && b < s + n;

				/* Taken bits leave src, the rest stay. */
				KUNIT_ASSERT_EQ_MSG(test, test_bit(b, src),
						    in ? 0 : test_bit(b, orig),
						    "start %lu len %lu bit %lu",
						    s, n, b);
				if (in)
					KUNIT_ASSERT_EQ_MSG(test,
							    test_bit(b - s, dst),
							    test_bit(b, orig),
							    "start %lu len %lu bit %lu",
							    s, n, b);
			}
			/* Restoring gives the original back. */
			vmig_bitmap_restore(src, dst, s, n);
			KUNIT_ASSERT_TRUE(test, bitmap_equal(src, orig, NBITS));
		}
	}
}

/* Restore ORs: it never clears a bit set since the take. */
static void vmig_track_restore_ors(struct kunit *test)
{
	DECLARE_BITMAP(src, 128);
	DECLARE_BITMAP(dst, 128);

	bitmap_zero(src, 128);
	bitmap_set(src, 10, 20);
	vmig_bitmap_take(dst, src, 0, 128);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(src, 128));
	__set_bit(100, src);	/* a fault after the take */
	vmig_bitmap_restore(src, dst, 0, 128);
	KUNIT_EXPECT_EQ(test, bitmap_weight(src, 128), 21);
	KUNIT_EXPECT_TRUE(test, test_bit(100, src));
}

static void vmig_track_auto_best(struct kunit *test)
{
	DECLARE_BITMAP(bits, 512);

	/* Nothing written: no opinion, stay. */
	bitmap_zero(bits, 512);
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 4, 16), 4);
	/* One page: groups of one (1 fault + 1 page beats 1 + 16). */
	__set_bit(100, bits);
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 0, 16), 0);
	/* ... but nothing below the size it was seen with. */
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 6, 16), 6);
	/* 32 pages in a row: two groups of 16 beat 32 faults or 64 pages. */
	bitmap_zero(bits, 512);
	bitmap_set(bits, 64, 32);
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 0, 16), 4);
	/* The whole region: one group of 512. */
	bitmap_fill(bits, 512);
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 0, 16), 9);
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 6, 16), 9);
	/* Scattered pages, one per 64: 8 faults and 8 pages at G=1. */
	bitmap_zero(bits, 512);
	for (int i = 0; i < 512; i += 64)
		__set_bit(i + 3, bits);
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 0, 16), 0);
	/* If faults were very dear, one group of 512 would win. */
	KUNIT_EXPECT_EQ(test, vmig_auto_best(bits, 0, 100000), 9);
}

static void vmig_track_harvest_ranges(struct kunit *test)
{
	unsigned long g0 = 0, ng = 0;

	/* 1000 pages in groups of 64 (shift 6): 16 groups, the last of 40. */
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 0, 1000, &g0, &ng), 0);
	KUNIT_EXPECT_EQ(test, g0, 0);
	KUNIT_EXPECT_EQ(test, ng, 16);
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 64, 128, &g0, &ng), 0);
	KUNIT_EXPECT_EQ(test, g0, 1);
	KUNIT_EXPECT_EQ(test, ng, 2);
	/* The partial last group, alone. */
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 960, 40, &g0, &ng), 0);
	KUNIT_EXPECT_EQ(test, g0, 15);
	KUNIT_EXPECT_EQ(test, ng, 1);

	/* Misaligned start, misaligned end short of the end, empty, outside. */
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 1, 63, &g0, &ng), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 0, 65, &g0, &ng), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 960, 39, &g0, &ng), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 0, 0, &g0, &ng), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 1024, 64, &g0, &ng), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 960, 64, &g0, &ng), -EINVAL);
	/* Overflowing sums. */
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 6, 64, U64_MAX - 63,
						 &g0, &ng), -EINVAL);
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 0, U64_MAX, 2, &g0, &ng),
			-EINVAL);
	/* Group size 1: anything inside goes. */
	KUNIT_EXPECT_EQ(test, vmig_harvest_range(1000, 0, 999, 1, &g0, &ng), 0);
	KUNIT_EXPECT_EQ(test, ng, 1);
}

static struct kunit_case vmig_track_cases[] = {
	KUNIT_CASE(vmig_track_take_ranges),
	KUNIT_CASE(vmig_track_restore_ors),
	KUNIT_CASE(vmig_track_auto_best),
	KUNIT_CASE(vmig_track_harvest_ranges),
	{}
};

static struct kunit_suite vmig_track_suite = {
	.name = "vmig_track",
	.test_cases = vmig_track_cases,
};

kunit_test_suites(&vmig_track_suite);
