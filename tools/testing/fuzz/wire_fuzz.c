// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a record from the network, as a migration target
 * takes it, through the kernel's own wire codec (drivers/vmig/wire.c,
 * compiled for userspace): the header check, the CRC, and for PAGES every
 * page entry walked, checked and decoded. The input is the record as it
 * comes off the socket; the CRC is computed but, so that the fuzzer gets
 * past it, not required (vmig_sock_recv_rec() checks it after the header,
 * and nothing before depends on it).
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/vmig_wire.h>

#include "wire_shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* zstd's decompression context, made at the first input. */
static zstd_dctx *dctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char pages[VMIG_WIRE_MAX_RUN * 4096];
	const void *entry_data;
	struct vmig_wire_page d;
	struct vmig_wire_rec rec;
	uint32_t len, off = 0;
	unsigned char *payload;

	if (!dctx) {
		size_t ws = zstd_dctx_workspace_bound();

		dctx = zstd_init_dctx(malloc(ws), ws);
		if (!dctx)
			abort();
	}
	if (size < sizeof(rec))
		return 0;
	memcpy(&rec, data, sizeof(rec));
	if (vmig_wire_check_rec(&rec))
		return 0;
	len = le32toh(rec.len);
	if (size - sizeof(rec) < len)
		return 0;
	/* A buffer of the payload's size: ASan sees a read past it. */
	payload = malloc(len ? len : 1);
	if (!payload)
		return 0;
	memcpy(payload, data + sizeof(rec), len);
	(void)vmig_wire_rec_crc(&rec, payload);
	if (le16toh(rec.type) == VMIG_REC_PAGES)
		while (vmig_wire_pages_next(payload, len, &off, 1UL << 20, &d,
					    &entry_data) > 0)
			(void)vmig_wire_decode_run(&d, entry_data, pages, dctx);
	free(payload);
	return 0;
}
