// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the wire format's page codec: the encodings it picks for
 * runs of pages, round trips, and every malformed page entry, LZ4 block,
 * zstd frame and record header a peer could send.
 */
#include "../wire.h"

#include <kunit/test.h>
#include <linux/lz4.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vmig.h>
#include <linux/vmig_wire.h>

KUNIT_DEFINE_ACTION_WRAPPER(wire_kvfree, kvfree, const void *);

#define RUN VMIG_WIRE_MAX_RUN

struct wire_bufs {
	u8 *src, *enc, *dec;
	u32 crcs[RUN];
	struct vmig_wire_codec c;
	zstd_dctx *dctx;
};

static void *wire_alloc(struct kunit *test, size_t size)
{
	void *p = kvzalloc(size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, wire_kvfree, p));
	return p;
}

static void wire_bufs(struct kunit *test, struct wire_bufs *b, int level)
{
	size_t size;

	b->src = wire_alloc(test, RUN * PAGE_SIZE);
	b->enc = wire_alloc(test, VMIG_WIRE_RUN_ROOM(RUN));
	b->dec = wire_alloc(test, RUN * PAGE_SIZE);
	b->c.lz4 = wire_alloc(test, LZ4_MEM_COMPRESS);
	b->c.zparams = vmig_wire_zstd_params(level);
	size = vmig_wire_zstd_cctx_size(&b->c.zparams);
	b->c.zstd = zstd_init_cctx(wire_alloc(test, size), size);
	size = zstd_dctx_workspace_bound();
	b->dctx = zstd_init_dctx(wire_alloc(test, size), size);
	KUNIT_ASSERT_TRUE(test, b->c.zstd && b->dctx);
}

/* Text-like content: compresses, but not to nothing; page @i differs. */
static void fill_text(u8 *p, unsigned int pages)
{
	size_t i;

	for (i = 0; i < pages * PAGE_SIZE; i++)
		p[i] = "the quick brown fox jumps over the lazy dog "[i % 44] ^
		       (i / 512);
}

/* Encode the first @n pages of b->src from page @index. */
static size_t wire_encode(struct wire_bufs *b, unsigned int n, u64 index,
			  u16 encoding, u16 *used)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		b->crcs[i] = vmig_wire_page_crc(b->src + i * PAGE_SIZE);
	return vmig_wire_encode_run(b->src, n, index, b->crcs, &b->c, encoding,
				    b->enc, used);
}

/*
 * Walk @len bytes of entries at b->enc, for memory of @nr pages starting
 * at page @base, decoding each into b->dec at its place: the pages, or a
 * negative errno.
 */
static int wire_decode(struct wire_bufs *b, size_t len, u64 base,
		       unsigned long nr)
{
	u8 *tmp = kvmalloc(RUN * PAGE_SIZE, GFP_KERNEL);
	struct vmig_wire_page d;
	const void *data;
	int ret, n, pages = 0;
	u32 off = 0;

	if (!tmp)
		return -ENOMEM;
	while ((ret = vmig_wire_pages_next(b->enc, len, &off, nr, &d,
					   &data)) > 0) {
		n = vmig_wire_decode_run(&d, data, tmp, b->dctx);
		if (n < 0) {
			ret = n;
			break;
		}
		memcpy(b->dec + (le64_to_cpu(d.index) - base) * PAGE_SIZE, tmp,
		       n * PAGE_SIZE);
		pages += n;
	}
	kvfree(tmp);
	return ret < 0 ? ret : pages;
}

