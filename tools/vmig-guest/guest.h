/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmig-guest: what the guest (guest.c) and its disk (disk.c) share. All of
 * the guest's state lives in its vmig memory, laid out as:
 *
 *   page 0                      struct header, with the disk's request slots
 *   1 .. table_pages            the generation of every memory page (__u32)
 *   .. + disk_journal_pages     the generation of every disk block (__u32)
 *   first_data ..               the data pages
 */
#ifndef _VMIG_GUEST_H
#define _VMIG_GUEST_H

#include <stdbool.h>
#include <linux/types.h>

#define PAGE 4096UL
#define BLOCK 4096UL
#define GUEST_MAGIC 0x54535547564d4956ULL	/* "VIMVGUST" */
#define DISK_MAX_DEPTH 32
#define DISK_MAX_BLOCKS 16	/* per request: 64 KiB */

enum { SLOT_FREE, SLOT_WRITE, SLOT_READ, SLOT_FLUSH };

/*
 * A disk request of the guest, as a virtqueue descriptor would be: in guest
 * memory, so that a request the source did not finish moves with the
 * memory and the target's VMM finishes it.
 */
struct slot {
	__u32 op;		/* SLOT_* */
	__u32 nr_blocks;
	__u64 block;
	__u32 unsent;		/* fenced before it reached the source's disk */
	__u32 __pad;
};

/* Page 0 of the guest's memory. */
struct header {
	__u64 magic;
	__u64 nr_pages;
	__u64 table_pages;
	__u64 heartbeat_ns;	/* CLOCK_REALTIME of the last step */
	__u64 steps;
	/* The disk: its size, journal, and what the guest saw of it. */
	__u64 disk_blocks;
	__u64 disk_journal_pages;
	__u64 disk_submitted;	/* requests the guest made */
	__u64 disk_writes;	/* acknowledged */
	__u64 disk_reads;
	__u64 disk_flushes;
	__u64 disk_bad_reads;	/* read data that disagreed with the journal */
	__u64 disk_errors;	/* requests that failed */
	struct slot slots[DISK_MAX_DEPTH];
};

extern unsigned char *mem;
extern struct header *hdr;

__u64 now_ns(int clk);
__u64 rnd(__u64 *s);

/* disk.c: the guest's disk, a dm-vmig device, and its VMM side. */
struct disk_handoff {
	__u64 ms;		/* from the hand-off ioctl to the package */
	__u32 waited;		/* in flight at the backing device */
	__u32 cancelled;	/* held by the filter, in the package */
	__u32 unsent;		/* not yet at the filter: fenced */
	__u64 pkg_len;
};

struct disk_import {
	__u64 ms;		/* import and the IO it waited for */
	__u32 reissued;
	__u32 resubmit;		/* reads, submitted again by us */
	__u32 unsent;		/* requests that never reached the source disk */
	__u32 failed;
	__u32 lost;		/* requests the package did not account for */
};

int disk_open(const char *path);
bool disk_present(void);
__u64 disk_journal_pages(void);
void disk_boot(__u32 *journal);
void disk_attach(__u32 *journal);
int disk_format(void);
int disk_start(unsigned int depth, unsigned int rate);
void disk_pause(void);
void disk_resume(void);
void disk_stop(void);
int disk_handoff(struct disk_handoff *h, void **pkg, unsigned int late_io);
int disk_release(void);
int disk_complete(void);
int disk_import(const void *pkg, size_t len, struct disk_import *r);
int disk_check_slots(unsigned int depth);
__u64 disk_verify(void);
__u64 disk_unanswered(void);

#endif /* _VMIG_GUEST_H */
