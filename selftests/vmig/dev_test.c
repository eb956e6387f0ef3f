// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/vmig as userspace sees it: the node, the API version, and the checks
 * every ioctl inherits from the dispatcher.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <vmig/libvmig.h>

#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(VMIG_DEV_PATH, O_RDWR);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "vmig module not loaded");
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, node)
{
	struct stat st;

	ASSERT_EQ(0, stat(VMIG_DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

TEST_F(dev, api_version)
{
	struct vmig_api_version v;

	memset(&v, 0xa5, sizeof(v));
	v.size = sizeof(v);
	v.flags = 0;
	v.__reserved = 0;
	ASSERT_EQ(0, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, &v));
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_EQ(VMIG_API_VERSION, v.api_version);
	EXPECT_EQ(0, v.flags);
	EXPECT_EQ(0, v.__reserved);
	EXPECT_EQ(0, v.features);
}

TEST_F(dev, short_size)
{
	struct vmig_api_version v = {};

	for (v.size = 0; v.size < sizeof(v); v.size++)
		EXPECT_EQ(-EINVAL, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, &v));
}

TEST_F(dev, long_size)
{
	struct {
		struct vmig_api_version v;
		__u64 newer[2];
	} big = { .v.size = sizeof(big) };

	ASSERT_EQ(0, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, &big));
	EXPECT_EQ(VMIG_API_VERSION, big.v.api_version);
	EXPECT_EQ(0, big.newer[0]);
	EXPECT_EQ(0, big.newer[1]);

	big.newer[1] = 1ULL << 63;
	EXPECT_EQ(-E2BIG, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, &big));
}

TEST_F(dev, flags_and_reserved)
{
	struct vmig_api_version v = { .size = sizeof(v), .flags = 1 };

	EXPECT_EQ(-EOPNOTSUPP, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, &v));
	v.flags = 0x80000000;
	EXPECT_EQ(-EOPNOTSUPP, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, &v));
	v.flags = 0;
	v.__reserved = 1;
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, &v));
}

TEST_F(dev, unknown_ioctls)
{
	struct vmig_api_version v = { .size = sizeof(v) };

	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->fd, _IO(VMIG_TYPE, 0xff), &v));
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->fd, _IO(VMIG_TYPE, 0x7f), &v));
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->fd, _IO('V', 0), &v));
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->fd,
				      _IOWR(VMIG_TYPE, VMIG_CMD_GET_API_VERSION,
					    struct vmig_api_version), &v));
	/* The generic file ioctls are no business of /dev/vmig either. */
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->fd, TCGETS, &v));
}

TEST_F(dev, bad_pointers)
{
	long page = sysconf(_SC_PAGESIZE);
	struct vmig_api_version *v;
	char *p;

	EXPECT_EQ(-EFAULT, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, NULL));
	EXPECT_EQ(-EFAULT, vmig_ioctl(self->fd, VMIG_GET_API_VERSION,
				      (void *)(uintptr_t)-4096));

	/* A structure that ends right before an unmapped page. */
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + page, page));
	v = (void *)(p + page - sizeof(*v));
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	EXPECT_EQ(0, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, v));
	v->size = sizeof(*v) + 8;
	EXPECT_EQ(-EFAULT, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, v));

	/* A read-only structure cannot receive the answer. */
	v->size = sizeof(*v);
	ASSERT_EQ(0, mprotect(p, page, PROT_READ));
	EXPECT_EQ(-EFAULT, vmig_ioctl(self->fd, VMIG_GET_API_VERSION, v));
	munmap(p, page);
}

TEST(non_root_is_refused)
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root to drop privileges");
	if (access(VMIG_DEV_PATH, F_OK))
		SKIP(return, "vmig module not loaded");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(open(VMIG_DEV_PATH, O_RDWR) < 0 && errno == EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(many_openers)
{
	int fds[64];
	size_t i;

	if (access(VMIG_DEV_PATH, F_OK))
		SKIP(return, "vmig module not loaded");
	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		struct vmig_api_version v = { .size = sizeof(v) };

		fds[i] = open(VMIG_DEV_PATH, O_RDWR);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, vmig_ioctl(fds[i], VMIG_GET_API_VERSION, &v));
	}
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		close(fds[i]);
}

TEST_HARNESS_MAIN
