/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmig-guest: the VMM, in two parts: its memory side and the migration
 * session (vmm_mem.c), and its disk side (vmm_disk.c), a dm-vmig device
 * whose IO it carries out for the guest. main.c parses the command line
 * into a struct vmm_opts and runs one side of a migration. Each part
 * calls the guest (guest.h) and the parts below it, never back.
 */
#ifndef _VMIG_GUEST_VMM_H
#define _VMIG_GUEST_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/vmig.h>

#include "guest.h"

/* What the command line asks of the VMM. */
struct vmm_opts {
	__u64 nr_pages;
	struct cpu regs;	/* pattern, content, rate, disk_depth/rate */
	const char *disk;
	unsigned int hold_ms, late_io;
	bool stall_cancel;
	bool json;
	/* The streams' TLS (libvmig's tls.c): a key file, or none (--insecure). */
	const char *psk_file;
};

enum cancel_at { NEVER, PRECOPY, HANDOFF, SWITCHOVER };

/*
 * vmm_mem.c: run the guest and be its VMM in a migration: to @target
 * (HOST:PORT), or with @target NULL, one that migctl starts; or receive
 * one on @addr:@port (or, with @migctl, the one migctl listen brings).
 * The exit status.
 */
int vmm_source(const struct vmm_opts *o, const char *name,
	       const char *target, int streams, struct vmig_mig_start *start,
	       bool show, enum cancel_at cancel_at);
int vmm_target(const struct vmm_opts *o, const char *name, const char *addr,
	       const char *port, unsigned int run_ms, bool migctl);

/* vmm_disk.c: the guest's disk, a dm-vmig device. */
struct vdisk;

/* What the source's hand-off did. */
struct disk_handoff {
	__u64 ms;		/* from the hand-off ioctl to the package */
	__u32 waited;		/* in flight at the backing device */
	__u32 cancelled;	/* held by the filter, in the package */
	__u32 unsent;		/* not yet at the filter: fenced */
	__u64 pkg_len;
};

/* What the target's import did. */
struct disk_import {
	__u64 ms;		/* import and the IO it waited for */
	__u32 reissued;
	__u32 resubmit;		/* reads, submitted again by us */
	__u32 unsent;		/* requests that never reached the source disk */
	__u32 failed;
	__u32 lost;		/* requests the package did not account for */
};

/* Open the dm-vmig device @path for guest @g; NULL, said on stderr. */
struct vdisk *vdisk_open(const char *path, struct guest *g);
void vdisk_close(struct vdisk *d);
__u64 vdisk_blocks(const struct vdisk *d);
/* Every block at generation 0, as a fresh journal says. */
int vdisk_format(struct vdisk *d);
/* The migrated guest's disk state makes sense for this disk. */
int vdisk_attach(struct vdisk *d, unsigned int depth);
/* Carry out the guest's requests, @depth at a time, @rate a second. */
int vdisk_start(struct vdisk *d, unsigned int depth, unsigned int rate);
/* Stop, once nothing is in flight. */
void vdisk_stop(struct vdisk *d);
int vdisk_handoff(struct vdisk *d, struct disk_handoff *h, void **pkg,
		  unsigned int late_io);
int vdisk_release(struct vdisk *d);
int vdisk_complete(struct vdisk *d);
int vdisk_import(struct vdisk *d, const void *pkg, size_t len,
		 struct disk_import *r);
/* Check every block against the guest's journal: the blocks that differ. */
__u64 vdisk_verify(struct vdisk *d);

#endif /* _VMIG_GUEST_VMM_H */
