// SPDX-License-Identifier: GPL-2.0
/*
 * Write tracking: page groups, the dirty bitmap and the harvest.
 *
 * The invariant: while tracking runs, a PTE of the memory is writable only
 * if its group's bit is set, or during a harvest that has already taken
 * that bit and will report the group. This file owns both sides of it: the
 * fault side (vmig_track_write_fault(), vmig_track_page_mkwrite(), which
 * mem.c's fault handlers call) sets the bit and makes the PTE writable
 * under the PTE's lock. A harvest
 *
 *  1. takes (gets and clears) the bits of its range,
 *  2. waits for faults that hold the folio lock of a page it took (groups
 *     of one page: see vmig_track_page_mkwrite()),
 *  3. write-protects the groups it took, in every mapping, taking each PTE
 *     lock: a fault that made a PTE writable before that is undone, and
 *     one that comes after sets its bit after step 1, so the bit stays,
 *  4. reports, and keeps dirty, the pages that someone holds a reference
 *     to (a DMA pin, a get_user_pages() reference), since they may be
 *     written through the kernel's mapping, without a fault.
 *
 * A write that lands before step 3 is in the memory when the harvest
 * returns, so whoever copies the reported groups afterwards sees it; a
 * write after step 3 faults, sets the bit again and is reported by the next
 * harvest. The order of steps 1 and 3 matters: write-protecting first would
 * let a fault upgrade a group between the two steps and lose its bit.
 */
#include "vmig.h"

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/*
 * Take bits @start..@start+@nbits-1 of @src into bits 0..@nbits-1 of
 * @dst, clearing them in @src word by word with atomic exchanges, so that
 * a concurrent set_bit() on @src is either taken or left set.
 */