static void vmig_wire_encodings(struct kunit *test)
{
	struct vmig_wire_page d;
	struct wire_bufs b;
	size_t n, lz4;
	u16 used;

	wire_bufs(test, &b, VMIG_ZSTD_LEVEL_DEFAULT);
	/* Zero page: a marker, no data. */
	n = vmig_wire_encode_zero(7, vmig_wire_page_crc(b.src), b.enc);
	KUNIT_EXPECT_EQ(test, n, sizeof(d));
	memset(b.dec, 0xff, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 7, 8), 1);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(b.dec, 0, PAGE_SIZE));

	/* Text, a whole run: one LZ4 entry, shorter, and back exactly. */
	fill_text(b.src, RUN);
	lz4 = wire_encode(&b, RUN, 8, VMIG_PAGE_LZ4, &used);
	memcpy(&d, b.enc, sizeof(d));
	KUNIT_EXPECT_EQ(test, used, VMIG_PAGE_LZ4);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.encoding), VMIG_PAGE_LZ4);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.run), RUN - 1);
	KUNIT_EXPECT_EQ(test, sizeof(d) + le32_to_cpu(d.len), lz4);
	KUNIT_EXPECT_LT(test, lz4, RUN * PAGE_SIZE / 2);
	KUNIT_EXPECT_EQ(test, wire_decode(&b, lz4, 8, 8 + RUN), RUN);
	KUNIT_EXPECT_EQ(test, memcmp(b.src, b.dec, RUN * PAGE_SIZE), 0);

	/* zstd: the same pages, back exactly, and smaller than LZ4. */
	n = wire_encode(&b, RUN, 8, VMIG_PAGE_ZSTD, &used);
	KUNIT_EXPECT_EQ(test, used, VMIG_PAGE_ZSTD);
	KUNIT_EXPECT_LT(test, n, lz4);
	memset(b.dec, 0, RUN * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 8, 8 + RUN), RUN);
	KUNIT_EXPECT_EQ(test, memcmp(b.src, b.dec, RUN * PAGE_SIZE), 0);

	/* A run of one page is version 1's page entry. */
	n = wire_encode(&b, 1, 8, VMIG_PAGE_LZ4, &used);
	memcpy(&d, b.enc, sizeof(d));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.run), 0);
	KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 8, 9), 1);

	/* Compression off, or its compressor missing: raw, page by page. */
	n = wire_encode(&b, 3, 8, VMIG_PAGE_RAW, &used);
	KUNIT_EXPECT_EQ(test, used, VMIG_PAGE_RAW);
	KUNIT_EXPECT_EQ(test, n, VMIG_WIRE_RUN_ROOM(3));
	b.c.zstd = NULL;
	n = wire_encode(&b, 3, 8, VMIG_PAGE_ZSTD, &used);
	KUNIT_EXPECT_EQ(test, used, VMIG_PAGE_RAW);
	memset(b.dec, 0, RUN * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 8, 11), 3);
	KUNIT_EXPECT_EQ(test, memcmp(b.src, b.dec, 3 * PAGE_SIZE), 0);

	/* Random: neither shrinks it, so raw, and back exactly. */
	get_random_bytes(b.src, RUN * PAGE_SIZE);
	n = wire_encode(&b, RUN, 0, VMIG_PAGE_LZ4, &used);
	KUNIT_EXPECT_EQ(test, used, VMIG_PAGE_RAW);
	KUNIT_EXPECT_EQ(test, n, VMIG_WIRE_RUN_ROOM(RUN));
	KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 0, RUN), RUN);
	KUNIT_EXPECT_EQ(test, memcmp(b.src, b.dec, RUN * PAGE_SIZE), 0);
}

/* Every level zstd has, the fastest negative ones included, round-trips. */
static void vmig_wire_zstd_levels(struct kunit *test)
{
	static const int levels[] = { -5, 1, 3, 9, 19 };
	struct wire_bufs b;
	unsigned int i;
	size_t n;
	u16 used;

	for (i = 0; i < ARRAY_SIZE(levels); i++) {
		wire_bufs(test, &b, levels[i]);
		fill_text(b.src, RUN);
		n = wire_encode(&b, RUN, 0, VMIG_PAGE_ZSTD, &used);
		KUNIT_EXPECT_EQ_MSG(test, used, VMIG_PAGE_ZSTD, "level %d",
				    levels[i]);
		KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 0, RUN), RUN);
		KUNIT_EXPECT_EQ(test, memcmp(b.src, b.dec, RUN * PAGE_SIZE), 0);
	}
}

