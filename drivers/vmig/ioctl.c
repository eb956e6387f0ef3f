// SPDX-License-Identifier: GPL-2.0
/*
 * The dispatch of /dev/vmig's and the VM file descriptors' ioctls: the
 * suite's table dispatcher (<vmig/ucmd.h>) with room for any of vmig's
 * structures.
 */
#include "vmig.h"

long vmig_ioctl_dispatch(const struct vmig_ioctl_table *table, void *ctx,
			 unsigned int cmd, unsigned long arg)
{
	union vmig_ucmd_buffer buf;

	return vmig_ucmd_dispatch(table, ctx, cmd, arg, &buf);
}
