// SPDX-License-Identifier: GPL-2.0
/*
 * VMs, their memory and write tracking, as a VMM sees them: the lifecycle
 * of named VMs, mmap rules, fault counts per group size, what harvests
 * report, every rejected input, and the tracking invariant under writer
 * threads racing with a harvester.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include <vmig/libvmig.h>
#include "kselftest_harness.h"

static int name_seq;

static void unique_name(char *buf, size_t len)
{
	snprintf(buf, len, "kst-%d-%d", getpid(), name_seq++);
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static __u64 *bitmap_alloc(__u64 nbits)
{
	return calloc((nbits + 63) / 64, sizeof(__u64));
}

struct vm_ctx {
	int dev;
	int vmfd;
	char name[VMIG_NAME_MAX];
	__u64 nr_pages;
	char *mem;
};

/* 0, or a reason to skip; asserts through the harness otherwise. */
static const char *vm_ctx_setup(struct __test_metadata *_metadata,
				struct vm_ctx *self)
{
	self->vmfd = -1;
	self->mem = MAP_FAILED;
	self->dev = vmig_open_dev();
	if (self->dev == -ENOENT)
		return "vmig module not loaded";
	ASSERT_LE(0, self->dev);
	unique_name(self->name, sizeof(self->name));
	self->nr_pages = 4096;
	self->vmfd = vmig_vm_create(self->dev, self->name, self->nr_pages);
	ASSERT_LE(0, self->vmfd);
	self->mem = mmap(NULL, self->nr_pages * VMIG_PAGE_SIZE,
			 PROT_READ | PROT_WRITE, MAP_SHARED, self->vmfd, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	return NULL;
}

#define DELAY_PARAM "/sys/module/vmig/parameters/test_mkwrite_delay_ms"

static void set_delay(const char *ms)
{
	int fd = open(DELAY_PARAM, O_WRONLY);

	if (fd >= 0) {
		if (write(fd, ms, strlen(ms)) < 0)
			perror(DELAY_PARAM);
		close(fd);
	}
}

static void vm_ctx_teardown(struct __test_metadata *_metadata,
			    struct vm_ctx *self)
{
	set_delay("0");	/* in case mkwrite_window failed half-way */
	if (self->mem != MAP_FAILED)
		munmap(self->mem, self->nr_pages * VMIG_PAGE_SIZE);
	if (self->vmfd >= 0) {
		close(self->vmfd);
		EXPECT_EQ(0, vmig_vm_destroy(self->dev, self->name));
	}
	if (self->dev >= 0)
		close(self->dev);
}

/* VMs, their memory, and input checks. */
FIXTURE(vm) {
	struct vm_ctx c;
};

FIXTURE_SETUP(vm)
{
	const char *skip = vm_ctx_setup(_metadata, &self->c);

	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(vm)
{
	vm_ctx_teardown(_metadata, &self->c);
}

/* Tracking, once per group size. */
FIXTURE(track) {
	struct vm_ctx c;
};

FIXTURE_VARIANT(track)
{
	__u32 group_pages;
};

FIXTURE_VARIANT_ADD(track, g1) { .group_pages = 1 };
FIXTURE_VARIANT_ADD(track, g16) { .group_pages = 16 };
FIXTURE_VARIANT_ADD(track, g64) { .group_pages = 64 };
FIXTURE_VARIANT_ADD(track, g512) { .group_pages = 512 };
FIXTURE_VARIANT_ADD(track, auto) { .group_pages = VMIG_GROUP_AUTO };

/* The granularity of harvests: the group size, or 512 when automatic. */
static __u64 gran(const struct _fixture_variant_track *variant)
{
	return variant->group_pages ? variant->group_pages :
				      VMIG_GROUP_PAGES_MAX;
}

FIXTURE_SETUP(track)
{
	const char *skip = vm_ctx_setup(_metadata, &self->c);

	if (skip)
		SKIP(return, "%s", skip);
}

FIXTURE_TEARDOWN(track)
{
	vm_ctx_teardown(_metadata, &self->c);
}

static int find_vm(int dev, const char *name, struct vmig_vm_entry *out)
{
	struct vmig_vm_entry *e;
	int n, i, found = 0;

	n = vmig_vm_list(dev, &e);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (!strcmp(e[i].name, name)) {
			if (out)
				*out = e[i];
			found = 1;
		}
		/* Sorted by name. */
		if (i && strcmp(e[i - 1].name, e[i].name) >= 0)
			found = -EINVAL;
	}
	free(e);
	return found;
}

TEST_F(vm, lifecycle)
{
	struct vmig_vm_entry entry;
	struct stat st;
	char *other;
	int fd2;

	ASSERT_EQ(1, find_vm(self->c.dev, self->c.name, &entry));
	EXPECT_EQ(self->c.nr_pages, entry.nr_pages);
	EXPECT_EQ(0, entry.group_pages);
	ASSERT_EQ(0, fstat(self->c.vmfd, &st));
	EXPECT_EQ(self->c.nr_pages * VMIG_PAGE_SIZE, st.st_size);

	/* A second descriptor, by name, sees the same memory. */
	fd2 = vmig_vm_open(self->c.dev, self->c.name);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vmig_vm_info(fd2, &entry));
	EXPECT_STREQ(self->c.name, entry.name);
	other = mmap(NULL, VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fd2, 7 * VMIG_PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, other);
	memcpy(self->c.mem + 7 * VMIG_PAGE_SIZE + 100, "hello", 6);
	EXPECT_STREQ("hello", other + 100);
	close(fd2);

