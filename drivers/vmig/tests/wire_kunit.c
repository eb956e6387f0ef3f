// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the wire format's page codec: the encodings it picks,
 * round trips, and every malformed page entry, LZ4 block and record header
 * a peer could send.
 */
#include "../wire.h"

#include <kunit/test.h>
#include <linux/lz4.h>
#include <linux/random.h>
#include <linux/vmig_wire.h>

struct wire_bufs {
	u8 *src, *enc, *dec;
	void *wrkmem;
};

static void wire_bufs(struct kunit *test, struct wire_bufs *b)
{
	b->src = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	b->enc = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	b->dec = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	b->wrkmem = kunit_kzalloc(test, LZ4_MEM_COMPRESS, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, b->src && b->enc && b->dec && b->wrkmem);
}

/* Text-like content: compresses, but not to nothing. */
static void fill_text(u8 *p)
{
	size_t i;

	for (i = 0; i < PAGE_SIZE; i++)
		p[i] = "the quick brown fox jumps over the lazy dog "[i % 44] ^
		       (i / 512);
}

static void vmig_wire_encodings(struct kunit *test)
{
	struct vmig_wire_page d;
	struct wire_bufs b;
	size_t n;

	wire_bufs(test, &b);
	/* Zero page: a marker, no data. */
	n = vmig_wire_encode_page(b.src, 7, b.enc, true, b.wrkmem, &d);
	KUNIT_EXPECT_EQ(test, n, 0);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.encoding), VMIG_PAGE_ZERO);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(d.index), 7);
	memset(b.dec, 0xff, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(b.dec, 0, PAGE_SIZE));

	/* Text: LZ4, shorter, and back exactly. */
	fill_text(b.src);
	n = vmig_wire_encode_page(b.src, 8, b.enc, true, b.wrkmem, &d);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.encoding), VMIG_PAGE_LZ4);
	KUNIT_EXPECT_LT(test, n, PAGE_SIZE / 2);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(d.len), n);
	KUNIT_ASSERT_EQ(test, vmig_wire_check_page(&d, 9, n), n);
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec), 0);
	KUNIT_EXPECT_EQ(test, memcmp(b.src, b.dec, PAGE_SIZE), 0);

	/* Compression off: raw. */
	n = vmig_wire_encode_page(b.src, 8, b.enc, false, b.wrkmem, &d);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.encoding), VMIG_PAGE_RAW);
	KUNIT_EXPECT_EQ(test, n, PAGE_SIZE);

	/* Random: LZ4 cannot shrink it, so raw, and back exactly. */
	get_random_bytes(b.src, PAGE_SIZE);
	n = vmig_wire_encode_page(b.src, 0, b.enc, true, b.wrkmem, &d);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(d.encoding), VMIG_PAGE_RAW);
	KUNIT_EXPECT_EQ(test, n, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec), 0);
	KUNIT_EXPECT_EQ(test, memcmp(b.src, b.dec, PAGE_SIZE), 0);
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
	d.encoding = cpu_to_le16(3);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 4, 100), -EBADMSG);
	d = good;
	d.__reserved = cpu_to_le16(1);
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
}

/* Corrupt or short LZ4 blocks are refused, never overrun the page. */
static void vmig_wire_bad_lz4(struct kunit *test)
{
	struct vmig_wire_page d, bad;
	struct wire_bufs b;
	size_t n, i;

	wire_bufs(test, &b);
	fill_text(b.src);
	n = vmig_wire_encode_page(b.src, 0, b.enc, true, b.wrkmem, &d);
	KUNIT_ASSERT_EQ(test, le16_to_cpu(d.encoding), VMIG_PAGE_LZ4);

	/* Truncated blocks. */
	for (i = 1; i < n; i += 7) {
		bad = d;
		bad.len = cpu_to_le32(i);
		KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&bad, b.enc, b.dec),
				-EBADMSG);
	}
	/* A block of a smaller page: decodes, but not to a whole page. */
	n = LZ4_compress_default(b.src, b.enc, PAGE_SIZE / 2, PAGE_SIZE,
				 b.wrkmem);
	KUNIT_ASSERT_GT(test, n, 0);
	bad = d;
	bad.len = cpu_to_le32(n);
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&bad, b.enc, b.dec),
			-EBADMSG);
	/* Garbage: refused or decoded, within bounds either way (KASAN). */
	for (i = 0; i < 64; i++) {
		get_random_bytes(b.enc, 200);
		bad.len = cpu_to_le32(200);
		vmig_wire_decode_page(&bad, b.enc, b.dec);
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

/* A page whose content does not match its CRC is refused. */
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

static void vmig_wire_page_crc_checked(struct kunit *test)
{
	struct vmig_wire_page d;
	struct wire_bufs b;
	size_t n;

	wire_bufs(test, &b);
	fill_text(b.src);
	n = vmig_wire_encode_page(b.src, 1, b.enc, true, b.wrkmem, &d);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(d.crc), vmig_wire_page_crc(b.src));
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec), 0);
	d.crc = cpu_to_le32(le32_to_cpu(d.crc) ^ 1);
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec),
			-EBADMSG);
	/* Raw, zero: the same. */
	n = vmig_wire_encode_page(b.src, 1, b.enc, false, NULL, &d);
	KUNIT_EXPECT_EQ(test, n, PAGE_SIZE);
	b.enc[100] ^= 1;
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec),
			-EBADMSG);
	memset(b.src, 0, PAGE_SIZE);
	vmig_wire_encode_page(b.src, 1, b.enc, true, b.wrkmem, &d);
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec), 0);
	d.crc = 0;
	KUNIT_EXPECT_EQ(test, vmig_wire_decode_page(&d, b.enc, b.dec),
			-EBADMSG);
	/* Reserved fields. */
	vmig_wire_encode_page(b.src, 1, b.enc, true, b.wrkmem, &d);
	d.__reserved2 = cpu_to_le32(1);
	KUNIT_EXPECT_EQ(test, vmig_wire_check_page(&d, 2, 0), -EBADMSG);
}

static struct kunit_case vmig_wire_cases[] = {
	KUNIT_CASE(vmig_wire_encodings),
	KUNIT_CASE(vmig_wire_bad_entries),
	KUNIT_CASE(vmig_wire_bad_lz4),
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
