// SPDX-License-Identifier: GPL-2.0
/*
 * Write tracking: page groups, the dirty bitmap and the harvest.
 *
 * The invariant: while tracking runs, a PTE of the memory is writable only
 * if its group's bit is set, or during a harvest that has already taken
 * that bit and will report the group. The fault path (mem.c) sets the bit
 * and makes the PTE writable under the PTE's lock. A harvest
 *
 *  1. takes (gets and clears) the bits of its range,
 *  2. write-protects the groups it took, in every mapping, taking each PTE
 *     lock: a fault that made a PTE writable before that is undone, and
 *     one that comes after sets its bit after step 1, so the bit stays,
 *  3. reports, and keeps dirty, the groups with a page that may be pinned
 *     for DMA, since a device may write it without a fault.
 *
 * A write that lands before step 2 is in the memory when the harvest
 * returns, so whoever copies the reported groups afterwards sees it; a
 * write after step 2 faults, sets the bit again and is reported by the next
 * harvest. The order of steps 1 and 2 matters: write-protecting first would
 * let a fault upgrade a group between the two steps and lose its bit.
 */
#include "vmig.h"

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
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
 * Expand a bitmap of @nr_groups groups of 2^@shift pages into @pages, a
 * zeroed bitmap of @nr_pages pages; the last group may be partial.
 */
VISIBLE_IF_KUNIT void vmig_groups_to_pages(unsigned long *pages,
					   const unsigned long *groups,
					   unsigned long nr_groups,
					   unsigned int shift,
					   unsigned long nr_pages)
{
	unsigned long g, first;

	for_each_set_bit(g, groups, nr_groups) {
		first = g << shift;
		if (first >= nr_pages)
			break;
		bitmap_set(pages, first, min(1UL << shift, nr_pages - first));
	}
}
EXPORT_SYMBOL_IF_KUNIT(vmig_groups_to_pages);

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

static struct vmig_track *vmig_track_locked(struct vmig_vm *vm)
{
	return rcu_dereference_protected(vm->track, lockdep_is_held(&vm->lock));
}

unsigned int vmig_track_group_pages(struct vmig_vm *vm)
{
	struct vmig_track *track;
	unsigned int ret = 0;

	rcu_read_lock();
	track = rcu_dereference(vm->track);
	if (track)
		ret = 1U << track->shift;
	rcu_read_unlock();
	return ret;
}

int vmig_track_start(struct vmig_ucmd *ucmd)
{
	struct vmig_track_start *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	struct vmig_track *track;
	unsigned int shift;
	unsigned long nr_groups;
	int ret = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || !is_power_of_2(cmd->group_pages) ||
	    cmd->group_pages > VMIG_GROUP_PAGES_MAX)
		return -EINVAL;
	shift = ilog2(cmd->group_pages);
	nr_groups = DIV_ROUND_UP(vm->nr_pages, 1UL << shift);

	track = kvzalloc(struct_size(track, dirty, BITS_TO_LONGS(nr_groups)),
			 GFP_KERNEL_ACCOUNT);
	if (!track)
		return -ENOMEM;
	track->shift = shift;
	track->nr_groups = nr_groups;
	/* Everything must be sent once: the first harvest reports it all. */
	bitmap_fill(track->dirty, nr_groups);

	mutex_lock(&vm->lock);
	if (vmig_track_locked(vm))
		ret = -EBUSY;
	else
		rcu_assign_pointer(vm->track, track);
	mutex_unlock(&vm->lock);
	if (ret)
		kvfree(track);
	return ret;
}

int vmig_track_stop(struct vmig_ucmd *ucmd)
{
	struct vmig_track_stop *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	struct vmig_track *track;

	if (cmd->flags)
		return -EOPNOTSUPP;
	mutex_lock(&vm->lock);
	track = vmig_track_locked(vm);
	RCU_INIT_POINTER(vm->track, NULL);
	mutex_unlock(&vm->lock);
	if (!track)
		return -ENOENT;
	synchronize_rcu();
	kvfree(track);
	return 0;
}