	EXPECT_EQ(-EEXIST, vmig_vm_create(self->c.dev, self->c.name, 1));

	/* Destroyed: gone from the list, the memory lives on while mapped. */
	ASSERT_EQ(0, vmig_vm_destroy(self->c.dev, self->c.name));
	EXPECT_EQ(0, find_vm(self->c.dev, self->c.name, NULL));
	EXPECT_EQ(-ENOENT, vmig_vm_open(self->c.dev, self->c.name));
	EXPECT_EQ(-ENOENT, vmig_vm_destroy(self->c.dev, self->c.name));
	EXPECT_STREQ("hello", other + 100);
	munmap(other, VMIG_PAGE_SIZE);
	/* The name is free again. */
	fd2 = vmig_vm_create(self->c.dev, self->c.name, 1);
	ASSERT_LE(0, fd2);
	close(fd2);
}

/* Run @fn(@c) in a child process: its exit status, or -1 if it did not exit. */
static int in_child(int (*fn)(struct vm_ctx *c), struct vm_ctx *c)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(c));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * The child of names_need_owner_or_cap, as uid 65534 without capabilities:
 * 0, or the step that failed.
 */
static int unprivileged_names(struct vm_ctx *c)
{
	struct vmig_vm_entry entry;
	char own[VMIG_NAME_MAX];
	char *mem;
	int fd;

	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return 10;
	/* root's VM, by name: refused, and not listed. */
	if (vmig_vm_open(c->dev, c->name) != -EACCES)
		return 11;
	if (vmig_vm_destroy(c->dev, c->name) != -EACCES)
		return 12;
	if (find_vm(c->dev, c->name, NULL) != 0)
		return 13;
	/*
	 * Its descriptor, inherited: everything, as with a KVM VM fd (the
	 * mapping was not inherited: map it again).
	 */
	if (vmig_vm_info(c->vmfd, &entry) || strcmp(entry.name, c->name))
		return 14;
	mem = mmap(NULL, VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   c->vmfd, 0);
	if (mem == MAP_FAILED)
		return 15;
	mem[3] = 'u';
	munmap(mem, VMIG_PAGE_SIZE);
	if (vmig_track_start(c->vmfd, 1) || vmig_track_stop(c->vmfd))
		return 15;
	/* Its own VM, by name: everything. */
	snprintf(own, sizeof(own), "%.24s-u", c->name);
	fd = vmig_vm_create(c->dev, own, 2);
	if (fd < 0)
		return 16;
	close(fd);
	fd = vmig_vm_open(c->dev, own);
	if (fd < 0)
		return 17;
	close(fd);
	if (find_vm(c->dev, own, NULL) != 1)
		return 18;
	return 0;
}

TEST_F(vm, names_need_owner_or_cap)
{
	char own[VMIG_NAME_MAX];
	int fd;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop privileges");
	ASSERT_EQ(0, in_child(unprivileged_names, &self->c));
	EXPECT_EQ('u', self->c.mem[3]);
	/* CAP_SYS_ADMIN reaches the other uid's VM. */
	snprintf(own, sizeof(own), "%.24s-u", self->c.name);
	EXPECT_EQ(1, find_vm(self->c.dev, own, NULL));
	fd = vmig_vm_open(self->c.dev, own);
	EXPECT_LE(0, fd);
	close(fd);
	EXPECT_EQ(0, vmig_vm_destroy(self->c.dev, own));
}

