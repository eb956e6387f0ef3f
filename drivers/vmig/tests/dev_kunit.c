// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the /dev/vmig ioctl dispatcher: the table's invariants and
 * the size, flag, reserved-field and pointer checks every ioctl inherits.
 * The dispatcher is called directly, with arguments in a real user mapping.
 */
#include "../vmig.h"

#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/*
 * Map two pages of user memory and make the second inaccessible, so a test
 * can place a structure right before the hole. Returns the first page.
 */
static unsigned long user_pages(struct kunit *test)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_FALSE(test, !addr || IS_ERR_VALUE(addr));
	KUNIT_ASSERT_EQ(test, vm_munmap(addr + PAGE_SIZE, PAGE_SIZE), 0);
	return addr;
}

/* Copy @len bytes of @src to user address @uaddr. */
static void put_user_bytes(struct kunit *test, unsigned long uaddr,
			   const void *src, size_t len)
{
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)uaddr, src, len), 0);
}

static void get_user_bytes(struct kunit *test, void *dst, unsigned long uaddr,
			   size_t len)
{
	KUNIT_ASSERT_EQ(test, copy_from_user(dst, (void __user *)uaddr, len), 0);
}

static void check_table(struct kunit *test, const struct vmig_ioctl_table *t)
{
	size_t i;

	KUNIT_ASSERT_GT(test, t->nr_ops, 0);
	for (i = 0; i < t->nr_ops; i++) {
		const struct vmig_ioctl_op *op = &t->ops[i];

		KUNIT_EXPECT_EQ(test, _IOC_TYPE(op->ioctl_num), VMIG_TYPE);
		KUNIT_EXPECT_EQ(test, _IOC_NR(op->ioctl_num), t->base + i);
		KUNIT_EXPECT_EQ(test, _IOC_DIR(op->ioctl_num), _IOC_NONE);
		/* Every structure starts with size and flags. */
		KUNIT_EXPECT_GE(test, op->min_size, 2 * sizeof(u32));
		KUNIT_EXPECT_LE(test, op->min_size, op->size);
		KUNIT_EXPECT_LE(test, op->size, sizeof(union vmig_ucmd_buffer));
		KUNIT_EXPECT_NOT_NULL(test, op->execute);
	}
}

static void vmig_dev_ops_table(struct kunit *test)
{
	check_table(test, &vmig_dev_ioctls);
	check_table(test, &vmig_vm_ioctls);
	/* The two tables do not overlap. */
	KUNIT_EXPECT_LE(test, vmig_dev_ioctls.base + vmig_dev_ioctls.nr_ops,
			vmig_vm_ioctls.base);
}

static void vmig_dev_api_version(struct kunit *test)
{
	unsigned long u = user_pages(test);
	struct vmig_api_version v = { .size = sizeof(v) };

	memset(&v.api_version, 0xa5, sizeof(v) - offsetof(typeof(v), api_version));
	v.__reserved = 0;
	put_user_bytes(test, u, &v, sizeof(v));
	KUNIT_ASSERT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, u), 0);
	get_user_bytes(test, &v, u, sizeof(v));
	KUNIT_EXPECT_EQ(test, v.size, sizeof(v));
	KUNIT_EXPECT_EQ(test, v.flags, 0);
	KUNIT_EXPECT_EQ(test, v.api_version, VMIG_API_VERSION);
	KUNIT_EXPECT_EQ(test, v.__reserved, 0);
	KUNIT_EXPECT_EQ(test, v.features, VMIG_FEATURES);
}

static void vmig_dev_short_size(struct kunit *test)
{
	unsigned long u = user_pages(test);
	struct vmig_api_version v = {};
	u32 size;

	for (size = 0; size < sizeof(v); size++) {
		v.size = size;
		put_user_bytes(test, u, &v, sizeof(v));
		KUNIT_EXPECT_EQ_MSG(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, u),
				    -EINVAL, "size %u", size);
	}
}

/*
 * A caller that knows a larger structure passes when the extra bytes are zero
 * (and they stay untouched), and gets -E2BIG when any of them is not.
 */