VISIBLE_IF_KUNIT void vmig_bitmap_take(unsigned long *dst, unsigned long *src,
				       unsigned long start, unsigned long nbits)
{
	unsigned long pos = start, end = start + nbits;

	bitmap_zero(dst, nbits);
	while (pos < end) {
		unsigned long w = BIT_WORD(pos), off = pos % BITS_PER_LONG;
		unsigned long n = min(BITS_PER_LONG - off, end - pos);
		unsigned long mask = BITMAP_LAST_WORD_MASK(n) << off;
		unsigned long old = READ_ONCE(src[w]);

		if (old & mask) {
			while (!try_cmpxchg(&src[w], &old, old & ~mask))
				;
			bitmap_write(dst, (old & mask) >> off, pos - start, n);
		}
		pos += n;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmig_bitmap_take);

/* Set again in @dst, at @start, the @nbits bits of @src: undo a take. */
VISIBLE_IF_KUNIT void vmig_bitmap_restore(unsigned long *dst,
					  const unsigned long *src,
					  unsigned long start,
					  unsigned long nbits)
{
	unsigned long bit;

	for_each_set_bit(bit, src, nbits)
		set_bit(start + bit, dst);
}
EXPORT_SYMBOL_IF_KUNIT(vmig_bitmap_restore);

/*
 * Check a harvest range of @count pages from @first_page against memory of
 * @nr_pages pages in groups of 2^@shift: it must start on a group, be
 * non-empty, lie inside the memory, and end on a group or at the end of the
 * memory. Returns 0 and the range in groups, or -EINVAL.
 */
VISIBLE_IF_KUNIT int vmig_harvest_range(unsigned long nr_pages,
					unsigned int shift, u64 first_page,
					u64 count, unsigned long *first_group,
					unsigned long *nr_groups)
{
	u64 mask = (1ULL << shift) - 1;

	if (!count || first_page >= nr_pages || count > nr_pages - first_page)
		return -EINVAL;
	if ((first_page & mask) ||
	    ((count & mask) && first_page + count != nr_pages))
		return -EINVAL;
	*first_group = first_page >> shift;
	*nr_groups = DIV_ROUND_UP_ULL(count, 1ULL << shift);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_harvest_range);

/* Dirty runs closer than this, in pages, are write-protected as one. */
#define VMIG_WP_MERGE_GAP 512

/* The group sizes automatic tracking picks from, as shifts, ascending. */
static const u8 vmig_auto_shifts[] = { 0, 4, 6, 9 };

/* Harvests between probes of a region: 2^3 to 2^6. */
#define VMIG_AUTO_BACKOFF_MIN 3
#define VMIG_AUTO_BACKOFF_MAX 6
#define VMIG_NO_PROBE 0xff
/* Not harvested since tracking started: its bits say nothing yet. */
#define VMIG_FRESH 0xfe

/* The cost of a write fault, in pages sent, for automatic group sizes. */
static unsigned int auto_fault_cost = 16;
module_param(auto_fault_cost, uint, 0644);
MODULE_PARM_DESC(auto_fault_cost,
		 "Automatic group sizes: a write fault costs as much as sending this many pages (default 16)");

/*
 * Given the dirty bits of one region (1 << VMIG_REGION_SHIFT pages) seen
 * with groups of 2^@from pages, return the group size (as a shift, @from
 * or larger) that would have cost least: one fault per group touched, plus
 * every page of those groups sent. Smaller sizes cannot be judged from
 * these bits: the caller tries them now and then.
 */
VISIBLE_IF_KUNIT unsigned int vmig_auto_best(const unsigned long *bits,
					     unsigned int from,
					     unsigned int fault_cost)
{
	const unsigned int nbits = 1U << VMIG_REGION_SHIFT;
	unsigned long groups, cost, best_cost = ULONG_MAX, b;
	unsigned int i, shift, best = from;

	for (i = 0; i < ARRAY_SIZE(vmig_auto_shifts); i++) {
		shift = vmig_auto_shifts[i];
		if (shift < from)
			continue;
		groups = 0;
		for (b = find_first_bit(bits, nbits); b < nbits;
		     b = find_next_bit(bits, nbits, round_up(b + 1, 1UL << shift)))
			groups++;
		if (!groups)
			return from;
		cost = groups * (fault_cost + (1UL << shift));
		if (cost < best_cost) {
			best_cost = cost;
			best = shift;
		}
	}
	return best;
}
EXPORT_SYMBOL_IF_KUNIT(vmig_auto_best);

/*
 * Adapt the group size of a region from the bits a harvest took from it;
 * regions nobody wrote keep theirs. The bits of a harvest show the writes
 * only as finely as the group size they were made with: they tell when a
 * larger size would have been cheaper, and then the region grows at once,
 * but not when a smaller one would. So now and then a region probes: it
 * drops to single pages for one round, which shows the writes exactly, and
 * takes the best size for them. A probe that confirms the size it left
 * makes the next one twice as far away (up to 64 harvests), one that
 * changes it brings probes back to every 8.
 */
static void vmig_auto_adapt(struct vmig_region *reg, const unsigned long *bits)
{
	unsigned int cost = READ_ONCE(auto_fault_cost), best;

	if (reg->before == VMIG_FRESH) {
		reg->before = VMIG_NO_PROBE;
		return;
	}
	if (bitmap_empty(bits, 1U << VMIG_REGION_SHIFT))
		return;
	best = vmig_auto_best(bits, reg->shift, cost);
	if (reg->before != VMIG_NO_PROBE) {
		if (best == reg->before)
			reg->backoff = min(reg->backoff + 1, VMIG_AUTO_BACKOFF_MAX);
		else
			reg->backoff = VMIG_AUTO_BACKOFF_MIN;
		reg->before = VMIG_NO_PROBE;
	} else if (best == reg->shift && --reg->countdown) {
		return;
	} else if (best == reg->shift && reg->shift) {
		reg->before = reg->shift;
		WRITE_ONCE(reg->shift, 0);
		reg->countdown = 1;
		return;
	}
	WRITE_ONCE(reg->shift, best);
	reg->countdown = 1U << reg->backoff;
}

static struct vmig_track *vmig_track_locked(struct vmig_vm *vm)
{
	return rcu_dereference_protected(vm->track, lockdep_is_held(&vm->lock));
}

void vmig_track_info(struct vmig_vm *vm, struct vmig_vm_entry *entry)
{
	struct vmig_track *track;

	rcu_read_lock();
	track = rcu_dereference(vm->track);
	if (track) {
		entry->group_pages = 1U << track->shift;
		if (track->regions)
			entry->flags |= VMIG_VM_TRACK_AUTO;
	}
	rcu_read_unlock();
}

static void vmig_track_free(struct vmig_track *track)
{
	if (!track)
		return;
	kvfree(track->regions);
	kvfree(track);
}

static struct vmig_track *vmig_track_alloc(struct vmig_vm *vm,
					   unsigned int group_pages)
{
	unsigned long nr_regions = DIV_ROUND_UP(vm->nr_pages,
						1UL << VMIG_REGION_SHIFT), i;
	struct vmig_track *track;

	track = kvzalloc(struct_size(track, dirty, BITS_TO_LONGS(vm->nr_pages)),
			 GFP_KERNEL_ACCOUNT);
	if (!track)
		return NULL;
	/* Everything must be sent once: the first harvest reports it all. */
	bitmap_fill(track->dirty, vm->nr_pages);
	if (group_pages != VMIG_GROUP_AUTO) {
		track->shift = ilog2(group_pages);
		return track;
	}
	track->shift = VMIG_REGION_SHIFT;
	track->regions = kvmalloc_array(nr_regions, sizeof(*track->regions),
					GFP_KERNEL_ACCOUNT);
	if (!track->regions) {
		vmig_track_free(track);
		return NULL;
	}
	/*
	 * Start at 16 pages and judge from the first round: sequential writes
	 * fill all 32 groups of a region and grow it at once; scattered ones
	 * leave most groups clean, and the region probes single pages next.
	 */
	for (i = 0; i < nr_regions; i++)
		track->regions[i] = (struct vmig_region) {
			.shift = 4, .countdown = 1,
			.backoff = VMIG_AUTO_BACKOFF_MIN, .before = VMIG_FRESH,
		};
	return track;
}

/*
 * Start tracking with groups of @group_pages (already checked), for a
 * migration session when @session, else for the VM's user. Returns -EBUSY
 * when tracking runs, -ENOMEM.
 */
int vmig_track_begin(struct vmig_vm *vm, u32 group_pages, bool session)
{
	struct vmig_track *track;
	int ret = 0;

	/* Busy first: a caller that lost the race need not see ENOMEM. */
	mutex_lock(&vm->lock);
	ret = vmig_track_locked(vm) || vm->track_held ? -EBUSY : 0;
	mutex_unlock(&vm->lock);
	if (ret)
		return ret;
	track = vmig_track_alloc(vm, group_pages);
	if (!track)
		return -ENOMEM;
	mutex_lock(&vm->lock);
	if (vmig_track_locked(vm) || vm->track_held) {
		ret = -EBUSY;
	} else {
		rcu_assign_pointer(vm->track, track);
		vm->track_session = session;
		/*
		 * A fault that saw no tracking may still make PTEs writable
		 * without marking them: let it finish before any harvest
		 * write-protects, or its PTEs would stay writable and clean.
		 */
		synchronize_rcu();
	}
	mutex_unlock(&vm->lock);
	if (ret)
		vmig_track_free(track);
	return ret;
}

bool vmig_track_group_valid(u32 group_pages)
{
	return group_pages <= VMIG_GROUP_PAGES_MAX &&
	       (group_pages == VMIG_GROUP_AUTO || is_power_of_2(group_pages));
}

int vmig_track_start(struct vmig_ucmd *ucmd)
{
	struct vmig_track_start *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || !vmig_track_group_valid(cmd->group_pages))
		return -EINVAL;
	return vmig_track_begin(ucmd->ctx, cmd->group_pages, false);
}

