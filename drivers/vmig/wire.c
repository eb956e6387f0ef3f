// SPDX-License-Identifier: GPL-2.0
/*
 * The wire format's page codec (include/uapi/linux/vmig_wire.h): encode a
 * page as zero, LZ4 or raw, and check and decode one from an untrusted
 * buffer. Pure functions, so that the streaming engine's workers and the
 * KUnit suite share them.
 */
#include "vmig.h"

#include <kunit/visibility.h>
#include <linux/crc32c.h>
#include <linux/lz4.h>
#include <linux/string.h>
#include <linux/vmig_wire.h>

/*
 * Encode the page at @src into @dst, which has room for PAGE_SIZE bytes:
 * fill @desc (index included) and return the number of data bytes written.
 * With @lz4 false, or without @wrkmem (LZ4_MEM_COMPRESS bytes), a page
 * that is not zero goes raw; so does one that LZ4 does not shrink.
 */
size_t vmig_wire_encode_page(const void *src, u64 index, void *dst,
			     bool lz4, void *wrkmem,
			     struct vmig_wire_page *desc)
{
	int n = 0;

	memset(desc, 0, sizeof(*desc));
	desc->index = cpu_to_le64(index);
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

	if (desc->__reserved || le64_to_cpu(desc->index) >= nr_pages)
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

/*
 * Decode a checked page entry and its @data into the page at @dst. An LZ4
 * block must decode to exactly PAGE_SIZE bytes, else -EBADMSG (and @dst
 * may hold garbage: decode into a bounce page, or into memory that a failed
 * migration discards).
 */
int vmig_wire_decode_page(const struct vmig_wire_page *desc,
			  const void *data, void *dst)
{
	u32 len = le32_to_cpu(desc->len);

	switch (le16_to_cpu(desc->encoding)) {
	case VMIG_PAGE_ZERO:
		memset(dst, 0, PAGE_SIZE);
		return 0;
	case VMIG_PAGE_RAW:
		memcpy(dst, data, PAGE_SIZE);
		return 0;
	case VMIG_PAGE_LZ4:
		if (LZ4_decompress_safe(data, dst, len, PAGE_SIZE) != PAGE_SIZE)
			return -EBADMSG;
		return 0;
	}
	return -EBADMSG;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_decode_page);

/* The CRC of a record: its header with crc zero, then its payload. */
u32 vmig_wire_rec_crc(const struct vmig_wire_rec *rec, const void *payload)
{
	struct vmig_wire_rec h = *rec;

	h.crc = 0;
	return crc32c(crc32c(~0U, &h, sizeof(h)), payload,
		      le32_to_cpu(rec->len));
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_rec_crc);

/* Check a record header received from the network: 0 or -EBADMSG. */
int vmig_wire_check_rec(const struct vmig_wire_rec *rec)
{
	u16 type = le16_to_cpu(rec->type);

	if (!type || type >= VMIG_REC_MAX || rec->flags || rec->__reserved ||
	    le32_to_cpu(rec->len) > VMIG_WIRE_MAX_PAYLOAD)
		return -EBADMSG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_wire_check_rec);
