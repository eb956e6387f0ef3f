// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dm-vmig, dm-vmig's control node, as userspace sees it: how an ioctl
 * names its disk (an open fd of the device-mapper device, checked in the
 * documented order) and the checks every ioctl inherits from the
 * dispatcher. Run by dm_test.sh, which passes a running dm-vmig device in
 * DM_CTL_DISK and a block device that is not one in DM_CTL_OTHER. Every
 * call here fails before it could change the filter, but GET_INFO.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <vmig/libvmig.h>

#include "kselftest_harness.h"

FIXTURE(ctl) {
	int ctl;
	int rw;		/* the dm-vmig device, read-write */
	int ro;		/* the same, read-only */
	int other;	/* a block device that is not dm-vmig */
	int file;	/* not a block device */
};

FIXTURE_SETUP(ctl)
{
	const char *disk = getenv("DM_CTL_DISK");
	const char *other = getenv("DM_CTL_OTHER");

	self->ctl = -1;
	self->rw = -1;
	self->ro = -1;
	self->other = -1;
	self->file = -1;
	if (!disk || !other)
		SKIP(return, "DM_CTL_DISK and DM_CTL_OTHER not set");
	self->ctl = vmig_dm_open_ctl();
	ASSERT_LE(0, self->ctl);
	self->rw = vmig_dm_open_disk(disk);
	ASSERT_LE(0, self->rw);
	self->ro = vmig_dm_open_disk_ro(disk);
	ASSERT_LE(0, self->ro);
	self->other = open(other, O_RDWR);
	ASSERT_LE(0, self->other);
	self->file = open("/proc/self/status", O_RDONLY);
	ASSERT_LE(0, self->file);
}

FIXTURE_TEARDOWN(ctl)
{
	int *fds[] = { &self->ctl, &self->rw, &self->ro, &self->other,
		       &self->file };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
}

TEST_F(ctl, info_names_disk_by_fd)
{
	struct vmig_disk_info in;

	ASSERT_EQ(0, vmig_disk_info(self->ctl, self->rw, &in));
	EXPECT_EQ(VMIG_DISK_ST_RUNNING, in.state);
	EXPECT_EQ(DM_VMIG_API_VERSION, in.api_version);
	/* Reading the state needs no write access. */
	ASSERT_EQ(0, vmig_disk_info(self->ctl, self->ro, &in));
	EXPECT_EQ(VMIG_DISK_ST_RUNNING, in.state);
}

TEST_F(ctl, fd_checks)
{
	struct vmig_disk_info in;

	EXPECT_EQ(-EBADF, vmig_disk_info(self->ctl, -1, &in));
	EXPECT_EQ(-EBADF, vmig_disk_info(self->ctl, 1000000, &in));
	EXPECT_EQ(-ENOTBLK, vmig_disk_info(self->ctl, self->file, &in));
	EXPECT_EQ(-ENOTBLK, vmig_disk_info(self->ctl, self->ctl, &in));
	EXPECT_EQ(-ENODEV, vmig_disk_info(self->ctl, self->other, &in));
}

TEST_F(ctl, state_changes_need_write)
{
	struct vmig_disk_handoff h = { .size = sizeof(h), .disk_fd = self->ro };
	struct vmig_disk_import imp = { .size = sizeof(imp),
					.disk_fd = self->ro };
	struct vmig_disk_info in;
	char pkg[sizeof(struct vmig_disk_pkg)] = { 0 };

	EXPECT_EQ(-EBADF, vmig_ioctl(self->ctl, VMIG_DISK_HANDOFF, &h));
	imp.buf = (uintptr_t)pkg;
	imp.buf_len = sizeof(pkg);
	EXPECT_EQ(-EBADF, vmig_ioctl(self->ctl, VMIG_DISK_IMPORT, &imp));
	EXPECT_EQ(-EBADF, vmig_disk_release(self->ctl, self->ro));
	EXPECT_EQ(-EBADF, vmig_disk_complete(self->ctl, self->ro));
	EXPECT_EQ(-EBADF, vmig_disk_incoming(self->ctl, self->ro));
	/* With write access, the state decides: nothing to release. */
	EXPECT_EQ(-EINVAL, vmig_disk_release(self->ctl, self->rw));
	ASSERT_EQ(0, vmig_disk_info(self->ctl, self->rw, &in));
	EXPECT_EQ(VMIG_DISK_ST_RUNNING, in.state);
}