/*
 * An incoming session stores received pages, and zeroes the memory, through
 * the kernel's mapping of the pages, where no write faults: tracking
 * running meanwhile would miss those writes. The session holds tracking
 * off from its start (-EBUSY while tracking runs) to its teardown, after
 * its last write; vmig_track_begin() refuses meanwhile.
 */
int vmig_track_hold(struct vmig_vm *vm)
{
	int ret;

	mutex_lock(&vm->lock);
	ret = vmig_track_locked(vm) || vm->track_held ? -EBUSY : 0;
	if (!ret)
		vm->track_held = true;
	mutex_unlock(&vm->lock);
	return ret;
}

void vmig_track_unhold(struct vmig_vm *vm)
{
	mutex_lock(&vm->lock);
	vm->track_held = false;
	mutex_unlock(&vm->lock);
}

/*
 * Stop the tracking that @session (or the user) started: -ENOENT when it
 * does not run, -EBUSY when the other one started it.
 */
int vmig_track_end(struct vmig_vm *vm, bool session)
{
	struct vmig_track *track;

	mutex_lock(&vm->lock);
	track = vmig_track_locked(vm);
	if (track && vm->track_session != session) {
		mutex_unlock(&vm->lock);
		return -EBUSY;
	}
	RCU_INIT_POINTER(vm->track, NULL);
	mutex_unlock(&vm->lock);
	if (!track)
		return -ENOENT;
	synchronize_rcu();
	vmig_track_free(track);
	return 0;
}

