// SPDX-License-Identifier: GPL-2.0
/*
 * The wire format's page codec (include/uapi/linux/vmig_wire.h): encode a
 * run of neighbouring pages as one compressed block (LZ4 or zstd) or as raw
 * pages, and check and decode an entry from an untrusted buffer. Pure
 * functions of their arguments, so that the streaming engine's workers,
 * the KUnit suite and the fuzzers share them.
 */
#include "wire.h"

#include <asm/page.h>
#include <kunit/visibility.h>
#include <linux/crc32c.h>
#include <linux/errno.h>
#include <linux/lz4.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmig_wire.h>
#include <linux/zstd.h>

/* The CRC32C of a page's content, as the wire carries it. */
u32 vmig_wire_page_crc(const void *page)
{
	return crc32c(~0U, page, PAGE_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_page_crc);

/* Whether the page at @page is all zero. */
bool vmig_wire_page_zero(const void *page)
{
	return !memchr_inv(page, 0, PAGE_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_page_zero);

/*
 * One step of the switchover digest: CRC32C, from ~0, over the
 * little-endian CRC32C of every page in page order (see
 * struct vmig_wire_end in include/uapi/linux/vmig_wire.h).
 */
u32 vmig_wire_digest_step(u32 digest, u32 page_crc)
{
	__le32 le = cpu_to_le32(page_crc);

	return crc32c(digest, &le, sizeof(le));
}

/* zstd's parameters for runs at @level: a window of one whole run. */
zstd_parameters vmig_wire_zstd_params(int level)
{
	return zstd_get_params(level, VMIG_WIRE_MAX_RUN * PAGE_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_zstd_params);

/* The bytes a zstd compression context for @p needs. */
size_t vmig_wire_zstd_cctx_size(const zstd_parameters *p)
{
	return zstd_cctx_workspace_bound(&p->cParams);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_zstd_cctx_size);

/* Write the entry of a page of @index that is all zero at @dst. */
size_t vmig_wire_encode_zero(u64 index, u32 crc, void *dst)
{
	struct vmig_wire_page desc = {
		.index = cpu_to_le64(index),
		.encoding = cpu_to_le16(VMIG_PAGE_ZERO),
		.crc = cpu_to_le32(crc),
	};

	memcpy(dst, &desc, sizeof(desc));
	return sizeof(desc);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_encode_zero);

/* Compress @n bytes at @src into fewer than @cap at @dst; 0 if it cannot. */
static size_t vmig_wire_compress(const struct vmig_wire_codec *c, u16 encoding,
				 const void *src, size_t n, void *dst,
				 size_t cap)
{
	size_t ret;

	switch (encoding) {
	case VMIG_PAGE_LZ4:
		if (!c->lz4)
			return 0;
		ret = LZ4_compress_fast(src, dst, n, cap - 1, 1, c->lz4);
		return ret > 0 ? ret : 0;
	case VMIG_PAGE_ZSTD:
		if (!c->zstd)
			return 0;
		ret = zstd_compress_cctx(c->zstd, dst, cap - 1, src, n,
					 &c->zparams);
		return zstd_is_error(ret) ? 0 : ret;
	}
	return 0;
}

/**
 * vmig_wire_encode_run() - the entries of a run of pages
 * @src: the pages' content, @n pages, copied: it must not change meanwhile
 * @n: 1 to VMIG_WIRE_MAX_RUN pages, of indices @index to @index + @n - 1,
 *	none of them all zero (vmig_wire_encode_zero())
 * @index: the first page's index
 * @crcs: the pages' CRCs (vmig_wire_page_crc())
 * @c: the compressors
 * @encoding: VMIG_PAGE_RAW, VMIG_PAGE_LZ4 or VMIG_PAGE_ZSTD
 * @dst: room for VMIG_WIRE_RUN_ROOM(@n) bytes
 * @used: set to the encoding the run went out in
 *
 * A run that its compressor does not shrink, or whose compressor is
 * missing, goes out as @n raw entries.
 *
 * Return: the bytes written at @dst, entries and data.
 */
size_t vmig_wire_encode_run(const void *src, unsigned int n, u64 index,
			    const u32 *crcs, const struct vmig_wire_codec *c,
			    u16 encoding, void *dst, u16 *used)
{
	struct vmig_wire_page desc = {
		.index = cpu_to_le64(index),
		.encoding = cpu_to_le16(encoding),
		.run = cpu_to_le16(n - 1),
		.crc = cpu_to_le32(crcs[0]),
	};
	size_t crc_len = (n - 1) * sizeof(__le32), len, off;
	u8 *p = dst;
	unsigned int i;

	/* A block smaller than the pages makes the run smaller than raw. */
	len = vmig_wire_compress(c, encoding, src, n * PAGE_SIZE,
				 p + sizeof(desc) + crc_len, n * PAGE_SIZE);
	if (len) {
		for (i = 1; i < n; i++)
			put_unaligned_le32(crcs[i], p + sizeof(desc) +
					   (i - 1) * sizeof(__le32));
		desc.len = cpu_to_le32(crc_len + len);
		memcpy(p, &desc, sizeof(desc));
		*used = encoding;
		return sizeof(desc) + crc_len + len;
	}
	for (i = 0, off = 0; i < n; i++) {
		struct vmig_wire_page raw = {
			.index = cpu_to_le64(index + i),
			.encoding = cpu_to_le16(VMIG_PAGE_RAW),
			.len = cpu_to_le32(PAGE_SIZE),
			.crc = cpu_to_le32(crcs[i]),
		};

		memcpy(p + off, &raw, sizeof(raw));
		memcpy(p + off + sizeof(raw), (const u8 *)src + i * PAGE_SIZE,
		       PAGE_SIZE);
		off += sizeof(raw) + PAGE_SIZE;
	}
	*used = VMIG_PAGE_RAW;
	return off;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_encode_run);

/*
 * Check a page entry received from the network against memory of
 * @nr_pages pages and the @avail bytes that follow it. Returns the number
 * of data bytes it owns, or -EBADMSG for anything malformed.
 */
int vmig_wire_check_page(const struct vmig_wire_page *desc,
			 unsigned long nr_pages, size_t avail)
{
	u64 index = le64_to_cpu(desc->index);
	u32 len = le32_to_cpu(desc->len), run = le16_to_cpu(desc->run);

	if (desc->__reserved || index >= nr_pages ||
	    run >= VMIG_WIRE_MAX_RUN || run >= nr_pages - index)
		return -EBADMSG;
	switch (le16_to_cpu(desc->encoding)) {
	case VMIG_PAGE_ZERO:
		if (len || run)
			return -EBADMSG;
		break;
	case VMIG_PAGE_RAW:
		if (len != PAGE_SIZE || run)
			return -EBADMSG;
		break;
	case VMIG_PAGE_LZ4:
	case VMIG_PAGE_ZSTD:
		/* The CRCs, then a block smaller than the pages. */
		if (len <= run * sizeof(__le32) ||
		    len - run * sizeof(__le32) >= (run + 1) * PAGE_SIZE)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	return len > avail ? -EBADMSG : len;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_check_page);

/**
 * vmig_wire_pages_next() - the next page entry of a PAGES record
 * @payload: the record's payload, untrusted
 * @len: its length
 * @off: where the next entry starts; advanced past it
 * @nr_pages: the pages of the memory the entries go to
 * @desc: the entry, copied out (aligned) and checked
 * @data: set to the entry's data bytes, inside @payload
 *
 * Return: 1 for an entry, 0 at the end of the payload, -EBADMSG for a
 * truncated or malformed entry (vmig_wire_check_page()).
 */
int vmig_wire_pages_next(const void *payload, u32 len, u32 *off,
			 unsigned long nr_pages, struct vmig_wire_page *desc,
			 const void **data)
{
	const u8 *p = payload;
	int n;

	if (*off >= len)
		return 0;
	if (len - *off < sizeof(*desc))
		return -EBADMSG;
	memcpy(desc, p + *off, sizeof(*desc));
	n = vmig_wire_check_page(desc, nr_pages, len - *off - sizeof(*desc));
	if (n < 0)
		return n;
	*data = p + *off + sizeof(*desc);
	*off += sizeof(*desc) + n;
	return 1;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_pages_next);

/* The CRC of page @i of a checked entry's run, from the entry's @data. */
u32 vmig_wire_run_crc(const struct vmig_wire_page *desc, const void *data,
		      unsigned int i)
{
	if (!i)
		return le32_to_cpu(desc->crc);
	return get_unaligned_le32((const u8 *)data + (i - 1) * sizeof(__le32));
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_run_crc);

/*
 * Decode exactly @n bytes of one zstd frame: the frame must say its content
 * size, and be all of the block.
 */
static int vmig_wire_unzstd(zstd_dctx *dctx, const void *src, size_t len,
			    void *dst, size_t n)
{
	zstd_frame_header fh;
	size_t ret;

	if (!dctx || zstd_get_frame_header(&fh, src, len) ||
	    fh.frameType != ZSTD_frame || fh.frameContentSize != n ||
	    zstd_find_frame_compressed_size(src, len) != len)
		return -EBADMSG;
	ret = zstd_decompress_dctx(dctx, dst, n, src, len);
	return !zstd_is_error(ret) && ret == n ? 0 : -EBADMSG;
}

/**
 * vmig_wire_decode_run() - decode a checked entry
 * @desc: the entry, from vmig_wire_pages_next()
 * @data: its data
 * @dst: room for VMIG_WIRE_MAX_RUN pages
 * @dctx: a zstd decompression context, or NULL to refuse zstd
 *
 * A compressed block must decode to exactly the run's pages, and each page
 * must match its CRC, else -EBADMSG (and @dst may hold garbage: decode into
 * a bounce buffer).
 *
 * Return: the pages decoded (the entry's run plus one), or -EBADMSG.
 */
int vmig_wire_decode_run(const struct vmig_wire_page *desc, const void *data,
			 void *dst, zstd_dctx *dctx)
{
	unsigned int n = le16_to_cpu(desc->run) + 1, i;
	size_t crc_len = (n - 1) * sizeof(__le32);
	u32 len = le32_to_cpu(desc->len);
	const char *block = (const char *)data + crc_len;

	switch (le16_to_cpu(desc->encoding)) {
	case VMIG_PAGE_ZERO:
		memset(dst, 0, PAGE_SIZE);
		break;
	case VMIG_PAGE_RAW:
		memcpy(dst, data, PAGE_SIZE);
		break;
	case VMIG_PAGE_LZ4:
		if (LZ4_decompress_safe(block, dst, len - crc_len,
					n * PAGE_SIZE) != (int)(n * PAGE_SIZE))
			return -EBADMSG;
		break;
	case VMIG_PAGE_ZSTD:
		if (vmig_wire_unzstd(dctx, block, len - crc_len, dst,
				     n * PAGE_SIZE))
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	for (i = 0; i < n; i++)
		if (vmig_wire_page_crc((u8 *)dst + i * PAGE_SIZE) !=
		    vmig_wire_run_crc(desc, data, i))
			return -EBADMSG;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_decode_run);

/* Fill a record header for @len bytes of @payload, CRC included. */
void vmig_wire_rec_seal(struct vmig_wire_rec *rec, u16 type,
			const void *payload, u32 len)
{
	memset(rec, 0, sizeof(*rec));
	rec->type = cpu_to_le16(type);
	rec->len = cpu_to_le32(len);
	rec->crc = cpu_to_le32(vmig_wire_rec_crc(rec, payload));
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_rec_seal);

/* The CRC of a record: its header with crc zero, then its payload. */
u32 vmig_wire_rec_crc(const struct vmig_wire_rec *rec, const void *payload)
{
	struct vmig_wire_rec h = *rec;

	h.crc = 0;
	return crc32c(crc32c(~0U, &h, sizeof(h)), payload,
		      le32_to_cpu(rec->len));
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_rec_crc);

/* The payload size of fixed-size records, the least for the others. */
static const struct {
	u32 len;
	bool fixed;
} vmig_wire_rec_len[VMIG_REC_MAX] = {
	[VMIG_REC_HELLO] = { sizeof(struct vmig_wire_hello), true },
	[VMIG_REC_PAGES] = { sizeof(struct vmig_wire_page), false },
	[VMIG_REC_ROUND_END] = { sizeof(struct vmig_wire_round_end), true },
	[VMIG_REC_BLOB] = { sizeof(struct vmig_wire_blob) + 1, false },
	[VMIG_REC_END] = { sizeof(struct vmig_wire_end), true },
	[VMIG_REC_ACK] = { sizeof(struct vmig_wire_ack), true },
};

/*
 * Check a record header received from the network: a known type, no
 * flags or reserved bits, and a length the type allows. 0 or -EBADMSG.
 */
int vmig_wire_check_rec(const struct vmig_wire_rec *rec)
{
	u16 type = le16_to_cpu(rec->type);
	u32 len = le32_to_cpu(rec->len);

	if (!type || type >= VMIG_REC_MAX || rec->flags || rec->__reserved ||
	    len > VMIG_WIRE_MAX_PAYLOAD)
		return -EBADMSG;
	if (vmig_wire_rec_len[type].fixed ? len != vmig_wire_rec_len[type].len :
					    len < vmig_wire_rec_len[type].len)
		return -EBADMSG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_check_rec);
