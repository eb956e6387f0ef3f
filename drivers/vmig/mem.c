// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: the pages of a VM, its mappings and their faults.
 *
 * Mappings are VM_MIXEDMAP with ordinary refcounted pages (not VM_PFNMAP,
 * which get_user_pages() and KVM cannot use). Since the VMA has
 * .page_mkwrite, the core maps every PTE read-only (write-notify), and
 * track.c decides when a PTE becomes writable: .fault (no PTE yet) maps
 * the faulting page's whole group at once and hands a write on to
 * vmig_track_write_fault(); .page_mkwrite is vmig_track_page_mkwrite().
 *
 * A no-op .map_pages keeps the faults on the per-VMA lock: without one the
 * core retries every fault under mmap_lock.
 */
#include "vmig.h"

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pgtable.h>
#include <linux/slab.h>

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
	struct page *page = vmig_mem_peek(vm, idx);
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

/*
 * A fault without a PTE maps the page's whole group, of the moment. A
 * write then goes to track.c, which makes the group writable and marks it.
 */
static vm_fault_t vmig_mem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmig_vm *vm = vma->vm_file->private_data;
	unsigned long first, last, addr;
	vm_fault_t ret;

	if (unlikely(vmf->pgoff >= vm->nr_pages))
		return VM_FAULT_SIGBUS;
	/* Allocating may sleep: outside RCU. */
	addr = vmig_track_fault_group(vma, vmf->pgoff, &first, &last);
	ret = vmig_mem_insert(vma, vm, addr, first, last - first);
	if (ret || !(vmf->flags & FAULT_FLAG_WRITE))
		return ret ?: VM_FAULT_NOPAGE;
	return vmig_track_write_fault(vmf);
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
	.page_mkwrite = vmig_track_page_mkwrite,
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
		struct page *page = vmig_mem_peek(vm, i);

		if (page)
			clear_highpage(page);
		if (!(i % 1024))
			cond_resched();
	}
}
