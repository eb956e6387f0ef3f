// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for VMIG_COMPRESS_AUTO's choice (mig_policy.c): against a model
 * of a stream whose CPU costs, compression ratios and link rate are known,
 * it must settle on the fastest of raw, LZ4 and zstd, keep probing the
 * others, and follow a change of regime (the link gets faster or slower).
 */
#include "../mig.h"

#include <kunit/test.h>
#include <linux/math64.h>

enum { RAW, LZ4, ZSTD };

/*
 * A stream: encoding a MiB costs @us[mode] microseconds of CPU; LZ4 and
 * zstd leave @ratio[mode] thousandths of the bytes; the link carries @link
 * bytes per millisecond, 0 for unlimited. The CPU and the link work in
 * parallel (the socket buffer), so an epoch lasts the longer of its CPU
 * time and its link time, and waits the difference. With @burst, every
 * @burst-th epoch goes at CPU speed, as when a shaper's bucket has room:
 * the link's rate is that of the others. With @buf, the socket buffer
 * holds @buf bytes, drained at the link's rate, and a writer that fills
 * it sleeps until half of it is free, as TCP's does: one epoch waits long,
 * the next few not at all.
 */
struct model {
	u64 us[VMIG_POLICY_MODES], ratio[VMIG_POLICY_MODES], link;
	unsigned int burst;
	u64 buf;
};

/* Run @epochs epochs; return the share of pages in mode @want, in 1/1000. */
static unsigned int run(struct vmig_policy *c, unsigned int epochs,
			const struct model *m, unsigned int want)
{
	u64 pages = 0, in_mode = 0, n, guest, wire, cpu, ns, b = 0, out;
	unsigned int i;

	for (i = 0; i < epochs; i++) {
		n = vmig_policy_epoch_pages(c);
		pages += n;
		if (c->mode == want)
			in_mode += n;
		guest = n * PAGE_SIZE;
		wire = c->mode == RAW ? guest + n * 24 :
		       guest * m->ratio[c->mode] / 1000;
		cpu = m->us[c->mode] * NSEC_PER_USEC * n / 256;
		ns = cpu;
		if (m->link && m->buf) {
			out = div64_u64(m->link * cpu, NSEC_PER_MSEC);
			b = (b > out ? b - out : 0) + wire;
			if (b > m->buf) {
				ns += div64_u64((b - m->buf / 2) * NSEC_PER_MSEC,
						m->link);
				b = m->buf / 2;
			}
		} else if (m->link && !(m->burst && !(i % m->burst))) {
			ns = max(cpu, div64_u64(wire * NSEC_PER_MSEC, m->link));
		}
		vmig_policy_epoch(c, guest, wire, ns, ns - cpu);
	}
	return div64_u64(in_mode * 1000, pages);
}

/*
 * 100 Mbit/s; memcpy 500 MB/s, LZ4 170 MB/s at 2.2x, zstd 70 MB/s at
 * 3.3x: zstd moves 42 MB/s of guest data, LZ4 28, raw 12.5.
 */
static const struct model slow_link = { { 2000, 6000, 15000 }, { 0, 450, 300 },
					12500 };
/* The slow link, whose shaper lets one epoch in four through at once. */
static const struct model bursty_link = { { 2000, 6000, 15000 },
					  { 0, 450, 300 }, 12500, 4 };
/*
 * One stream's share of 100 Mbit/s behind a socket buffer of 2 MB, with
 * the costs and ratios make bench measured under TCG (LZ4 about 130 MB/s
 * at 0.44, zstd about 22 MB/s at 0.2): zstd moves 22 MB/s of guest data,
 * LZ4 14.
 */
static const struct model socket_buffer = { { 2000, 3800, 18000 },
					    { 0, 438, 201 }, 6250, 0,
					    2000000 };
/* The same CPU, no link limit: compression itself is the bottleneck. */
static const struct model no_link = { { 2000, 6000, 15000 }, { 0, 450, 300 },
				      0 };
/* 1 Gbit/s: LZ4 wins, CPU-bound at 170 MB/s against raw's 125, zstd's 70. */
static const struct model gbit = { { 2000, 6000, 15000 }, { 0, 450, 300 },
				   125000 };
