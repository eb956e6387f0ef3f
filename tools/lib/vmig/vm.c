// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: /dev/vmig and VM descriptors: VMs, write tracking, harvests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "libvmig.h"

int vmig_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int vmig_open_dev(void)
{
	int fd = open(VMIG_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int vmig_set_name(char dst[VMIG_NAME_MAX], const char *name)
{
	size_t len = strlen(name);

	if (len >= VMIG_NAME_MAX)
		return -EINVAL;
	memset(dst, 0, VMIG_NAME_MAX);
	memcpy(dst, name, len);
	return 0;
}

int vmig_vm_create(int devfd, const char *name, __u64 nr_pages)
{
	struct vmig_vm_create c = { .size = sizeof(c), .nr_pages = nr_pages };
	int ret = vmig_set_name(c.name, name);

	if (!ret)
		ret = vmig_ioctl(devfd, VMIG_VM_CREATE, &c);
	return ret ? ret : c.out_fd;
}

int vmig_vm_open(int devfd, const char *name)
{
	struct vmig_vm_open o = { .size = sizeof(o) };
	int ret = vmig_set_name(o.name, name);

	if (!ret)
		ret = vmig_ioctl(devfd, VMIG_VM_OPEN, &o);
	return ret ? ret : o.out_fd;
}

int vmig_vm_destroy(int devfd, const char *name)
{
	struct vmig_vm_destroy d = { .size = sizeof(d) };
	int ret = vmig_set_name(d.name, name);

	return ret ? ret : vmig_ioctl(devfd, VMIG_VM_DESTROY, &d);
}

int vmig_vm_list(int devfd, struct vmig_vm_entry **entries)
{
	struct vmig_vm_list l = { .size = sizeof(l) };
	int ret;

	*entries = NULL;
	for (;;) {
		ret = vmig_ioctl(devfd, VMIG_VM_LIST, &l);
		if (ret != -EMSGSIZE)
			break;
		free(*entries);
		*entries = calloc(l.nr_entries, sizeof(**entries));
		if (!*entries)
			return -ENOMEM;
		l.entries = (uintptr_t)*entries;
	}
	if (ret) {
		free(*entries);
		*entries = NULL;
		return ret;
	}
	return l.nr_entries;
}

int vmig_vm_info(int vmfd, struct vmig_vm_entry *entry)
{
	struct vmig_vm_info i = { .size = sizeof(i) };
	int ret = vmig_ioctl(vmfd, VMIG_VM_GET_INFO, &i);

	if (!ret)
		*entry = i.entry;
	return ret;
}

int vmig_vm_stats(int vmfd, struct vmig_vm_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	return vmig_ioctl(vmfd, VMIG_VM_GET_STATS, stats);
}

int vmig_track_start(int vmfd, __u32 group_pages)
{
	struct vmig_track_start t = { .size = sizeof(t),
				      .group_pages = group_pages };

	return vmig_ioctl(vmfd, VMIG_TRACK_START, &t);
}

int vmig_track_stop(int vmfd)
{
	struct vmig_track_stop t = { .size = sizeof(t) };

	return vmig_ioctl(vmfd, VMIG_TRACK_STOP, &t);
}

__s64 vmig_harvest(int vmfd, __u64 first_page, __u64 nr_pages, __u32 flags,
		   __u64 *bitmap)
{
	struct vmig_dirty_harvest h = {
		.size = sizeof(h),
		.flags = flags,
		.first_page = first_page,
		.nr_pages = nr_pages,
		.bitmap = (uintptr_t)bitmap,
	};
	int ret = vmig_ioctl(vmfd, VMIG_DIRTY_HARVEST, &h);

	return ret ? ret : (__s64)h.nr_dirty;
}
