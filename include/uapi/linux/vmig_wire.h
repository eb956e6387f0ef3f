/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmig: the migration stream's wire format, version 2.
 *
 * A session runs over one or more streams (TCP connections). Everything on
 * the wire is little-endian. Each stream carries records; every record
 * starts with a struct vmig_wire_rec header and its payload follows.
 *
 * On every stream, source to target:
 *
 *   HELLO, then per round r = 0, 1, ...: PAGES* ROUND_END(r),
 *   the last round's ROUND_END with VMIG_ROUND_FINAL,
 *   and on stream 0 only, after that: BLOB* END.
 *
 * Target to source, on stream 0 only: ACK, after END.
 *
 * The target applies round r + 1 only once every stream has delivered
 * ROUND_END(r): a page sent in two rounds, on two streams, lands in order.
 * Within a round, a page is sent at most once.
 */
#ifndef _UAPI_LINUX_VMIG_WIRE_H
#define _UAPI_LINUX_VMIG_WIRE_H

#include <linux/types.h>

#define VMIG_WIRE_MAGIC 0x47494d56 /* "VMIG" */
/*
 * Version 2 added compressed runs of neighbouring pages (struct
 * vmig_wire_page @run) and zstd. A target speaks exactly one version and
 * refuses a HELLO of another (EPROTO).
 */
#define VMIG_WIRE_VERSION 2

/* A record's payload is at most this many bytes (256 KiB). */
#define VMIG_WIRE_MAX_PAYLOAD (256 * 1024)

/**
 * struct vmig_wire_rec - the header of every record
 * @type: a VMIG_REC_* value
 * @flags: 0 in version 1
 * @len: the payload's length in bytes, at most VMIG_WIRE_MAX_PAYLOAD, and
 *	exactly the size of the type's structure for fixed-size records
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
	VMIG_REC_HELLO = 1,	/* struct vmig_wire_hello */
	VMIG_REC_PAGES,		/* struct vmig_wire_page entries and data */
	VMIG_REC_ROUND_END,	/* struct vmig_wire_round_end */
	VMIG_REC_BLOB,		/* struct vmig_wire_blob and data */
	VMIG_REC_END,		/* struct vmig_wire_end */
	VMIG_REC_ACK,		/* struct vmig_wire_ack */
	VMIG_REC_MAX,		/* first unknown type */
};

/* struct vmig_wire_hello flags */
#define VMIG_HELLO_VERIFY (1U << 0)	/* digest memory, not checksums */

/**
 * struct vmig_wire_hello - the first record of every stream
 * @magic: VMIG_WIRE_MAGIC
 * @version: VMIG_WIRE_VERSION
 * @page_shift: log2 of the page size, 12
 * @stream: this stream's index, below @nr_streams
 * @nr_streams: the session's streams, 1 to VMIG_MIG_MAX_STREAMS
 * @flags: VMIG_HELLO_* bits
 * @nr_pages: the memory size in pages; the target's must be the same
 * @session: a random number, the same on every stream of the session
 * @__reserved: 0
 *
 * Every field but @stream is the same on all streams of a session.
 */
struct vmig_wire_hello {
	__le32 magic;
	__le16 version;
	__le16 page_shift;
	__le16 stream;
	__le16 nr_streams;
	__le32 flags;
	__le64 nr_pages;
	__le64 session;
	__le64 __reserved;
};

/*
 * How pages travel: VMIG_PAGE_ZERO with no data (the page is all zero),
 * VMIG_PAGE_RAW with the page's 4096 bytes, VMIG_PAGE_LZ4 and
 * VMIG_PAGE_ZSTD with a compressed block that decodes to exactly the
 * 4096 bytes of each page of the entry's run: an LZ4 block (lib/lz4's raw
 * block format, no frame), or one zstd frame (RFC 8878) whose content size
 * is given in its header and whose window is at most the run's size.
 */
enum {
	VMIG_PAGE_ZERO = 0,
	VMIG_PAGE_RAW = 1,
	VMIG_PAGE_LZ4 = 2,
	VMIG_PAGE_ZSTD = 3,
};

/* The most pages of one compressed run (64 KiB). */
#define VMIG_WIRE_MAX_RUN 16

/**
 * struct vmig_wire_page - one page, or a run of pages, in a PAGES payload
 * @index: the (first) page's index in the VM's memory
 * @encoding: a VMIG_PAGE_* value
 * @run: the pages of the run after the first, 0 to VMIG_WIRE_MAX_RUN - 1:
 *	the entry stands for pages @index to @index + @run, which must all be
 *	inside the memory. Only a compressed entry (LZ4, ZSTD) has a run; 0
 *	for the others
 * @len: the bytes of data that follow this entry: for ZERO, 0; for RAW,
 *	4096; for LZ4 and ZSTD, @run CRCs (__le32 each, of the pages after
 *	the first, in order), then the compressed block, of at least 1 and
 *	less than (@run + 1) * 4096 bytes
 * @crc: CRC32C (seed ~0, not inverted) of the (first) page's 4096 bytes,
 *	decoded
 * @__reserved: 0
 *
 * A VMIG_REC_PAGES payload is a sequence of entries, each followed by its
 * data, filling the payload exactly. A receiver checks each page of a run
 * against its CRC before it stores any of them.
 */
struct vmig_wire_page {
	__le64 index;
	__le16 encoding;
	__le16 run;
	__le32 len;
	__le32 crc;
	__le32 __reserved;
};

/* struct vmig_wire_round_end flags */
#define VMIG_ROUND_FINAL (1U << 0)	/* the round after the pause */

/**
 * struct vmig_wire_round_end - the end of a round on one stream
 * @round: the round, counting from 0 on every stream
 * @flags: VMIG_ROUND_* bits
 * @pages: the pages this stream sent in the round
 */
struct vmig_wire_round_end {
	__le32 round;
	__le32 flags;
	__le64 pages;
};

/**
 * struct vmig_wire_blob - a piece of the device-state blob
 * @total: the blob's length, the same in every piece, at most
 *	VMIG_BLOB_MAX
 * @offset: where this piece's data, which follows, goes; pieces come in
 *	order, without gaps
 */
struct vmig_wire_blob {
	__le64 total;
	__le64 offset;
};

/**
 * struct vmig_wire_end - the end of the session, on stream 0
 * @digest: CRC32C over the CRC32C of every page, in page order, each as a
 *	__le32: the checksums of the pages last sent (a page never sent
 *	counts as zero), or, with VMIG_HELLO_VERIFY, of the memory itself
 *	at the pause
 * @__reserved: 0
 * @blob_len: the blob's length, 0 for none
 */
struct vmig_wire_end {
	__le32 digest;
	__le32 __reserved;
	__le64 blob_len;
};

/**
 * struct vmig_wire_ack - the target's answer to VMIG_REC_END
 * @status: 0 when the target's digest matches; else a positive errno
 * @digest: the target's digest
 */
struct vmig_wire_ack {
	__le32 status;
	__le32 digest;
};

#endif /* _UAPI_LINUX_VMIG_WIRE_H */
