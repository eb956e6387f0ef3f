/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Disks: the registry of dm-vmig filters in vmig.ko, and the kernel API
 * that the /dev/vmig ioctls and the migration session use to hand a disk
 * off. dm-vmig.ko registers each filter; everything else looks it up by
 * device number and holds a reference while it uses it.
 */
#ifndef _VMIG_DISK_H
#define _VMIG_DISK_H

#include <linux/types.h>
#include <linux/vmig_disk.h>

struct vmig_disk;

/**
 * struct vmig_disk_status - a filter's state and counters
 * @state: VMIG_DISK_ST_RUNNING...
 * @max_inflight: the dispatch depth, 0 for unlimited
 * @held: IO held now (queued or cancelled)
 * @inflight: IO at the backing device now
 * @errors: IO that ended with an error at the backing device
 * @passed: IO dispatched to the backing device
 * @cancelled: IO cancelled by hand-offs
 * @reissued: IO reissued from packages
 */
struct vmig_disk_status {
	u32 state;
	u32 max_inflight;
	u32 held;
	u32 inflight;
	u32 errors;
	u64 passed;
	u64 cancelled;
	u64 reissued;
};

/**
 * struct vmig_disk_result - what a hand-off or an import did
 * @completed: hand-off: IO waited for
 * @cancelled: hand-off: IO cancelled
 * @errors: hand-off: IO waited for that failed
 * @pkg_len: hand-off: the package's size
 * @reissued: import: IO reissued
 * @resubmit: import: cancelled reads, for the VMM to resubmit
 * @failed: import: IO that failed, on the source or (when waited for)
 *	reissued
 */
struct vmig_disk_result {
	u32 completed;
	u32 cancelled;
	u32 errors;
	u64 pkg_len;
	u32 reissued;
	u32 resubmit;
	u32 failed;
};

/* Called with the package of a FENCED disk, which is stable meanwhile. */
typedef int (*vmig_disk_export_fn)(void *arg, const void *pkg, size_t len);

/**
 * struct vmig_disk_ops - what a filter does; all may sleep
 * @handoff: hand off with a VMIG_DISK_HANDOFF_* mode, waiting for the IO
 *	in flight up to @timeout_ms (0: the filter's default)
 * @export: call @fn with the package
 * @import: check the package and reissue it; @statuses (one per
 *	descriptor, or NULL) only with VMIG_DISK_IMPORT_WAIT
 * @release: cancel the migration
 * @complete: end the migration on the source
 * @incoming: wait for a package
 * @status: fill in the state and counters
 */
struct vmig_disk_ops {
	int (*handoff)(void *priv, u32 mode, u32 timeout_ms,
		       struct vmig_disk_result *res);
	int (*export)(void *priv, vmig_disk_export_fn fn, void *arg);
	int (*import)(void *priv, const void *pkg, size_t len, u32 flags,
		      s32 *statuses, struct vmig_disk_result *res);
	int (*release)(void *priv);
	int (*complete)(void *priv);
	int (*incoming)(void *priv);
	void (*status)(void *priv, struct vmig_disk_status *st);
};

/* For dm-vmig.ko. */
struct vmig_disk *vmig_disk_register(dev_t dev, const struct vmig_disk_ops *ops,
				     void *priv);
void vmig_disk_activate(struct vmig_disk *disk);
void vmig_disk_unregister(struct vmig_disk *disk);

/* For everyone else. Each call fails with -ENODEV once the filter is gone. */
struct vmig_disk *vmig_disk_get(dev_t dev);
void vmig_disk_put(struct vmig_disk *disk);
int vmig_disk_handoff(struct vmig_disk *disk, u32 mode, u32 timeout_ms,
		      struct vmig_disk_result *res);
int vmig_disk_export(struct vmig_disk *disk, vmig_disk_export_fn fn, void *arg);
int vmig_disk_import(struct vmig_disk *disk, const void *pkg, size_t len,
		     u32 flags, s32 *statuses, struct vmig_disk_result *res);
int vmig_disk_release(struct vmig_disk *disk);
int vmig_disk_complete(struct vmig_disk *disk);
int vmig_disk_incoming(struct vmig_disk *disk);
int vmig_disk_status(struct vmig_disk *disk, struct vmig_disk_status *st);

/* The state machine (disk_pkg.c), shared by the filter and its tests. */
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

/* The package codec (disk_pkg.c). */
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

/* disk_ioctl.c: the /dev/vmig ioctls for disks, in vmig.ko. */
long vmig_disk_ioctl(unsigned int cmd, unsigned long arg);
#if IS_ENABLED(CONFIG_KUNIT)
extern const struct vmig_ioctl_table vmig_disk_ioctls;
#endif

#endif /* _VMIG_DISK_H */
