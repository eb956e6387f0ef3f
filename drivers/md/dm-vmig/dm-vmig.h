/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dm-vmig: the files of the device-mapper target share these.
 *
 * The files call one way, from the interfaces down to the queue:
 *
 *   target.c (table, map, status, messages, module init)
 *   ctl.c (/dev/dm-vmig)  ->  registry.c (device number -> filter)
 *   handoff.c (source side), reissue.c (target side)
 *   queue.c (holding and dispatching)
 *   pkg.c (the package codec), state.c (the state machine)
 */
#ifndef _DM_VMIG_H
#define _DM_VMIG_H

#include <linux/blk_types.h>
#include <linux/device-mapper.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <vmig/ucmd.h>

#include "pkg.h"

/* Defaults and limits of the table's optional arguments. */
#define VMIG_DM_TIMEOUT_MS 10000
#define VMIG_DM_TIMEOUT_MAX 600000
#define VMIG_DM_MAX_DEPTH 65536

struct vmig_dm_reg;

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
 * struct vmig_dm - one dm-vmig target
 * @ti: the target
 * @dev: the backing device
 * @start: where the target starts on @dev
 * @max_inflight: the dispatch depth, 0 for unlimited
 * @timeout_ms: the default hand-off timeout
 * @opt_max_inflight: the table gave max_inflight (for the table status)
 * @opt_timeout: the table gave timeout_ms
 * @opt_incoming: the table gave incoming
 * @disk_uuid: the table's disk_uuid, the disk's identity; null without one
 * @reg: the registration that /dev/dm-vmig finds the filter by
 * @op_lock: serializes hand-off operations; those that change the state
 *	only try it and fail with -EBUSY
 * @pkg: the package of a FENCED target, under @op_lock
 * @pkg_len: its size
 * @held: IO cancelled by the hand-off, in order, under @op_lock (and
 *	@lock when it is spliced back)
 * @lock: protects everything below; taken in completion context
 * @state: VMIG_DISK_ST_RUNNING...
 * @suspending: between presuspend and resume: the depth does not apply
 * @next_seq: the sequence number of the next IO
 * @limit_seq: only IO with a lower sequence number is dispatched
 * @queue: IO waiting to be dispatched, in order
 * @ordered: reissued IO in flight; IO that overlaps it, and flushes, wait
 * @queued: entries of @queue
 * @nr_held: entries of @held
 * @inflight: IO at the backing device
 * @reissue_pending: reissued IO not finished yet
 * @reissue_errors: reissued IO that failed, since the last import
 * @passed: counter
 * @cancelled: counter
 * @reissued: counter
 * @errors: counter
 * @recording: a hand-off records completions in @done
 * @done: descriptors of the IO a hand-off waited for
 * @nr_done: entries of @done
 * @max_done: room in @done
 * @orphan: the statuses of an import whose wait was interrupted, written
 *	by its reissued IO; freed once it is done (reissue.c)
 * @wait: hand-offs, imports and suspends wait here for IO to finish
 * @dispatch: dispatches @queue
 */
struct vmig_dm {
	struct dm_target *ti;
	struct dm_dev *dev;
	sector_t start;
	u32 max_inflight;
	u32 timeout_ms;
	bool opt_max_inflight;
	bool opt_timeout;
	bool opt_incoming;
	uuid_t disk_uuid;
	struct vmig_dm_reg *reg;

	struct mutex op_lock; /* see above */
	void *pkg;
	size_t pkg_len;
	struct list_head held;

	spinlock_t lock; /* see above */
	u32 state;
	bool suspending;
	u64 next_seq;
	u64 limit_seq;
	struct list_head queue;
	struct list_head ordered;
	u32 queued;
	u32 nr_held;
	u32 inflight;
	u32 reissue_pending;
	u32 reissue_errors;
	u64 passed;
	u64 cancelled;
	u64 reissued;
	u32 errors;
	bool recording;
	struct vmig_disk_desc *done;
	u32 nr_done;
	u32 max_done;
	s32 *orphan;

