// SPDX-License-Identifier: GPL-2.0
/*
 * The wire format's page codec (include/uapi/linux/vmig_wire.h): encode a
 * page as zero, LZ4 or raw, and check and decode one from an untrusted
 * buffer. Pure functions, so that the streaming engine's workers and the
 * KUnit suite share them.
 */
#include "wire.h"

#include <asm/page.h>
#include <kunit/visibility.h>
#include <linux/crc32c.h>
#include <linux/errno.h>
#include <linux/lz4.h>
#include <linux/string.h>
#include <linux/vmig_wire.h>

/* The CRC32C of a page's content, as the wire carries it. */
u32 vmig_wire_page_crc(const void *page)
{
	return crc32c(~0U, page, PAGE_SIZE);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_page_crc);

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

/*
 * Encode the page at @src into @dst, which has room for PAGE_SIZE bytes:
 * fill @desc (index and CRC included) and return the number of data bytes
 * written. @src must not change meanwhile: copy guest memory first. With
 * @lz4 false, or without @wrkmem (LZ4_MEM_COMPRESS bytes), a page that is
 * not zero goes raw; so does one that LZ4 does not shrink.
 */
size_t vmig_wire_encode_page(const void *src, u64 index, void *dst,
			     bool lz4, void *wrkmem,
			     struct vmig_wire_page *desc)
{
	int n = 0;

	memset(desc, 0, sizeof(*desc));
	desc->index = cpu_to_le64(index);
	desc->crc = cpu_to_le32(vmig_wire_page_crc(src));
	if (!memchr_inv(src, 0, PAGE_SIZE)) {
		desc->encoding = cpu_to_le16(VMIG_PAGE_ZERO);
		return 0;
	}
	if (lz4 && wrkmem)
		n = LZ4_compress_fast(src, dst, PAGE_SIZE, PAGE_SIZE - 1, 1,
				      wrkmem);
	if (n > 0) {
		desc->encoding = cpu_to_le16(VMIG_PAGE_LZ4);
		desc->len = cpu_to_le32(n);
		return n;
	}
	memcpy(dst, src, PAGE_SIZE);
	desc->encoding = cpu_to_le16(VMIG_PAGE_RAW);
	desc->len = cpu_to_le32(PAGE_SIZE);
	return PAGE_SIZE;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_encode_page);

/*
 * Check a page entry received from the network against memory of
 * @nr_pages pages and the @avail bytes that follow it. Returns the number
 * of data bytes it owns, or -EBADMSG for anything malformed.
 */
int vmig_wire_check_page(const struct vmig_wire_page *desc,
			 unsigned long nr_pages, size_t avail)
{
	u32 len = le32_to_cpu(desc->len);

	if (desc->__reserved || desc->__reserved2 ||
	    le64_to_cpu(desc->index) >= nr_pages)
		return -EBADMSG;
	switch (le16_to_cpu(desc->encoding)) {
	case VMIG_PAGE_ZERO:
		if (len)
			return -EBADMSG;
		break;
	case VMIG_PAGE_RAW:
		if (len != PAGE_SIZE)
			return -EBADMSG;
		break;
	case VMIG_PAGE_LZ4:
		if (!len || len >= PAGE_SIZE)
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

/*
 * Decode a checked page entry and its @data into the page at @dst. An LZ4
 * block must decode to exactly PAGE_SIZE bytes, and the result must match
 * the entry's CRC, else -EBADMSG (and @dst may hold garbage: decode into a
 * bounce page).
 */
int vmig_wire_decode_page(const struct vmig_wire_page *desc,
			  const void *data, void *dst)
{
	u32 len = le32_to_cpu(desc->len);

	switch (le16_to_cpu(desc->encoding)) {
	case VMIG_PAGE_ZERO:
		memset(dst, 0, PAGE_SIZE);
		break;
	case VMIG_PAGE_RAW:
		memcpy(dst, data, PAGE_SIZE);
		break;
	case VMIG_PAGE_LZ4:
		if (LZ4_decompress_safe(data, dst, len, PAGE_SIZE) != PAGE_SIZE)
			return -EBADMSG;
		break;
	default:
		return -EBADMSG;
	}
	if (vmig_wire_page_crc(dst) != le32_to_cpu(desc->crc))
		return -EBADMSG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_decode_page);

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
