// SPDX-License-Identifier: GPL-2.0
/*
 * dm_bench: the switchover time of a dm-vmig hand-off, for dm_bench.sh.
 *
 *   dm_bench SRC DST QUEUED MODE
 *
 * SRC is a running dm-vmig device, DST an incoming one over the same
 * storage. Submits QUEUED 4 KiB writes to SRC at once (Linux AIO,
 * O_DIRECT, distinct blocks) and waits until the filter has all of them,
 * in flight or queued behind max_inflight. Then times the switchover:
 * hand-off in MODE (cancel or drain), export, import into DST, which
 * lets its guest's IO through from then on. Also times until DST has
 * finished the reissued IO. Completes the hand-off on SRC and reaps the
 * writes. Prints one line of key=value figures.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/aio_abi.h>

#include <vmig/libvmig.h>

#define BLK 4096

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "dm_bench: %s: %s\n", what, strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	struct vmig_disk_info si, di;
	struct vmig_disk_handoff h;
	struct vmig_disk_import imp;
	int ctl, src, dst;
	__u32 mode;
	double t0, t1, t2;
	aio_context_t ctx = 0;
	struct iocb *cbs, **ptrs;
	struct io_event *ev;
	int q, fd, i, got = 0, ok = 0, ret;
	void *pkg;
	ssize_t len;
	char *buf;

	if (argc != 5)
		return fprintf(stderr, "usage: dm_bench SRC DST QUEUED cancel|drain\n"), 2;
	q = atoi(argv[3]);
	mode = strcmp(argv[4], "drain") ? VMIG_DISK_HANDOFF_CANCEL :
	       VMIG_DISK_HANDOFF_DRAIN;
	if (q < 1)
		return die("arguments", EINVAL);
	src = vmig_dm_open_disk(argv[1]);
	if (src < 0)
		return die(argv[1], -src);
	dst = vmig_dm_open_disk(argv[2]);
	if (dst < 0)
		return die(argv[2], -dst);
	ctl = vmig_dm_open_ctl();
	if (ctl < 0)
		return die(DM_VMIG_DEV_PATH, -ctl);
	fd = open(argv[1], O_RDWR | O_DIRECT);
	cbs = calloc(q, sizeof(*cbs));
	ptrs = calloc(q, sizeof(*ptrs));
	ev = calloc(q, sizeof(*ev));
	if (fd < 0 || !cbs || !ptrs || !ev ||
	    posix_memalign((void **)&buf, BLK, (size_t)BLK * q) ||
	    syscall(SYS_io_setup, q, &ctx))
		return die("setup", errno);
	memset(buf, 0x5a, (size_t)BLK * q);
	for (i = 0; i < q; i++) {
		cbs[i].aio_fildes = fd;
		cbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
		cbs[i].aio_buf = (uintptr_t)(buf + (size_t)i * BLK);
		cbs[i].aio_nbytes = BLK;
		cbs[i].aio_offset = (__u64)i * BLK;
		ptrs[i] = &cbs[i];
	}
	if (syscall(SYS_io_submit, ctx, q, ptrs) != q)
		return die("io_submit", errno);
	/* Wait until the filter has every write. */
	for (i = 0; i < 10000; i++) {
		ret = vmig_disk_info(ctl, src, &si);
		if (ret)
			return die("VMIG_DISK_GET_INFO", -ret);
		if (si.inflight + si.held == (__u32)q)
			break;
		usleep(1000);
	}
	if (si.inflight + si.held != (__u32)q)
		return die("the filter never had every write", ETIMEDOUT);

	t0 = now_ms();
	ret = vmig_disk_handoff(ctl, src, mode, 600000, &h);
	if (ret)
		return die("VMIG_DISK_HANDOFF", -ret);
	len = vmig_disk_export(ctl, src, &pkg);
	if (len < 0)
		return die("VMIG_DISK_EXPORT", -len);
	ret = vmig_disk_import(ctl, dst, pkg, len, 0, NULL, 0, &imp);
	if (ret)
		return die("VMIG_DISK_IMPORT", -ret);
	t1 = now_ms();
	for (;;) {
		ret = vmig_disk_info(ctl, dst, &di);
		if (ret)
			return die("VMIG_DISK_GET_INFO", -ret);
		if (!di.inflight && !di.held)
			break;
		usleep(500);
	}
	t2 = now_ms();

	ret = vmig_disk_complete(ctl, src);
	if (ret)
		return die("VMIG_DISK_COMPLETE", -ret);
	while (got < q) {
		int r = syscall(SYS_io_getevents, ctx, 1, q - got, ev + got,
				NULL);

		if (r < 0)
			return die("io_getevents", errno);
		got += r;
	}
	for (i = 0; i < q; i++)
		ok += ev[i].res == BLK || ev[i].res == -EREMOTEIO;
	if (ok != q)
		return die("a write failed", EIO);
	printf("queued=%d max_inflight=%u inflight=%u ", q, si.max_inflight,
	       si.inflight);
	printf("completed=%u cancelled=%u reissued=%u pkg_bytes=%zd ",
	       h.nr_completed, h.nr_cancelled, imp.nr_reissued, len);
	printf("switch_ms=%.1f reissue_done_ms=%.1f\n", t1 - t0, t2 - t0);
	syscall(SYS_io_destroy, ctx);
	free(pkg);
	close(fd);
	close(ctl);
	close(dst);
	close(src);
	return 0;
}
