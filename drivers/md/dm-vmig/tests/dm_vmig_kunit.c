// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for dm-vmig's pure parts: the filter's state machine, and the
 * package codec against every malformed package a peer could send. Also
 * the invariants of /dev/dm-vmig's ioctl table.
 */
#include "../dm-vmig.h"

#include <kunit/test.h>
#include <linux/slab.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define NR_SECTORS 2048

static void vmig_disk_states(struct kunit *test)
{
	static const struct {
		u32 state;
		enum vmig_disk_event ev;
		int next;
	} t[] = {
		/* A migration, on the source then on the target. */
		{ VMIG_DISK_ST_RUNNING, VMIG_DISK_EV_HANDOFF, VMIG_DISK_ST_HANDOFF },
		{ VMIG_DISK_ST_HANDOFF, VMIG_DISK_EV_FENCE, VMIG_DISK_ST_FENCED },
		{ VMIG_DISK_ST_FENCED, VMIG_DISK_EV_COMPLETE, VMIG_DISK_ST_GONE },
		{ VMIG_DISK_ST_GONE, VMIG_DISK_EV_INCOMING, VMIG_DISK_ST_INCOMING },
		{ VMIG_DISK_ST_INCOMING, VMIG_DISK_EV_IMPORT, VMIG_DISK_ST_RUNNING },
		/* Cancelled, timed out, idle disks. */
		{ VMIG_DISK_ST_FENCED, VMIG_DISK_EV_RELEASE, VMIG_DISK_ST_RUNNING },
		{ VMIG_DISK_ST_HANDOFF, VMIG_DISK_EV_ABORT, VMIG_DISK_ST_RUNNING },
		{ VMIG_DISK_ST_INCOMING, VMIG_DISK_EV_RELEASE, VMIG_DISK_ST_RUNNING },
		{ VMIG_DISK_ST_RUNNING, VMIG_DISK_EV_INCOMING, VMIG_DISK_ST_INCOMING },
		/* A second hand-off while one runs or waits: busy. */
		{ VMIG_DISK_ST_HANDOFF, VMIG_DISK_EV_HANDOFF, -EBUSY },
		{ VMIG_DISK_ST_FENCED, VMIG_DISK_EV_HANDOFF, -EBUSY },
		{ VMIG_DISK_ST_HANDOFF, VMIG_DISK_EV_RELEASE, -EBUSY },
		{ VMIG_DISK_ST_HANDOFF, VMIG_DISK_EV_COMPLETE, -EBUSY },
		{ VMIG_DISK_ST_FENCED, VMIG_DISK_EV_INCOMING, -EBUSY },
		/* Nonsense. */
		{ VMIG_DISK_ST_RUNNING, VMIG_DISK_EV_RELEASE, -EINVAL },
		{ VMIG_DISK_ST_RUNNING, VMIG_DISK_EV_COMPLETE, -EINVAL },
		{ VMIG_DISK_ST_RUNNING, VMIG_DISK_EV_IMPORT, -EINVAL },
		{ VMIG_DISK_ST_RUNNING, VMIG_DISK_EV_FENCE, -EINVAL },
		{ VMIG_DISK_ST_GONE, VMIG_DISK_EV_HANDOFF, -EINVAL },
		{ VMIG_DISK_ST_GONE, VMIG_DISK_EV_RELEASE, -EINVAL },
		{ VMIG_DISK_ST_FENCED, VMIG_DISK_EV_IMPORT, -EINVAL },
		{ VMIG_DISK_ST_INCOMING, VMIG_DISK_EV_HANDOFF, -EINVAL },
		{ VMIG_DISK_ST_INCOMING, VMIG_DISK_EV_INCOMING, -EINVAL },
		{ VMIG_DISK_ST_INCOMING, VMIG_DISK_EV_COMPLETE, -EINVAL },
		{ VMIG_DISK_NR_STATES, VMIG_DISK_EV_HANDOFF, -EINVAL },
		{ VMIG_DISK_ST_RUNNING, VMIG_DISK_NR_EVENTS, -EINVAL },
	};
	u32 s, e;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		KUNIT_EXPECT_EQ_MSG(test, vmig_disk_next_state(t[i].state, t[i].ev),
				    t[i].next, "state %u event %u", t[i].state,
				    t[i].ev);
	/* Every transition lands on a state; IO can only be fenced by FENCE. */
	for (s = 0; s < VMIG_DISK_NR_STATES; s++) {
		KUNIT_EXPECT_STRNEQ(test, vmig_disk_state_name(s), "invalid");
		for (e = 0; e < VMIG_DISK_NR_EVENTS; e++) {
			int next = vmig_disk_next_state(s, e);

			KUNIT_EXPECT_TRUE(test, next == -EBUSY ||
					  next == -EINVAL ||
					  (next >= 0 && next < VMIG_DISK_NR_STATES));
			if (next == VMIG_DISK_ST_FENCED)
				KUNIT_EXPECT_EQ(test, e, VMIG_DISK_EV_FENCE);
		}
	}
	KUNIT_EXPECT_STREQ(test, vmig_disk_state_name(VMIG_DISK_NR_STATES),
			   "invalid");
}