/* The child of names_scoped_by_ipc_namespace: 0, 77 to skip, or a step. */
static int scoped_names(struct vm_ctx *c)
{
	struct vmig_vm_entry entry;
	int fd, fd2;

	if (unshare(CLONE_NEWIPC))
		return errno == EINVAL ? 77 : 10;
	if (vmig_vm_open(c->dev, c->name) != -ENOENT)
		return 11;
	if (vmig_vm_destroy(c->dev, c->name) != -ENOENT)
		return 12;
	if (find_vm(c->dev, c->name, NULL) != 0)
		return 13;
	/* The same name is free here, and is another VM. */
	fd = vmig_vm_create(c->dev, c->name, 3);
	if (fd < 0)
		return 14;
	fd2 = vmig_vm_open(c->dev, c->name);
	if (fd2 < 0 || vmig_vm_info(fd2, &entry) || entry.nr_pages != 3)
		return 15;
	close(fd2);
	close(fd);
	if (vmig_vm_destroy(c->dev, c->name))
		return 16;
	return 0;
}

TEST_F(vm, names_scoped_by_ipc_namespace)
{
	struct vmig_vm_entry entry;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root to make an IPC namespace");
	status = in_child(scoped_names, &self->c);
	if (status == 77)
		SKIP(return, "no IPC namespaces");
	ASSERT_EQ(0, status);
	/* The host's VM of that name is untouched. */
	ASSERT_EQ(1, find_vm(self->c.dev, self->c.name, &entry));
	EXPECT_EQ(self->c.nr_pages, entry.nr_pages);
}

TEST_F(vm, bad_create)
{
	struct vmig_vm_create c = { .size = sizeof(c), .nr_pages = 1 };
	char n[VMIG_NAME_MAX];

	EXPECT_EQ(-EINVAL, vmig_vm_create(self->c.dev, "zero", 0));
	EXPECT_EQ(-EINVAL, vmig_vm_create(self->c.dev, "huge",
					  VMIG_VM_MAX_PAGES + 1));
	EXPECT_EQ(-EINVAL, vmig_vm_create(self->c.dev, "", 1));
	EXPECT_EQ(-EINVAL, vmig_vm_create(self->c.dev, "a/b", 1));
	EXPECT_EQ(-EINVAL, vmig_vm_create(self->c.dev, "a b", 1));
	EXPECT_EQ(-EINVAL, vmig_vm_open(self->c.dev, ""));
	EXPECT_EQ(-EINVAL, vmig_vm_destroy(self->c.dev, "x y"));

	/* No NUL, or garbage after it. */
	memset(c.name, 'a', sizeof(c.name));
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->c.dev, VMIG_VM_CREATE, &c));
	memset(c.name, 0, sizeof(c.name));
	c.name[0] = 'a';
	c.name[9] = 'b';
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->c.dev, VMIG_VM_CREATE, &c));

	unique_name(n, sizeof(n));
	memcpy(c.name, n, sizeof(n));
	c.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, vmig_ioctl(self->c.dev, VMIG_VM_CREATE, &c));
	c.flags = 0;
	c.__reserved = 1;
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->c.dev, VMIG_VM_CREATE, &c));
	/* Nothing was created by any of these. */
	EXPECT_EQ(0, find_vm(self->c.dev, n, NULL));
}

TEST_F(vm, list_buffer)
{
	struct vmig_vm_list l = { .size = sizeof(l) };
	struct vmig_vm_entry e[1];
	char name2[VMIG_NAME_MAX];
	int fd2;

	unique_name(name2, sizeof(name2));
	fd2 = vmig_vm_create(self->c.dev, name2, 3);
	ASSERT_LE(0, fd2);

	/* Count only. */
	ASSERT_EQ(-EMSGSIZE, vmig_ioctl(self->c.dev, VMIG_VM_LIST, &l));
	EXPECT_LE(2, l.nr_entries);
	/* Too small: the first entry, the total, EMSGSIZE. */
	l.nr_entries = 1;
	l.entries = (uintptr_t)e;
	EXPECT_EQ(-EMSGSIZE, vmig_ioctl(self->c.dev, VMIG_VM_LIST, &l));
	EXPECT_LE(2, l.nr_entries);
	EXPECT_NE(0, e[0].name[0]);
	/* A bad pointer. */
	l.nr_entries = 10;
	l.entries = 8;
	EXPECT_EQ(-EFAULT, vmig_ioctl(self->c.dev, VMIG_VM_LIST, &l));
	l.entries = 0;
	l.__reserved = 1;
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->c.dev, VMIG_VM_LIST, &l));

	close(fd2);
	EXPECT_EQ(0, vmig_vm_destroy(self->c.dev, name2));
}

TEST_F(vm, zeroed)
{
	__u64 i;
	size_t j;

	for (i = 0; i < self->c.nr_pages; i++)
		for (j = 0; j < VMIG_PAGE_SIZE; j += 512)
			ASSERT_EQ(0, self->c.mem[i * VMIG_PAGE_SIZE + j]);
}

