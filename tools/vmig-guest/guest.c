// SPDX-License-Identifier: GPL-2.0
/*
 * vmig-guest: the guest. It keeps all its state in its vmig memory (see
 * guest.h): a header (page 0), a journal (the generation of every data
 * page) and the data pages, whose content is a function of their index and
 * generation, so that anyone can check the memory against the journal. A
 * worker thread (the vCPU) writes pages at a set rate and pattern, bumping
 * their generation, and a heartbeat. Its registers (RNG, cursor, step
 * count) are the device state the VMM hands over at the switchover.
 *
 * With a disk, the guest makes requests in slots of its memory (as
 * virtqueue descriptors) that its VMM carries out (vmm_disk.c). A block's
 * content is a function of its index and generation, and the disk journal
 * holds the generation of every block's last acknowledged write: anyone
 * can check the disk against it, and a write lost, or applied again over
 * a later one, shows as a block of the wrong generation. Reads check what
 * they read against the journal. Concurrent requests never overlap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmig/libvmig.h>

#include "guest.h"

void guest_init(struct guest *g, unsigned char *mem, __u64 nr_pages)
{
	memset(g, 0, sizeof(*g));
	g->mem = mem;
	g->nr_pages = nr_pages;
	g->hdr = (struct header *)mem;
	g->disk_rng = 0x9e3779b97f4a7c15ULL;
	atomic_init(&g->paused, true);
}

/* What data page @i holds at generation @gen. */
static void page_content(const struct guest *g, unsigned char *p, __u64 i,
			 __u32 gen)
{
	static const char *const words[] = {
		"guest ", "page ", "memory ", "vmig ", "step ", "write ",
		"journal ", "0xdeadbeef ", "\n",
	};
	enum content c = g->cpu.content;
	__u64 s = (i << 32 | gen) * 0x9e3779b97f4a7c15ULL + 1;
	size_t k = 0, n;

	if (c == MIXED)
		c = i % 4 == 0 ? ZERO : i % 4 == 3 ? NOISE : TEXT;
	if (c == ZERO || (!gen && i % 2)) {
		memset(p, 0, VMIG_PAGE_SIZE);
		return;
	}
	if (c == NOISE) {
		for (k = 0; k < VMIG_PAGE_SIZE; k += 8) {
			__u64 v = rnd(&s);

			memcpy(p + k, &v, 8);
		}
		return;
	}
	while (k < VMIG_PAGE_SIZE) {
		const char *w = words[rnd(&s) % 9];

		n = strlen(w);
		if (n > VMIG_PAGE_SIZE - k)
			n = VMIG_PAGE_SIZE - k;
		memcpy(p + k, w, n);
		k += n;
	}
	memcpy(p, &gen, sizeof(gen));
}

static __u64 table_pages(__u64 nr_pages)
{
	return (nr_pages * 4 + VMIG_PAGE_SIZE - 1) / VMIG_PAGE_SIZE;
}

static __u64 journal_pages(__u64 disk_blocks)
{
	return (disk_blocks * 4 + VMIG_PAGE_SIZE - 1) / VMIG_PAGE_SIZE;
}

/* Where the journals and the data are, from the header. */
static void layout(struct guest *g)
{
	g->table = (__u32 *)(g->mem + VMIG_PAGE_SIZE);
	g->journal = (__u32 *)(g->mem +
			       (1 + g->hdr->table_pages) * VMIG_PAGE_SIZE);
	g->first_data = 1 + g->hdr->table_pages + g->hdr->disk_journal_pages;
}

