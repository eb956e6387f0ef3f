// SPDX-License-Identifier: GPL-2.0
/*
 * The package codec: the size, the seal and the check of a hand-off
 * package (include/uapi/linux/dm-vmig.h, "Hand-off package"). The
 * hand-off builds packages, the import checks them, and the KUnit suite
 * tries both.
 */
#include "pkg.h"

#include <kunit/visibility.h>
#include <linux/crc32c.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/string.h>

/**
 * vmig_disk_pkg_size() - the size of a package
 * @nr_descs: its descriptors
 * @data_len: its bytes of write data
 *
 * Return: the size in bytes, or SIZE_MAX when it overflows.
 */
size_t vmig_disk_pkg_size(u32 nr_descs, u64 data_len)
{
	size_t size;

	if (check_mul_overflow((size_t)nr_descs, sizeof(struct vmig_disk_desc),
			       &size) ||
	    check_add_overflow(size, sizeof(struct vmig_disk_pkg), &size) ||
	    check_add_overflow(size, (size_t)data_len, &size))
		return SIZE_MAX;
	return size;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_disk_pkg_size);

static u32 vmig_disk_pkg_crc(const void *pkg, size_t len)
{
	static const u8 zero[4];
	const size_t at = offsetof(struct vmig_disk_pkg, crc);
	u32 crc;

	crc = crc32c(~0U, pkg, at);
	crc = crc32c(crc, zero, sizeof(zero));
	return crc32c(crc, (const u8 *)pkg + at + 4, len - at - 4);
}

/**
 * vmig_disk_pkg_seal() - set the CRC of a package
 * @pkg: the package, header filled in
 * @len: its size
 */
void vmig_disk_pkg_seal(void *pkg, size_t len)
{
	struct vmig_disk_pkg *hdr = pkg;

	hdr->crc = cpu_to_le32(vmig_disk_pkg_crc(pkg, len));
}
EXPORT_SYMBOL_IF_KUNIT(vmig_disk_pkg_seal);

static int vmig_disk_desc_check(const struct vmig_disk_desc *d, u64 nr_sectors,
				u64 *data_off)
{
	u32 len = le32_to_cpu(d->len);
	u16 op = le16_to_cpu(d->op);
	u16 kind = le16_to_cpu(d->kind);
	u64 sector = le64_to_cpu(d->sector);
	u64 end;

	if (d->__reserved || op >= VMIG_DISK_OP_MAX ||
	    le16_to_cpu(d->flags) & ~VMIG_DISK_F_ALL ||
	    (kind != VMIG_DISK_COMPLETED && kind != VMIG_DISK_CANCELLED) ||
	    len % 512 || len > VMIG_DISK_IO_MAX)
		return -EBADMSG;
	if (op == VMIG_DISK_OP_FLUSH ? len : !len)
		return -EBADMSG;
	if (check_add_overflow(sector, (u64)len / 512, &end) ||
	    end > nr_sectors)
		return -EBADMSG;
	if (kind == VMIG_DISK_COMPLETED)
		return d->data_off || le16_to_cpu(d->error) > MAX_ERRNO ?
		       -EBADMSG : 0;
	if (d->error)
		return -EBADMSG;
	if (op != VMIG_DISK_OP_WRITE)
		return d->data_off ? -EBADMSG : 0;
	if (le64_to_cpu(d->data_off) != *data_off)
		return -EBADMSG;
	*data_off += len;
	return 0;
}

/**
 * vmig_disk_pkg_check() - check an untrusted package
 * @pkg: the package
 * @len: its size in bytes
 * @nr_sectors: the size of the disk it is for
 *
 * Checks the header, the CRC and every descriptor, see "Hand-off package".
 *
 * Return: 0, -EBADMSG for a malformed package, -EINVAL for one that is
 * well formed but for a disk of another size.
 */
int vmig_disk_pkg_check(const void *pkg, size_t len, u64 nr_sectors)
{
	const struct vmig_disk_pkg *hdr = pkg;
	const struct vmig_disk_desc *d;
	u64 next_seq, data_off = 0, last_seq = 0;
	u16 kind = VMIG_DISK_COMPLETED;
	u32 i, nr;

	if (len < sizeof(*hdr) || len > VMIG_DISK_PKG_MAX)
		return -EBADMSG;
	nr = le32_to_cpu(hdr->nr_descs);
	if (le32_to_cpu(hdr->magic) != VMIG_DISK_PKG_MAGIC ||
	    le16_to_cpu(hdr->version) != VMIG_DISK_PKG_VERSION ||
	    le16_to_cpu(hdr->hdr_size) != sizeof(*hdr) ||
	    le32_to_cpu(hdr->desc_size) != sizeof(*d) ||
	    le32_to_cpu(hdr->mode) > VMIG_DISK_HANDOFF_DRAIN ||
	    vmig_disk_pkg_size(nr, le64_to_cpu(hdr->data_len)) != len)
		return -EBADMSG;
	if (le32_to_cpu(hdr->crc) != vmig_disk_pkg_crc(pkg, len))
		return -EBADMSG;
	if (le64_to_cpu(hdr->nr_sectors) != nr_sectors)
		return -EINVAL;

	next_seq = le64_to_cpu(hdr->next_seq);
	d = vmig_disk_pkg_descs(pkg);
	for (i = 0; i < nr; i++, d++) {
		u16 k = le16_to_cpu(d->kind);
		u64 seq = le64_to_cpu(d->seq);

		if (vmig_disk_desc_check(d, nr_sectors, &data_off))
			return -EBADMSG;
		/* Completed first, then cancelled, each by increasing seq. */
		if (k < kind || seq >= next_seq ||
		    (k == kind && i && seq <= last_seq))
			return -EBADMSG;
		kind = k;
		last_seq = seq;
	}
	return data_off == le64_to_cpu(hdr->data_len) ? 0 : -EBADMSG;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_disk_pkg_check);
