// SPDX-License-Identifier: GPL-2.0
/*
 * Writes that do not come from a CPU store: O_DIRECT reads into guest memory
 * (get_user_pages() with FOLL_PIN, then a copy by the block layer, as a DMA
 * would do) must show up in the dirty log, and so must a read that is still
 * in flight, its pages pinned, while a harvest runs.
 *
 * VMIG_DIO_DEV names a block device of 1 MiB that supports O_DIRECT, and
 * VMIG_SLOW_DEV the same device behind dm-delay; dio_test.sh sets both up.
 * The fixture fills block i with the byte (i % 251) + 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vmig/libvmig.h>
#include "kselftest_harness.h"

#define NR_PAGES 1024

static int open_direct(const char *env)
{
	return open(getenv(env), O_RDWR | O_DIRECT);
}

static void fill_device(struct __test_metadata *_metadata)
{
	char *buf = mmap(NULL, 256 * VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = open_direct("VMIG_DIO_DEV");
	int i;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_LE(0, fd);
	for (i = 0; i < 256; i++)
		memset(buf + i * VMIG_PAGE_SIZE, i % 251 + 1, VMIG_PAGE_SIZE);
	ASSERT_EQ(256 * VMIG_PAGE_SIZE,
		  pwrite(fd, buf, 256 * VMIG_PAGE_SIZE, 0));
	ASSERT_EQ(0, fsync(fd));
	close(fd);
	munmap(buf, 256 * VMIG_PAGE_SIZE);
}

FIXTURE(dio) {
	int dev, vmfd;
	char name[VMIG_NAME_MAX];
	char *mem;
	char *shadow;
	__u64 *bm;
};

FIXTURE_SETUP(dio)
{
	self->vmfd = -1;
	self->dev = vmig_open_dev();
	if (self->dev == -ENOENT)
		SKIP(return, "vmig module not loaded");
	if (!getenv("VMIG_DIO_DEV") || !getenv("VMIG_SLOW_DEV"))
		SKIP(return, "VMIG_DIO_DEV and VMIG_SLOW_DEV not set (dio_test.sh sets them)");
	ASSERT_LE(0, self->dev);
	snprintf(self->name, sizeof(self->name), "dio-%d", getpid());
	self->vmfd = vmig_vm_create(self->dev, self->name, NR_PAGES);
	ASSERT_LE(0, self->vmfd);
	self->mem = mmap(NULL, NR_PAGES * VMIG_PAGE_SIZE,
			 PROT_READ | PROT_WRITE, MAP_SHARED, self->vmfd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	self->shadow = calloc(NR_PAGES, VMIG_PAGE_SIZE);
	self->bm = calloc(NR_PAGES / 64, sizeof(__u64));
	ASSERT_NE(NULL, self->shadow);
	ASSERT_NE(NULL, self->bm);
	fill_device(_metadata);
}

FIXTURE_TEARDOWN(dio)
{
	if (self->vmfd < 0)
		return;
	munmap(self->mem, NR_PAGES * VMIG_PAGE_SIZE);
	close(self->vmfd);
	EXPECT_EQ(0, vmig_vm_destroy(self->dev, self->name));
	close(self->dev);
	free(self->shadow);
	free(self->bm);
}

/* Harvest everything and copy what was reported; returns the count. */
/* FIXTURE_DATA(dio), spelt out for checkpatch. */
static __s64 harvest_copy(struct __test_metadata *_metadata,
			  struct _test_data_dio *self)
{
	__s64 n = vmig_harvest(self->vmfd, 0, NR_PAGES, 0, self->bm);
	__u64 p;

	EXPECT_LE(0, n);
	for (p = 0; p < NR_PAGES; p++)
		if (vmig_test_bit(self->bm, p))
			memcpy(self->shadow + p * VMIG_PAGE_SIZE,
			       self->mem + p * VMIG_PAGE_SIZE, VMIG_PAGE_SIZE);
	return n;
}