/*
 * Random content on a slow link: compression gains nothing (the runs go
 * raw, as many bytes as raw pages) and costs CPU.
 */
static const struct model random_data = { { 2000, 8000, 12000 },
					  { 0, 1006, 1006 }, 12500 };

static void vmig_auto_link_bound(struct kunit *test)
{
	struct vmig_policy slow = {}, fast = {};

	KUNIT_EXPECT_GE(test, run(&slow, 160, &slow_link, ZSTD), 980);
	KUNIT_EXPECT_GE(test, run(&fast, 160, &gbit, LZ4), 980);
}

/*
 * The socket buffer does not make the link look fast: the epochs that
 * fill it at CPU speed are not the link's rate.
 */
static void vmig_auto_socket_buffer(struct kunit *test)
{
	struct vmig_policy c = {};

	run(&c, 32, &socket_buffer, ZSTD);
	KUNIT_EXPECT_GE(test, run(&c, 160, &socket_buffer, ZSTD), 950);
}

/*
 * Bursts through the shaper do not make the link look fast: zstd, which
 * wins on the slow link, still wins.
 */
static void vmig_auto_bursty_link(struct kunit *test)
{
	struct vmig_policy c = {};

	run(&c, 32, &bursty_link, ZSTD);
	KUNIT_EXPECT_GE(test, run(&c, 160, &bursty_link, ZSTD), 950);
}

static void vmig_auto_cpu_bound(struct kunit *test)
{
	struct vmig_policy c = { .mode = ZSTD };
	unsigned int n = run(&c, 160, &no_link, RAW);

	/* The first epochs measured each mode; then probes only. */
	KUNIT_EXPECT_GE(test, n, 930);
	KUNIT_EXPECT_LT(test, n, 1000);
	KUNIT_EXPECT_GE(test, run(&c, 160, &no_link, RAW), 990);
}

/* The modes that lose are probed in turn, all of them, and rarely. */
static void vmig_auto_probes_each(struct kunit *test)
{
	struct vmig_policy c = {};
	unsigned int raw, lz4;

	run(&c, 16, &slow_link, ZSTD);
	c.epochs = 0;
	raw = run(&c, 320, &slow_link, RAW);
	c.epochs = 0;
	lz4 = run(&c, 320, &slow_link, LZ4);
	KUNIT_EXPECT_GT(test, raw, 0);
	KUNIT_EXPECT_GT(test, lz4, 0);
	KUNIT_EXPECT_LE(test, raw + lz4, 10);
}

static void vmig_auto_incompressible(struct kunit *test)
{
	struct vmig_policy c = { .mode = LZ4 };

	run(&c, 16, &random_data, RAW);
	KUNIT_EXPECT_GE(test, run(&c, 320, &random_data, RAW), 990);
}

/* The regime changes: the choice follows within a probe or two. */
static void vmig_auto_follows_change(struct kunit *test)
{
	struct vmig_policy c = {};

	run(&c, 100, &no_link, RAW);
	KUNIT_EXPECT_EQ(test, c.mode, RAW);
	/* The link slows down: zstd wins now. */
	run(&c, 48, &slow_link, ZSTD);
	KUNIT_EXPECT_GE(test, run(&c, 64, &slow_link, ZSTD), 980);
	/* It gets faster: LZ4. */
	run(&c, 48, &gbit, LZ4);
	KUNIT_EXPECT_GE(test, run(&c, 64, &gbit, LZ4), 980);
	/* And the limit goes away again. */
	run(&c, 48, &no_link, RAW);
	KUNIT_EXPECT_GE(test, run(&c, 64, &no_link, RAW), 990);
}

static struct kunit_case vmig_auto_cases[] = {
	KUNIT_CASE(vmig_auto_link_bound),
	KUNIT_CASE(vmig_auto_bursty_link),
	KUNIT_CASE(vmig_auto_socket_buffer),
	KUNIT_CASE(vmig_auto_cpu_bound),
	KUNIT_CASE(vmig_auto_probes_each),
	KUNIT_CASE(vmig_auto_incompressible),
	KUNIT_CASE(vmig_auto_follows_change),
	{}
};

static struct kunit_suite vmig_auto_suite = {
	.name = "vmig_auto",
	.test_cases = vmig_auto_cases,
};

kunit_test_suites(&vmig_auto_suite);
