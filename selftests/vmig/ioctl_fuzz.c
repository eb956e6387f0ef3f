// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_fuzz [DM-DEVICE]: every command of /dev/vmig, of a VM's fd and of
 * /dev/dm-vmig, with arguments drawn from boundary values, bad pointers and
 * the descriptors of interest, from four threads at once on the same VM
 * and disk, while a fifth creates, maps, writes, tracks and destroys VMs.
 * A fixed number of calls from a fixed seed, so that a run can be
 * repeated. The kernel must survive without a report (the harness reads
 * its log); every call must return 0 or a negative errno, never hang.
 * Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/dm-vmig.h>

#include <vmig/libvmig.h>

#define THREADS 4
#define CALLS 6000		/* per thread */
#define ARG_BYTES 256
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int dev, ctl = -1, disk = -1, vmfd, sock_tcp, sock_udp;
static unsigned char *page_ok;	/* a readable, writable page */
static void *page_none;		/* a page with no access */
static atomic_ulong calls, zero, errs;

static __u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A value for an 8-byte slot of an argument. */
static __u64 slot(__u64 *s)
{
	static const __u64 small[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 511,
		512, 1023, 1024, 4095, 4096, 65535, 65536, 0x7fffffff,
		0x80000000, 0xffffffff, 0x100000000ULL, 1ULL << 40,
		0x7fffffffffffffffULL, 0xffffffffffffffffULL,
	};
	switch (rnd(s) % 8) {
	case 0:
	case 1:
		return small[rnd(s) % ARRAY_SIZE(small)];
	case 2:	/* pointers: good, none, kernel, unaligned, last byte */
		switch (rnd(s) % 5) {
		case 0:
			return (uintptr_t)page_ok;
		case 1:
			return (uintptr_t)page_none;
		case 2:
			return 0xffff888000000000ULL;
		case 3:
			return (uintptr_t)page_ok + 1 + rnd(s) % 4095;
		default:
			return (uintptr_t)page_ok + 4095;
		}
	case 3: {	/* descriptors of interest */
		int fds[] = { -1, 0, dev, ctl, disk, vmfd, sock_tcp, sock_udp,
			      100000 };

		return (__u32)fds[rnd(s) % ARRAY_SIZE(fds)] |
		       (__u64)(__u32)fds[rnd(s) % 9] << 32;
	}
	case 4:
		return 0;
	default:
		return rnd(s);
	}
}

/* A command: of one of the three kinds, a few numbers past the last. */
static void call(__u64 *s)
{
	__u64 words[ARG_BYTES / 8];
	unsigned char *arg = (unsigned char *)words;
	static const unsigned int sizes[] = { 0, 4, 8, 16, 24, 32, 40, 48, 56,
					      64, 72, 80, 96, 128, 256, 4096 };
	unsigned long cmd;
	unsigned int nr, i;
	void *p = words;
	int fd;

	for (i = 0; i < ARG_BYTES; i += 8) {
		__u64 v = slot(s);

		memcpy(arg + i, &v, 8);
	}
	/* The size prefix: mostly plausible, sometimes not. */
	*(__u32 *)arg = rnd(s) % 4 ? sizes[rnd(s) % 16] : (__u32)rnd(s);
	switch (rnd(s) % 3) {
	case 0:
		fd = dev;
		nr = rnd(s) % (VMIG_CMD_VM_LIST + 4);
		cmd = _IO(VMIG_TYPE, nr);
		if (nr == VMIG_CMD_VM_CREATE) {
			/* Memory is real: keep created VMs small. */
			((struct vmig_vm_create *)arg)->nr_pages %= 4097;
		}
		break;
	case 1:
		fd = vmfd;
		nr = VMIG_VM_CMD_BASE + rnd(s) % (VMIG_CMD_MIG_CANCEL -
						   VMIG_VM_CMD_BASE + 4);
		cmd = _IO(VMIG_TYPE, nr);
		break;
	default:
		fd = ctl;
		nr = rnd(s) % (DM_VMIG_CMD_INCOMING + 4);
		cmd = _IO(DM_VMIG_TYPE, nr);
		break;
	}
	/* A wrong direction or size in the number, now and then. */
	if (!(rnd(s) % 16))
		cmd |= (unsigned long)(rnd(s) % 4) << 30 |
		       (unsigned long)(rnd(s) % 256) << 16;
	if (!(rnd(s) % 16))
		p = rnd(s) % 2 ? NULL : page_none;
	if (fd < 0)
		return;
	if (ioctl(fd, cmd, p)) {
		atomic_fetch_add(&errs, 1);
		/* A created VM's descriptor is in the reply: close it. */
	} else {
		atomic_fetch_add(&zero, 1);
		if (fd == dev && nr == VMIG_CMD_VM_CREATE) {
			struct vmig_vm_create *c = p;

			close(c->out_fd);
			vmig_vm_destroy(dev, c->name);
		}
		if (fd == dev && nr == VMIG_CMD_VM_OPEN)
			close(((struct vmig_vm_open *)p)->out_fd);
	}
	atomic_fetch_add(&calls, 1);
}