TEST_F(dio, odirect_read_is_tracked)
{
	__u64 p;
	int fd;

	ASSERT_EQ(0, vmig_track_start(self->vmfd, 1));
	ASSERT_EQ(NR_PAGES, harvest_copy(_metadata, self));
	ASSERT_EQ(0, harvest_copy(_metadata, self));

	fd = open_direct("VMIG_DIO_DEV");
	ASSERT_LE(0, fd);
	ASSERT_EQ(16 * VMIG_PAGE_SIZE,
		  pread(fd, self->mem + 100 * VMIG_PAGE_SIZE,
			16 * VMIG_PAGE_SIZE, 8 * VMIG_PAGE_SIZE));
	close(fd);
	EXPECT_EQ(9, self->mem[100 * VMIG_PAGE_SIZE]);

	ASSERT_EQ(16, harvest_copy(_metadata, self));
	for (p = 100; p < 116; p++)
		EXPECT_TRUE(vmig_test_bit(self->bm, p));
	EXPECT_EQ(0, memcmp(self->shadow, self->mem,
			    NR_PAGES * VMIG_PAGE_SIZE));
	EXPECT_EQ(0, vmig_track_stop(self->vmfd));
}

struct slow_read {
	char *dst;
	ssize_t ret;
	atomic_bool done;
};

static void *slow_read_fn(void *arg)
{
	struct slow_read *r = arg;
	int fd = open_direct("VMIG_SLOW_DEV");

	r->ret = fd < 0 ? -1 : pread(fd, r->dst, 16 * VMIG_PAGE_SIZE,
				     32 * VMIG_PAGE_SIZE);

	if (r->ret < 0)
		r->ret = -errno;
	close(fd);
	atomic_store(&r->done, true);
	return NULL;
}

/*
 * A read pinned across harvests: its pages are reported when it pins them
 * (a write fault), by every harvest while it is in flight, and once more
 * after it completed, now holding the data.
 */
TEST_F(dio, pinned_across_harvest)
{
	struct slow_read r = { .dst = self->mem + 200 * VMIG_PAGE_SIZE };
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	struct vmig_vm_stats s;
	int tries = 0;
	pthread_t th;
	__u64 p;

	ASSERT_EQ(0, vmig_track_start(self->vmfd, 16));
	ASSERT_EQ(NR_PAGES, harvest_copy(_metadata, self));

	ASSERT_EQ(0, pthread_create(&th, NULL, slow_read_fn, &r));
	/* Wait for the read to pin (and so dirty) its pages. */
	do {
		nanosleep(&pause, NULL);
		harvest_copy(_metadata, self);
	} while (!vmig_test_bit(self->bm, 200) && ++tries < 500);
	ASSERT_TRUE(vmig_test_bit(self->bm, 200))
		TH_LOG("read done %d, returned %zd (%s)", atomic_load(&r.done),
		       r.ret, strerror(errno));
	/* Still queued in dm-delay: pinned, so reported again. */
	ASSERT_LE(16, harvest_copy(_metadata, self));
	EXPECT_TRUE(vmig_test_bit(self->bm, 200));
	ASSERT_FALSE(atomic_load(&r.done)) TH_LOG("the read finished too early to test");
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(16 * VMIG_PAGE_SIZE, r.ret);
	EXPECT_EQ(33, self->mem[200 * VMIG_PAGE_SIZE]);

	/* Unpinned now: reported once more, then no longer. */
	ASSERT_LE(16, harvest_copy(_metadata, self));
	for (p = 200; p < 216; p++)
		EXPECT_TRUE(vmig_test_bit(self->bm, p));
	EXPECT_EQ(0, memcmp(self->shadow, self->mem,
			    NR_PAGES * VMIG_PAGE_SIZE));
	EXPECT_EQ(0, harvest_copy(_metadata, self));
	ASSERT_EQ(0, vmig_vm_stats(self->vmfd, &s));
	EXPECT_LE(32, s.pinned_pages);
	EXPECT_EQ(0, vmig_track_stop(self->vmfd));
}

TEST_HARNESS_MAIN