int vmig_track_stop(struct vmig_ucmd *ucmd)
{
	struct vmig_track_stop *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	return vmig_track_end(ucmd->ctx, false);
}

/* The fault side: a write makes its group writable and dirty. */

/* Untracked faults map 2 MiB at a time. */
#define VMIG_UNTRACKED_SHIFT 9

#ifdef CONFIG_VMIG_DEBUG
/*
 * A test hook: hold single-page write faults this long after marking the
 * page, folio locked, so that a test can run a harvest inside the window
 * (selftests/vmig/mem_test.c, mkwrite_window). Zero in normal use; only in
 * builds with CONFIG_VMIG_DEBUG.
 */
static unsigned int test_mkwrite_delay_ms;
module_param(test_mkwrite_delay_ms, uint, 0600);
MODULE_PARM_DESC(test_mkwrite_delay_ms, "Test hook: delay single-page write faults (ms)");

static void vmig_mem_test_delay(void)
{
	unsigned int ms = READ_ONCE(test_mkwrite_delay_ms);

	if (unlikely(ms))
		msleep(ms);
}
#else
static inline void vmig_mem_test_delay(void)
{
}
#endif

/*
 * The group of @pgoff, in page offsets of the object, clamped to the VMA;
 * returns the address of its first page.
 */
static unsigned long vmig_clamp_group(struct vm_area_struct *vma,
				      unsigned long nr_pages, pgoff_t pgoff,
				      unsigned int shift, unsigned long *first,
				      unsigned long *last)
{
	*first = max(round_down(pgoff, 1UL << shift), vma->vm_pgoff);
	*last = min(min(round_down(pgoff, 1UL << shift) + (1UL << shift),
			nr_pages), vma->vm_pgoff + vma_pages(vma));
	return vma->vm_start + ((*first - vma->vm_pgoff) << PAGE_SHIFT);
}

/**
 * vmig_track_fault_group() - the group a fault maps, of the moment
 * @vma: the mapping
 * @pgoff: the faulting page, in page offsets of the object
 * @first: output: the group's first page, clamped to @vma
 * @last: output: one past its last page, clamped to @vma
 *
 * Untracked memory maps VMIG_UNTRACKED_SHIFT pages at a time. The group may
 * change as soon as this returns; that only changes which pages a fault
 * maps, not what is tracked.
 *
 * Return: the address of @first in @vma.
 */
