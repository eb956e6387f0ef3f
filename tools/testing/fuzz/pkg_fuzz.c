// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a hand-off package, as the import and a VMM take it
 * from the device-state blob, through the kernel's own check
 * (drivers/md/dm-vmig/pkg.c, compiled into libvmig) and libvmig's walker,
 * which touches every descriptor and the first and last byte of every
 * write's data. A package whose CRC field is 0 is sealed first, so that
 * the fuzzer reaches the checks behind the CRC; any other CRC is taken as
 * it is.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vmig/libvmig.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the walk read: a global, so that no read is optimised away. */
unsigned int pkg_fuzz_sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vmig_disk_desc *d;
	struct vmig_disk_pkg_iter it;
	struct vmig_disk_pkg *hdr;
	const void *wdata;
	unsigned char *pkg;

	/* A buffer of the package's size: ASan sees a read past it. */
	pkg = malloc(size ? size : 1);
	if (!pkg)
		return 0;
	memcpy(pkg, data, size);
	hdr = (struct vmig_disk_pkg *)pkg;
	if (size >= sizeof(*hdr) && !hdr->crc)
		vmig_disk_pkg_seal(pkg, size);
	if (vmig_disk_pkg_iter_init(&it, pkg, size) >= 0) {
		while ((d = vmig_disk_pkg_next(&it, &wdata))) {
			pkg_fuzz_sink += le16toh(d->op);
			if (wdata && le32toh(d->len))
				pkg_fuzz_sink += ((const unsigned char *)wdata)[0] +
					((const unsigned char *)wdata)
						[le32toh(d->len) - 1];
		}
	}
	free(pkg);
	return 0;
}
