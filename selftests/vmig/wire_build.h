/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records of vmig's stream format built by hand, for the tests that play a
 * peer: mig_test's hand-fed target sessions, and wire_gen, which writes a
 * whole session for another program (OpenSSL's s_client) to carry.
 */
#ifndef VMIG_SELFTEST_WIRE_BUILD_H
#define VMIG_SELFTEST_WIRE_BUILD_H

#include <string.h>
#include <linux/vmig_wire.h>
#include <vmig/libvmig.h>

/* A record of @type with @payload at @buf, sealed: its size. */
static size_t rec(void *buf, __u16 type, const void *payload, __u32 len)
{
	struct vmig_wire_rec *r = buf;

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->len = len;
	memcpy(r + 1, payload, len);
	r->crc = vmig_crc32c(vmig_crc32c(~0U, r, sizeof(*r)), r + 1, len);
	return sizeof(*r) + len;
}

/* The HELLO of stream 0 of 1, for a VM of @nr_pages pages. */
static struct vmig_wire_hello hello(__u64 nr_pages)
{
	return (struct vmig_wire_hello) {
		.magic = VMIG_WIRE_MAGIC, .version = VMIG_WIRE_VERSION,
		.page_shift = 12, .stream = 0, .nr_streams = 1,
		.nr_pages = nr_pages, .session = 42,
	};
}

/*
 * A whole session of a 64-page VM into @out (3 pages of room): HELLO, raw
 * page 5 of 0x3c in round 0, a final round 1, a 5-byte blob "state" and
 * END, whose digest is off by @digest_xor.
 */
static size_t whole_session(unsigned char *out, __u32 digest_xor)
{
	unsigned char page[4096], payload[sizeof(struct vmig_wire_page) + 4096];
	struct vmig_wire_page p = { .index = 5, .encoding = VMIG_PAGE_RAW,
				    .len = 4096 };
	struct vmig_wire_hello h = hello(64);
	struct vmig_wire_round_end re = { .round = 0, .pages = 1 };
	struct vmig_wire_blob b = { .total = 5 };
	unsigned char blob[sizeof(b) + 5];
	struct vmig_wire_end e = { .blob_len = 5 };
	__u32 zero_crc, crc, digest = ~0U;
	size_t n = 0;
	int i;

	memset(page, 0, sizeof(page));
	zero_crc = vmig_crc32c(~0U, page, sizeof(page));
	memset(page, 0x3c, sizeof(page));
	p.crc = vmig_crc32c(~0U, page, sizeof(page));
	memcpy(payload, &p, sizeof(p));
	memcpy(payload + sizeof(p), page, sizeof(page));
	for (i = 0; i < 64; i++) {
		crc = i == 5 ? p.crc : zero_crc;
		digest = vmig_crc32c(digest, &crc, 4);
	}
	e.digest = digest ^ digest_xor;
	n += rec(out + n, VMIG_REC_HELLO, &h, sizeof(h));
	n += rec(out + n, VMIG_REC_PAGES, payload, sizeof(payload));
	n += rec(out + n, VMIG_REC_ROUND_END, &re, sizeof(re));
	re.round = 1;
	re.pages = 0;
	re.flags = VMIG_ROUND_FINAL;
	n += rec(out + n, VMIG_REC_ROUND_END, &re, sizeof(re));
	memcpy(blob, &b, sizeof(b));
	memcpy(blob + sizeof(b), "state", 5);
	n += rec(out + n, VMIG_REC_BLOB, blob, sizeof(blob));
	n += rec(out + n, VMIG_REC_END, &e, sizeof(e));
	return n;
}

#endif /* VMIG_SELFTEST_WIRE_BUILD_H */
