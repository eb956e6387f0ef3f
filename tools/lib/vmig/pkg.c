// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: the hand-off package of dm-vmig (<linux/dm-vmig.h>, "Hand-off
 * package"): its size, its seal, the check of an untrusted one (the rules
 * of the kernel's import, against the disk size in its header) and a walk
 * over a checked one.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>

#include "libvmig.h"

/* The largest errno a completed IO may end with (the kernel's MAX_ERRNO). */
#define VMIG_MAX_ERRNO 4095

size_t vmig_disk_pkg_size(__u32 nr_descs, __u64 data_len)
{
	size_t size;

	if (data_len > SIZE_MAX ||
	    __builtin_mul_overflow((size_t)nr_descs,
				   sizeof(struct vmig_disk_desc), &size) ||
	    __builtin_add_overflow(size, sizeof(struct vmig_disk_pkg), &size) ||
	    __builtin_add_overflow(size, (size_t)data_len, &size))
		return SIZE_MAX;
	return size;
}

__u32 vmig_disk_pkg_crc(const void *pkg, size_t len)
{
	static const unsigned char zero[4];
	const size_t at = offsetof(struct vmig_disk_pkg, crc);
	__u32 crc;

	crc = vmig_crc32c(~0U, pkg, at);
	crc = vmig_crc32c(crc, zero, sizeof(zero));
	return vmig_crc32c(crc, (const unsigned char *)pkg + at + 4,
			   len - at - 4);
}

void vmig_disk_pkg_seal(void *pkg, size_t len)
{
	struct vmig_disk_pkg *hdr = pkg;

	hdr->crc = htole32(vmig_disk_pkg_crc(pkg, len));
}

/* One descriptor; @data_off is where the next write's data must start. */
static int desc_check(const struct vmig_disk_desc *d, __u64 nr_sectors,
		      __u64 *data_off)
{
	__u32 len = le32toh(d->len);
	__u16 op = le16toh(d->op);
	__u16 kind = le16toh(d->kind);
	__u64 sector = le64toh(d->sector);
	__u64 end;

	if (d->__reserved || op >= VMIG_DISK_OP_MAX ||
	    le16toh(d->flags) & ~VMIG_DISK_F_ALL ||
	    (kind != VMIG_DISK_COMPLETED && kind != VMIG_DISK_CANCELLED) ||
	    len % 512 || len > VMIG_DISK_IO_MAX)
		return -EBADMSG;
	if (op == VMIG_DISK_OP_FLUSH ? len : !len)
		return -EBADMSG;
	if (__builtin_add_overflow(sector, (__u64)len / 512, &end) ||
	    end > nr_sectors)
		return -EBADMSG;
	if (kind == VMIG_DISK_COMPLETED)
		return d->data_off || le16toh(d->error) > VMIG_MAX_ERRNO ?
		       -EBADMSG : 0;
	if (d->error)
		return -EBADMSG;
	if (op != VMIG_DISK_OP_WRITE)
		return d->data_off ? -EBADMSG : 0;
	if (le64toh(d->data_off) != *data_off)
		return -EBADMSG;
	*data_off += len;
	return 0;
}

int vmig_disk_pkg_check(const void *pkg, size_t len)
{
	const struct vmig_disk_pkg *hdr = pkg;
	const struct vmig_disk_desc *d;
	__u64 next_seq, nr_sectors, data_off = 0, last_seq = 0;
	__u16 kind = VMIG_DISK_COMPLETED;
	__u32 i, nr;

	if (!pkg || len < sizeof(*hdr) || len > VMIG_DISK_PKG_MAX)
		return -EBADMSG;
	nr = le32toh(hdr->nr_descs);
	if (le32toh(hdr->magic) != VMIG_DISK_PKG_MAGIC ||
	    le16toh(hdr->version) != VMIG_DISK_PKG_VERSION ||
	    le16toh(hdr->hdr_size) != sizeof(*hdr) ||
	    le32toh(hdr->desc_size) != sizeof(*d) ||
	    le32toh(hdr->mode) > VMIG_DISK_HANDOFF_DRAIN ||
	    hdr->__reserved[0] || hdr->__reserved[1] ||
	    vmig_disk_pkg_size(nr, le64toh(hdr->data_len)) != len)
		return -EBADMSG;
	if (le32toh(hdr->crc) != vmig_disk_pkg_crc(pkg, len))
		return -EBADMSG;

	nr_sectors = le64toh(hdr->nr_sectors);
	next_seq = le64toh(hdr->next_seq);
	d = vmig_disk_pkg_desc(pkg, 0);
	for (i = 0; i < nr; i++, d++) {
		__u16 k = le16toh(d->kind);
		__u64 seq = le64toh(d->seq);

		if (desc_check(d, nr_sectors, &data_off))
			return -EBADMSG;
		/* Completed first, then cancelled, each by increasing seq. */
		if (k < kind || seq >= next_seq ||
		    (k == kind && i && seq <= last_seq))
			return -EBADMSG;
		kind = k;
		last_seq = seq;
	}
	/* nr <= VMIG_DISK_PKG_MAX / 40 here: it fits an int. */
	return data_off == le64toh(hdr->data_len) ? (int)nr : -EBADMSG;
}

const struct vmig_disk_desc *vmig_disk_pkg_desc(const void *pkg, __u32 i)
{
	return (const struct vmig_disk_desc *)((const unsigned char *)pkg +
		sizeof(struct vmig_disk_pkg)) + i;
}

const void *vmig_disk_pkg_data(const void *pkg, __u32 nr,
			       const struct vmig_disk_desc *d)
{
	return (const unsigned char *)vmig_disk_pkg_desc(pkg, nr) +
	       le64toh(d->data_off);
}

int vmig_disk_pkg_iter_init(struct vmig_disk_pkg_iter *it, const void *pkg,
			    size_t len)
{
	int nr = vmig_disk_pkg_check(pkg, len);

	if (nr < 0)
		return nr;
	it->hdr = pkg;
	it->nr = nr;
	it->i = 0;
	it->data = (const unsigned char *)vmig_disk_pkg_desc(pkg, nr);
	return nr;
}

const struct vmig_disk_desc *vmig_disk_pkg_next(struct vmig_disk_pkg_iter *it,
						const void **data)
{
	const struct vmig_disk_desc *d;

	if (it->i >= it->nr)
		return NULL;
	d = vmig_disk_pkg_desc(it->hdr, it->i++);
	if (data)
		*data = le16toh(d->kind) == VMIG_DISK_CANCELLED &&
			le16toh(d->op) == VMIG_DISK_OP_WRITE ?
			it->data + le64toh(d->data_off) : NULL;
	return d;
}