TEST_F(vm, mmap_rules)
{
	__u64 n = self->c.nr_pages;
	char *p;

	EXPECT_EQ(MAP_FAILED, mmap(NULL, VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, self->c.vmfd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, VMIG_PAGE_SIZE, PROT_READ, MAP_SHARED,
				   self->c.vmfd, n * VMIG_PAGE_SIZE));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * VMIG_PAGE_SIZE, PROT_READ,
				   MAP_SHARED, self->c.vmfd,
				   (n - 1) * VMIG_PAGE_SIZE));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, (n + 1) * VMIG_PAGE_SIZE, PROT_READ,
				   MAP_SHARED, self->c.vmfd, 0));

	/* The last page, at its offset. */
	self->c.mem[(n - 1) * VMIG_PAGE_SIZE] = 42;
	p = mmap(NULL, VMIG_PAGE_SIZE, PROT_READ, MAP_SHARED, self->c.vmfd,
		 (n - 1) * VMIG_PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(42, p[0]);
	/* It cannot become writable, nor grow. */
	EXPECT_EQ(-1, mprotect(p, VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mremap(p, VMIG_PAGE_SIZE, 2 * VMIG_PAGE_SIZE, 0));
	munmap(p, VMIG_PAGE_SIZE);

	/*
	 * A writable mapping may not change otherwise (the core could make
	 * clean-looking PTEs writable); asking for what it has is fine.
	 */
	EXPECT_EQ(-1, mprotect(self->c.mem, VMIG_PAGE_SIZE,
			       PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(0, mprotect(self->c.mem, VMIG_PAGE_SIZE,
			      PROT_READ | PROT_WRITE));
	/* Dropping write permission is fine; taking it back is not. */
	ASSERT_EQ(0, mprotect(self->c.mem, VMIG_PAGE_SIZE, PROT_READ));
	EXPECT_EQ(-1, mprotect(self->c.mem, VMIG_PAGE_SIZE,
			       PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
}

/* A child does not inherit the mapping: touching it kills the child. */
TEST_F(vm, fork_not_inherited)
{
	int status;
	pid_t pid;

	self->c.mem[0] = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		self->c.mem[0] = 2;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGSEGV, WTERMSIG(status));
	EXPECT_EQ(1, self->c.mem[0]);
}

TEST_F(vm, track_bad_input)
{
	struct vmig_dirty_harvest h = { .size = sizeof(h) };
	struct vmig_track_start t = { .size = sizeof(t), .group_pages = 1 };
	__u64 *bm = bitmap_alloc(self->c.nr_pages);
	__u64 g;

	/* Not tracking. */
	EXPECT_EQ(-ENOENT, vmig_track_stop(self->c.vmfd));
	EXPECT_EQ(-ENOENT, vmig_harvest(self->c.vmfd, 0, 1, 0, bm));

	EXPECT_EQ(-EINVAL, vmig_track_start(self->c.vmfd, 3));
	EXPECT_EQ(-EINVAL, vmig_track_start(self->c.vmfd, 513));
	EXPECT_EQ(-EINVAL, vmig_track_start(self->c.vmfd, 1024));
	EXPECT_EQ(-EINVAL, vmig_track_start(self->c.vmfd, 1U << 31));
	t.flags = 2;
	EXPECT_EQ(-EOPNOTSUPP, vmig_ioctl(self->c.vmfd, VMIG_TRACK_START, &t));
	t.flags = 0;
	t.__reserved = 1;
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->c.vmfd, VMIG_TRACK_START, &t));

	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, 64));
	EXPECT_EQ(-EBUSY, vmig_track_start(self->c.vmfd, 64));

	/* Ranges: misaligned, short, empty, outside, overflowing. */
	EXPECT_EQ(-EINVAL, vmig_harvest(self->c.vmfd, 1, 64, 0, bm));
	EXPECT_EQ(-EINVAL, vmig_harvest(self->c.vmfd, 0, 63, 0, bm));
	EXPECT_EQ(-EINVAL, vmig_harvest(self->c.vmfd, 0, 0, 0, bm));
	EXPECT_EQ(-EINVAL, vmig_harvest(self->c.vmfd, self->c.nr_pages, 64, 0, bm));
	EXPECT_EQ(-EINVAL, vmig_harvest(self->c.vmfd, 64, ~0ULL - 63, 0, bm));
	EXPECT_EQ(-EINVAL, vmig_harvest(self->c.vmfd, 0, self->c.nr_pages + 64,
					0, bm));
	EXPECT_EQ(-EOPNOTSUPP, vmig_harvest(self->c.vmfd, 0, 64, 1U << 5, bm));
	h.first_page = 0;
	h.nr_pages = 64;
	h.bitmap = (uintptr_t)bm;
	h.size = 8;
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->c.vmfd, VMIG_DIRTY_HARVEST, &h));

	/* A bitmap that cannot be written leaves the log as it was. */
	EXPECT_EQ(-EFAULT, vmig_harvest(self->c.vmfd, 0, self->c.nr_pages, 0,
					(__u64 *)8));
	ASSERT_EQ(self->c.nr_pages,
		  vmig_harvest(self->c.vmfd, 0, self->c.nr_pages, 0, bm));
	EXPECT_EQ(0, vmig_harvest(self->c.vmfd, 0, self->c.nr_pages, 0, bm));
	self->c.mem[130 * VMIG_PAGE_SIZE] = 1;
	EXPECT_EQ(-EFAULT, vmig_harvest(self->c.vmfd, 0, self->c.nr_pages,
					VMIG_HARVEST_GROUPS, (__u64 *)8));
	ASSERT_EQ(1, vmig_harvest(self->c.vmfd, 0, self->c.nr_pages,
				  VMIG_HARVEST_GROUPS, bm));
	for (g = 0; g < self->c.nr_pages / 64; g++)
		EXPECT_EQ(g == 2, vmig_test_bit(bm, g));

	/* VM ioctls on /dev/vmig and the reverse are not ioctls there. */
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->c.dev, VMIG_TRACK_STOP, &h));
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->c.vmfd, VMIG_VM_LIST, &h));

	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	EXPECT_EQ(-ENOENT, vmig_track_stop(self->c.vmfd));
	free(bm);
}