unsigned long vmig_track_fault_group(struct vm_area_struct *vma, pgoff_t pgoff,
				     unsigned long *first, unsigned long *last)
{
	struct vmig_vm *vm = vma->vm_file->private_data;
	struct vmig_track *track;
	unsigned int shift;

	rcu_read_lock();
	track = rcu_dereference(vm->track);
	shift = track ? vmig_track_shift(track, pgoff) : VMIG_UNTRACKED_SHIFT;
	rcu_read_unlock();
	return vmig_clamp_group(vma, vm->nr_pages, pgoff, shift, first, last);
}

/* What vmig_pte_mkwrite() needs, for one group. */
struct vmig_mkwrite {
	struct vm_area_struct *vma;
	unsigned long *dirty;	/* the tracking bitmap, NULL when untracked */
	unsigned long addr;	/* the group's first address ... */
	unsigned long pgoff;	/* ... and its page offset */
	bool dirtied;		/* this fault found the group clean */
};

/*
 * Make one present PTE writable, under its PTE lock. While tracking, the
 * page's bit is set first under that same lock: a harvest takes the bits,
 * then write-protects under the PTE locks, so either it sees this PTE
 * writable and protects it, or this runs after its take and the bit stays.
 */
static int vmig_pte_mkwrite(pte_t *ptep, unsigned long addr, void *data)
{
	struct vmig_mkwrite *mk = data;
	pte_t old = ptep_get(ptep);
	unsigned long page;

	if (!pte_present(old) || pte_write(old))
		return 0;
	page = mk->pgoff + ((addr - mk->addr) >> PAGE_SHIFT);
	if (mk->dirty && !test_bit(page, mk->dirty) &&
	    !test_and_set_bit(page, mk->dirty))
		mk->dirtied = true;
	/*
	 * Relaxing permissions under the PTE lock needs no atomic exchange
	 * and no TLB flush on x86: the hardware cannot set D on a read-only
	 * PTE, and we set A and D ourselves, so a plain store loses nothing
	 * (x86's ptep_set_access_flags() does the same). mkdirty comes after
	 * mkwrite: x86 keeps a write-protected D bit apart.
	 */
	set_pte_at(mk->vma->vm_mm, addr, ptep,
		   pte_mkdirty(pte_mkwrite_novma(pte_mkyoung(old))));
	return 0;
}

/**
 * vmig_track_write_fault() - a write to a page whose PTE is read-only
 * @vmf: the fault; its page is mapped
 *
 * Makes every present PTE of the page's group writable, marking each page
 * dirty under its PTE's lock (see vmig_pte_mkwrite()). The tracking state
 * is read under RCU; apply_to_existing_page_range() only takes spinlocks,
 * so it runs inside the read section. Returns VM_FAULT_NOPAGE, so that the
 * core never makes a PTE writable behind our back (and .page_mkwrite never
 * returns 0 on a folio without a mapping, which the core would retry
 * forever).
 *
 * Return: VM_FAULT_NOPAGE, or VM_FAULT_SIGBUS.
 */
vm_fault_t vmig_track_write_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmig_vm *vm = vma->vm_file->private_data;
	struct vmig_mkwrite mk = { .vma = vma };
	unsigned long first, last, addr;
	struct vmig_track *track;
	unsigned int shift;
	vm_fault_t ret = VM_FAULT_NOPAGE;

	if (unlikely(vmf->pgoff >= vm->nr_pages))
		return VM_FAULT_SIGBUS;
	rcu_read_lock();
	track = rcu_dereference(vm->track);
	shift = track ? vmig_track_shift(track, vmf->pgoff) :
			VMIG_UNTRACKED_SHIFT;
	addr = vmig_clamp_group(vma, vm->nr_pages, vmf->pgoff, shift, &first,
				&last);
	if (track) {
		mk.dirty = track->dirty;
		mk.addr = addr;
		mk.pgoff = first;
		this_cpu_inc(vm->stats->write_faults);
	}
	if (apply_to_existing_page_range(vma->vm_mm, addr,
					 (last - first) << PAGE_SHIFT,
					 vmig_pte_mkwrite, &mk))
		ret = VM_FAULT_SIGBUS;
	if (mk.dirtied)
		this_cpu_inc(vm->stats->groups_dirtied);
	rcu_read_unlock();
	return ret;
}