int guest_boot(struct guest *g, const struct cpu *regs, __u64 disk_blocks)
{
	struct header *hdr = g->hdr;
	__u64 i;

	hdr->magic = GUEST_MAGIC;
	hdr->nr_pages = g->nr_pages;
	hdr->table_pages = table_pages(g->nr_pages);
	hdr->disk_blocks = disk_blocks;
	hdr->disk_journal_pages = disk_blocks ? journal_pages(disk_blocks) : 0;
	layout(g);
	if (g->first_data + 16 > g->nr_pages) {
		fprintf(stderr, "vmig-guest: the memory is too small\n");
		return -1;
	}
	/* The content depends on the registers: set them first. */
	g->cpu = (struct cpu) {
		.magic = GUEST_MAGIC, .rng = 0x2545f4914f6cdd1dULL,
		.cursor = g->first_data, .pattern = regs->pattern,
		.content = regs->content, .rate = regs->rate,
		.disk_depth = regs->disk_depth, .disk_rate = regs->disk_rate,
	};
	for (i = g->first_data; i < g->nr_pages; i++)
		page_content(g, g->mem + i * VMIG_PAGE_SIZE, i, 0);
	return 0;
}

int guest_check_state(struct guest *g, __u64 disk_blocks)
{
	const struct header *hdr = g->hdr;

	if (hdr->magic != GUEST_MAGIC || hdr->nr_pages != g->nr_pages ||
	    hdr->table_pages != table_pages(g->nr_pages) ||
	    hdr->disk_journal_pages !=
	    (disk_blocks ? journal_pages(disk_blocks) : 0) ||
	    g->cpu.pattern > HOT || g->cpu.content > NOISE)
		return -EINVAL;
	layout(g);
	if (g->first_data + 16 > g->nr_pages ||
	    g->cpu.cursor < g->first_data || g->cpu.cursor >= g->nr_pages)
		return -EINVAL;
	return 0;
}

/* One step of the vCPU: rewrite a page, journal it, beat. */
static void step(struct guest *g)
{
	__u64 n = g->nr_pages - g->first_data, i;
	struct cpu *cpu = &g->cpu;

	switch (cpu->pattern) {
	case SEQ:
		i = cpu->cursor++;
		if (cpu->cursor >= g->nr_pages)
			cpu->cursor = g->first_data;
		break;
	case HOT:
		/* Nine writes in ten to a tenth of the memory. */
		i = rnd(&cpu->rng) % 10 ? rnd(&cpu->rng) % (n / 10 + 1) :
					  rnd(&cpu->rng) % n;
		i += g->first_data;
		break;
	default:
		i = g->first_data + rnd(&cpu->rng) % n;
	}
	page_content(g, g->mem + i * VMIG_PAGE_SIZE, i, g->table[i] + 1);
	g->table[i]++;
	g->hdr->steps = ++cpu->steps;
	g->hdr->heartbeat_ns = now_ns(CLOCK_REALTIME);
}

static void *vcpu(void *arg)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC), done = 0, due;
	struct guest *g = arg;

	while (!atomic_load(&g->paused)) {
		due = g->cpu.rate ? (now_ns(CLOCK_MONOTONIC) - t0) *
				    g->cpu.rate / 1000000000ULL : done + 64;
		for (; done < due && !atomic_load(&g->paused); done++)
			step(g);
		if (g->cpu.rate)
			usleep(1000);
	}
	return NULL;
}

int guest_run(struct guest *g)
{
	atomic_store(&g->paused, false);
	return pthread_create(&g->vcpu, NULL, vcpu, g) ? -EAGAIN : 0;
}

void guest_pause(struct guest *g)
{
	if (atomic_exchange(&g->paused, true))
		return;
	pthread_join(g->vcpu, NULL);
}

__u64 guest_verify(struct guest *g)
{
	unsigned char *want = malloc(VMIG_PAGE_SIZE);
	__u64 i, bad = 0;

	if (g->hdr->magic != GUEST_MAGIC || g->hdr->nr_pages != g->nr_pages ||
	    !want) {
		free(want);
		return g->nr_pages;
	}
	for (i = g->first_data; i < g->nr_pages; i++) {
		page_content(g, want, i, g->table[i]);
		bad += !!memcmp(want, g->mem + i * VMIG_PAGE_SIZE,
				VMIG_PAGE_SIZE);
	}
	free(want);
	return bad;
}

void guest_block_content(unsigned char *p, __u64 b, __u32 gen)
{
	__u64 s = (b << 32 | gen) * 0xbf58476d1ce4e5b9ULL + 1, v;
	size_t k;

	if (!gen) {
		memset(p, 0, BLOCK);
		return;
	}
	for (k = 0; k < BLOCK; k += 8) {
		v = rnd(&s);
		memcpy(p + k, &v, 8);
	}
	memcpy(p, &b, 8);
	memcpy(p + 8, &gen, 4);
}

