// SPDX-License-Identifier: GPL-2.0
/*
 * vm_zero: whether a VM's memory reads as zero, as a target's must after
 * its incoming migration failed. For the shell tests.
 *
 *   vm_zero NAME
 *	Maps VM NAME read-only and prints the number of pages that are not
 *	all zero; exits 0 when there are none, 1 when there are, 2 when the
 *	VM cannot be opened or mapped.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include <vmig/libvmig.h>

int main(int argc, char **argv)
{
	static const unsigned char zero[VMIG_PAGE_SIZE];
	struct vmig_vm_entry e;
	unsigned long long bad = 0;
	unsigned char *mem;
	int dev, fd, ret;
	__u64 i;

	if (argc != 2) {
		fprintf(stderr, "usage: vm_zero NAME\n");
		return 2;
	}
	dev = vmig_open_dev();
	fd = dev < 0 ? dev : vmig_vm_open(dev, argv[1]);
	ret = fd < 0 ? fd : vmig_vm_info(fd, &e);
	if (ret) {
		fprintf(stderr, "vm_zero: VM %s: %s\n", argv[1], strerror(-ret));
		return 2;
	}
	mem = mmap(NULL, e.nr_pages * VMIG_PAGE_SIZE, PROT_READ, MAP_SHARED,
		   fd, 0);

	if (mem == MAP_FAILED) {
		perror("vm_zero: mmap");
		return 2;
	}
	for (i = 0; i < e.nr_pages; i++)
		bad += !!memcmp(mem + i * VMIG_PAGE_SIZE, zero, VMIG_PAGE_SIZE);
	printf("%llu of %llu pages are not zero\n", bad,
	       (unsigned long long)e.nr_pages);
	return bad ? 1 : 0;
}