static void vmig_wire_bad_entries(struct kunit *test)
{
	struct vmig_wire_page good = {
		.index = cpu_to_le64(3),
		.encoding = cpu_to_le16(VMIG_PAGE_LZ4),
		.len = cpu_to_le32(100),
	}, d;

	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&good, 4, 100), 100);
	/* Outside the memory. */
	d = good;
	d.index = cpu_to_le64(4);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), -EBADMSG);
	d.index = cpu_to_le64(U64_MAX);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), -EBADMSG);
	/* Truncated: more data claimed than follows. */
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&good, 4, 99), -EBADMSG);
	/* Unknown encoding, reserved bits. */
	d = good;
	d.encoding = cpu_to_le16(VMIG_PAGE_ZSTD + 1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), -EBADMSG);
	d = good;
	d.__reserved = cpu_to_le32(1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), -EBADMSG);
	/* Lengths that do not fit the encoding. */
	d = good;
	d.len = 0;
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), -EBADMSG);
	d.len = cpu_to_le32(PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, PAGE_SIZE), -EBADMSG);
	d.len = cpu_to_le32(U32_MAX);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, SIZE_MAX), -EBADMSG);
	d.encoding = cpu_to_le16(VMIG_PAGE_RAW);
	d.len = cpu_to_le32(PAGE_SIZE - 1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, PAGE_SIZE), -EBADMSG);
	d.encoding = cpu_to_le16(VMIG_PAGE_ZERO);
	d.len = cpu_to_le32(1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 1), -EBADMSG);
	d.len = 0;
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 0), 0);

	/* Runs: inside the memory, only compressed, with room for CRCs. */
	d = good;
	d.index = 0;
	d.run = cpu_to_le16(3);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), 100);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 3, 100), -EBADMSG);
	d.index = cpu_to_le64(1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), -EBADMSG);
	d.index = cpu_to_le64(U64_MAX - 1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, U64_MAX, 100), -EBADMSG);
	d.index = 0;
	d.run = cpu_to_le16(RUN);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 64, 100), -EBADMSG);
	d.run = cpu_to_le16(U16_MAX);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 1 << 20, 100), -EBADMSG);
	d.run = cpu_to_le16(RUN - 1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 64, 100), 100);
	d.len = cpu_to_le32((RUN - 1) * 4);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 64, 100), -EBADMSG);
	d.len = cpu_to_le32((RUN - 1) * 4 + RUN * PAGE_SIZE - 1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 64, SIZE_MAX),
			le32_to_cpu(d.len));
	d.len = cpu_to_le32((RUN - 1) * 4 + RUN * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 64, SIZE_MAX), -EBADMSG);
	d = good;
	d.index = 0;
	d.run = cpu_to_le16(1);
	d.encoding = cpu_to_le16(VMIG_PAGE_RAW);
	d.len = cpu_to_le32(PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, PAGE_SIZE), -EBADMSG);
	d.encoding = cpu_to_le16(VMIG_PAGE_ZERO);
	d.len = 0;
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 0), -EBADMSG);
}

/* Refuse @len bytes at b->enc, and stay within bounds doing so (KASAN). */
#define EXPECT_REFUSED(test, b, len, nr)				\
	KUNIT_EXPECT_EQ(test, wire_decode(b, len, 0, nr), -EBADMSG)

/* Set the data length of the entry at b->enc. */
static void wire_set_len(struct wire_bufs *b, u32 len)
{
	struct vmig_wire_page d;

	memcpy(&d, b->enc, sizeof(d));
	d.len = cpu_to_le32(len);
	memcpy(b->enc, &d, sizeof(d));
}

/* Corrupt or short LZ4 blocks are refused, never overrun the buffer. */
static void vmig_wire_bad_lz4(struct kunit *test)
{
	size_t n, i, crcs = (RUN - 1) * 4, d = sizeof(struct vmig_wire_page);
	struct wire_bufs b;
	u16 used;
	int blk;

	wire_bufs(test, &b, 1);
	fill_text(b.src, RUN);
	n = wire_encode(&b, RUN, 0, VMIG_PAGE_LZ4, &used);
	KUNIT_ASSERT_EQ(test, used, VMIG_PAGE_LZ4);

	/* Truncated blocks. */
	for (i = d + crcs + 1; i < n; i += 97) {
		wire_set_len(&b, i - d);
		EXPECT_REFUSED(test, &b, i, RUN);
	}
	/* A block of fewer pages than the run: decodes, but short. */
	blk = LZ4_compress_default(b.src, b.enc + d + crcs, (RUN - 1) * PAGE_SIZE,
				   RUN * PAGE_SIZE, b.c.lz4);
	KUNIT_ASSERT_GT(test, blk, 0);
	wire_set_len(&b, crcs + blk);
	EXPECT_REFUSED(test, &b, d + crcs + blk, RUN);
	/* Garbage: refused or decoded, within bounds either way (KASAN). */
	for (i = 0; i < 64; i++) {
		get_random_bytes(b.enc + d + crcs, 200);
		wire_set_len(&b, crcs + 200);
		wire_decode(&b, d + crcs + 200, 0, RUN);
	}
}