/*
 * Sequential writes over N pages take exactly N / G tracked faults, both on
 * pages never mapped and on pages write-protected by a harvest; reads after
 * a harvest take no fault at all; a harvest reports exactly what was
 * written, rounded out to groups.
 */
TEST_F(track, fault_counts)
{
	__u64 n = self->c.nr_pages, g = variant->group_pages, i, bit;
	__u64 *bm = bitmap_alloc(n);
	struct vmig_vm_stats s0, s1;
	struct vmig_vm_entry entry;
	char sink = 0;
	long f0;
	int pass;

	if (!g)
		SKIP(free(bm); return, "group sizes vary when automatic");
	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, g));
	ASSERT_EQ(0, vmig_vm_info(self->c.vmfd, &entry));
	EXPECT_EQ(g, entry.group_pages);
	/* The first harvest reports everything. */
	ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	ASSERT_EQ(n / g, vmig_harvest(self->c.vmfd, 0, n, VMIG_HARVEST_GROUPS,
				      bm) + n / g);

	for (pass = 0; pass < 2; pass++) {
		ASSERT_EQ(0, vmig_vm_stats(self->c.vmfd, &s0));
		f0 = minflt();
		for (i = 0; i < n; i++)
			self->c.mem[i * VMIG_PAGE_SIZE + pass] = 1;
		ASSERT_EQ(0, vmig_vm_stats(self->c.vmfd, &s1));
		EXPECT_EQ(n / g, s1.write_faults - s0.write_faults);
		EXPECT_EQ(n / g, s1.groups_dirtied - s0.groups_dirtied);
		EXPECT_GE(n / g + 8, minflt() - f0);
		ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
		/* Write-protected again: reading costs nothing. */
		f0 = minflt();
		for (i = 0; i < n; i++)
			sink ^= __atomic_load_n(&self->c.mem[i *
							     VMIG_PAGE_SIZE],
						__ATOMIC_RELAXED);
		EXPECT_EQ(0, sink & 0xfe);
		EXPECT_GE(8, minflt() - f0);
		EXPECT_EQ(0, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	}

	/* One write: its group, and only it, in both granularities. */
	self->c.mem[1000 * VMIG_PAGE_SIZE + 5] = 3;
	ASSERT_EQ(1, vmig_harvest(self->c.vmfd, 0, n, VMIG_HARVEST_GROUPS, bm));
	EXPECT_EQ(1, vmig_test_bit(bm, 1000 / g));
	self->c.mem[1000 * VMIG_PAGE_SIZE + 5] = 4;
	ASSERT_EQ(g, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	for (bit = 0; bit < n; bit++)
		ASSERT_EQ(bit / g == 1000 / g, vmig_test_bit(bm, bit));

	/* Harvesting a range leaves the rest of the log alone. */
	self->c.mem[0] = 5;
	self->c.mem[(n - 1) * VMIG_PAGE_SIZE] = 5;
	ASSERT_EQ(g, vmig_harvest(self->c.vmfd, 0, g, 0, bm));
	ASSERT_EQ(1, vmig_harvest(self->c.vmfd, 0, n, VMIG_HARVEST_GROUPS, bm));
	EXPECT_EQ(1, vmig_test_bit(bm, (n - 1) / g));

	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	free(bm);
}

/* Random writes: reported pages cover the written ones, within G times. */
TEST_F(track, random_amplification)
{
	__u64 n = self->c.nr_pages, g = gran(variant), i, p;
	__u64 *bm = bitmap_alloc(n), *want = bitmap_alloc(n);
	__s64 reported;
	__u64 written = 0;

	srand(42);
	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, variant->group_pages));
	ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	for (i = 0; i < 200; i++) {
		p = rand() % n;
		self->c.mem[p * VMIG_PAGE_SIZE + 17] = 9;
		if (!vmig_test_bit(want, p))
			written++;
		want[p / 64] |= 1ULL << (p % 64);
	}
	reported = vmig_harvest(self->c.vmfd, 0, n, 0, bm);
	ASSERT_LE(0, reported);
	EXPECT_LE(written, reported);
	EXPECT_GE(written * g, reported);
	for (p = 0; p < n; p++) {
		if (vmig_test_bit(want, p))
			ASSERT_TRUE(vmig_test_bit(bm, p));
		/* A reported page shares a group with a written one. */
		if (vmig_test_bit(bm, p)) {
			__u64 first = p / g * g, q, hit = 0;

			for (q = first; q < first + g && q < n; q++)
				hit |= vmig_test_bit(want, q);
			ASSERT_TRUE(hit);
		}
	}
	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	free(bm);
	free(want);
}

