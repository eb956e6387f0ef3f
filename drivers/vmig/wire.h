/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wire.c: the stream's codec of pages and record headers, pure functions
 * of their arguments. Needs nothing of vmig but the wire format, so that
 * the fuzzers (tools/testing/fuzz) compile wire.c for userspace as it is.
 */
#ifndef _VMIG_WIRE_H
#define _VMIG_WIRE_H

#include <linux/types.h>

struct vmig_wire_page;
struct vmig_wire_rec;

size_t vmig_wire_encode_page(const void *src, u64 index, void *dst,
			     bool lz4, void *wrkmem,
			     struct vmig_wire_page *desc);
int vmig_wire_check_page(const struct vmig_wire_page *desc,
			 unsigned long nr_pages, size_t avail);
int vmig_wire_pages_next(const void *payload, u32 len, u32 *off,
			 unsigned long nr_pages, struct vmig_wire_page *desc,
			 const void **data);
int vmig_wire_decode_page(const struct vmig_wire_page *desc,
			  const void *data, void *dst);
u32 vmig_wire_page_crc(const void *page);
u32 vmig_wire_digest_step(u32 digest, u32 page_crc);
u32 vmig_wire_rec_crc(const struct vmig_wire_rec *rec, const void *payload);
void vmig_wire_rec_seal(struct vmig_wire_rec *rec, u16 type,
			const void *payload, u32 len);
int vmig_wire_check_rec(const struct vmig_wire_rec *rec);

#endif /* _VMIG_WIRE_H */
