// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: the pages of a VM, its mappings and their faults.
 *
 * Mappings are VM_MIXEDMAP with ordinary refcounted pages (not VM_PFNMAP,
 * which get_user_pages() and KVM cannot use). Since the VMA has
 * .page_mkwrite, the core maps every PTE read-only (write-notify), and the
 * module decides when a PTE becomes writable:
 *
 * - .fault (no PTE yet) maps the faulting page's whole group at once;
 * - on a write, .fault or .page_mkwrite makes every present PTE of the
 *   group writable with apply_to_existing_page_range(), marking each page
 *   dirty in the tracking bitmap under its PTE's lock (see track.c);
 * - both return VM_FAULT_NOPAGE, so the core never makes a PTE writable
 *   behind our back (and .page_mkwrite never returns 0 on a folio without
 *   a mapping, which the core would retry forever); the one exception is
 *   a group of a single page, see vmig_mem_page_mkwrite().
 *
 * A no-op .map_pages keeps the faults on the per-VMA lock: without one the
 * core retries every fault under mmap_lock.
 *
 * The tracking state is read under RCU; apply_to_existing_page_range()
 * only takes spinlocks, so it runs inside the read section.
 */
#include "vmig.h"

#include <linux/fs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pgtable.h>
#include <linux/slab.h>

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

int vmig_mem_init(struct vmig_vm *vm)
{
	vm->pages = kvcalloc(vm->nr_pages, sizeof(*vm->pages),
			     GFP_KERNEL_ACCOUNT);
	if (!vm->pages)
		return -ENOMEM;
	vm->stats = alloc_percpu(struct vmig_vm_pcpu_stats);
	if (!vm->stats) {
		kvfree(vm->pages);
		return -ENOMEM;
	}
	return 0;
}

void vmig_mem_uninit(struct vmig_vm *vm)
{
	unsigned long i;

	for (i = 0; i < vm->nr_pages; i++)
		if (vm->pages[i])
			put_page(vm->pages[i]);
	kvfree(vm->pages);
	free_percpu(vm->stats);
}

/* The page at @idx, allocated (zeroed) on first use. */
struct page *vmig_mem_page(struct vmig_vm *vm, unsigned long idx)
{
	/* Acquire: pairs with the cmpxchg_release() below. */
	struct page *page = smp_load_acquire(&vm->pages[idx]);
	struct page *old;

	if (page)
		return page;
	page = alloc_page(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT);
	if (!page)
		return NULL;
	/* Release: the zeroes are visible before the pointer. */
	old = cmpxchg_release(&vm->pages[idx], NULL, page);
	if (old) {
		__free_page(page);
		return old;
	}
	this_cpu_inc(vm->stats->pages_present);
	return page;
}