/* Only at release: no mapping, so no fault, is left. */
void vmig_track_uninit(struct vmig_vm *vm)
{
	kvfree(rcu_dereference_protected(vm->track, true));
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

static bool vmig_group_pinned(struct vmig_vm *vm, unsigned long first,
			      unsigned long nr)
{
	unsigned long i;

	for (i = first; i < first + nr; i++) {
		/* Pairs with cmpxchg_release() in vmig_mem_page(). */
		struct page *page = smp_load_acquire(&vm->pages[i]);

		if (page && folio_maybe_dma_pinned(page_folio(page)))
			return true;
	}
	return false;
}

int vmig_track_harvest(struct vmig_ucmd *ucmd)
{
	struct vmig_dirty_harvest *cmd = ucmd->cmd;
	struct vmig_vm *vm = ucmd->ctx;
	unsigned long g0, ng, g, rs, re, first, last = 0, nr, nbits;
	unsigned long *groups, *out;
	u64 start_ns = ktime_get_ns(), pages = 0, pinned = 0;
	struct vmig_track *track;
	int ret;

	if (cmd->flags & ~VMIG_HARVEST_GROUPS)
		return -EOPNOTSUPP;

	mutex_lock(&vm->lock);
	track = vmig_track_locked(vm);
	ret = -ENOENT;
	if (!track)
		goto out_unlock;
	ret = vmig_harvest_range(vm->nr_pages, track->shift, cmd->first_page,
				 cmd->nr_pages, &g0, &ng);
	if (ret)
		goto out_unlock;

	ret = -ENOMEM;
	groups = kvcalloc(BITS_TO_LONGS(ng), sizeof(long), GFP_KERNEL);
	if (!groups)
		goto out_unlock;
	out = groups;
	nbits = ng;
	if (!(cmd->flags & VMIG_HARVEST_GROUPS)) {
		nbits = cmd->nr_pages;
		out = kvcalloc(BITS_TO_LONGS(nbits), sizeof(long), GFP_KERNEL);
		if (!out)
			goto out_free;
	}

	vmig_bitmap_take(groups, track->dirty, g0, ng);
	/*
	 * Write-protect the groups taken, merging runs closer than a page
	 * table: one walk and one TLB flush instead of many. Clean groups in
	 * between are read-only already, or dirty again, and then protecting
	 * them is harmless.
	 */
	first = ULONG_MAX;
	for_each_set_bitrange(rs, re, groups, ng) {
		unsigned long start = (g0 + rs) << track->shift;
		unsigned long end = min((g0 + re) << track->shift, vm->nr_pages);

		if (first != ULONG_MAX && start - last > VMIG_WP_MERGE_GAP) {
			vmig_wrprotect(vm, first, last - first);
			first = ULONG_MAX;
		}
		if (first == ULONG_MAX)
			first = start;
		last = end;
	}
	if (first != ULONG_MAX)
		vmig_wrprotect(vm, first, last - first);
	for (g = 0; g < ng; g++) {
		first = (g0 + g) << track->shift;
		nr = min(1UL << track->shift, vm->nr_pages - first);
		if (vmig_group_pinned(vm, first, nr)) {
			__set_bit(g, groups);
			set_bit(g0 + g, track->dirty);
			pinned += nr;
		}
		if (test_bit(g, groups))
			pages += nr;
	}

	if (out != groups)
		vmig_groups_to_pages(out, groups, ng, track->shift, nbits);
	cmd->nr_dirty = bitmap_weight(out, nbits);
	ret = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(cmd->bitmap), out,
			 DIV_ROUND_UP(nbits, 64) * sizeof(u64)))
		goto out_restore;
	ret = vmig_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto out_restore;

	vm->harvests++;
	vm->pages_reported += pages;
	vm->pinned_pages += pinned;
	vm->harvest_ns += ktime_get_ns() - start_ns;
	goto out_free;

out_restore:
	/* Nobody learnt of these groups: they stay dirty. */
	vmig_bitmap_restore(track->dirty, groups, g0, ng);
out_free:
	if (out != groups)
		kvfree(out);
	kvfree(groups);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}