static bool overlaps(const struct slot *s, __u64 b, __u32 n)
{
	return (s->op == SLOT_WRITE || s->op == SLOT_READ) &&
	       b < s->block + s->nr_blocks && s->block < b + n;
}

bool guest_disk_pick(struct guest *g, struct slot *s)
{
	__u32 n = 1U << (rnd(&g->disk_rng) % 5), i, try, kind;
	__u64 b;

	for (try = 0; try < 16; try++) {
		b = rnd(&g->disk_rng) % (g->hdr->disk_blocks - n + 1);
		for (i = 0; i < DISK_MAX_DEPTH; i++)
			if (overlaps(&g->hdr->slots[i], b, n))
				break;
		if (i == DISK_MAX_DEPTH)
			break;
	}
	if (try == 16)
		return false;
	/* Of 16 requests, 11 writes, 4 reads and a flush. */
	kind = rnd(&g->disk_rng) % 16;
	*s = (struct slot) {
		.op = kind < 11 ? SLOT_WRITE : kind < 15 ? SLOT_READ : SLOT_FLUSH,
		.nr_blocks = n, .block = b,
	};
	if (s->op == SLOT_FLUSH) {
		s->nr_blocks = 0;
		s->block = 0;
	}
	g->hdr->disk_submitted++;
	return true;
}

void guest_disk_finish(struct guest *g, struct slot *s,
		       const unsigned char *buf)
{
	unsigned char *want = buf ? malloc(BLOCK) : NULL;
	struct header *hdr = g->hdr;
	__u32 k;

	if (buf && !want) {
		hdr->disk_errors++;
		memset(s, 0, sizeof(*s));
		return;
	}
	for (k = 0; k < s->nr_blocks; k++) {
		if (s->op == SLOT_WRITE) {
			g->journal[s->block + k]++;
			continue;
		}
		guest_block_content(want, s->block + k,
				    g->journal[s->block + k]);
		if (memcmp(want, buf + k * BLOCK, BLOCK))
			hdr->disk_bad_reads++;
	}
	if (s->op == SLOT_WRITE)
		hdr->disk_writes++;
	else if (s->op == SLOT_READ)
		hdr->disk_reads++;
	else
		hdr->disk_flushes++;
	free(want);
	memset(s, 0, sizeof(*s));
}

bool guest_disk_pending(const struct guest *g, __u64 b)
{
	unsigned int i;

	for (i = 0; i < DISK_MAX_DEPTH; i++)
		if (g->hdr->slots[i].op == SLOT_WRITE &&
		    overlaps(&g->hdr->slots[i], b, 1))
			return true;
	return false;
}

int guest_disk_check_slots(const struct guest *g, unsigned int depth)
{
	__u64 blocks = g->hdr->disk_blocks;
	unsigned int i;

	if (!depth || depth > DISK_MAX_DEPTH)
		return -EINVAL;
	for (i = 0; i < DISK_MAX_DEPTH; i++) {
		const struct slot *s = &g->hdr->slots[i];

		switch (s->op) {
		case SLOT_FREE:
			break;
		case SLOT_FLUSH:
			if (s->nr_blocks || s->block || i >= depth)
				return -EINVAL;
			break;
		case SLOT_READ:
		case SLOT_WRITE:
			if (!s->nr_blocks || s->nr_blocks > DISK_MAX_BLOCKS ||
			    s->nr_blocks > blocks ||
			    s->block > blocks - s->nr_blocks || i >= depth)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

__u64 guest_disk_unanswered(const struct guest *g)
{
	const struct header *hdr = g->hdr;
	__u64 n = hdr->disk_submitted - hdr->disk_writes - hdr->disk_reads -
		  hdr->disk_flushes - hdr->disk_errors;
	unsigned int i;

	for (i = 0; i < DISK_MAX_DEPTH; i++)
		n -= hdr->slots[i].op != SLOT_FREE;
	return n;
}
