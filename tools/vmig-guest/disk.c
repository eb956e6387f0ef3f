// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's disk: a dm-vmig device it reads and writes with O_DIRECT,
 * and what its VMM does with it at a migration.
 *
 * The guest has one worker thread per request slot (its queue depth).
 * A slot, in guest memory, says what the request is; a block's content is
 * a function of its index and its generation, and the journal in guest
 * memory holds the generation of every block's last acknowledged write:
 * anyone can check the disk against it, and a write lost, or applied again
 * over a later one, shows as a block of the wrong generation. Reads check
 * what they read against the journal. Concurrent requests never overlap.
 *
 * At the switchover the source's VMM stops submitting, hands the disk off
 * (VMIG_DISK_HANDOFF: the filter cancels the IO it holds, waits for the IO
 * in flight and fences itself), exports the package and waits until each
 * slot is settled: finished, cancelled (some of it in the package), or
 * fenced before it reached the filter (marked unsent in the slot). The
 * package goes in the device-state blob. The target's VMM imports it
 * before the guest resumes and finishes each slot from the import's
 * statuses: writes reissued whole are acknowledged to the guest; cancelled
 * reads, unsent requests and requests the device-mapper core split (at
 * the filter's 1 MiB boundaries) of which only a part was cancelled are
 * submitted again, which is safe: no other request of the guest touches
 * their blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include "libvmig_disk.h"
#include "guest.h"

#define SETTLE_MS 30000

enum worker_state { W_IDLE, W_BUSY, W_FENCED, W_GONE };

static struct {
	int fd, devfd;
	__u32 major, minor;
	__u64 nr_blocks;
	__u32 *journal;
	unsigned int depth, rate;
	pthread_t threads[DISK_MAX_DEPTH];
	enum worker_state state[DISK_MAX_DEPTH];
	bool stop, quit;
	unsigned int late;	/* requests to submit after the fence */
	__u64 rng;
	pthread_mutex_t lock;
	pthread_cond_t cond;
} disk = {
	.fd = -1, .rng = 0x9e3779b97f4a7c15ULL,
	.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER,
};

bool disk_present(void)
{
	return disk.fd >= 0;
}

int disk_open(const char *path)
{
	__u64 bytes;
	int ret;

	disk.fd = open(path, O_RDWR | O_DIRECT);
	if (disk.fd < 0 || ioctl(disk.fd, BLKGETSIZE64, &bytes)) {
		fprintf(stderr, "vmig-guest: %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = vmig_disk_devnum(path, &disk.major, &disk.minor);
	disk.devfd = vmig_open_dev();
	if (ret || disk.devfd < 0) {
		fprintf(stderr, "vmig-guest: %s is not a device-mapper device\n",
			path);
		return -1;
	}
	disk.nr_blocks = bytes / BLOCK;
	if (disk.nr_blocks < DISK_MAX_BLOCKS) {
		fprintf(stderr, "vmig-guest: %s is too small\n", path);
		return -1;
	}
	return 0;
}

__u64 disk_journal_pages(void)
{
	return disk_present() ? (disk.nr_blocks * 4 + PAGE - 1) / PAGE : 0;
}

void disk_boot(__u32 *journal)
{
	disk.journal = journal;
	hdr->disk_blocks = disk.nr_blocks;
	hdr->disk_journal_pages = disk_journal_pages();
}

void disk_attach(__u32 *journal)
{
	disk.journal = journal;
}

/* What block @b holds at generation @gen: zero at 0 (a fresh disk). */
static void block_content(unsigned char *p, __u64 b, __u32 gen)
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

/* Every block at generation 0, as a fresh journal says. */
int disk_format(void)
{
	size_t chunk = 256 * BLOCK;
	void *zero;
	__u64 off, end = disk.nr_blocks * BLOCK;
	int ret = 0;

	if (posix_memalign(&zero, BLOCK, chunk))
		return -1;
	memset(zero, 0, chunk);
	for (off = 0; off < end && !ret; off += chunk) {
		size_t n = end - off < chunk ? end - off : chunk;

		ret = pwrite(disk.fd, zero, n, off) == (ssize_t)n ? 0 : -1;
	}
	if (!ret)
		ret = fdatasync(disk.fd);
	free(zero);
	if (ret)
		perror("vmig-guest: formatting the disk");
	return ret;
}

static bool overlaps(const struct slot *s, __u64 b, __u32 n)
{
	return (s->op == SLOT_WRITE || s->op == SLOT_READ) &&
	       b < s->block + s->nr_blocks && s->block < b + n;
}

/* The sectors of a request: a flush counts as one. */
static __u64 slot_sectors(const struct slot *s)
{
	return s->op == SLOT_FLUSH ? 1 : s->nr_blocks * 8ULL;
}

/* A new request in @s, not overlapping any other. Under disk.lock. */
static bool pick(struct slot *s)
{
	__u32 n = 1U << (rnd(&disk.rng) % 5), i, try, kind;
	__u64 b;

	for (try = 0; try < 16; try++) {
		b = rnd(&disk.rng) % (disk.nr_blocks - n + 1);
		for (i = 0; i < DISK_MAX_DEPTH; i++)
			if (overlaps(&hdr->slots[i], b, n))
				break;
		if (i == DISK_MAX_DEPTH)
			break;
	}
	if (try == 16)
		return false;
	/* Of 16 requests, 11 writes, 4 reads and a flush. */
	kind = rnd(&disk.rng) % 16;
	*s = (struct slot) {
		.op = kind < 11 ? SLOT_WRITE : kind < 15 ? SLOT_READ : SLOT_FLUSH,
		.nr_blocks = n, .block = b,
	};
	if (s->op == SLOT_FLUSH) {
		s->nr_blocks = 0;
		s->block = 0;
	}
	hdr->disk_submitted++;
	return true;
}

/* The guest takes a finished request. Under disk.lock. */
static void finish(struct slot *s, const unsigned char *buf)
{
	unsigned char *want = buf ? malloc(BLOCK) : NULL;
	__u32 k;

	if (buf && !want) {
		hdr->disk_errors++;
		memset(s, 0, sizeof(*s));
		return;
	}
	for (k = 0; k < s->nr_blocks; k++) {
		if (s->op == SLOT_WRITE) {
			disk.journal[s->block + k]++;
			continue;
		}
		block_content(want, s->block + k, disk.journal[s->block + k]);
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

/* Carry out a request: 0, or -errno. */
static int issue(const struct slot *s, unsigned char *buf)
{
	size_t len = s->nr_blocks * BLOCK;
	off_t off = s->block * BLOCK;
	ssize_t ret;
	__u32 k;

	switch (s->op) {
	case SLOT_READ:
		ret = pread(disk.fd, buf, len, off);
		break;
	case SLOT_WRITE:
		for (k = 0; k < s->nr_blocks; k++)
			block_content(buf + k * BLOCK, s->block + k,
				      disk.journal[s->block + k] + 1);
		ret = pwrite(disk.fd, buf, len, off);
		break;
	default:
		/* An empty write with REQ_PREFLUSH. */
		return fdatasync(disk.fd) ? -errno : 0;
	}
	if (ret < 0)
		return -errno;
	return ret == (ssize_t)len ? 0 : -EIO;
}

static void wait_until(__u64 due)
{
	__u64 now = now_ns(CLOCK_MONOTONIC);

	if (due > now)
		usleep((due - now) / 1000);
}

/* One queue slot of the guest's disk. */
static void *worker(void *arg)
{
	unsigned int i = (uintptr_t)arg;
	struct slot *s = &hdr->slots[i];
	__u64 gap = disk.rate ? 1000000000ULL * disk.depth / disk.rate : 0;
	__u64 due = now_ns(CLOCK_MONOTONIC);
	unsigned char *buf;
	int ret;

	if (posix_memalign((void **)&buf, BLOCK, DISK_MAX_BLOCKS * BLOCK))
		return NULL;
	pthread_mutex_lock(&disk.lock);
	for (;;) {
		while (((disk.stop && !disk.late) ||
			disk.state[i] == W_FENCED) && !disk.quit)
			pthread_cond_wait(&disk.cond, &disk.lock);
		if (disk.quit)
			break;
		if (s->op == SLOT_FREE) {
			pthread_mutex_unlock(&disk.lock);
			/* After a pause, no burst to catch up. */
			if (due + gap < now_ns(CLOCK_MONOTONIC))
				due = now_ns(CLOCK_MONOTONIC);
			wait_until(due);
			due += gap;
			pthread_mutex_lock(&disk.lock);
			if ((disk.stop && !disk.late) || disk.quit || !pick(s))
				continue;
			if (disk.stop)
				disk.late--;
		}
		disk.state[i] = W_BUSY;
		pthread_mutex_unlock(&disk.lock);
		ret = issue(s, buf);
		pthread_mutex_lock(&disk.lock);
		if (!ret) {
			finish(s, s->op == SLOT_READ ? buf : NULL);
			disk.state[i] = W_IDLE;
		} else if (ret == -EBADE && !disk.stop) {
			/*
			 * Fenced, but the disk runs again already (part of a
			 * split request was held and released): again.
			 */
			disk.state[i] = W_IDLE;
		} else if (ret == -EBADE) {
			/* Fenced before it reached the filter: not sent. */
			disk.state[i] = W_FENCED;
		} else if (ret == -EREMOTEIO) {
			/* Handed off: the target finishes it. */
			disk.state[i] = W_GONE;
		} else {
			hdr->disk_errors++;
			memset(s, 0, sizeof(*s));
			disk.state[i] = W_IDLE;
		}
		pthread_cond_broadcast(&disk.cond);
		if (disk.state[i] == W_GONE)
			break;
	}
	pthread_mutex_unlock(&disk.lock);
	free(buf);
	return NULL;
}

int disk_start(unsigned int depth, unsigned int rate)
{
	unsigned int i;

	disk.rate = rate;
	disk.stop = false;
	disk.quit = false;
	for (i = 0; i < depth; i++) {
		disk.state[i] = W_IDLE;
		if (pthread_create(&disk.threads[i], NULL, worker,
				   (void *)(uintptr_t)i))
			break;
		disk.depth = i + 1;
	}
	return disk.depth == depth ? 0 : -EAGAIN;
}

/* The VMM stops the guest's submissions (what is in flight goes on). */
void disk_pause(void)
{
	pthread_mutex_lock(&disk.lock);
	disk.stop = true;
	pthread_mutex_unlock(&disk.lock);
}

/* And lets them go on: fenced requests are submitted again. */
void disk_resume(void)
{
	unsigned int i;

	pthread_mutex_lock(&disk.lock);
	disk.stop = false;
	for (i = 0; i < disk.depth; i++) {
		if (disk.state[i] == W_FENCED)
			disk.state[i] = W_IDLE;
		hdr->slots[i].unsent = 0;
	}
	pthread_cond_broadcast(&disk.cond);
	pthread_mutex_unlock(&disk.lock);
}

/* Stop the workers, once nothing is in flight if @drain. */
static void disk_quit(bool drain)
{
	unsigned int i;

	pthread_mutex_lock(&disk.lock);
	disk.stop = true;
	for (i = 0; i < disk.depth && drain; i++)
		while (disk.state[i] == W_BUSY)
			pthread_cond_wait(&disk.cond, &disk.lock);
	disk.quit = true;
	pthread_cond_broadcast(&disk.cond);
	pthread_mutex_unlock(&disk.lock);
	for (i = 0; i < disk.depth; i++)
		pthread_join(disk.threads[i], NULL);
	disk.depth = 0;
}

void disk_stop(void)
{
	disk_quit(true);
}

/*
 * The slot whose read or write contains descriptor @d (a read or a write),
 * or NULL.
 */
static struct slot *slot_of(const struct vmig_disk_desc *d)
{
	__u64 sector = le64toh(d->sector), b = sector / 8;
	__u32 n = le32toh(d->len) / 512, op;
	unsigned int i;

	if (le16toh(d->op) == VMIG_DISK_OP_READ)
		op = SLOT_READ;
	else if (le16toh(d->op) == VMIG_DISK_OP_WRITE)
		op = SLOT_WRITE;
	else
		return NULL;
	for (i = 0; i < DISK_MAX_DEPTH; i++) {
		struct slot *s = &hdr->slots[i];

		if (s->op == op && b >= s->block && sector % 8 == 0 &&
		    sector + n <= (s->block + s->nr_blocks) * 8)
			return s;
	}
	return NULL;
}

/*
 * Sectors of each slot's read or write that are cancelled descriptors of
 * package @pkg (@nr descriptors), and with @statuses (an import's), the
 * first error of each in @worst. Flushes carry no sector: they are all
 * alike, and their number goes to *@flushes (with the first error in
 * *@flush_err). -1 when a descriptor belongs to no request.
 */
static int cancelled_sectors(const void *pkg, __u32 nr,
			     const __s32 *statuses,
			     __u64 sectors[DISK_MAX_DEPTH],
			     int worst[DISK_MAX_DEPTH], __u32 *flushes,
			     int *flush_err)
{
	const struct vmig_disk_desc *d;
	struct slot *s;
	__u32 i, k;

	memset(sectors, 0, DISK_MAX_DEPTH * sizeof(*sectors));
	*flushes = 0;
	for (i = 0; i < nr; i++) {
		d = vmig_disk_pkg_desc(pkg, i);
		if (le16toh(d->kind) != VMIG_DISK_CANCELLED)
			continue;
		if (le16toh(d->op) == VMIG_DISK_OP_FLUSH && !d->len) {
			++*flushes;
			if (statuses && statuses[i] < 0 && !*flush_err)
				*flush_err = statuses[i];
			continue;
		}
		s = slot_of(d);
		if (!s)
			return -1;
		k = s - hdr->slots;
		sectors[k] += le32toh(d->len) / 512;
		if (statuses && statuses[i] < 0 && !worst[k])
			worst[k] = statuses[i];
	}
	return 0;
}

static bool whole(const struct slot *s, __u64 sectors)
{
	return s->op != SLOT_FREE && sectors == slot_sectors(s);
}

/*
 * The source's part of the switchover, with the vCPU paused: hand the disk
 * off, take the package (into *@pkg, malloc()ed) and wait until every
 * request of the guest is settled. On failure the disk is released. A test
 * may have @late_io requests submitted after the fence, as a VMM that
 * failed to stop its queue would.
 */
int disk_handoff(struct disk_handoff *h, void **pkg, unsigned int late_io)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC), sectors[DISK_MAX_DEPTH];
	struct vmig_disk_handoff ho;
	struct timespec deadline;
	unsigned int i, open, idle, busy_flushes;
	int flush_err = 0;
	__u32 flushes;
	long len;
	int nr, ret;

	memset(h, 0, sizeof(*h));
	disk_pause();
	ret = vmig_disk_handoff(disk.devfd, disk.major, disk.minor,
				VMIG_DISK_HANDOFF_CANCEL, 0, &ho);
	if (ret) {
		disk_resume();
		return ret;
	}
	len = vmig_disk_export(disk.devfd, disk.major, disk.minor, pkg);
	nr = len < 0 ? (int)len : vmig_disk_pkg_verify(*pkg, len);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SETTLE_MS / 1000;
	pthread_mutex_lock(&disk.lock);
	ret = nr < 0 ? nr : cancelled_sectors(*pkg, nr, NULL, sectors, NULL,
					      &flushes, &flush_err) ?
	      -EPROTO : 0;
	/* A test of the fence: requests that come after it. */
	disk.late = ret ? 0 : late_io;
	pthread_cond_broadcast(&disk.cond);
	/*
	 * The IO the filter waited for is done: its workers come back. A
	 * request with a part in the package waits for COMPLETE or RELEASE:
	 * it is settled. Flushes are alike: as many flushes of the guest are
	 * held as the package has.
	 */
	while (!ret) {
		open = 0;
		idle = 0;
		busy_flushes = 0;
		for (i = 0; i < disk.depth; i++) {
			struct slot *s = &hdr->slots[i];

			if (s->op == SLOT_FLUSH)
				busy_flushes += disk.state[i] == W_BUSY;
			else
				open += s->op != SLOT_FREE && !sectors[i] &&
					disk.state[i] != W_FENCED;
			idle += s->op == SLOT_FREE;
		}
		if (!idle)
			disk.late = 0;
		open += disk.late + (busy_flushes > flushes);
		if (!open)
			break;
		if (pthread_cond_timedwait(&disk.cond, &disk.lock, &deadline))
			ret = -ETIMEDOUT;
	}
	for (i = 0; i < disk.depth && !ret; i++) {
		if (sectors[i])
			h->cancelled++;
		if (disk.state[i] == W_FENCED) {
			hdr->slots[i].unsent = 1;
			h->unsent++;
		}
	}
	h->cancelled += ret ? 0 : flushes;
	disk.late = 0;
	pthread_mutex_unlock(&disk.lock);
	if (ret) {
		free(*pkg);
		*pkg = NULL;
		disk_release();
		return ret;
	}
	h->waited = ho.nr_completed;
	h->pkg_len = len;
	h->ms = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	return 0;
}

/* The migration did not happen: the held IO goes to the disk here. */
int disk_release(void)
{
	int ret = vmig_disk_ctl(disk.devfd, VMIG_DISK_RELEASE, disk.major,
				disk.minor);

	disk_resume();
	return ret;
}

/* It did: the held IO ends here (the target carried it out). */
int disk_complete(void)
{
	int ret = vmig_disk_ctl(disk.devfd, VMIG_DISK_COMPLETE, disk.major,
				disk.minor);

	/* The held requests end with EREMOTEIO: their workers return. */
	if (!ret)
		disk_quit(false);
	return ret;
}

/*
 * The target's part, before the guest resumes: import the package, wait
 * for the IO it reissues, and finish the guest's requests from the
 * statuses. What is left in a slot (cancelled reads, requests that never
 * reached the source's filter) the workers submit when they start.
 */
int disk_import(const void *pkg, size_t len, struct disk_import *r)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC), sectors[DISK_MAX_DEPTH];
	int worst[DISK_MAX_DEPTH] = {}, flush_err = 0;
	struct vmig_disk_import imp;
	__u32 flushes;
	__s32 *statuses;
	unsigned int i;
	int nr, ret;

	memset(r, 0, sizeof(*r));
	nr = vmig_disk_pkg_verify(pkg, len);
	if (nr < 0)
		return nr;
	/* Every cancelled request must be one of the guest's, first. */
	if (cancelled_sectors(pkg, nr, NULL, sectors, NULL, &flushes,
			      &flush_err))
		return -EPROTO;
	statuses = calloc(nr + 1, sizeof(*statuses));
	if (!statuses)
		return -ENOMEM;
	/* No statuses for an empty package (nothing was held). */
	ret = vmig_disk_import(disk.devfd, disk.major, disk.minor, pkg, len,
			       VMIG_DISK_IMPORT_WAIT, nr ? statuses : NULL, nr,
			       &imp);
	if (!ret)
		cancelled_sectors(pkg, nr, statuses, sectors, worst, &flushes,
				  &flush_err);
	for (i = 0; !ret && i < DISK_MAX_DEPTH; i++) {
		struct slot *s = &hdr->slots[i];

		/* The held flushes are the slots' flushes not fenced. */
		if (s->op == SLOT_FLUSH && !s->unsent && flushes) {
			flushes--;
			sectors[i] = 1;
			worst[i] = flush_err;
		}
		if (s->op == SLOT_FREE)
			continue;
		if (!sectors[i]) {
			/* Never at the source's disk: submit it now. */
			if (s->unsent)
				r->unsent++;
			else
				r->lost++;
			s->unsent = 0;
		} else if (!whole(s, sectors[i])) {
			/*
			 * Split, and only partly cancelled: the rest may have
			 * been fenced. Submit it all again; the guest has
			 * nothing else in flight on these blocks.
			 */
			r->resubmit++;
		} else if (worst[i]) {
			r->failed++;
			hdr->disk_errors++;
			memset(s, 0, sizeof(*s));
		} else if (s->op == SLOT_READ) {
			r->resubmit++;
		} else {
			r->reissued++;
			finish(s, NULL);
		}
	}
	r->lost += ret ? 0 : flushes;
	free(statuses);
	r->ms = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	return ret;
}

/* The guest's request slots, from the migrated memory, make sense. */
int disk_check_slots(unsigned int depth)
{
	unsigned int i;

	if (hdr->disk_blocks != disk.nr_blocks || !depth ||
	    depth > DISK_MAX_DEPTH)
		return -EINVAL;
	for (i = 0; i < DISK_MAX_DEPTH; i++) {
		const struct slot *s = &hdr->slots[i];

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
			    s->block > disk.nr_blocks - s->nr_blocks ||
			    i >= depth)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Requests the guest made that were neither answered nor are pending in
 * a slot: dropped on the way. With the queue stopped.
 */
__u64 disk_unanswered(void)
{
	__u64 n = hdr->disk_submitted - hdr->disk_writes - hdr->disk_reads -
		  hdr->disk_flushes - hdr->disk_errors;
	unsigned int i;

	for (i = 0; i < DISK_MAX_DEPTH; i++)
		n -= hdr->slots[i].op != SLOT_FREE;
	return n;
}

/* A write of the guest's in a slot covers block @b: not known yet. */
static bool pending_write(__u64 b)
{
	unsigned int i;

	for (i = 0; i < DISK_MAX_DEPTH; i++)
		if (hdr->slots[i].op == SLOT_WRITE &&
		    overlaps(&hdr->slots[i], b, 1))
			return true;
	return false;
}

/*
 * Check every block against the journal: the blocks that differ. A block
 * of a pending write may hold either generation: it is skipped.
 */
__u64 disk_verify(void)
{
	size_t chunk = 256 * BLOCK;
	unsigned char *buf, *want = malloc(BLOCK);
	__u64 b, k, n, bad = 0;

	if (!want || posix_memalign((void **)&buf, BLOCK, chunk)) {
		free(want);
		return disk.nr_blocks;
	}
	for (b = 0; b < disk.nr_blocks; b += n) {
		n = disk.nr_blocks - b < 256 ? disk.nr_blocks - b : 256;
		if (pread(disk.fd, buf, n * BLOCK, b * BLOCK) !=
		    (ssize_t)(n * BLOCK)) {
			bad += n;
			continue;
		}
		for (k = 0; k < n; k++) {
			if (pending_write(b + k))
				continue;
			block_content(want, b + k, disk.journal[b + k]);
			bad += !!memcmp(want, buf + k * BLOCK, BLOCK);
		}
	}
	free(buf);
	free(want);
	return bad;
}
