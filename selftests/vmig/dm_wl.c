// SPDX-License-Identifier: GPL-2.0
/*
 * dm_wl: the write workload and checker of dm_test.sh.
 *
 *   dm_wl run DEV LOG THREADS BLOCKS MS [SYNC_EVERY]
 *	THREADS threads write 4 KiB blocks with O_DIRECT for MS ms, or until
 *	a write fails; thread t owns the blocks b with b % THREADS == t and
 *	writes them one at a time, so each block's writes have one order.
 *	Every SYNC_EVERY writes a thread calls fdatasync() (a flush). LOG
 *	gets "block gen errno" for every write, in order per thread.
 *   dm_wl verify DEV STATE BLOCKS LOG [PKG]
 *	STATE holds the generation every block must have (none: all zero).
 *	Applies LOG: a write that succeeded is on the disk; one that ended
 *	with EREMOTEIO was handed off and must be a cancelled write of PKG;
 *	one that failed with EBADE (fenced) must not be in PKG and is not on
 *	the disk; PKG must hold no other write. Then reads DEV and compares
 *	every block, and saves STATE. Prints the counts.
 *   dm_wl probe DEV ERRNO
 *	A write and a read of DEV both fail with ERRNO (a number).
 *   dm_wl gen DEV BLOCK
 *	Prints the generation BLOCK holds (0: zero, -1: not ours).
 *   dm_wl aio DEV BLOCK N
 *	Submits N writes of BLOCK at once (Linux AIO, in order), generations
 *	1..N, and waits for them; prints each one's result.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#define CHUNK 256 /* blocks per read when verifying */
#define MAGIC 0x314b4c424c574d44ULL /* "DMWLBLK1" */

struct rec {
	__u64 block, gen;
	int err;
};

struct worker {
	pthread_t thread;
	const char *dev;
	unsigned int id, nthreads, sync_every;
	__u64 blocks;
	struct rec *recs;
	size_t nr, cap;
};

static __u64 next_gen;
static __u64 deadline_ns;

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u64 mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void fill(__u64 *w, __u64 block, __u64 gen)
{
	size_t i;

	w[0] = MAGIC;
	w[1] = block;
	w[2] = gen;
	for (i = 3; i < BLK / 8; i++)
		w[i] = mix(block * 1000003 + gen * 7919 + i);
}

/* The generation a block holds: 0 all zero, -1 garbage. */
static __s64 parse(const __u64 *w, __u64 block)
{
	__u64 want[BLK / 8];
	size_t i;

	if (w[0] != MAGIC) {
		for (i = 0; i < BLK / 8; i++)
			if (w[i])
				return -1;
		return 0;
	}
	if (w[1] != block)
		return -1;
	fill(want, block, w[2]);
	return memcmp(w, want, BLK) ? -1 : (__s64)w[2];
}

static void add_rec(struct worker *w, __u64 block, __u64 gen, int err)
{
	if (w->nr == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 1024;
		w->recs = realloc(w->recs, w->cap * sizeof(*w->recs));
		if (!w->recs)
			abort();
	}
	w->recs[w->nr++] = (struct rec){ block, gen, err };
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	__u64 per = w->blocks / w->nthreads, seed = w->id + 1, n = 0;
	__u64 *buf;
	int fd;

	fd = open(w->dev, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&buf, BLK, BLK)) {
		perror(w->dev);
		return NULL;
	}
	while (now_ns() < deadline_ns) {
		__u64 block, gen;
		ssize_t r;

		seed = mix(seed + 0x9e3779b97f4a7c15ULL);
		block = (seed % per) * w->nthreads + w->id;
		gen = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED);
		fill(buf, block, gen);
		r = pwrite(fd, buf, BLK, block * BLK);
		add_rec(w, block, gen, r == BLK ? 0 : r < 0 ? errno : EIO);
		if (r != BLK)
			break;
		if (w->sync_every && !(++n % w->sync_every) && fdatasync(fd))
			break;
	}
	free(buf);
	close(fd);
	return NULL;
}