	wait_queue_head_t wait;
	struct work_struct dispatch;
};

/**
 * struct vmig_dm_req - one IO in the filter: the per-bio data of a guest
 *	IO, or an allocation of its own for a reissued one
 * @list: in &vmig_dm.queue or &vmig_dm.held
 * @olist: a reissued IO in flight: in &vmig_dm.ordered
 * @bio: the bio
 * @c: the target
 * @seq: its sequence number
 * @sector: its first sector, from the start of the target
 * @sectors: its length
 * @opf: its operation and flags
 * @dispatched: it went to the backing device
 * @reissue: it comes from a package
 * @status: reissued with VMIG_DISK_IMPORT_WAIT: where its result goes
 */
struct vmig_dm_req {
	struct list_head list;
	struct list_head olist;
	struct bio *bio;
	struct vmig_dm *c;
	u64 seq;
	sector_t sector;
	u32 sectors;
	blk_opf_t opf;
	bool dispatched;
	bool reissue;
	s32 *status;
};

extern struct workqueue_struct *vmig_dm_wq;

/* The device-mapper device's name, for messages. */
static inline const char *vmig_dm_name(struct vmig_dm *c)
{
	return dm_device_name(dm_table_get_md(c->ti->table));
}

/* queue.c: holding and dispatching. */
bool vmig_dm_may_dispatch(struct vmig_dm *c, struct vmig_dm_req *req);
void vmig_dm_start(struct vmig_dm *c, struct vmig_dm_req *req);
void vmig_dm_done(struct vmig_dm *c, struct vmig_dm_req *req,
		  blk_status_t status);
void vmig_dm_dispatch(struct work_struct *work);
void vmig_dm_kick(struct vmig_dm *c);
bool vmig_dm_quiet_locked(struct vmig_dm *c);
bool vmig_dm_quiet(struct vmig_dm *c);
void vmig_dm_get_status(struct vmig_dm *c, struct vmig_disk_status *st);

/* handoff.c: the source side. */
int vmig_dm_handoff(struct vmig_dm *c, u32 mode, u32 timeout_ms,
		    struct vmig_disk_result *res);
int vmig_dm_export(struct vmig_dm *c, vmig_disk_export_fn fn, void *arg);
int vmig_dm_release(struct vmig_dm *c);
int vmig_dm_complete(struct vmig_dm *c);
int vmig_dm_incoming(struct vmig_dm *c);
void vmig_dm_fail_held(struct vmig_dm *c, blk_status_t status);

/* reissue.c: the target side. */
int vmig_dm_import(struct vmig_dm *c, const void *pkg, size_t len,
		   u32 flags, s32 **statuses, struct vmig_disk_result *res);

/* registry.c: the filters by device number, for ctl.c. */
int vmig_dm_register(struct vmig_dm *c, dev_t dev);
bool vmig_dm_activate(struct vmig_dm *c);
void vmig_dm_unregister(struct vmig_dm *c);
struct vmig_dm_reg *vmig_dm_reg_get(dev_t dev);
void vmig_dm_reg_put(struct vmig_dm_reg *reg);
struct vmig_dm *vmig_dm_enter(struct vmig_dm_reg *reg);
void vmig_dm_leave(struct vmig_dm_reg *reg);

/* ctl.c: /dev/dm-vmig. */

/* Large enough for the structure of any ioctl of /dev/dm-vmig. */
union vmig_dm_ucmd_buffer {
	struct vmig_disk_info info;
	struct vmig_disk_handoff handoff;
	struct vmig_disk_export export;
	struct vmig_disk_import import;
	struct vmig_disk_ctl ctl;
};

int vmig_dm_ctl_init(void);
void vmig_dm_ctl_uninit(void);
#if IS_ENABLED(CONFIG_KUNIT)
extern const struct vmig_ioctl_table vmig_dm_ctl_ioctls;
#endif

#endif /* _DM_VMIG_H */
