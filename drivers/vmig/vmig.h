/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Definitions shared by the files of the vmig core module.
 */
#ifndef _VMIG_VMIG_H
#define _VMIG_VMIG_H

#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/vmig.h>
#include <linux/wait.h>
#include <vmig/ucmd.h>

struct file;
struct ipc_namespace;
struct page;
struct poll_table_struct;
struct vm_area_struct;
struct vm_fault;

/* The VMIG_FEATURE_* bits this module reports in VMIG_GET_API_VERSION. */
#define VMIG_FEATURES 0ULL

/* ioctl.c: size-prefixed ioctls, dispatched from tables (<vmig/ucmd.h>). */

/* Large enough for the structure of any ioctl. */
union vmig_ucmd_buffer {
	struct vmig_api_version api_version;
	struct vmig_vm_create vm_create;
	struct vmig_vm_open vm_open;
	struct vmig_vm_destroy vm_destroy;
	struct vmig_vm_list vm_list;
	struct vmig_vm_info vm_info;
	struct vmig_track_start track_start;
	struct vmig_track_stop track_stop;
	struct vmig_dirty_harvest dirty_harvest;
	struct vmig_vm_stats vm_stats;
	struct vmig_mig_start mig_start;
	struct vmig_mig_add_stream mig_add_stream;
	struct vmig_mig_status mig_status;
	struct vmig_mig_switchover mig_switchover;
	struct vmig_mig_get_blob mig_get_blob;
	struct vmig_mig_cancel mig_cancel;
};

#define VMIG_IOCTL_OP(_ioctl, _fn, _struct, _last)			\
	VMIG_UCMD_OP(union vmig_ucmd_buffer, _ioctl, _fn, _struct, _last)

long vmig_ioctl_dispatch(const struct vmig_ioctl_table *table, void *ctx,
			 unsigned int cmd, unsigned long arg);

/* dev.c: /dev/vmig. */
int vmig_dev_init(void);
void vmig_dev_uninit(void);

/* vm.c: named VMs and their file descriptors. */

/**
 * struct vmig_vm - a VM: a named guest memory object
 * @file: the VM's file; while the VM has a name, the registry holds a
 *	reference to it. The VM is freed when the file is released, that is
 *	once it is unnamed and no descriptor or mapping is left.
 * @node: in the registry, sorted by name; empty once destroyed
 * @name: NUL-padded name, unique in @scope
 * @scope: the IPC namespace of the VM's creator, referenced (NULL on a
 *	kernel without IPC namespaces): the name is only visible there
 * @owner: the creator's effective uid, which may reach the VM by name
 * @nr_pages: memory size in pages
 * @pages: the memory, NULL for a page never touched (it reads as zero)
 * @lock: serializes tracking start, stop and harvest
 * @track: the tracking state, NULL when not tracking; faults read it under
 *	RCU, and it is freed after a grace period
 * @track_session: under @lock: a migration session started the tracking,
 *	and the tracking ioctls may not touch it
 * @track_held: under @lock: an incoming session writes the memory, where
 *	no write faults; tracking may not start (vmig_track_hold())
 * @mig_lock: serializes the migration ioctls
 * @mig: under @mig_lock: the VM's migration session, NULL before the first
 * @mig_poll: poll() waits here for the session's state changes
 * @mig_acked: under the session's lock: the state changes acknowledged
 * @stats: per-CPU fault counters
 * @pages_reported: harvest counter, under @lock
 * @pinned_pages: harvest counter, under @lock
 * @harvests: harvest counter, under @lock
 * @harvest_ns: harvest counter, under @lock
 */
struct vmig_vm {
	struct file *file;
	struct list_head node;
	char name[VMIG_NAME_MAX];
	struct ipc_namespace *scope;
	kuid_t owner;
	unsigned long nr_pages;
	struct page **pages;
	struct mutex lock; /* see above */
	struct vmig_track __rcu *track;
	bool track_session;
	bool track_held;
	struct mutex mig_lock; /* see above */
	struct vmig_mig *mig;
	wait_queue_head_t mig_poll;
	u64 mig_acked;
	struct vmig_vm_pcpu_stats __percpu *stats;
	u64 pages_reported;
	u64 pinned_pages;
	u64 harvests;
	u64 harvest_ns;
};

/* Counters the fault path bumps, per CPU. */
struct vmig_vm_pcpu_stats {
	u64 write_faults;
	u64 groups_dirtied;
	u64 pages_present;
};

int vmig_vm_create(struct vmig_ucmd *ucmd);
int vmig_vm_open(struct vmig_ucmd *ucmd);
int vmig_vm_destroy(struct vmig_ucmd *ucmd);
int vmig_vm_list(struct vmig_ucmd *ucmd);