/* Map pages @first..@first+@nr-1 at @addr, skipping those already mapped. */
static vm_fault_t vmig_mem_insert(struct vm_area_struct *vma,
				  struct vmig_vm *vm, unsigned long addr,
				  unsigned long first, unsigned long nr)
{
	unsigned long i, left;
	int err;

	for (i = 0; i < nr; i++)
		if (!vmig_mem_page(vm, first + i))
			return VM_FAULT_OOM;
	i = 0;
	while (i < nr) {
		left = nr - i;
		err = vm_insert_pages(vma, addr + (i << PAGE_SHIFT),
				      &vm->pages[first + i], &left);
		i = nr - left;
		if (err == -EBUSY)
			i++;
		else if (err)
			return vmf_error(err);
	}
	return 0;
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

/*
 * The group of @pgoff, in page offsets of the object, clamped to the VMA;
 * returns the address of its first page.
 */
static unsigned long vmig_mem_group(struct vm_area_struct *vma,
				    unsigned long nr_pages, pgoff_t pgoff,
				    unsigned int shift, unsigned long *first,
				    unsigned long *last)
{
	*first = max(round_down(pgoff, 1UL << shift), vma->vm_pgoff);
	*last = min(min(round_down(pgoff, 1UL << shift) + (1UL << shift),
			nr_pages), vma->vm_pgoff + vma_pages(vma));
	return vma->vm_start + ((*first - vma->vm_pgoff) << PAGE_SHIFT);
}

static vm_fault_t vmig_mem_fault_group(struct vm_fault *vmf, bool write,
				       bool insert)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmig_vm *vm = vma->vm_file->private_data;
	struct vmig_mkwrite mk = { .vma = vma };
	unsigned long first, last, addr;
	struct vmig_track *track;
	unsigned int shift;
	vm_fault_t ret;

	if (unlikely(vmf->pgoff >= vm->nr_pages))
		return VM_FAULT_SIGBUS;

	if (insert) {
		/* Allocating may sleep: outside RCU, a group of the moment. */
		rcu_read_lock();
		track = rcu_dereference(vm->track);
		shift = track ? vmig_track_shift(track, vmf->pgoff) :
				VMIG_UNTRACKED_SHIFT;
		rcu_read_unlock();
		addr = vmig_mem_group(vma, vm->nr_pages, vmf->pgoff, shift,
				      &first, &last);
		ret = vmig_mem_insert(vma, vm, addr, first, last - first);
		if (ret)
			return ret;
	}
	if (!write)
		return VM_FAULT_NOPAGE;

	ret = VM_FAULT_NOPAGE;
	rcu_read_lock();
	track = rcu_dereference(vm->track);
	shift = track ? vmig_track_shift(track, vmf->pgoff) :
			VMIG_UNTRACKED_SHIFT;
	addr = vmig_mem_group(vma, vm->nr_pages, vmf->pgoff, shift, &first,
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

static vm_fault_t vmig_mem_fault(struct vm_fault *vmf)
{
	return vmig_mem_fault_group(vmf, vmf->flags & FAULT_FLAG_WRITE, true);
}

/*
 * A write to a present, write-protected PTE. A group of one page takes a
 * shorter path: mark the page with its folio locked and let the core make
 * the PTE writable (VM_FAULT_LOCKED), which saves a page-table walk. The
 * core unlocks the folio only after that, and a harvest waits for locked
 * folios of the pages it takes before it write-protects them (track.c).
 */
/* Whether tracking runs with a group of one page for @pgoff. */
static bool vmig_mem_single(struct vmig_vm *vm, pgoff_t pgoff)
{
	struct vmig_track *track;
	bool single;

	rcu_read_lock();
	track = rcu_dereference(vm->track);
	single = track && !vmig_track_shift(track, pgoff);
	rcu_read_unlock();
	return single;
}

static vm_fault_t vmig_mem_page_mkwrite(struct vm_fault *vmf)
{
	struct vmig_vm *vm = vmf->vma->vm_file->private_data;
	struct folio *folio = page_folio(vmf->page);
	struct vmig_track *track;

	/* Groups take the walk, without touching the folio lock. */
	if (!vmig_mem_single(vm, vmf->pgoff))
		return vmig_mem_fault_group(vmf, true, false);

	folio_lock(folio);
	rcu_read_lock();
	track = rcu_dereference(vm->track);
	/* Tracking may have stopped, or the region grown, meanwhile. */
	if (!track || vmig_track_shift(track, vmf->pgoff)) {
		rcu_read_unlock();
		folio_unlock(folio);
		return vmig_mem_fault_group(vmf, true, false);
	}
	this_cpu_inc(vm->stats->write_faults);
	if (!test_and_set_bit(vmf->pgoff, track->dirty))
		this_cpu_inc(vm->stats->groups_dirtied);
	rcu_read_unlock();
	vmig_mem_test_delay();
	return VM_FAULT_LOCKED;
}

static vm_fault_t vmig_mem_map_pages(struct vm_fault *vmf, pgoff_t start,
				     pgoff_t end)
{
	return 0;
}

/*
 * Any mprotect() that leaves a mapping writable may make write-protected
 * dirty PTEs writable without a fault (MM_CP_TRY_CHANGE_WRITABLE, then
 * can_change_pte_writable()), and later writes would go untracked: only
 * taking write permission away, or changing nothing, is allowed.
 */
static int vmig_mem_mprotect(struct vm_area_struct *vma, unsigned long start,
			     unsigned long end, unsigned long newflags)
{
	if ((newflags & VM_WRITE) && newflags != vma->vm_flags)
		return -EACCES;
	return 0;
}

static const struct vm_operations_struct vmig_mem_vm_ops = {
	.fault = vmig_mem_fault,
	.page_mkwrite = vmig_mem_page_mkwrite,
	.map_pages = vmig_mem_map_pages,
	.mprotect = vmig_mem_mprotect,
};

int vmig_mem_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vmig_vm *vm = file->private_data;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= vm->nr_pages ||
	    vma_pages(vma) > vm->nr_pages - vma->vm_pgoff)
		return -EINVAL;
	/*
	 * Not inherited by fork (a child's writable copy would go untracked),
	 * never grown by mremap, and left out of core dumps.
	 */
	vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTDUMP |
		     VM_DONTCOPY);
	vma->vm_ops = &vmig_mem_vm_ops;
	return 0;
}

/* Forget what a session wrote: the memory reads as zero again. */
void vmig_mem_discard(struct vmig_vm *vm)
{
	unsigned long i;

	for (i = 0; i < vm->nr_pages; i++) {
		/* Pairs with cmpxchg_release() in vmig_mem_page(). */
		struct page *page = smp_load_acquire(&vm->pages[i]);

		if (page)
			clear_highpage(page);
		if (!(i % 1024))
			cond_resched();
	}
}
