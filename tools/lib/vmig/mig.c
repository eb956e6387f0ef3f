// SPDX-License-Identifier: GPL-2.0
/*
 * libvmig: migration sessions on a VM descriptor, see "Migration
 * sessions" in <linux/vmig.h>.
 */
#include <stdint.h>
#include <string.h>

#include "libvmig.h"

int vmig_mig_start(int vmfd, struct vmig_mig_start *start, const int *fds,
		   __u32 nr_fds)
{
	start->size = sizeof(*start);
	start->fds = (uintptr_t)fds;
	start->nr_fds = nr_fds;
	return vmig_ioctl(vmfd, VMIG_MIG_START, start);
}

int vmig_mig_add_stream(int vmfd, int fd)
{
	struct vmig_mig_add_stream a = { .size = sizeof(a), .fd = fd };

	return vmig_ioctl(vmfd, VMIG_MIG_ADD_STREAM, &a);
}

int vmig_mig_status(int vmfd, struct vmig_mig_status *st, bool ack)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = ack ? VMIG_MIG_STATUS_ACK : 0;
	return vmig_ioctl(vmfd, VMIG_MIG_STATUS, st);
}

int vmig_mig_switchover(int vmfd, const void *blob, __u64 blob_len)
{
	struct vmig_mig_switchover s = {
		.size = sizeof(s),
		.blob = (uintptr_t)blob,
		.blob_len = blob_len,
	};

	return vmig_ioctl(vmfd, VMIG_MIG_SWITCHOVER, &s);
}

__s64 vmig_mig_get_blob(int vmfd, void *buf, __u64 len, __u64 *needed)
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

int vmig_mig_cancel(int vmfd)
{
	struct vmig_mig_cancel c = { .size = sizeof(c) };

	return vmig_ioctl(vmfd, VMIG_MIG_CANCEL, &c);
}

const char *vmig_mig_state_name(__u32 state)
{
	static const char *const names[] = {
		"none", "connecting", "active", "ready", "stalled",
		"switchover", "done", "failed", "cancelled",
	};

	return state <= VMIG_MIG_STATE_CANCELLED ? names[state] : "?";
}