/*
 * A valid package: two completed IO (one failed), then a cancelled write
 * of 4 KiB, a flush, a read and a write of 1 KiB.
 */
static void *make_pkg(struct kunit *test, size_t *len)
{
	struct vmig_disk_desc *d;
	struct vmig_disk_pkg *h;
	u8 *data;
	int i;

	*len = vmig_disk_pkg_size(6, 5120);
	h = kunit_kzalloc(test, *len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->magic = cpu_to_le32(VMIG_DISK_PKG_MAGIC);
	h->version = cpu_to_le16(VMIG_DISK_PKG_VERSION);
	h->hdr_size = cpu_to_le16(sizeof(*h));
	h->desc_size = cpu_to_le32(sizeof(*d));
	h->nr_descs = cpu_to_le32(6);
	h->nr_sectors = cpu_to_le64(NR_SECTORS);
	h->data_len = cpu_to_le64(5120);
	h->next_seq = cpu_to_le64(100);
	d = vmig_disk_pkg_descs(h);
	d[0] = (struct vmig_disk_desc){ .seq = cpu_to_le64(3),
		.sector = cpu_to_le64(8), .len = cpu_to_le32(4096),
		.op = cpu_to_le16(VMIG_DISK_OP_WRITE),
		.kind = cpu_to_le16(VMIG_DISK_COMPLETED) };
	d[1] = (struct vmig_disk_desc){ .seq = cpu_to_le64(5),
		.sector = cpu_to_le64(0), .len = cpu_to_le32(512),
		.op = cpu_to_le16(VMIG_DISK_OP_READ),
		.kind = cpu_to_le16(VMIG_DISK_COMPLETED),
		.error = cpu_to_le16(EIO) };
	d[2] = (struct vmig_disk_desc){ .seq = cpu_to_le64(4),
		.sector = cpu_to_le64(NR_SECTORS - 8), .len = cpu_to_le32(4096),
		.op = cpu_to_le16(VMIG_DISK_OP_WRITE),
		.flags = cpu_to_le16(VMIG_DISK_F_FUA),
		.kind = cpu_to_le16(VMIG_DISK_CANCELLED) };
	d[3] = (struct vmig_disk_desc){ .seq = cpu_to_le64(6),
		.op = cpu_to_le16(VMIG_DISK_OP_FLUSH),
		.flags = cpu_to_le16(VMIG_DISK_F_PREFLUSH),
		.kind = cpu_to_le16(VMIG_DISK_CANCELLED) };
	d[4] = (struct vmig_disk_desc){ .seq = cpu_to_le64(7),
		.sector = cpu_to_le64(16), .len = cpu_to_le32(8192),
		.op = cpu_to_le16(VMIG_DISK_OP_READ),
		.kind = cpu_to_le16(VMIG_DISK_CANCELLED) };
	d[5] = (struct vmig_disk_desc){ .seq = cpu_to_le64(99),
		.sector = cpu_to_le64(9), .len = cpu_to_le32(1024),
		.op = cpu_to_le16(VMIG_DISK_OP_WRITE),
		.kind = cpu_to_le16(VMIG_DISK_CANCELLED),
		.data_off = cpu_to_le64(4096) };
	data = vmig_disk_pkg_data(h, 6);
	for (i = 0; i < 5120; i++)
		data[i] = i * 7;
	vmig_disk_pkg_seal(h, *len);
	return h;
}

static void vmig_disk_pkg_valid(struct kunit *test)
{
	size_t len;
	u8 *pkg = make_pkg(test, &len);

	KUNIT_EXPECT_EQ(test, sizeof(struct vmig_disk_pkg), 64);
	KUNIT_EXPECT_EQ(test, sizeof(struct vmig_disk_desc), 40);
	KUNIT_EXPECT_EQ(test, len, 64 + 6 * 40 + 5120);
	KUNIT_EXPECT_EQ(test, vmig_disk_pkg_check(pkg, len, NR_SECTORS), 0);
	/* Another disk's size: well formed, but not ours. */
	KUNIT_EXPECT_EQ(test, vmig_disk_pkg_check(pkg, len, NR_SECTORS + 1),
			-EINVAL);
	/* Short, long, empty. */
	KUNIT_EXPECT_EQ(test, vmig_disk_pkg_check(pkg, len - 1, NR_SECTORS),
			-EBADMSG);
	KUNIT_EXPECT_EQ(test, vmig_disk_pkg_check(pkg, 10, NR_SECTORS),
			-EBADMSG);
	KUNIT_EXPECT_EQ(test, vmig_disk_pkg_size(U32_MAX, U64_MAX), SIZE_MAX);
}

/* Every single bit flipped anywhere breaks the CRC. */
static void vmig_disk_pkg_crc(struct kunit *test)
{
	size_t len, i;
	u8 *pkg = make_pkg(test, &len);

	for (i = 0; i < len * 8; i += 7) {
		pkg[i / 8] ^= 1 << (i % 8);
		KUNIT_EXPECT_EQ_MSG(test, vmig_disk_pkg_check(pkg, len, NR_SECTORS),
				    -EBADMSG, "bit %zu", i);
		pkg[i / 8] ^= 1 << (i % 8);
	}
	KUNIT_EXPECT_EQ(test, vmig_disk_pkg_check(pkg, len, NR_SECTORS), 0);
}

/* Break one field of the package, reseal it, and expect -EBADMSG. */
#define BREAK(field, value)						\
	do {								\
		pkg = make_pkg(test, &len);				\
		h = (struct vmig_disk_pkg *)pkg;			\
		d = vmig_disk_pkg_descs(pkg);				\
		field = value;						\
		vmig_disk_pkg_seal(pkg, len);				\
		KUNIT_EXPECT_EQ_MSG(test,				\
			vmig_disk_pkg_check(pkg, len, NR_SECTORS),	\
			-EBADMSG, #field " = " #value);			\
	} while (0)

static void vmig_disk_pkg_bad(struct kunit *test)
{
	struct vmig_disk_desc *d;
	struct vmig_disk_pkg *h;
	size_t len;
	u8 *pkg;

	BREAK(h->magic, 0);
	BREAK(h->version, cpu_to_le16(2));
	BREAK(h->hdr_size, cpu_to_le16(65));
	BREAK(h->desc_size, cpu_to_le32(48));
	BREAK(h->nr_descs, cpu_to_le32(5));
	BREAK(h->nr_descs, cpu_to_le32(U32_MAX));
	BREAK(h->data_len, cpu_to_le64(5121));
	BREAK(h->mode, cpu_to_le32(2));
	/* Descriptors: fields. */
	BREAK(d[2].op, cpu_to_le16(VMIG_DISK_OP_MAX));
	BREAK(d[2].flags, cpu_to_le16(1 << 5));
	BREAK(d[2].kind, 0);
	BREAK(d[2].kind, cpu_to_le16(3));
	BREAK(d[2].__reserved, cpu_to_le32(1));
	BREAK(d[2].error, cpu_to_le16(EIO));
	BREAK(d[1].error, cpu_to_le16(MAX_ERRNO + 1));
	BREAK(d[1].data_off, cpu_to_le64(1));
	BREAK(d[4].data_off, cpu_to_le64(1));
	/* Lengths and places. */
	BREAK(d[2].len, cpu_to_le32(4095));
	BREAK(d[0].len, cpu_to_le32(VMIG_DISK_IO_MAX + 512));
	BREAK(d[4].len, 0);
	BREAK(d[3].len, cpu_to_le32(512));
	BREAK(d[3].op, cpu_to_le16(VMIG_DISK_OP_WRITE));
	BREAK(d[2].sector, cpu_to_le64(NR_SECTORS - 7));
	BREAK(d[2].sector, cpu_to_le64(U64_MAX));
	/* Data: in order, without gaps, and all of it. */
	BREAK(d[5].data_off, cpu_to_le64(4095));
	BREAK(d[5].data_off, cpu_to_le64(0));
	BREAK(d[2].data_off, cpu_to_le64(1024));
	/* Order: completed first, each group by increasing seq. */
	BREAK(d[1].kind, cpu_to_le16(VMIG_DISK_CANCELLED));
	BREAK(d[2].kind, cpu_to_le16(VMIG_DISK_COMPLETED));
	BREAK(d[1].seq, cpu_to_le64(3));
	BREAK(d[4].seq, cpu_to_le64(6));
	BREAK(d[5].seq, cpu_to_le64(100));
}

static void vmig_disk_ioctl_table(struct kunit *test)
{
	const struct vmig_ioctl_table *t = &vmig_dm_ctl_ioctls;
	size_t i;

	KUNIT_EXPECT_EQ(test, t->base, DM_VMIG_CMD_BASE);
	KUNIT_EXPECT_EQ(test, t->type, DM_VMIG_TYPE);
	KUNIT_EXPECT_EQ(test, t->nr_ops, 7);
	for (i = 0; i < t->nr_ops; i++) {
		const struct vmig_ioctl_op *op = &t->ops[i];

		KUNIT_EXPECT_EQ(test, _IOC_TYPE(op->ioctl_num), DM_VMIG_TYPE);
		KUNIT_EXPECT_EQ(test, _IOC_NR(op->ioctl_num), t->base + i);
		KUNIT_EXPECT_EQ(test, op->min_size, op->size);
		KUNIT_EXPECT_LE(test, op->size, sizeof(union vmig_dm_ucmd_buffer));
		/* Every structure names its disk right after size and flags. */
		KUNIT_EXPECT_GE(test, op->min_size, 3 * sizeof(u32));
		KUNIT_EXPECT_NOT_NULL(test, op->execute);
	}
}

static struct kunit_case vmig_disk_cases[] = {
	KUNIT_CASE(vmig_disk_states),
	KUNIT_CASE(vmig_disk_pkg_valid),
	KUNIT_CASE(vmig_disk_pkg_crc),
	KUNIT_CASE(vmig_disk_pkg_bad),
	KUNIT_CASE(vmig_disk_ioctl_table),
	{}
};

static struct kunit_suite vmig_disk_suite = {
	.name = "vmig_disk",
	.test_cases = vmig_disk_cases,
};

kunit_test_suites(&vmig_disk_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for dm-vmig");