static int cmd_run(int argc, char **argv)
{
	unsigned int i, nthreads = atoi(argv[3]);
	struct worker *ws;
	size_t total = 0;
	FILE *log;

	if (argc < 6 || !nthreads)
		return 2;
	ws = calloc(nthreads, sizeof(*ws));
	next_gen = (__u64)time(NULL) << 20;
	deadline_ns = now_ns() + strtoull(argv[5], NULL, 10) * 1000000ULL;
	for (i = 0; i < nthreads; i++) {
		ws[i] = (struct worker){ .dev = argv[1], .id = i,
					 .nthreads = nthreads,
					 .blocks = strtoull(argv[4], NULL, 10),
					 .sync_every = argc > 6 ? atoi(argv[6]) : 0 };
		pthread_create(&ws[i].thread, NULL, worker_fn, &ws[i]);
	}
	log = fopen(argv[2], "w");
	if (!log)
		return 1;
	for (i = 0; i < nthreads; i++) {
		size_t j;

		pthread_join(ws[i].thread, NULL);
		for (j = 0; j < ws[i].nr; j++)
			fprintf(log, "%llu %llu %d\n",
				ws[i].recs[j].block, ws[i].recs[j].gen,
				ws[i].recs[j].err);
		total += ws[i].nr;
		free(ws[i].recs);
	}
	fclose(log);
	printf("run: %zu writes\n", total);
	free(ws);
	return 0;
}

struct cancelled {
	__u64 block, gen;
	int seen;
};

static void bad_write(__u64 gen, __u64 block, const char *what)
{
	printf("verify: write %llu of block %llu %s\n", gen, block, what);
}

static int cmd_verify(int argc, char **argv)
{
	__u64 blocks = strtoull(argv[3], NULL, 10), b, gen;
	size_t nc = 0, applied = 0, fenced = 0, handed = 0, unknown = 0;
	struct cancelled *can = NULL;
	__u64 *state, *buf;
	int err, bad = 0, fd;
	unsigned char *uncertain;
	FILE *f;

	if (argc < 5 || !blocks)
		return 2;
	state = calloc(blocks, sizeof(*state));
	uncertain = calloc(blocks, 1);
	f = fopen(argv[2], "rb");
	if (f) {
		if (fread(state, sizeof(*state), blocks, f) != blocks)
			memset(state, 0, blocks * sizeof(*state));
		fclose(f);
	}
	if (argc > 5) {
		size_t len, cap = 1 << 20, r;
		char *pkg = malloc(cap);
		struct vmig_disk_pkg_iter it;
		const struct vmig_disk_desc *d;
		const void *data;
		int nr;

		f = fopen(argv[5], "rb");
		if (!f || !pkg)
			return perror(argv[5]), 1;
		len = 0;
		while ((r = fread(pkg + len, 1, cap - len, f)) > 0) {
			len += r;
			if (len == cap)
				pkg = realloc(pkg, cap *= 2);
		}
		fclose(f);
		nr = vmig_disk_pkg_iter_init(&it, pkg, len);
		if (nr < 0) {
			printf("verify: package %s is malformed\n", argv[5]);
			return 1;
		}
		can = calloc(nr + 1, sizeof(*can));
		while ((d = vmig_disk_pkg_next(&it, &data))) {
			__u32 off;

			/* Only a cancelled write has data. */
			if (!data)
				continue;
			for (off = 0; off < le32toh(d->len); off += BLK) {
				const __u64 *w = (const __u64 *)
					((const char *)data + off);

				can = realloc(can, (nc + 1) * sizeof(*can));
				can[nc++] = (struct cancelled){ w[1], w[2], 0 };
				if (w[0] != MAGIC ||
				    le64toh(d->sector) * 512 + off != w[1] * BLK) {
					bad_write(w[2], w[1], "in the package is misplaced");
					bad++;
				}
			}
		}
		free(pkg);
	}

	f = fopen(argv[4], "r");
	if (!f)
		return perror(argv[4]), 1;
	while (fscanf(f, "%llu %llu %d", &b, &gen, &err) == 3) {
		size_t i;
		int in_pkg = 0;

		if (b >= blocks)
			return printf("verify: block %llu out of range\n", b), 1;
		for (i = 0; i < nc; i++)
			if (can[i].block == b && can[i].gen == gen) {
				can[i].seen++;
				in_pkg = 1;
			}
		if (!err) {
			if (in_pkg) {
				bad_write(gen, b, "completed on the source and is in the package");
				bad++;
			}
			state[b] = gen;
			uncertain[b] = 0;
			applied++;
		} else if (err == EREMOTEIO) {
			if (!in_pkg) {
				bad_write(gen, b, "was handed off but is not in the package");
				bad++;
			}
			state[b] = gen;
			uncertain[b] = 0;
			handed++;
		} else if (err == EBADE) {
			if (in_pkg) {
				bad_write(gen, b, "was fenced but is in the package");
				bad++;
			}
			fenced++;
		} else {
			/* An IO error: the block may hold either. */
			uncertain[b] = 1;
			unknown++;
		}
	}
	fclose(f);
	for (size_t i = 0; i < nc; i++)
		if (can[i].seen != 1) {
			bad_write(can[i].gen, can[i].block,
				  can[i].seen ? "is in the log twice" :
				  "in the package is not in the log");
			bad++;
		}

	/* Big reads: the device may have a long latency. */
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign((void **)&buf, BLK, CHUNK * BLK))
		return perror(argv[1]), 1;
	for (b = 0; b < blocks; b++) {
		__s64 got;

		if (!(b % CHUNK)) {
			size_t n = blocks - b < CHUNK ? blocks - b : CHUNK;

			if (pread(fd, buf, n * BLK, b * BLK) != (ssize_t)(n * BLK))
				return perror("pread"), 1;
		}
		got = parse(buf + (b % CHUNK) * (BLK / 8), b);
		if (uncertain[b]) {
			if (got > 0)
				state[b] = got;
			continue;
		}
		if (got != (__s64)state[b]) {
			if (bad++ < 10)
				printf("verify: block %llu holds %lld, not %llu\n",
				       b, got, state[b]);
		}
	}
	close(fd);
	f = fopen(argv[2], "wb");
	if (!f || fwrite(state, sizeof(*state), blocks, f) != blocks)
		return perror(argv[2]), 1;
	fclose(f);
	printf("verify: %zu ok, %zu handed off, %zu fenced, %zu failed, %zu in package, %d bad\n",
	       applied, handed, fenced, unknown, nc, bad);
	return bad ? 1 : 0;
}