/* Whether tracking runs with a group of one page for @pgoff. */
static bool vmig_track_single(struct vmig_vm *vm, pgoff_t pgoff)
{
	struct vmig_track *track;
	bool single;

	rcu_read_lock();
	track = rcu_dereference(vm->track);
	single = track && !vmig_track_shift(track, pgoff);
	rcu_read_unlock();
	return single;
}

/**
 * vmig_track_page_mkwrite() - .page_mkwrite of the memory's mappings
 * @vmf: the fault
 *
 * A group of one page takes a shorter path than vmig_track_write_fault():
 * mark the page with its folio locked and let the core make the PTE
 * writable (VM_FAULT_LOCKED), which saves a page-table walk. The core
 * unlocks the folio only after that, and a harvest waits for locked folios
 * of the pages it takes before it write-protects them (step 2 above).
 *
 * Return: VM_FAULT_LOCKED, or what vmig_track_write_fault() returns.
 */
vm_fault_t vmig_track_page_mkwrite(struct vm_fault *vmf)
{
	struct vmig_vm *vm = vmf->vma->vm_file->private_data;
	struct folio *folio = page_folio(vmf->page);
	struct vmig_track *track;

	/* Groups take the walk, without touching the folio lock. */
	if (!vmig_track_single(vm, vmf->pgoff))
		return vmig_track_write_fault(vmf);

	folio_lock(folio);
	rcu_read_lock();
	track = rcu_dereference(vm->track);
	/* Tracking may have stopped, or the region grown, meanwhile. */
	if (!track || vmig_track_shift(track, vmf->pgoff)) {
		rcu_read_unlock();
		folio_unlock(folio);
		return vmig_track_write_fault(vmf);
	}
	this_cpu_inc(vm->stats->write_faults);
	if (!test_and_set_bit(vmf->pgoff, track->dirty))
		this_cpu_inc(vm->stats->groups_dirtied);
	rcu_read_unlock();
	vmig_mem_test_delay();
	return VM_FAULT_LOCKED;
}

/* The harvest side. */

/* Only at release: no mapping, so no fault, is left. */
void vmig_track_uninit(struct vmig_vm *vm)
{
	vmig_track_free(rcu_dereference_protected(vm->track, true));
}

static void vmig_wrprotect(struct vmig_vm *vm, unsigned long first,
			   unsigned long nr)
{
	struct address_space *mapping = vm->file->f_mapping;

	if (IS_ENABLED(CONFIG_MAPPING_DIRTY_HELPERS))
		wp_shared_mapping_range(mapping, first, nr);
	else
		unmap_mapping_pages(mapping, first, nr, false);
}

/*
 * Write-protect the pages of @bits (bit i: page @first + i), merging runs
 * closer than a page table: one walk and one TLB flush instead of many.
 * Clean pages in between are read-only already, or dirty again, and then
 * protecting them is harmless.
 */
static void vmig_wrprotect_bits(struct vmig_vm *vm, const unsigned long *bits,
				unsigned long first, unsigned long nbits)
{
	unsigned long rs, re, start = ULONG_MAX, end = 0;

	for_each_set_bitrange(rs, re, bits, nbits) {
		if (start != ULONG_MAX && rs - end > VMIG_WP_MERGE_GAP) {
			vmig_wrprotect(vm, first + start, end - start);
			start = ULONG_MAX;
		}
		if (start == ULONG_MAX)
			start = rs;
		end = re;
	}
	if (start != ULONG_MAX)
		vmig_wrprotect(vm, first + start, end - start);
}

