// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: dm-vmig's control node /dev/dm-vmig and its ioctls, which name
 * a disk by an open descriptor of its device-mapper device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "libvmig.h"

int vmig_dm_open_ctl(void)
{
	int fd = open(DM_VMIG_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int open_disk(const char *disk, int mode)
{
	char path[300];
	struct stat st;
	int fd, len;

	len = snprintf(path, sizeof(path),
		       strchr(disk, '/') ? "%s" : "/dev/mapper/%s", disk);
	if (len < 0 || (size_t)len >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, mode | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode)) {
		close(fd);
		return -ENOTBLK;
	}
	return fd;
}

int vmig_dm_open_disk(const char *disk)
{
	return open_disk(disk, O_RDWR);
}

int vmig_dm_open_disk_ro(const char *disk)
{
	return open_disk(disk, O_RDONLY);
}

int vmig_dm_name(int diskfd, char *name, size_t len)
{
	char file[64];
	struct stat st;
	int ret = 0;
	FILE *f;

	if (fstat(diskfd, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	snprintf(file, sizeof(file), "/sys/dev/block/%u:%u/dm/name",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(file, "r");
	if (!f)
		return errno == ENOENT ? -ENODEV : -errno;
	if (fgets(name, len, f))
		name[strcspn(name, "\n")] = '\0';
	else
		ret = -ENODEV;
	fclose(f);
	return ret;
}

int vmig_disk_info(int ctlfd, int diskfd, struct vmig_disk_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->disk_fd = diskfd;
	return vmig_ioctl(ctlfd, VMIG_DISK_GET_INFO, info);
}

int vmig_disk_handoff(int ctlfd, int diskfd, __u32 mode, __u32 timeout_ms,
		      struct vmig_disk_handoff *h)
{
	memset(h, 0, sizeof(*h));
	h->size = sizeof(*h);
	h->disk_fd = diskfd;
	h->mode = mode;
	h->timeout_ms = timeout_ms;
	return vmig_ioctl(ctlfd, VMIG_DISK_HANDOFF, h);
}

ssize_t vmig_disk_export(int ctlfd, int diskfd, void **pkg)
{
	struct vmig_disk_export e = { .size = sizeof(e), .disk_fd = diskfd };
	int ret;

	*pkg = NULL;
	for (;;) {
		ret = vmig_ioctl(ctlfd, VMIG_DISK_EXPORT, &e);
		if (ret != -EMSGSIZE)
			break;
		/* A package that grew since is asked for again. */
		free(*pkg);
		*pkg = NULL;
		if (!e.pkg_len || e.pkg_len > VMIG_DISK_PKG_MAX) {
			ret = -EPROTO;
			break;
		}
		*pkg = malloc(e.pkg_len);
		if (!*pkg)
			return -ENOMEM;
		e.buf = (uintptr_t)*pkg;
		e.buf_len = e.pkg_len;
		e.pkg_len = 0;
	}
	if (ret) {
		free(*pkg);
		*pkg = NULL;
		return ret;
	}
	return (ssize_t)e.pkg_len;
}

int vmig_disk_import(int ctlfd, int diskfd, const void *pkg, size_t len,
		     __u32 flags, __s32 *statuses, __u32 nr_statuses,
		     struct vmig_disk_import *imp)
{
	memset(imp, 0, sizeof(*imp));
	imp->size = sizeof(*imp);
	imp->flags = flags;
	imp->disk_fd = diskfd;
	imp->buf = (uintptr_t)pkg;
	imp->buf_len = len;
	imp->statuses = (uintptr_t)statuses;
	imp->nr_statuses = statuses ? nr_statuses : 0;
	return vmig_ioctl(ctlfd, VMIG_DISK_IMPORT, imp);
}

int vmig_disk_ctl(int ctlfd, unsigned long cmd, int diskfd)
{
	struct vmig_disk_ctl c = { .size = sizeof(c), .disk_fd = diskfd };

	return vmig_ioctl(ctlfd, cmd, &c);
}

int vmig_disk_release(int ctlfd, int diskfd)
{
	return vmig_disk_ctl(ctlfd, VMIG_DISK_RELEASE, diskfd);
}

int vmig_disk_complete(int ctlfd, int diskfd)
{
	return vmig_disk_ctl(ctlfd, VMIG_DISK_COMPLETE, diskfd);
}

int vmig_disk_incoming(int ctlfd, int diskfd)
{
	return vmig_disk_ctl(ctlfd, VMIG_DISK_INCOMING, diskfd);
}

const char *vmig_disk_state_name(__u32 state)
{
	static const char *const names[VMIG_DISK_NR_STATES] = {
		"running", "handoff", "fenced", "gone", "incoming",
	};

	return state < VMIG_DISK_NR_STATES ? names[state] : "?";
}
