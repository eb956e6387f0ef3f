/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-vmig's pure parts, without a target or a bio: the state machine
 * (state.c) and the package codec (pkg.c). The filter and the KUnit suite
 * share them.
 */
#ifndef _DM_VMIG_PKG_H
#define _DM_VMIG_PKG_H

#include <linux/types.h>
#include <linux/dm-vmig.h>

/* The state machine (state.c). */
enum vmig_disk_event {
	VMIG_DISK_EV_HANDOFF,	/* a hand-off starts */
	VMIG_DISK_EV_FENCE,	/* its IO in flight is done: fence */
	VMIG_DISK_EV_ABORT,	/* it failed (timeout, no memory): undo */
	VMIG_DISK_EV_RELEASE,	/* the migration is cancelled */
	VMIG_DISK_EV_COMPLETE,	/* the migration is done, on the source */
	VMIG_DISK_EV_INCOMING,	/* wait for a package */
	VMIG_DISK_EV_IMPORT,	/* a package was imported */
	VMIG_DISK_NR_EVENTS,
};

int vmig_disk_next_state(u32 state, enum vmig_disk_event ev);
const char *vmig_disk_state_name(u32 state);

/* The package codec (pkg.c). */
size_t vmig_disk_pkg_size(u32 nr_descs, u64 data_len);
void vmig_disk_pkg_seal(void *pkg, size_t len);
int vmig_disk_pkg_check(const void *pkg, size_t len, u64 nr_sectors);

static inline struct vmig_disk_desc *vmig_disk_pkg_descs(const void *pkg)
{
	return (struct vmig_disk_desc *)((u8 *)pkg +
					 sizeof(struct vmig_disk_pkg));
}

static inline u8 *vmig_disk_pkg_data(const void *pkg, u32 nr_descs)
{
	return (u8 *)vmig_disk_pkg_descs(pkg) +
	       (size_t)nr_descs * sizeof(struct vmig_disk_desc);
}

#endif /* _DM_VMIG_PKG_H */
