/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire.c: the stream's codec of pages and record headers, pure functions
 * of their arguments. Needs nothing of vmig but the wire format, so that
 * the fuzzers (tools/testing/fuzz) compile wire.c for userspace as it is.
 */
#ifndef _VMIG_WIRE_H
#define _VMIG_WIRE_H

#include <linux/types.h>
#include <linux/zstd.h>

struct vmig_wire_page;
struct vmig_wire_rec;

/**
 * struct vmig_wire_codec - a source stream's compressors
 * @lz4: LZ4's working memory (LZ4_MEM_COMPRESS bytes), or NULL
 * @zstd: a zstd context with room for @zparams, or NULL
 * @zparams: zstd's parameters (vmig_wire_zstd_params())
 */
struct vmig_wire_codec {
	void *lz4;
	zstd_cctx *zstd;
	zstd_parameters zparams;
};

/* The room vmig_wire_encode_run() needs for a run of @n pages. */
#define VMIG_WIRE_RUN_ROOM(n) \
	((n) * (sizeof(struct vmig_wire_page) + PAGE_SIZE))

zstd_parameters vmig_wire_zstd_params(int level);
size_t vmig_wire_zstd_cctx_size(const zstd_parameters *p);
size_t vmig_wire_encode_zero(u64 index, u32 crc, void *dst);
size_t vmig_wire_encode_run(const void *src, unsigned int n, u64 index,
			    const u32 *crcs, const struct vmig_wire_codec *c,
			    u16 encoding, void *dst, u16 *used);
int vmig_wire_check_page(const struct vmig_wire_page *desc,
			 unsigned long nr_pages, size_t avail);
int vmig_wire_pages_next(const void *payload, u32 len, u32 *off,
			 unsigned long nr_pages, struct vmig_wire_page *desc,
			 const void **data);
u32 vmig_wire_run_crc(const struct vmig_wire_page *desc, const void *data,
		      unsigned int i);
int vmig_wire_decode_run(const struct vmig_wire_page *desc, const void *data,
			 void *dst, zstd_dctx *dctx);
u32 vmig_wire_page_crc(const void *page);
bool vmig_wire_page_zero(const void *page);
u32 vmig_wire_digest_step(u32 digest, u32 page_crc);
u32 vmig_wire_rec_crc(const struct vmig_wire_rec *rec, const void *payload);
void vmig_wire_rec_seal(struct vmig_wire_rec *rec, u16 type,
			const void *payload, u32 len);
int vmig_wire_check_rec(const struct vmig_wire_rec *rec);

#endif /* _VMIG_WIRE_H */
