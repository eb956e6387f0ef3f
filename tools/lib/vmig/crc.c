// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: CRC32C, as the hand-off package and the migration wire use it,
 * from ISA-L. crc32_iscsi() neither inverts its seed nor its result, so
 * it continues a CRC as it is.
 */
#include <isa-l/crc.h>

#include "libvmig.h"

/* crc32_iscsi() takes an int length: feed it in pieces that fit. */
#define VMIG_CRC_CHUNK 0x40000000U

__u32 vmig_crc32c(__u32 crc, const void *buf, size_t len)
{
	unsigned char *p = (unsigned char *)buf;	/* ISA-L lacks const */
	size_t n;

	while (len) {
		n = len < VMIG_CRC_CHUNK ? len : VMIG_CRC_CHUNK;
		crc = crc32_iscsi(p, (int)n, crc);
		p += n;
		len -= n;
	}
	return crc;
}