/* mig.c: migration sessions. */
struct vmig_mig;
void vmig_mig_init(struct vmig_vm *vm);
void vmig_mig_uninit(struct vmig_vm *vm);
bool vmig_mig_busy(struct vmig_vm *vm);
__poll_t vmig_mig_poll(struct file *file, struct poll_table_struct *wait);
int vmig_mig_start(struct vmig_ucmd *ucmd);
int vmig_mig_add_stream(struct vmig_ucmd *ucmd);
int vmig_mig_status(struct vmig_ucmd *ucmd);
int vmig_mig_switchover(struct vmig_ucmd *ucmd);
int vmig_mig_get_blob(struct vmig_ucmd *ucmd);
int vmig_mig_cancel(struct vmig_ucmd *ucmd);

/* mem.c: the memory and its faults. */
int vmig_mem_init(struct vmig_vm *vm);
void vmig_mem_uninit(struct vmig_vm *vm);
int vmig_mem_mmap(struct file *file, struct vm_area_struct *vma);
struct page *vmig_mem_page(struct vmig_vm *vm, unsigned long idx);
void vmig_mem_discard(struct vmig_vm *vm);

/* The page at @idx if it has been allocated, else NULL; never allocates. */
static inline struct page *vmig_mem_peek(struct vmig_vm *vm, unsigned long idx)
{
	/* Pairs with cmpxchg_release() in vmig_mem_page(). */
	return smp_load_acquire(&vm->pages[idx]);
}

/* track.c: write tracking and the dirty log. */

/* Automatic group sizes are chosen per region of this many pages (log2). */
#define VMIG_REGION_SHIFT 9

/**
 * struct vmig_track - the state of one tracking session
 * @shift: log2 of the group size in pages; with automatic sizes, of the
 *	region size, the granularity of harvest ranges
 * @regions: with automatic sizes, the state of each region; NULL for a
 *	fixed size
 * @dirty: one bit per page
 */
struct vmig_track {
	unsigned int shift;
	struct vmig_region *regions;
	unsigned long dirty[];
};

/**
 * struct vmig_region - automatic group size of one region, see track.c
 * @shift: log2 of the group size; faults read it without a lock
 * @countdown: harvests left before the next probe
 * @backoff: log2 of the harvests between probes
 * @before: while probing, the shift before the probe; VMIG_FRESH before
 *	the region's first harvest; else VMIG_NO_PROBE
 */
struct vmig_region {
	u8 shift;
	u8 countdown;
	u8 backoff;
	u8 before;
};

/* The group size, as a shift, for a fault on page @pgoff. */
static inline unsigned int vmig_track_shift(const struct vmig_track *track,
					    unsigned long pgoff)
{
	if (track->regions)
		return READ_ONCE(track->regions[pgoff >> VMIG_REGION_SHIFT].shift);
	return track->shift;
}

unsigned long vmig_track_fault_group(struct vm_area_struct *vma, pgoff_t pgoff,
				     unsigned long *first, unsigned long *last);
vm_fault_t vmig_track_write_fault(struct vm_fault *vmf);
vm_fault_t vmig_track_page_mkwrite(struct vm_fault *vmf);
int vmig_track_begin(struct vmig_vm *vm, u32 group_pages, bool session);
int vmig_track_end(struct vmig_vm *vm, bool session);
int vmig_track_hold(struct vmig_vm *vm);
void vmig_track_unhold(struct vmig_vm *vm);
bool vmig_track_group_valid(u32 group_pages);
long vmig_track_collect(struct vmig_vm *vm, unsigned long *pages);
long vmig_track_dirty_count(struct vmig_vm *vm);
unsigned long vmig_track_bitmap_longs(struct vmig_vm *vm);
int vmig_track_start(struct vmig_ucmd *ucmd);
int vmig_track_stop(struct vmig_ucmd *ucmd);
int vmig_track_harvest(struct vmig_ucmd *ucmd);
void vmig_track_info(struct vmig_vm *vm, struct vmig_vm_entry *entry);
void vmig_track_uninit(struct vmig_vm *vm);

#if IS_ENABLED(CONFIG_KUNIT)
extern const struct vmig_ioctl_table vmig_dev_ioctls;
extern const struct vmig_ioctl_table vmig_vm_ioctls;
long vmig_dev_ioctl(struct file *filp, unsigned int cmd, unsigned long arg);
bool vmig_name_valid(const char *name);
void vmig_bitmap_take(unsigned long *dst, unsigned long *src,
		      unsigned long start, unsigned long nbits);
void vmig_bitmap_restore(unsigned long *dst, const unsigned long *src,
			 unsigned long start, unsigned long nbits);
int vmig_harvest_range(unsigned long nr_pages, unsigned int shift,
		       u64 first_page, u64 count, unsigned long *first_group,
		       unsigned long *nr_groups);
unsigned int vmig_auto_best(const unsigned long *bits, unsigned int from,
			    unsigned int fault_cost);
#endif

#endif /* _VMIG_VMIG_H */