/*
 * Wait until no fault holds the folio lock of a page just taken: a fault
 * on a group of one page marks the page under that lock and leaves making
 * the PTE writable to the core, which unlocks afterwards. A fault that
 * marked before the take is then done, and write-protecting undoes it; one
 * that locks after this check marks after the take, and the bit stays.
 * (The take is a fully ordered cmpxchg, so the check cannot pass it.)
 */
static void vmig_wait_unlocked(struct vmig_vm *vm, const unsigned long *bits,
			       unsigned long first, unsigned long nbits)
{
	unsigned long i;

	for_each_set_bit(i, bits, nbits) {
		struct page *page = vmig_mem_peek(vm, first + i);

		if (page)
			folio_wait_locked(page_folio(page));
	}
}

/*
 * Report, and keep dirty, the pages of the range that someone holds a
 * reference to beyond our own and one per mapping: a DMA pin, or a plain
 * get_user_pages() reference (/proc/pid/mem, ptrace, kvm_vcpu_map()). Both
 * write through the kernel's mapping of the page, without a fault, possibly
 * after this harvest returns. A transient reference (a fault in progress)
 * only reports a page once more. Returns their number.
 *
 * Only the pages taken need a look: a reference that can write is taken
 * with FOLL_WRITE, which needs the PTE writable, so the page was marked
 * when it was taken; and a page found referenced is kept dirty, so the
 * next harvest takes it and looks again, until the reference is gone.
 * A harvest thus costs time in proportion to what it reports.
 */
static bool vmig_page_referenced(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_maybe_dma_pinned(folio) ||
	       folio_ref_count(folio) > 1 + folio_mapcount(folio);
}

static unsigned long vmig_keep_pinned(struct vmig_vm *vm,
				      struct vmig_track *track,
				      unsigned long *bits, unsigned long first,
				      unsigned long nbits)
{
	unsigned long i, pinned = 0;

	for_each_set_bit(i, bits, nbits) {
		struct page *page = vmig_mem_peek(vm, first + i);

		if (page && vmig_page_referenced(page)) {
			set_bit(first + i, track->dirty);
			pinned++;
		}
	}
	return pinned;
}

/*
 * The harvest proper, under vm->lock: take the dirty bits of pages
 * @first..@first+@nr-1 (@first on a region) into @pages, which has room
 * for whole regions, and write-protect them. Returns the pages kept dirty
 * because they are referenced.
 */
static unsigned long vmig_harvest_locked(struct vmig_vm *vm,
					 struct vmig_track *track,
					 unsigned long *pages,
					 unsigned long first, unsigned long nr)
{
	unsigned long r;

	vmig_bitmap_take(pages, track->dirty, first, nr);
	vmig_wait_unlocked(vm, pages, first, nr);
	vmig_wrprotect_bits(vm, pages, first, nr);
	if (track->regions)
		for (r = 0; r < nr; r += 1UL << VMIG_REGION_SHIFT)
			vmig_auto_adapt(&track->regions[(first + r) >>
							VMIG_REGION_SHIFT],
					pages + r / BITS_PER_LONG);
	return vmig_keep_pinned(vm, track, pages, first, nr);
}

/*
 * Harvest all of the memory into @pages, one bit per page, with room for
 * whole regions (vmig_track_bitmap_longs()): for the migration session.
 * Returns the number of dirty pages, or -ENOENT when tracking stopped.
 */
long vmig_track_collect(struct vmig_vm *vm, unsigned long *pages)
{
	u64 start_ns = ktime_get_ns();
	struct vmig_track *track;
	unsigned long pinned, n;

	mutex_lock(&vm->lock);
	track = vmig_track_locked(vm);
	if (!track) {
		mutex_unlock(&vm->lock);
		return -ENOENT;
	}
	pinned = vmig_harvest_locked(vm, track, pages, 0, vm->nr_pages);
	n = bitmap_weight(pages, vm->nr_pages);
	vm->harvests++;
	vm->pages_reported += n;
	vm->pinned_pages += pinned;
	vm->harvest_ns += ktime_get_ns() - start_ns;
	mutex_unlock(&vm->lock);
	return n;
}

