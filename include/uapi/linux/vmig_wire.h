/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmig: the migration stream's wire format, version 1.
 *
 * Everything on the wire is little-endian and naturally aligned within its
 * record. The stream carries records; every record starts with a struct
 * vmig_wire_rec header and its payload follows. This header only draws the
 * format: the streaming engine that speaks it is not written yet.
 */
#ifndef _UAPI_LINUX_VMIG_WIRE_H
#define _UAPI_LINUX_VMIG_WIRE_H

#include <linux/types.h>

#define VMIG_WIRE_MAGIC 0x47494d56 /* "VMIG" */
#define VMIG_WIRE_VERSION 1

/* A record's payload is at most this many bytes (256 KiB). */
#define VMIG_WIRE_MAX_PAYLOAD (256 * 1024)

/**
 * struct vmig_wire_rec - the header of every record
 * @type: a VMIG_REC_* value
 * @flags: 0 in version 1
 * @len: the payload's length in bytes, at most VMIG_WIRE_MAX_PAYLOAD
 * @crc: CRC32C (Castagnoli, seed ~0, not inverted) of this header with
 *	@crc zero, then of the payload
 * @__reserved: 0
 *
 * A receiver checks the header (type, flags, length, reserved) before it
 * reads the payload, and the CRC before it uses the payload.
 */
struct vmig_wire_rec {
	__le16 type;
	__le16 flags;
	__le32 len;
	__le32 crc;
	__le32 __reserved;
};

enum {
	VMIG_REC_PAGES = 1,	/* struct vmig_wire_page entries and data */
	VMIG_REC_MAX,		/* first unknown type */
};

/*
 * How a page travels: VMIG_PAGE_ZERO with no data (the page is all zero),
 * VMIG_PAGE_RAW with the page's 4096 bytes, VMIG_PAGE_LZ4 with an LZ4 block
 * (lib/lz4's raw block format, no frame) of 1 to 4095 bytes that decodes
 * to exactly 4096 bytes.
 */
enum {
	VMIG_PAGE_ZERO = 0,
	VMIG_PAGE_RAW = 1,
	VMIG_PAGE_LZ4 = 2,
};

/**
 * struct vmig_wire_page - one page in a VMIG_REC_PAGES payload
 * @index: the page's index in the VM's memory
 * @encoding: VMIG_PAGE_ZERO, VMIG_PAGE_RAW or VMIG_PAGE_LZ4
 * @__reserved: 0
 * @len: the bytes of data that follow this entry, as the encoding says
 *
 * A VMIG_REC_PAGES payload is a sequence of entries, each followed by its
 * data, filling the payload exactly.
 */
struct vmig_wire_page {
	__le64 index;
	__le16 encoding;
	__le16 __reserved;
	__le32 len;
};

#endif /* _UAPI_LINUX_VMIG_WIRE_H */
