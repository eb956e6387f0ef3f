/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmig: thin wrappers of the /dev/vmig ioctls for VMMs, migctl and the
 * selftests. Header only. Every function returns 0 (or a descriptor) on
 * success and -errno on failure; none prints anything.
 */
#ifndef _LIBVMIG_H
#define _LIBVMIG_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/vmig.h>

#define VMIG_DEV_PATH "/dev/vmig"

static inline int vmig_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int vmig_open_dev(void)
{
	int fd = open(VMIG_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Copy @name into a NUL-padded name field; -EINVAL when too long. */
static inline int vmig_set_name(char dst[VMIG_NAME_MAX], const char *name)
{
	if (strlen(name) >= VMIG_NAME_MAX)
		return -EINVAL;
	memset(dst, 0, VMIG_NAME_MAX);
	memcpy(dst, name, strlen(name));
	return 0;
}

/* Create VM @name of @nr_pages pages; returns its descriptor. */
static inline int vmig_vm_create(int devfd, const char *name,
				 __u64 nr_pages)
{
	struct vmig_vm_create c = { .size = sizeof(c), .nr_pages = nr_pages };
	int ret = vmig_set_name(c.name, name);

	if (!ret)
		ret = vmig_ioctl(devfd, VMIG_VM_CREATE, &c);
	return ret ? ret : c.out_fd;
}

/* Open VM @name; returns its descriptor. */
static inline int vmig_vm_open(int devfd, const char *name)
{
	struct vmig_vm_open o = { .size = sizeof(o) };
	int ret = vmig_set_name(o.name, name);

	if (!ret)
		ret = vmig_ioctl(devfd, VMIG_VM_OPEN, &o);
	return ret ? ret : o.out_fd;
}

static inline int vmig_vm_destroy(int devfd, const char *name)
{
	struct vmig_vm_destroy d = { .size = sizeof(d) };
	int ret = vmig_set_name(d.name, name);

	return ret ? ret : vmig_ioctl(devfd, VMIG_VM_DESTROY, &d);
}

/*
 * List the VMs into a malloc()ed array the caller frees; returns the
 * number of entries.
 */
static inline int vmig_vm_list(int devfd, struct vmig_vm_entry **entries)
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

static inline int vmig_vm_info(int vmfd, struct vmig_vm_entry *entry)
{
	struct vmig_vm_info i = { .size = sizeof(i) };
	int ret = vmig_ioctl(vmfd, VMIG_VM_GET_INFO, &i);

	if (!ret)
		*entry = i.entry;
	return ret;
}

static inline int vmig_vm_stats(int vmfd, struct vmig_vm_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	return vmig_ioctl(vmfd, VMIG_VM_GET_STATS, stats);
}

static inline int vmig_track_start(int vmfd, __u32 group_pages)
{
	struct vmig_track_start t = { .size = sizeof(t),
				      .group_pages = group_pages };

	return vmig_ioctl(vmfd, VMIG_TRACK_START, &t);
}

static inline int vmig_track_stop(int vmfd)
{
	struct vmig_track_stop t = { .size = sizeof(t) };

	return vmig_ioctl(vmfd, VMIG_TRACK_STOP, &t);
}

/*
 * Harvest @nr_pages pages from @first_page into @bitmap (one bit a page,
 * or a group with VMIG_HARVEST_GROUPS in @flags); returns the number of
 * bits set.
 */
static inline __s64 vmig_harvest(int vmfd, __u64 first_page, __u64 nr_pages,
				 __u32 flags, __u64 *bitmap)
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

static inline int vmig_test_bit(const __u64 *bitmap, __u64 bit)
{
	return (bitmap[bit / 64] >> (bit % 64)) & 1;
}

/* Migration sessions, see "Migration sessions" in <linux/vmig.h>. */

/*
 * Start a session; @start->size is filled in. @fds (nr_fds of them) are
 * connected stream sockets; the caller may close them afterwards.
 */
static inline int vmig_mig_start(int vmfd, struct vmig_mig_start *start,
				 const int *fds, __u32 nr_fds)
{
	start->size = sizeof(*start);
	start->fds = (uintptr_t)fds;
	start->nr_fds = nr_fds;
	return vmig_ioctl(vmfd, VMIG_MIG_START, start);
}

static inline int vmig_mig_add_stream(int vmfd, int fd)
{
	struct vmig_mig_add_stream a = { .size = sizeof(a), .fd = fd };

	return vmig_ioctl(vmfd, VMIG_MIG_ADD_STREAM, &a);
}

/* With @ack, poll() on @vmfd waits for the next state change. */
static inline int vmig_mig_status(int vmfd, struct vmig_mig_status *st,
				  int ack)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = ack ? VMIG_MIG_STATUS_ACK : 0;
	return vmig_ioctl(vmfd, VMIG_MIG_STATUS, st);
}

static inline int vmig_mig_switchover(int vmfd, const void *blob,
				      __u64 blob_len)
{
	struct vmig_mig_switchover s = {
		.size = sizeof(s),
		.blob = (uintptr_t)blob,
		.blob_len = blob_len,
	};

	return vmig_ioctl(vmfd, VMIG_MIG_SWITCHOVER, &s);
}

/* Copy the blob into @buf; returns its length (-EMSGSIZE: too long). */
static inline __s64 vmig_mig_get_blob(int vmfd, void *buf, __u64 len,
				      __u64 *needed)
{
	struct vmig_mig_get_blob g = {
		.size = sizeof(g),
		.buf = (uintptr_t)buf,
		.buf_len = len,
	};
	int ret = vmig_ioctl(vmfd, VMIG_MIG_GET_BLOB, &g);

	if (needed)
		*needed = g.buf_len;
	return ret ? ret : (__s64)g.buf_len;
}

static inline int vmig_mig_cancel(int vmfd)
{
	struct vmig_mig_cancel c = { .size = sizeof(c) };

	return vmig_ioctl(vmfd, VMIG_MIG_CANCEL, &c);
}

static inline const char *vmig_mig_state_name(__u32 state)
{
	static const char *const names[] = {
		"none", "connecting", "active", "ready", "stalled",
		"switchover", "done", "failed", "cancelled",
	};

	return state <= VMIG_MIG_STATE_CANCELLED ? names[state] : "?";
}

static inline int vmig_mig_ended(__u32 state)
{
	return state >= VMIG_MIG_STATE_DONE;
}

#endif /* _LIBVMIG_H */