static int cmd_probe(int argc, char **argv)
{
	int want = argc > 2 ? atoi(argv[2]) : EBADE, fd, ok = 1;
	void *buf;

	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, BLK, BLK))
		return perror(argv[1]), 1;
	memset(buf, 0xa5, BLK);
	if (pwrite(fd, buf, BLK, 0) >= 0 || errno != want) {
		printf("probe: write: %s, expected %s\n", strerror(errno),
		       strerror(want));
		ok = 0;
	}
	if (pread(fd, buf, BLK, 0) >= 0 || errno != want) {
		printf("probe: read: %s, expected %s\n", strerror(errno),
		       strerror(want));
		ok = 0;
	}
	close(fd);
	return ok ? 0 : 1;
}

static int cmd_aio(int argc, char **argv)
{
	__u64 block = strtoull(argv[2], NULL, 10);
	int n = atoi(argv[3]), fd, i, got = 0;
	struct iocb *cbs, **ptrs;
	struct io_event *ev;
	aio_context_t ctx = 0;
	char *bufs;

	if (argc < 4 || n < 1)
		return 2;
	fd = open(argv[1], O_RDWR | O_DIRECT);
	cbs = calloc(n, sizeof(*cbs));
	ptrs = calloc(n, sizeof(*ptrs));
	ev = calloc(n, sizeof(*ev));
	if (fd < 0 || posix_memalign((void **)&bufs, BLK, (size_t)BLK * n) ||
	    syscall(SYS_io_setup, n, &ctx))
		return perror("aio setup"), 1;
	for (i = 0; i < n; i++) {
		fill((__u64 *)(bufs + (size_t)i * BLK), block, i + 1);
		cbs[i].aio_fildes = fd;
		cbs[i].aio_lio_opcode = IOCB_CMD_PWRITE;
		cbs[i].aio_buf = (uintptr_t)(bufs + (size_t)i * BLK);
		cbs[i].aio_nbytes = BLK;
		cbs[i].aio_offset = block * BLK;
		cbs[i].aio_data = i + 1;
		ptrs[i] = &cbs[i];
	}
	if (syscall(SYS_io_submit, ctx, n, ptrs) != n)
		return perror("io_submit"), 1;
	while (got < n) {
		int r = syscall(SYS_io_getevents, ctx, 1, n - got, ev + got,
				NULL);

		if (r < 0)
			return perror("io_getevents"), 1;
		got += r;
	}
	for (i = 0; i < n; i++)
		printf("aio: write %llu: %lld\n", (unsigned long long)ev[i].data,
		       (long long)ev[i].res);
	syscall(SYS_io_destroy, ctx);
	close(fd);
	return 0;
}

static int cmd_gen(char **argv)
{
	__u64 block = strtoull(argv[2], NULL, 10), *buf;
	int fd = open(argv[1], O_RDONLY | O_DIRECT);

	if (fd < 0 || posix_memalign((void **)&buf, BLK, BLK) ||
	    pread(fd, buf, BLK, block * BLK) != BLK)
		return perror(argv[1]), 1;
	printf("%lld\n", parse(buf, block));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return cmd_gen(argv + 1);
	if (argc >= 6 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 6 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (argc >= 3 && !strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (argc == 5 && !strcmp(argv[1], "aio"))
		return cmd_aio(argc - 1, argv + 1);
	fprintf(stderr, "usage: see the comment at the top of dm_wl.c\n");
	return 2;
}