/* The longs a bitmap of the whole memory needs, in whole regions. */
unsigned long vmig_track_bitmap_longs(struct vmig_vm *vm)
{
	return BITS_TO_LONGS(round_up(vm->nr_pages, 1UL << VMIG_REGION_SHIFT));
}

int vmig_track_harvest(struct vmig_ucmd *ucmd)
{
	struct vmig_dirty_harvest *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	unsigned long g0, ng, first, nr, *pages, *out;
	u64 start_ns = ktime_get_ns(), pinned;
	struct vmig_track *track;
	int ret;

	if (cmd->flags & ~VMIG_HARVEST_GROUPS)
		return -EOPNOTSUPP;

	mutex_lock(&vm->lock);
	track = vmig_track_locked(vm);
	ret = -ENOENT;
	if (!track)
		goto out_unlock;
	ret = -EBUSY;
	if (vm->track_session)
		goto out_unlock;
	ret = vmig_harvest_range(vm->nr_pages, track->shift, cmd->first_page,
				 cmd->nr_pages, &g0, &ng);
	if (ret)
		goto out_unlock;
	first = cmd->first_page;
	nr = cmd->nr_pages;

	ret = -ENOMEM;
	/* Whole regions, for vmig_auto_adapt(): the tail stays zero. */
	pages = kvcalloc(BITS_TO_LONGS(round_up(nr, 1UL << VMIG_REGION_SHIFT)),
			 sizeof(long), GFP_KERNEL);
	if (!pages)
		goto out_unlock;
	out = pages;
	if (cmd->flags & VMIG_HARVEST_GROUPS) {
		out = kvcalloc(BITS_TO_LONGS(ng), sizeof(long), GFP_KERNEL);
		if (!out)
			goto out_free;
	}

	pinned = vmig_harvest_locked(vm, track, pages, first, nr);

	if (out != pages) {
		unsigned long p;

		for_each_set_bit(p, pages, nr)
			__set_bit(p >> track->shift, out);
	}
	cmd->nr_dirty = bitmap_weight(out, out == pages ? nr : ng);
	vm->harvests++;
	vm->pages_reported += bitmap_weight(pages, nr);
	vm->pinned_pages += pinned;
	vm->harvest_ns += ktime_get_ns() - start_ns;
	/*
	 * Copy out without vm->lock: the bitmap's pages may be slow to fault
	 * in (userfaultfd, FUSE), and nothing else on this VM should wait.
	 */
	mutex_unlock(&vm->lock);
	ret = -EFAULT;
	if (!copy_to_user(u64_to_user_ptr(cmd->bitmap), out,
			  DIV_ROUND_UP(out == pages ? nr : ng, 64) * sizeof(u64)))
		ret = vmig_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		/*
		 * Nobody learnt of these pages: they stay dirty, unless
		 * tracking stopped meanwhile, and then nobody cares.
		 */
		mutex_lock(&vm->lock);
		if (vmig_track_locked(vm) == track)
			vmig_bitmap_restore(track->dirty, pages, first, nr);
		vm->harvests--;
		vm->pages_reported -= bitmap_weight(pages, nr);
		vm->pinned_pages -= pinned;
		mutex_unlock(&vm->lock);
	}
	if (out != pages)
		kvfree(out);
	kvfree(pages);
	return ret;

out_free:
	kvfree(pages);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/* The pages dirty now, not harvested: -ENOENT when tracking stopped. */
long vmig_track_dirty_count(struct vmig_vm *vm)
{
	struct vmig_track *track;
	long n = -ENOENT;

	rcu_read_lock();
	track = rcu_dereference(vm->track);
	if (track)
		n = bitmap_weight(track->dirty, vm->nr_pages);
	rcu_read_unlock();
	return n;
}