static void vmig_dev_long_size(struct kunit *test)
{
	unsigned long u = user_pages(test);
	u8 buf[sizeof(struct vmig_api_version) + 16] = {};
	struct vmig_api_version *v = (void *)buf;
	u8 out[sizeof(buf)];
	size_t i;

	v->size = sizeof(buf);
	put_user_bytes(test, u, buf, sizeof(buf));
	KUNIT_ASSERT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, u), 0);
	get_user_bytes(test, out, u, sizeof(out));
	KUNIT_EXPECT_EQ(test, ((struct vmig_api_version *)out)->api_version,
			VMIG_API_VERSION);
	for (i = sizeof(*v); i < sizeof(out); i++)
		KUNIT_EXPECT_EQ(test, out[i], 0);

	for (i = sizeof(*v); i < sizeof(buf); i++) {
		memset(buf + sizeof(*v), 0, sizeof(buf) - sizeof(*v));
		buf[i] = 1;
		put_user_bytes(test, u, buf, sizeof(buf));
		KUNIT_EXPECT_EQ_MSG(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, u),
				    -E2BIG, "byte %zu", i);
	}
}

static void vmig_dev_flags_and_reserved(struct kunit *test)
{
	unsigned long u = user_pages(test);
	struct vmig_api_version v = { .size = sizeof(v) };
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		v.flags = 1U << bit;
		put_user_bytes(test, u, &v, sizeof(v));
		KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, u),
				-EOPNOTSUPP);
	}
	v.flags = 0;
	v.__reserved = 0x80000000;
	put_user_bytes(test, u, &v, sizeof(v));
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, u), -EINVAL);
}

static void vmig_dev_unknown_cmd(struct kunit *test)
{
	unsigned long u = user_pages(test);
	struct vmig_api_version v = { .size = sizeof(v) };
	unsigned int nr = VMIG_CMD_BASE + vmig_dev_ioctls.nr_ops;

	put_user_bytes(test, u, &v, sizeof(v));
	/* Past the end of the table, below its base, of another type. */
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, _IO(VMIG_TYPE, nr), u), -ENOTTY);
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, _IO(VMIG_TYPE, 0xff), u), -ENOTTY);
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, _IO('V', VMIG_CMD_BASE), u), -ENOTTY);
	/* A VM ioctl on /dev/vmig. */
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, VMIG_TRACK_STOP, u), -ENOTTY);
	/* A known number with stray direction or size bits. */
	nr = _IOWR(VMIG_TYPE, VMIG_CMD_BASE, struct vmig_api_version);
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, nr, u), -ENOTTY);
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, 0, u), -ENOTTY);
}

static void vmig_dev_bad_pointer(struct kunit *test)
{
	unsigned long u = user_pages(test);
	struct vmig_api_version v = { .size = sizeof(v) };
	unsigned long edge = u + PAGE_SIZE - sizeof(v);

	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION,
					     u + PAGE_SIZE), -EFAULT);
	/* Right before the hole: fine. Claiming a larger size: -EFAULT. */
	put_user_bytes(test, edge, &v, sizeof(v));
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, edge), 0);
	v.size = sizeof(v) + 8;
	put_user_bytes(test, edge, &v, sizeof(v));
	KUNIT_EXPECT_EQ(test, vmig_dev_ioctl(NULL, VMIG_GET_API_VERSION, edge), -EFAULT);
}

static struct kunit_case vmig_dev_cases[] = {
	KUNIT_CASE(vmig_dev_ops_table),
	KUNIT_CASE(vmig_dev_api_version),
	KUNIT_CASE(vmig_dev_short_size),
	KUNIT_CASE(vmig_dev_long_size),
	KUNIT_CASE(vmig_dev_flags_and_reserved),
	KUNIT_CASE(vmig_dev_unknown_cmd),
	KUNIT_CASE(vmig_dev_bad_pointer),
	{}
};

static struct kunit_suite vmig_dev_suite = {
	.name = "vmig_dev",
	.test_cases = vmig_dev_cases,
};

kunit_test_suites(&vmig_dev_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for vmig");