/* Drop CAP_SYS_ADMIN from the effective set: 0 or -1. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1U << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d);
}

/*
 * Every ioctl needs CAP_SYS_ADMIN, as device-mapper's control node does,
 * even with the node and a writable disk fd already open (a root process
 * that dropped the capability, a container's root without it).
 */
TEST_F(ctl, needs_cap_sys_admin)
{
	struct vmig_disk_info in;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vmig_disk_handoff h = { .size = sizeof(h),
					       .disk_fd = self->rw };

		if (drop_sys_admin())
			_exit(10);
		if (vmig_disk_info(self->ctl, self->rw, &in) != -EACCES)
			_exit(11);
		if (vmig_ioctl(self->ctl, VMIG_DISK_HANDOFF, &h) != -EACCES)
			_exit(12);
		if (vmig_disk_release(self->ctl, self->rw) != -EACCES)
			_exit(13);
		if (vmig_disk_incoming(self->ctl, self->rw) != -EACCES)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, vmig_disk_info(self->ctl, self->rw, &in));
	EXPECT_EQ(VMIG_DISK_ST_RUNNING, in.state);
}

/*
 * The descriptor count of a package comes from its header, unchecked until
 * the disk's check: a count the buffer cannot hold is refused before
 * anything is sized by it (4G statuses would be 16 GiB, a kvmalloc()
 * warning).
 */
TEST_F(ctl, import_count_bounded_by_buffer)
{
	char buf[sizeof(struct vmig_disk_pkg) +
		 sizeof(struct vmig_disk_desc)] = { 0 };
	struct vmig_disk_pkg *pkg = (void *)buf;
	struct vmig_disk_import imp = {
		.size = sizeof(imp), .flags = VMIG_DISK_IMPORT_WAIT,
		.disk_fd = self->rw, .nr_statuses = UINT32_MAX,
		.buf = (uintptr_t)buf, .buf_len = sizeof(*pkg),
	};
	struct vmig_disk_info in;
	__s32 statuses[4];

	imp.statuses = (uintptr_t)statuses;
	pkg->nr_descs = htole32(UINT32_MAX);
	EXPECT_EQ(-EBADMSG, vmig_ioctl(self->ctl, VMIG_DISK_IMPORT, &imp));
	/* One past what the buffer holds, with room for one descriptor. */
	pkg->nr_descs = htole32(2);
	imp.nr_statuses = 2;
	imp.buf_len = sizeof(buf);
	EXPECT_EQ(-EBADMSG, vmig_ioctl(self->ctl, VMIG_DISK_IMPORT, &imp));
	ASSERT_EQ(0, vmig_disk_info(self->ctl, self->rw, &in));
	EXPECT_EQ(VMIG_DISK_ST_RUNNING, in.state);
}

TEST_F(ctl, general_format)
{
	struct vmig_disk_ctl c = { .size = sizeof(c), .disk_fd = self->rw };
	struct vmig_disk_info in;

	c.flags = 1;
	EXPECT_EQ(-EOPNOTSUPP, vmig_ioctl(self->ctl, VMIG_DISK_RELEASE, &c));
	c.flags = 0;
	c.__reserved = 1;
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->ctl, VMIG_DISK_RELEASE, &c));
	c.__reserved = 0;
	c.size = 8;
	EXPECT_EQ(-EINVAL, vmig_ioctl(self->ctl, VMIG_DISK_RELEASE, &c));
	EXPECT_EQ(-EFAULT, vmig_ioctl(self->ctl, VMIG_DISK_GET_INFO, NULL));
	/* A stray direction bit, and another type, are not ours. */
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->ctl, _IOW(DM_VMIG_TYPE,
						      DM_VMIG_CMD_GET_INFO,
						      int),
				      &in));
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->ctl, VMIG_GET_API_VERSION, &in));
	EXPECT_EQ(-ENOTTY, vmig_ioctl(self->ctl, _IO(DM_VMIG_TYPE, 0x3f),
				      &in));
}

/* vmig.ko knows nothing of disks: /dev/vmig refuses dm-vmig's numbers. */
TEST_F(ctl, not_on_dev_vmig)
{
	struct vmig_disk_info in;
	int vmig = vmig_open_dev();

	if (vmig < 0)
		SKIP(return, "vmig.ko not loaded");
	EXPECT_EQ(-ENOTTY, vmig_disk_info(vmig, self->rw, &in));
	EXPECT_EQ(-ENOTTY, vmig_ioctl(vmig, _IO(VMIG_TYPE, 0x40), &in));
	close(vmig);
}

TEST_HARNESS_MAIN