/*
 * zstd: a frame must be exactly one frame, say its content size, decode to
 * the run's pages; a target without a context refuses zstd.
 */
static void vmig_wire_bad_zstd(struct kunit *test)
{
	size_t n, i, crcs = (RUN - 1) * 4, d = sizeof(struct vmig_wire_page);
	size_t half = RUN / 2 * PAGE_SIZE, a, c;
	zstd_parameters p;
	struct wire_bufs b;
	zstd_dctx *dctx;
	u8 *blk;
	u16 used;

	wire_bufs(test, &b, 1);
	fill_text(b.src, RUN);
	n = wire_encode(&b, RUN, 0, VMIG_PAGE_ZSTD, &used);
	KUNIT_ASSERT_EQ(test, used, VMIG_PAGE_ZSTD);
	KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 0, RUN), RUN);
	/* Without a decompression context. */
	dctx = b.dctx;
	b.dctx = NULL;
	EXPECT_REFUSED(test, &b, n, RUN);
	b.dctx = dctx;
	/* Truncated frames. */
	for (i = d + crcs + 1; i < n; i += 7) {
		wire_set_len(&b, i - d);
		EXPECT_REFUSED(test, &b, i, RUN);
	}
	blk = b.enc + d + crcs;
	/* Two frames of half the run each: the pages, but not one frame. */
	p = b.c.zparams;
	a = zstd_compress_cctx(b.c.zstd, blk, RUN * PAGE_SIZE, b.src, half, &p);
	KUNIT_ASSERT_FALSE(test, zstd_is_error(a));
	c = zstd_compress_cctx(b.c.zstd, blk + a, RUN * PAGE_SIZE, b.src + half,
			       half, &p);
	KUNIT_ASSERT_FALSE(test, zstd_is_error(c));
	wire_set_len(&b, crcs + a + c);
	EXPECT_REFUSED(test, &b, d + crcs + a + c, RUN);
	/* One whole frame, then a skippable frame: not one frame either. */
	a = zstd_compress_cctx(b.c.zstd, blk, RUN * PAGE_SIZE, b.src,
			       RUN * PAGE_SIZE, &p);
	KUNIT_ASSERT_FALSE(test, zstd_is_error(a));
	put_unaligned_le32(0x184d2a50, blk + a);
	put_unaligned_le32(4, blk + a + 4);
	memset(blk + a + 8, 0, 4);
	wire_set_len(&b, crcs + a);
	KUNIT_EXPECT_EQ(test, wire_decode(&b, d + crcs + a, 0, RUN), RUN);
	wire_set_len(&b, crcs + a + 12);
	EXPECT_REFUSED(test, &b, d + crcs + a + 12, RUN);
	/* A frame that does not say its size. */
	p.fParams.contentSizeFlag = 0;
	a = zstd_compress_cctx(b.c.zstd, blk, RUN * PAGE_SIZE, b.src,
			       RUN * PAGE_SIZE, &p);
	KUNIT_ASSERT_FALSE(test, zstd_is_error(a));
	wire_set_len(&b, crcs + a);
	EXPECT_REFUSED(test, &b, d + crcs + a, RUN);
	/* A frame of fewer pages than the run. */
	p.fParams.contentSizeFlag = 1;
	a = zstd_compress_cctx(b.c.zstd, blk, RUN * PAGE_SIZE, b.src,
			       (RUN - 1) * PAGE_SIZE, &p);
	KUNIT_ASSERT_FALSE(test, zstd_is_error(a));
	wire_set_len(&b, crcs + a);
	EXPECT_REFUSED(test, &b, d + crcs + a, RUN);
	/* Garbage, and garbage after a valid frame header. */
	for (i = 0; i < 64; i++) {
		get_random_bytes(blk + (i & 1 ? 8 : 0), 200);
		wire_set_len(&b, crcs + 208);
		wire_decode(&b, d + crcs + 208, 0, RUN);
	}
}

