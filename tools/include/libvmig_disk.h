/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmig_disk: the /dev/vmig disk ioctls and the hand-off package, for
 * migctl, the tests and VMMs. Header only; functions return 0 (or a
 * count) on success and -errno on failure, and print nothing.
 */
#ifndef _LIBVMIG_DISK_H
#define _LIBVMIG_DISK_H

#include <dirent.h>
#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/vmig_disk.h>

#include "libvmig.h"

/*
 * The device number of a device-mapper device, by path (anything with a
 * '/') or by name, as /sys/block/dm-N/dm/name has it.
 */
static inline int vmig_disk_devnum(const char *name, __u32 *major_out,
				   __u32 *minor_out)
{
	char path[300], buf[160];
	struct dirent *de;
	unsigned int ma, mi;
	int ret = -ENODEV;
	struct stat st;
	FILE *f;
	DIR *dir;

	if (strchr(name, '/')) {
		if (stat(name, &st))
			return -errno;
		if (!S_ISBLK(st.st_mode))
			return -ENOTBLK;
		*major_out = major(st.st_rdev);
		*minor_out = minor(st.st_rdev);
		return 0;
	}
	dir = opendir("/sys/block");
	if (!dir)
		return -errno;
	while (ret && (de = readdir(dir))) {
		if (strncmp(de->d_name, "dm-", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (!strcmp(buf, name)) {
				snprintf(path, sizeof(path), "/sys/block/%s/dev",
					 de->d_name);
				fclose(f);
				f = fopen(path, "r");
				if (f && fscanf(f, "%u:%u", &ma, &mi) == 2) {
					*major_out = ma;
					*minor_out = mi;
					ret = 0;
				}
			}
		}
		if (f)
			fclose(f);
	}
	closedir(dir);
	return ret;
}

static inline int vmig_disk_info(int devfd, __u32 ma, __u32 mi,
				 struct vmig_disk_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->major = ma;
	info->minor = mi;
	return vmig_ioctl(devfd, VMIG_DISK_GET_INFO, info);
}

static inline int vmig_disk_handoff(int devfd, __u32 ma, __u32 mi, __u32 mode,
				    __u32 timeout_ms,
				    struct vmig_disk_handoff *h)
{
	memset(h, 0, sizeof(*h));
	h->size = sizeof(*h);
	h->major = ma;
	h->minor = mi;
	h->mode = mode;
	h->timeout_ms = timeout_ms;
	return vmig_ioctl(devfd, VMIG_DISK_HANDOFF, h);
}

/* Export the package into a malloc()ed buffer; returns its length. */
static inline long vmig_disk_export(int devfd, __u32 ma, __u32 mi, void **pkg)
{
	struct vmig_disk_export e = { .size = sizeof(e), .major = ma,
				      .minor = mi };
	int ret;

	*pkg = NULL;
	for (;;) {
		ret = vmig_ioctl(devfd, VMIG_DISK_EXPORT, &e);
		if (ret != -EMSGSIZE)
			break;
		free(*pkg);
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
	return (long)e.pkg_len;
}

/* Import; @statuses (or NULL) has one entry per descriptor. */
static inline int vmig_disk_import(int devfd, __u32 ma, __u32 mi,
				   const void *pkg, size_t len, __u32 flags,
				   __s32 *statuses, __u32 nr_statuses,
				   struct vmig_disk_import *imp)
{
	memset(imp, 0, sizeof(*imp));
	imp->size = sizeof(*imp);
	imp->flags = flags;
	imp->major = ma;
	imp->minor = mi;
	imp->buf = (uintptr_t)pkg;
	imp->buf_len = len;
	imp->statuses = (uintptr_t)statuses;
	imp->nr_statuses = statuses ? nr_statuses : 0;
	return vmig_ioctl(devfd, VMIG_DISK_IMPORT, imp);
}

/* VMIG_DISK_RELEASE, VMIG_DISK_COMPLETE or VMIG_DISK_INCOMING. */
static inline int vmig_disk_ctl(int devfd, unsigned long cmd, __u32 ma,
				__u32 mi)
{
	struct vmig_disk_ctl c = { .size = sizeof(c), .major = ma,
				   .minor = mi };

	return vmig_ioctl(devfd, cmd, &c);
}

/* CRC32C (Castagnoli, reflected), as the package's @crc uses it. */
static inline __u32 vmig_crc32c(__u32 crc, const void *buf, size_t len)
{
	static __u32 table[256];
	const unsigned char *p = buf;
	__u32 i, j, c;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (j = 0; j < 8; j++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
	}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/*
 * Check a package's header and CRC (the kernel checks every descriptor
 * too). Returns the number of descriptors, or -EBADMSG.
 */
static inline int vmig_disk_pkg_verify(const void *pkg, size_t len)
{
	const struct vmig_disk_pkg *h = pkg;
	const __u32 at = offsetof(struct vmig_disk_pkg, crc);
	static const unsigned char zero[4];
	__u32 crc, nr;

	if (len < sizeof(*h) || le32toh(h->magic) != VMIG_DISK_PKG_MAGIC ||
	    le16toh(h->version) != VMIG_DISK_PKG_VERSION ||
	    le16toh(h->hdr_size) != sizeof(*h) ||
	    le32toh(h->desc_size) != sizeof(struct vmig_disk_desc))
		return -EBADMSG;
	nr = le32toh(h->nr_descs);
	if (len != sizeof(*h) + (__u64)nr * sizeof(struct vmig_disk_desc) +
		   le64toh(h->data_len))
		return -EBADMSG;
	crc = vmig_crc32c(~0U, pkg, at);
	crc = vmig_crc32c(crc, zero, 4);
	crc = vmig_crc32c(crc, (const char *)pkg + at + 4, len - at - 4);
	return crc == le32toh(h->crc) ? (int)nr : -EBADMSG;
}

static inline const struct vmig_disk_desc *
vmig_disk_pkg_desc(const void *pkg, __u32 i)
{
	return (const struct vmig_disk_desc *)((const char *)pkg +
		sizeof(struct vmig_disk_pkg)) + i;
}

/* The data of descriptor @d of a verified package with @nr descriptors. */
static inline const void *vmig_disk_pkg_data(const void *pkg, __u32 nr,
					     const struct vmig_disk_desc *d)
{
	return (const char *)pkg + sizeof(struct vmig_disk_pkg) +
	       (size_t)nr * sizeof(*d) + le64toh(d->data_off);
}

#endif /* _LIBVMIG_DISK_H */
