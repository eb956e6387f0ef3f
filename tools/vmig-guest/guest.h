/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmig-guest: the guest (guest.c), as its VMM (vmm_mem.c, vmm_disk.c) sees
 * it. All of the guest's state lives in its vmig memory, laid out as:
 *
 *   page 0                      struct header, with the disk's request slots
 *   1 .. table_pages            the generation of every memory page (__u32)
 *   .. + disk_journal_pages     the generation of every disk block (__u32)
 *   first_data ..               the data pages
 *
 * and in its registers (struct cpu), which the VMM hands over as device
 * state. The guest calls nothing of its VMM's.
 */
#ifndef _VMIG_GUEST_H
#define _VMIG_GUEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <linux/types.h>

#define BLOCK 4096UL
#define GUEST_MAGIC 0x54535547564d4956ULL	/* "VIMVGUST" */
#define DISK_MAX_DEPTH 32
#define DISK_MAX_BLOCKS 16	/* per request: 64 KiB */

enum pattern { SEQ, RANDOM, HOT };
enum content { MIXED, ZERO, TEXT, NOISE };

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

/* The vCPU's registers: the device state. */
struct cpu {
	__u64 magic;
	__u64 rng;
	__u64 cursor;
	__u64 steps;
	__u32 pattern;
	__u32 content;
	__u32 rate;
	__u32 disk_depth;
	__u32 disk_rate;
	__u32 __pad;
	__u64 pause_ns;		/* CLOCK_REALTIME when the VMM paused it */
	__u64 pkg_len;		/* the disk's hand-off package follows */
};

/* A guest: its memory, where things are in it, its vCPU. */
struct guest {
	__u64 nr_pages;
	unsigned char *mem;
	struct header *hdr;
	__u32 *table;		/* the generation of every data page */
	__u32 *journal;		/* the generation of every disk block */
	__u64 first_data;
	struct cpu cpu;
	atomic_bool paused;
	pthread_t vcpu;
	__u64 disk_rng;		/* picks the disk requests */
};

static inline __u64 now_ns(int clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64 */
static inline __u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The guest in @nr_pages pages of memory at @mem. */
void guest_init(struct guest *g, unsigned char *mem, __u64 nr_pages);
/*
 * Boot, with a disk of @disk_blocks blocks (0: none): every data page at
 * generation 0, registers from @regs' pattern, content, rate, disk_depth
 * and disk_rate.
 */
int guest_boot(struct guest *g, const struct cpu *regs, __u64 disk_blocks);
/*
 * The state that came over the network (the registers in g->cpu and the
 * memory) makes sense for a disk of @disk_blocks blocks: lay it out.
 */
int guest_check_state(struct guest *g, __u64 disk_blocks);
/* The vCPU runs, or stops (the VMM pauses it). */
int guest_run(struct guest *g);
void guest_pause(struct guest *g);
/* Check the memory against the journal: the pages that differ. */
__u64 guest_verify(struct guest *g);

/* The guest's disk requests, which its VMM carries out. */

/* What block @b holds at generation @gen: zero at 0 (a fresh disk). */
void guest_block_content(unsigned char *p, __u64 b, __u32 gen);
/* A new request in @s, not overlapping any other; false when none fits. */
bool guest_disk_pick(struct guest *g, struct slot *s);
/* The guest takes a finished request (and checks a read's @buf). */
void guest_disk_finish(struct guest *g, struct slot *s,
		       const unsigned char *buf);
/* A write of the guest's in a slot covers block @b: not known yet. */
bool guest_disk_pending(const struct guest *g, __u64 b);
/* The slots, from the migrated memory, make sense for a queue of @depth. */
int guest_disk_check_slots(const struct guest *g, unsigned int depth);
/* Requests made that were neither answered nor are pending in a slot. */
__u64 guest_disk_unanswered(const struct guest *g);

#endif /* _VMIG_GUEST_H */