static void vmig_wire_records(struct kunit *test)
{
	struct vmig_wire_rec r = {
		.type = cpu_to_le16(VMIG_REC_PAGES),
		.len = cpu_to_le32(sizeof(struct vmig_wire_page)),
	}, bad;
	u8 payload[sizeof(struct vmig_wire_page)] = { 1, 2, 3 };
	u32 crc;

	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&r), 0);
	bad = r;
	bad.type = 0;
	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&bad), -EBADMSG);
	bad.type = cpu_to_le16(VMIG_REC_MAX);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&bad), -EBADMSG);
	bad = r;
	bad.flags = cpu_to_le16(1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&bad), -EBADMSG);
	bad = r;
	bad.__reserved = cpu_to_le32(1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&bad), -EBADMSG);
	bad = r;
	bad.len = cpu_to_le32(VMIG_WIRE_MAX_PAYLOAD + 1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&bad), -EBADMSG);
	bad.len = cpu_to_le32(VMIG_WIRE_MAX_PAYLOAD);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&bad), 0);

	/* The CRC covers the header (not its own field) and the payload. */
	crc = vmig_wire_rec_crc(&r, payload);
	r.crc = cpu_to_le32(crc);
	KUNIT_EXPECT_EQ(test, vmig_wire_rec_crc(&r, payload), crc);
	payload[15] ^= 1;
	KUNIT_EXPECT_NE(test, vmig_wire_rec_crc(&r, payload), crc);
	payload[15] ^= 1;
	r.len = cpu_to_le32(15);
	KUNIT_EXPECT_NE(test, vmig_wire_rec_crc(&r, payload), crc);

	/* Sealing fills a header that checks, CRC included. */
	vmig_wire_rec_seal(&r, VMIG_REC_PAGES, payload, sizeof(payload));
	KUNIT_EXPECT_EQ(test, vmig_wire_check_rec(&r), 0);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(r.crc), vmig_wire_rec_crc(&r, payload));
}

/* Each type's length: exact for fixed-size records, a least for others. */
static void vmig_wire_record_lengths(struct kunit *test)
{
	static const struct {
		u16 type;
		u32 len;
		bool ok;
	} lens[] = {
		{ VMIG_REC_HELLO, sizeof(struct vmig_wire_hello), true },
		{ VMIG_REC_HELLO, sizeof(struct vmig_wire_hello) - 1, false },
		{ VMIG_REC_HELLO, sizeof(struct vmig_wire_hello) + 1, false },
		{ VMIG_REC_PAGES, 0, false },
		{ VMIG_REC_PAGES, sizeof(struct vmig_wire_page) - 1, false },
		{ VMIG_REC_PAGES, VMIG_WIRE_MAX_PAYLOAD, true },
		{ VMIG_REC_ROUND_END, sizeof(struct vmig_wire_round_end), true },
		{ VMIG_REC_ROUND_END, 0, false },
		{ VMIG_REC_BLOB, sizeof(struct vmig_wire_blob), false },
		{ VMIG_REC_BLOB, sizeof(struct vmig_wire_blob) + 1, true },
		{ VMIG_REC_END, sizeof(struct vmig_wire_end), true },
		{ VMIG_REC_END, sizeof(struct vmig_wire_end) + 8, false },
		{ VMIG_REC_ACK, sizeof(struct vmig_wire_ack), true },
		{ VMIG_REC_ACK, 4, false },
	};
	struct vmig_wire_rec r = {};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		int want = lens[i].ok ? 0 : -EBADMSG;

		r.type = cpu_to_le16(lens[i].type);
		r.len = cpu_to_le32(lens[i].len);
		KUNIT_EXPECT_EQ_MSG(test, vmig_wire_check_rec(&r), want,
				    "type %u len %u", lens[i].type,
				    lens[i].len);
	}
}