static void *fuzzer(void *arg)
{
	__u64 s = 0x9e3779b97f4a7c15ULL * ((uintptr_t)arg + 1);
	int i;

	for (i = 0; i < CALLS; i++)
		call(&s);
	return NULL;
}

/* VMs come and go, mapped, written and tracked, while the others fuzz. */
static void *lifecycle(void *arg)
{
	int i, fd;

	(void)arg;
	for (i = 0; i < 300; i++) {
		char name[32];
		unsigned char *m;

		snprintf(name, sizeof(name), "fz-life-%d", i % 3);
		fd = vmig_vm_create(dev, name, 64);
		if (fd < 0)
			continue;
		m = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		vmig_track_start(fd, 1U << (i % 5));
		if (m != MAP_FAILED) {
			memset(m + (i % 64) * 4096, i, 4096);
			munmap(m, 64 * 4096);
		}
		if (i % 2)
			vmig_track_stop(fd);
		close(fd);
		vmig_vm_destroy(dev, name);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[THREADS + 1];
	long i;

	printf("TAP version 13\n1..2\n");
	dev = vmig_open_dev();
	if (dev < 0) {
		printf("1..0 # SKIP vmig not loaded\n");
		return 4;
	}
	ctl = vmig_dm_open_ctl();
	if (argc > 1)
		disk = vmig_dm_open_disk(argv[1]);
	vmfd = vmig_vm_create(dev, "fz-vm", 256);
	page_ok = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page_none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	sock_tcp = socket(AF_INET, SOCK_STREAM, 0);
	sock_udp = socket(AF_INET, SOCK_DGRAM, 0);
	if (vmfd < 0 || page_ok == MAP_FAILED || page_none == MAP_FAILED) {
		printf("not ok 1 set-up\n");
		return 1;
	}
	printf("ok 1 set-up: /dev/vmig, a VM, /dev/dm-vmig %s, disk %s\n",
	       ctl >= 0 ? "open" : "absent", disk >= 0 ? argv[1] : "none");
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, fuzzer, (void *)i);
	pthread_create(&t[THREADS], NULL, lifecycle, NULL);
	for (i = 0; i <= THREADS; i++)
		pthread_join(t[i], NULL);
	vmig_mig_cancel(vmfd);
	close(vmfd);
	vmig_vm_destroy(dev, "fz-vm");
	printf("# %lu calls: %lu returned 0, %lu an errno\n",
	       atomic_load(&calls), atomic_load(&zero), atomic_load(&errs));
	printf("ok 2 %lu calls from %d threads, the kernel and every call came back\n",
	       atomic_load(&calls), THREADS);
	return 0;
}