/*
 * Scattered dirty groups, in runs of every length and with gaps of every
 * size, are all write-protected again: rewriting the same pages after a
 * harvest reports exactly the same pages.
 */
TEST_F(track, rearm_scattered)
{
	__u64 n = self->c.nr_pages, g = gran(variant), p, *want, *bm;
	__s64 first;
	int round;

	want = bitmap_alloc(n);
	bm = bitmap_alloc(n);
	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, variant->group_pages));
	ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	/* Group k is written when k % 7 < k % 5: runs and gaps mixed. */
	for (round = 0; round < 3; round++) {
		for (p = 0; p < n; p++) {
			__u64 k = p / g;

			if (k % 7 < k % 5 && p % g == (k * 3) % g) {
				self->c.mem[p * VMIG_PAGE_SIZE + round] =
					round + 1;
				want[k / 64] |= 1ULL << (k % 64);
			}
		}
		first = vmig_harvest(self->c.vmfd, 0, n, VMIG_HARVEST_GROUPS, bm);
		ASSERT_LT(0, first);
		for (p = 0; p < n / g; p++)
			ASSERT_EQ(vmig_test_bit(want, p), vmig_test_bit(bm, p))
				TH_LOG("round %d, group %llu", round,
				       (unsigned long long)p);
	}
	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	free(want);
	free(bm);
}

/*
 * Automatic group sizes settle on large groups where writes run
 * sequentially and on single pages where they scatter: with four regions
 * written whole and four written one page each per round, some round soon
 * costs exactly one fault per region and reports nothing extra.
 */
TEST_F(vm, auto_adapts)
{
	__u64 n = self->c.nr_pages, r, *bm = bitmap_alloc(n);
	struct vmig_vm_stats s0, s1;
	struct vmig_vm_entry entry;
	int round, best = -1;
	__s64 reported;

	ASSERT_EQ(4096, n);
	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, VMIG_GROUP_AUTO));
	ASSERT_EQ(0, vmig_vm_info(self->c.vmfd, &entry));
	EXPECT_EQ(VMIG_GROUP_PAGES_MAX, entry.group_pages);
	EXPECT_EQ(VMIG_VM_TRACK_AUTO, entry.flags);
	ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	for (round = 0; round < 24; round++) {
		ASSERT_EQ(0, vmig_vm_stats(self->c.vmfd, &s0));
		for (r = 0; r < 4; r++)
			memset(self->c.mem + r * 512 * VMIG_PAGE_SIZE, round,
			       512 * VMIG_PAGE_SIZE);
		for (r = 4; r < 8; r++)
			self->c.mem[(r * 512 + 37 * (round % 13)) *
				    VMIG_PAGE_SIZE] = round;
		ASSERT_EQ(0, vmig_vm_stats(self->c.vmfd, &s1));
		reported = vmig_harvest(self->c.vmfd, 0, n, 0, bm);
		if (s1.write_faults - s0.write_faults == 8 &&
		    reported == 4 * 512 + 4) {
			best = round;
			break;
		}
	}
	TH_LOG("optimal from round %d", best);
	EXPECT_LE(0, best);
	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	free(bm);
}

/*
 * A single-page write fault marks the page, then the core makes the PTE
 * writable: a harvest that runs in between must wait for it, or the fault's
 * writes land after the harvest with the bit gone. The module's test hook
 * holds the fault in that window for 300 ms.
 */