/* A PAGES payload walked entry by entry: a zero and a raw page, then cut. */
static void vmig_wire_pages_walk(struct kunit *test)
{
	size_t entry = sizeof(struct vmig_wire_page);
	struct vmig_wire_page d, z = { .encoding = cpu_to_le16(VMIG_PAGE_ZERO),
				       .index = cpu_to_le64(3) };
	struct vmig_wire_page r = { .encoding = cpu_to_le16(VMIG_PAGE_RAW),
				    .len = cpu_to_le32(PAGE_SIZE),
				    .index = cpu_to_le64(4) };
	u32 len = 2 * entry + PAGE_SIZE, off = 0;
	const void *data;
	u8 *p;

	p = kunit_kzalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	memcpy(p, &z, entry);
	memcpy(p + entry, &r, entry);
	KUNIT_EXPECT_EQ(test, 1, vmig_wire_pages_next(p, len, &off, 8, &d, &data));
	KUNIT_EXPECT_EQ(test, 3, le64_to_cpu(d.index));
	KUNIT_EXPECT_EQ(test, entry, off);
	KUNIT_EXPECT_EQ(test, 1, vmig_wire_pages_next(p, len, &off, 8, &d, &data));
	KUNIT_EXPECT_PTR_EQ(test, (const void *)(p + 2 * entry), data);
	KUNIT_EXPECT_EQ(test, len, off);
	KUNIT_EXPECT_EQ(test, 0, vmig_wire_pages_next(p, len, &off, 8, &d, &data));
	/* The raw page's data cut short by a byte; an entry cut short. */
	off = entry;
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vmig_wire_pages_next(p, len - 1, &off, 8, &d, &data));
	off = 0;
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vmig_wire_pages_next(p, entry - 1, &off, 8, &d, &data));
	/* An index past the memory. */
	off = entry;
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			vmig_wire_pages_next(p, len, &off, 4, &d, &data));
}

/* A page whose content does not match its CRC is refused, in any place. */
static void vmig_wire_page_crc_checked(struct kunit *test)
{
	size_t d = sizeof(struct vmig_wire_page), n;
	static const u16 encodings[] = { VMIG_PAGE_LZ4, VMIG_PAGE_ZSTD };
	struct wire_bufs b;
	unsigned int e, i;
	u16 used;

	wire_bufs(test, &b, 1);
	fill_text(b.src, RUN);
	for (e = 0; e < ARRAY_SIZE(encodings); e++) {
		/* The first page's CRC is the entry's, the others follow it. */
		n = wire_encode(&b, RUN, 0, encodings[e], &used);
		KUNIT_ASSERT_EQ(test, used, encodings[e]);
		for (i = 0; i < RUN * 4; i++) {
			b.enc[i < 4 ? 16 + i : d + i - 4] ^= 1 << (i % 8);
			EXPECT_REFUSED(test, &b, n, RUN);
			b.enc[i < 4 ? 16 + i : d + i - 4] ^= 1 << (i % 8);
		}
		KUNIT_EXPECT_EQ(test, wire_decode(&b, n, 0, RUN), RUN);
	}
	/* Raw, zero: the same. */
	n = wire_encode(&b, 1, 0, VMIG_PAGE_RAW, &used);
	b.enc[d + 100] ^= 1;
	EXPECT_REFUSED(test, &b, n, 1);
	n = vmig_wire_encode_zero(0, 0, b.enc);
	EXPECT_REFUSED(test, &b, n, 1);
}

static struct kunit_case vmig_wire_cases[] = {
	KUNIT_CASE(vmig_wire_encodings),
	KUNIT_CASE(vmig_wire_zstd_levels),
	KUNIT_CASE(vmig_wire_bad_entries),
	KUNIT_CASE(vmig_wire_bad_lz4),
	KUNIT_CASE(vmig_wire_bad_zstd),
	KUNIT_CASE(vmig_wire_records),
	KUNIT_CASE(vmig_wire_record_lengths),
	KUNIT_CASE(vmig_wire_pages_walk),
	KUNIT_CASE(vmig_wire_page_crc_checked),
	{}
};

static struct kunit_suite vmig_wire_suite = {
	.name = "vmig_wire",
	.test_cases = vmig_wire_cases,
};

kunit_test_suites(&vmig_wire_suite);
