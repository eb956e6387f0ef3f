// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: the hand-off package of dm-vmig (<linux/dm-vmig.h>, "Hand-off
 * package"): its size, its seal and the check of an untrusted one, by the
 * kernel's own code (the rules of the import, against the disk size in its
 * header), and a walk over a checked one.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "libvmig.h"

/*
 * The kernel's own codec, drivers/md/dm-vmig/pkg.c, compiled into the
 * library as it is (see kshim/kernel.h), gives vmig_disk_pkg_size() and
 * vmig_disk_pkg_seal(), and its vmig_disk_pkg_check() under this name:
 * 0, or -EBADMSG (-EINVAL for another disk size).
 */
int vmig_kpkg_check(const void *pkg, size_t len, __u64 nr_sectors);

__u32 vmig_disk_pkg_crc(const void *pkg, size_t len)
{
	struct vmig_disk_pkg hdr;
	__u32 crc;

	memcpy(&hdr, pkg, sizeof(hdr));
	hdr.crc = 0;
	crc = vmig_crc32c(~0U, &hdr, sizeof(hdr));
	return vmig_crc32c(crc, (const unsigned char *)pkg + sizeof(hdr),
			   len - sizeof(hdr));
}

int vmig_disk_pkg_check(const void *pkg, size_t len)
{
	const struct vmig_disk_pkg *hdr = pkg;

	/* What the import checks, for the disk size the header gives. */
	if (!pkg || len < sizeof(*hdr) ||
	    vmig_kpkg_check(pkg, len, le64toh(hdr->nr_sectors)))
		return -EBADMSG;
	/* At most VMIG_DISK_PKG_MAX / 40 descriptors: it fits an int. */
	return (int)le32toh(hdr->nr_descs);
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