static void *slow_writer(void *arg)
{
	char *page = arg;

	page[0] = 1;	/* faults, and waits in the window */
	page[8] = 2;	/* no fault: the PTE is writable now */
	return NULL;
}

TEST_F(vm, mkwrite_window)
{
	__u64 n = self->c.nr_pages, *bm = bitmap_alloc(n);
	struct timespec pause = { .tv_nsec = 100 * 1000 * 1000 };
	char shadow[VMIG_PAGE_SIZE];
	pthread_t th;

	if (access(DELAY_PARAM, W_OK))
		SKIP(free(bm); return, "no test hook");
	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, 1));
	/* map it */
	memset(self->c.mem + 5 * VMIG_PAGE_SIZE, 0, VMIG_PAGE_SIZE);
	ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	set_delay("300");
	ASSERT_EQ(0, pthread_create(&th, NULL, slow_writer,
				    self->c.mem + 5 * VMIG_PAGE_SIZE));
	nanosleep(&pause, NULL);
	/* The fault is in the window: the page is dirty, copy it. */
	ASSERT_EQ(1, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	memcpy(shadow, self->c.mem + 5 * VMIG_PAGE_SIZE, VMIG_PAGE_SIZE);
	pthread_join(th, NULL);
	set_delay("0");
	/* Whatever the copy missed must be dirty again. */
	if (memcmp(shadow, self->c.mem + 5 * VMIG_PAGE_SIZE, VMIG_PAGE_SIZE))
		ASSERT_EQ(1, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	free(bm);
}

/*
 * A page someone took a reference to while it was dirty (here vmsplice()
 * into a pipe, as a get_user_pages() user would) is reported at every
 * harvest while the reference is held, and once more after: it may be
 * written through the kernel's mapping. (A writable reference can only be
 * taken on a page marked dirty: FOLL_WRITE needs the PTE writable.)
 */
TEST_F(vm, referenced_pages)
{
	__u64 n = self->c.nr_pages, *bm = bitmap_alloc(n);
	struct iovec iov = { .iov_base = self->c.mem + 9 * VMIG_PAGE_SIZE,
			     .iov_len = VMIG_PAGE_SIZE };
	struct vmig_vm_stats s;
	char buf[VMIG_PAGE_SIZE];
	int p[2], i;

	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, 1));
	ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	self->c.mem[9 * VMIG_PAGE_SIZE] = 1;
	ASSERT_EQ(VMIG_PAGE_SIZE, vmsplice(p[1], &iov, 1, 0));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(1, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
		EXPECT_TRUE(vmig_test_bit(bm, 9));
	}
	ASSERT_EQ(VMIG_PAGE_SIZE, read(p[0], buf, VMIG_PAGE_SIZE));
	EXPECT_EQ(1, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	EXPECT_EQ(0, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	ASSERT_EQ(0, vmig_vm_stats(self->c.vmfd, &s));
	EXPECT_EQ(3, s.pinned_pages);
	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	close(p[0]);
	close(p[1]);
	free(bm);
}

/* Automatic sizes on memory that ends inside a region. */
TEST_F(vm, auto_partial_region)
{
	__u64 n = 1000, *bm = bitmap_alloc(n);
	int fd, round;
	char *m;

	fd = vmig_vm_create(self->c.dev, "kst-partial", n);
	ASSERT_LE(0, fd);
	m = mmap(NULL, n * VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, vmig_track_start(fd, VMIG_GROUP_AUTO));
	/* Ranges go by whole regions of 512 pages, or to the end. */
	EXPECT_EQ(-EINVAL, vmig_harvest(fd, 0, 500, 0, bm));
	EXPECT_EQ(-EINVAL, vmig_harvest(fd, 256, 744, 0, bm));
	ASSERT_EQ(n, vmig_harvest(fd, 0, n, 0, bm));
	for (round = 0; round < 20; round++) {
		m[(999 - round) * VMIG_PAGE_SIZE] = 1;
		m[(512 + 7 * round) * VMIG_PAGE_SIZE] = 1;
		ASSERT_LE(2, vmig_harvest(fd, 512, n - 512, 0, bm));
		EXPECT_TRUE(vmig_test_bit(bm, 999 - round - 512));
		ASSERT_EQ(2, vmig_harvest(fd, 0, n, VMIG_HARVEST_GROUPS, bm) + 2);
	}
	EXPECT_EQ(0, vmig_track_stop(fd));
	munmap(m, n * VMIG_PAGE_SIZE);
	close(fd);
	EXPECT_EQ(0, vmig_vm_destroy(self->c.dev, "kst-partial"));
	free(bm);
}

/* A moved mapping is still tracked. */
TEST_F(track, mremap_move)
{
	__u64 n = self->c.nr_pages, *bm = bitmap_alloc(n);
	char *moved, *hole;

	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, variant->group_pages));
	ASSERT_EQ(n, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	self->c.mem[0] = 1;
	hole = mmap(NULL, n * VMIG_PAGE_SIZE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	moved = mremap(self->c.mem, n * VMIG_PAGE_SIZE, n * VMIG_PAGE_SIZE,
		       MREMAP_MAYMOVE | MREMAP_FIXED, hole);
	ASSERT_NE(MAP_FAILED, moved);
	self->c.mem = moved;
	ASSERT_LE(1, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	EXPECT_TRUE(vmig_test_bit(bm, 0));
	moved[77 * VMIG_PAGE_SIZE] = 1;
	ASSERT_LE(1, vmig_harvest(self->c.vmfd, 0, n, 0, bm));
	EXPECT_TRUE(vmig_test_bit(bm, 77));
	EXPECT_FALSE(vmig_test_bit(bm, 0) && gran(variant) < 64);
	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	free(bm);
}

/*
 * The invariant: copying, after every harvest, the pages it reported into a
 * shadow yields the memory exactly, while writer threads keep writing
 * through two mappings with sequential, random and hot-set patterns.
 */
struct race {
	char *map[2];
	__u64 nr_pages;
	atomic_bool stop;
	atomic_uint_fast64_t gen;
	int pattern;
};

struct writer {
	struct race *r;
	int id;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	struct race *r = w->r;
	unsigned int seed = 1234 + w->id;
	__u64 p = w->id * 97, n = r->nr_pages;

	while (!atomic_load(&r->stop)) {
		__u64 gen = atomic_fetch_add(&r->gen, 1);
		int k;

		for (k = 0; k < 64; k++) {
			switch ((k + w->id) % 3) {
			case 0:
				p = (p + 1) % n;
				break;
			case 1:
				p = rand_r(&seed) % n;
				break;
			default:
				p = rand_r(&seed) % 32;
				break;
			}
			__atomic_store_n((__u64 *)(r->map[w->id % 2] +
						   p * VMIG_PAGE_SIZE +
						   (rand_r(&seed) % 512) * 8),
					 gen, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static int harvest_copy(int vmfd, const char *mem, char *shadow, __u64 n,
			__u64 *bm)
{
	__s64 got = vmig_harvest(vmfd, 0, n, 0, bm);
	__u64 p;

	if (got < 0)
		return got;
	for (p = 0; p < n; p++)
		if (vmig_test_bit(bm, p))
			memcpy(shadow + p * VMIG_PAGE_SIZE,
			       mem + p * VMIG_PAGE_SIZE, VMIG_PAGE_SIZE);
	return 0;
}

TEST_F_TIMEOUT(track, race_invariant, 120)
{
	__u64 n = self->c.nr_pages, p, bad = 0, *bm = bitmap_alloc(n);
	struct race r = { .nr_pages = n };
	struct writer w[3];
	pthread_t th[3];
	struct timespec t0, t;
	char *shadow;
	int i, rounds = 0;

	shadow = calloc(n, VMIG_PAGE_SIZE);
	ASSERT_NE(NULL, shadow);
	r.map[0] = self->c.mem;
	r.map[1] = mmap(NULL, n * VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED, self->c.vmfd, 0);
	ASSERT_NE(MAP_FAILED, r.map[1]);

	ASSERT_EQ(0, vmig_track_start(self->c.vmfd, variant->group_pages));
	for (i = 0; i < 3; i++) {
		w[i].r = &r;
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, writer_fn, &w[i]));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, harvest_copy(self->c.vmfd, self->c.mem, shadow, n, bm));
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (rounds < 20 || t.tv_sec - t0.tv_sec < 2);
	atomic_store(&r.stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	/* The pause: one last harvest, and the shadow must be the memory. */
	ASSERT_EQ(0, harvest_copy(self->c.vmfd, self->c.mem, shadow, n, bm));
	for (p = 0; p < n; p++)
		if (memcmp(shadow + p * VMIG_PAGE_SIZE,
			   self->c.mem + p * VMIG_PAGE_SIZE, VMIG_PAGE_SIZE))

			bad++;
	TH_LOG("%d harvests, %llu writes, %llu pages differ", rounds,
	       (unsigned long long)atomic_load(&r.gen),
	       (unsigned long long)bad);
	EXPECT_EQ(0, bad);
	EXPECT_LT(1000, atomic_load(&r.gen));
	EXPECT_EQ(0, vmig_track_stop(self->c.vmfd));
	munmap(r.map[1], n * VMIG_PAGE_SIZE);
	free(shadow);
	free(bm);
}

TEST_HARNESS_MAIN
