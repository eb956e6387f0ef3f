// SPDX-License-Identifier: GPL-2.0
/*
 * vmig-guest: the VMM's disk side. The guest's disk is a dm-vmig device;
 * the VMM carries out the guest's requests (guest.h, struct slot) on it
 * with O_DIRECT, one worker thread per request slot (the guest's queue
 * depth), and drives the filter through /dev/dm-vmig at a migration.
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
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#include <vmig/libvmig.h>

#include "vmm.h"

#define SETTLE_MS 30000

enum worker_state { W_IDLE, W_BUSY, W_FENCED, W_GONE };

struct vdisk;

struct worker {
	struct vdisk *d;
	unsigned int i;		/* its slot */
	pthread_t thread;
	enum worker_state state;
};

struct vdisk {
	struct guest *g;
	int fd;			/* the guest's IO, O_DIRECT */
	int ctl, dmfd;		/* /dev/dm-vmig and the disk, for its ioctls */
	__u64 nr_blocks;
	unsigned int depth, rate;
	struct worker w[DISK_MAX_DEPTH];
	bool stop, quit;
	unsigned int late;	/* requests to submit after the fence */
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

void vdisk_close(struct vdisk *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	if (d->dmfd >= 0)
		close(d->dmfd);
	if (d->ctl >= 0)
		close(d->ctl);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

struct vdisk *vdisk_open(const char *path, struct guest *g)
{
	struct vdisk *d = calloc(1, sizeof(*d));
	__u64 bytes;

	if (!d) {
		perror("vmig-guest");
		return NULL;
	}
	d->g = g;
	d->ctl = -1;
	d->dmfd = -1;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->fd = open(path, O_RDWR | O_DIRECT);
	if (d->fd < 0 || ioctl(d->fd, BLKGETSIZE64, &bytes)) {
		fprintf(stderr, "vmig-guest: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	d->dmfd = vmig_dm_open_disk(path);
	d->ctl = vmig_dm_open_ctl();
	if (d->dmfd < 0 || d->ctl < 0) {
		fprintf(stderr, "vmig-guest: %s is not a device-mapper device\n",
			path);
		goto fail;
	}
	d->nr_blocks = bytes / BLOCK;
	if (d->nr_blocks < DISK_MAX_BLOCKS) {
		fprintf(stderr, "vmig-guest: %s is too small\n", path);
		goto fail;
	}
	return d;
fail:
	vdisk_close(d);
	return NULL;
}

__u64 vdisk_blocks(const struct vdisk *d)
{
	return d ? d->nr_blocks : 0;
}

int vdisk_format(struct vdisk *d)
{
	size_t chunk = 256 * BLOCK;
	void *zero;
	__u64 off, end = d->nr_blocks * BLOCK;
	int ret = 0;

	if (posix_memalign(&zero, BLOCK, chunk))
		return -1;
	memset(zero, 0, chunk);
	for (off = 0; off < end && !ret; off += chunk) {
		size_t n = end - off < chunk ? end - off : chunk;

		ret = pwrite(d->fd, zero, n, off) == (ssize_t)n ? 0 : -1;
	}
	if (!ret)
		ret = fdatasync(d->fd);
	free(zero);
	if (ret)
		perror("vmig-guest: formatting the disk");
	return ret;
}

int vdisk_attach(struct vdisk *d, unsigned int depth)
{
	if (d->g->hdr->disk_blocks != d->nr_blocks)
		return -EINVAL;
	return guest_disk_check_slots(d->g, depth);
}

/* The sectors of a request: a flush counts as one. */
static __u64 slot_sectors(const struct slot *s)
{
	return s->op == SLOT_FLUSH ? 1 : s->nr_blocks * 8ULL;
}

/* Carry out a request: 0, or -errno. */
static int issue(struct vdisk *d, const struct slot *s, unsigned char *buf)
{
	size_t len = s->nr_blocks * BLOCK;
	off_t off = s->block * BLOCK;
	ssize_t ret;
	__u32 k;

	switch (s->op) {
	case SLOT_READ:
		ret = pread(d->fd, buf, len, off);
		break;
	case SLOT_WRITE:
		for (k = 0; k < s->nr_blocks; k++)
			guest_block_content(buf + k * BLOCK, s->block + k,
					    d->g->journal[s->block + k] + 1);
		ret = pwrite(d->fd, buf, len, off);
		break;
	default:
		/* An empty write with REQ_PREFLUSH. */
		return fdatasync(d->fd) ? -errno : 0;
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
	struct worker *w = arg;
	struct vdisk *d = w->d;
	struct slot *s = &d->g->hdr->slots[w->i];
	__u64 gap = d->rate ? 1000000000ULL * d->depth / d->rate : 0;
	__u64 due = now_ns(CLOCK_MONOTONIC);
	unsigned char *buf;
	int ret;

	if (posix_memalign((void **)&buf, BLOCK, DISK_MAX_BLOCKS * BLOCK))
		return NULL;
	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (((d->stop && !d->late) || w->state == W_FENCED) &&
		       !d->quit)
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->quit)
			break;
		if (s->op == SLOT_FREE) {
			pthread_mutex_unlock(&d->lock);
			/* After a pause, no burst to catch up. */
			if (due + gap < now_ns(CLOCK_MONOTONIC))
				due = now_ns(CLOCK_MONOTONIC);
			wait_until(due);
			due += gap;
			pthread_mutex_lock(&d->lock);
			if ((d->stop && !d->late) || d->quit ||
			    !guest_disk_pick(d->g, s))
				continue;
			if (d->stop)
				d->late--;
		}
		w->state = W_BUSY;
		pthread_mutex_unlock(&d->lock);
		ret = issue(d, s, buf);
		pthread_mutex_lock(&d->lock);
		if (!ret) {
			guest_disk_finish(d->g, s,
					  s->op == SLOT_READ ? buf : NULL);
			w->state = W_IDLE;
		} else if (ret == -EBADE && !d->stop) {
			/*
			 * Fenced, but the disk runs again already (part of a
			 * split request was held and released): again.
			 */
			w->state = W_IDLE;
		} else if (ret == -EBADE) {
			/* Fenced before it reached the filter: not sent. */
			w->state = W_FENCED;
		} else if (ret == -EREMOTEIO) {
			/* Handed off: the target finishes it. */
			w->state = W_GONE;
		} else {
			d->g->hdr->disk_errors++;
			memset(s, 0, sizeof(*s));
			w->state = W_IDLE;
		}
		pthread_cond_broadcast(&d->cond);
		if (w->state == W_GONE)
			break;
	}
	pthread_mutex_unlock(&d->lock);
	free(buf);
	return NULL;
}

int vdisk_start(struct vdisk *d, unsigned int depth, unsigned int rate)
{
	unsigned int i;

	d->rate = rate;
	d->stop = false;
	d->quit = false;
	for (i = 0; i < depth; i++) {
		d->w[i] = (struct worker){ .d = d, .i = i, .state = W_IDLE };
		if (pthread_create(&d->w[i].thread, NULL, worker, &d->w[i]))
			break;
		d->depth = i + 1;
	}
	return d->depth == depth ? 0 : -EAGAIN;
}

/* The VMM stops the guest's submissions (what is in flight goes on). */
static void vdisk_pause(struct vdisk *d)
{
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_mutex_unlock(&d->lock);
}

/* And lets them go on: fenced requests are submitted again. */
static void vdisk_resume(struct vdisk *d)
{
	unsigned int i;

	pthread_mutex_lock(&d->lock);
	d->stop = false;
	for (i = 0; i < d->depth; i++) {
		if (d->w[i].state == W_FENCED)
			d->w[i].state = W_IDLE;
		d->g->hdr->slots[i].unsent = 0;
	}
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Stop the workers, once nothing is in flight if @drain. */
static void vdisk_quit(struct vdisk *d, bool drain)
{
	unsigned int i;

	pthread_mutex_lock(&d->lock);
	d->stop = true;
	for (i = 0; i < d->depth && drain; i++)
		while (d->w[i].state == W_BUSY)
			pthread_cond_wait(&d->cond, &d->lock);
	d->quit = true;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < d->depth; i++)
		pthread_join(d->w[i].thread, NULL);
	d->depth = 0;
}

void vdisk_stop(struct vdisk *d)
{
	vdisk_quit(d, true);
}

/*
 * The slot whose read or write contains descriptor @dd (a read or a
 * write), or NULL.
 */
static struct slot *slot_of(struct vdisk *d, const struct vmig_disk_desc *dd)
{
	__u64 sector = le64toh(dd->sector), b = sector / 8;
	__u32 n = le32toh(dd->len) / 512, op;
	unsigned int i;

	if (le16toh(dd->op) == VMIG_DISK_OP_READ)
		op = SLOT_READ;
	else if (le16toh(dd->op) == VMIG_DISK_OP_WRITE)
		op = SLOT_WRITE;
	else
		return NULL;
	for (i = 0; i < DISK_MAX_DEPTH; i++) {
		struct slot *s = &d->g->hdr->slots[i];

		if (s->op == op && b >= s->block && sector % 8 == 0 &&
		    sector + n <= (s->block + s->nr_blocks) * 8)
			return s;
	}
	return NULL;
}

/*
 * Sectors of each slot's read or write that are cancelled descriptors of
 * the checked package @pkg of @len bytes, and with @statuses (an
 * import's), the first error of each in @worst. Flushes carry no sector:
 * they are all alike, and their number goes to *@flushes (with the first
 * error in *@flush_err). -1 when a descriptor belongs to no request.
 */
static int cancelled_sectors(struct vdisk *d, const void *pkg, size_t len,
			     const __s32 *statuses,
			     __u64 sectors[DISK_MAX_DEPTH],
			     int worst[DISK_MAX_DEPTH], __u32 *flushes,
			     int *flush_err)
{
	const struct vmig_disk_desc *dd;
	struct vmig_disk_pkg_iter it;
	struct slot *s;
	__u32 i, k;

	memset(sectors, 0, DISK_MAX_DEPTH * sizeof(*sectors));
	*flushes = 0;
	if (vmig_disk_pkg_iter_init(&it, pkg, len) < 0)
		return -1;
	for (i = 0; (dd = vmig_disk_pkg_next(&it, NULL)); i++) {
		if (le16toh(dd->kind) != VMIG_DISK_CANCELLED)
			continue;
		if (le16toh(dd->op) == VMIG_DISK_OP_FLUSH && !dd->len) {
			++*flushes;
			if (statuses && statuses[i] < 0 && !*flush_err)
				*flush_err = statuses[i];
			continue;
		}
		s = slot_of(d, dd);
		if (!s)
			return -1;
		k = s - d->g->hdr->slots;
		sectors[k] += le32toh(dd->len) / 512;
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
int vdisk_handoff(struct vdisk *d, struct disk_handoff *h, void **pkg,
		  unsigned int late_io)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC), sectors[DISK_MAX_DEPTH];
	struct header *hdr = d->g->hdr;
	struct vmig_disk_handoff ho;
	struct timespec deadline;
	unsigned int i, open, idle, busy_flushes;
	int flush_err = 0;
	__u32 flushes;
	ssize_t len;
	int nr, ret;

	memset(h, 0, sizeof(*h));
	vdisk_pause(d);
	ret = vmig_disk_handoff(d->ctl, d->dmfd, VMIG_DISK_HANDOFF_CANCEL, 0,
				&ho);
	if (ret) {
		vdisk_resume(d);
		return ret;
	}
	len = vmig_disk_export(d->ctl, d->dmfd, pkg);
	nr = len < 0 ? (int)len : vmig_disk_pkg_check(*pkg, len);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += SETTLE_MS / 1000;
	pthread_mutex_lock(&d->lock);
	ret = nr < 0 ? nr : cancelled_sectors(d, *pkg, len, NULL, sectors,
					      NULL, &flushes, &flush_err) ?
	      -EPROTO : 0;
	/* A test of the fence: requests that come after it. */
	d->late = ret ? 0 : late_io;
	pthread_cond_broadcast(&d->cond);
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
		for (i = 0; i < d->depth; i++) {
			struct slot *s = &hdr->slots[i];

			if (s->op == SLOT_FLUSH)
				busy_flushes += d->w[i].state == W_BUSY;
			else
				open += s->op != SLOT_FREE && !sectors[i] &&
					d->w[i].state != W_FENCED;
			idle += s->op == SLOT_FREE;
		}
		if (!idle)
			d->late = 0;
		open += d->late + (busy_flushes > flushes);
		if (!open)
			break;
		if (pthread_cond_timedwait(&d->cond, &d->lock, &deadline))
			ret = -ETIMEDOUT;
	}
	for (i = 0; i < d->depth && !ret; i++) {
		if (sectors[i])
			h->cancelled++;
		if (d->w[i].state == W_FENCED) {
			hdr->slots[i].unsent = 1;
			h->unsent++;
		}
	}
	h->cancelled += ret ? 0 : flushes;
	d->late = 0;
	pthread_mutex_unlock(&d->lock);
	if (ret) {
		free(*pkg);
		*pkg = NULL;
		vdisk_release(d);
		return ret;
	}
	h->waited = ho.nr_completed;
	h->pkg_len = len;
	h->ms = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	return 0;
}

/* The migration did not happen: the held IO goes to the disk here. */
int vdisk_release(struct vdisk *d)
{
	int ret = vmig_disk_release(d->ctl, d->dmfd);

	vdisk_resume(d);
	return ret;
}

/* It did: the held IO ends here (the target carried it out). */
int vdisk_complete(struct vdisk *d)
{
	int ret = vmig_disk_complete(d->ctl, d->dmfd);

	/* The held requests end with EREMOTEIO: their workers return. */
	if (!ret)
		vdisk_quit(d, false);
	return ret;
}

/*
 * The target's part, before the guest resumes: import the package, wait
 * for the IO it reissues, and finish the guest's requests from the
 * statuses. What is left in a slot (cancelled reads, requests that never
 * reached the source's filter) the workers submit when they start.
 */
int vdisk_import(struct vdisk *d, const void *pkg, size_t len,
		 struct disk_import *r)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC), sectors[DISK_MAX_DEPTH];
	int worst[DISK_MAX_DEPTH] = {}, flush_err = 0;
	struct vmig_disk_import imp;
	__u32 flushes;
	__s32 *statuses;
	unsigned int i;
	int nr, ret;

	memset(r, 0, sizeof(*r));
	nr = vmig_disk_pkg_check(pkg, len);
	if (nr < 0)
		return nr;
	/* Every cancelled request must be one of the guest's, first. */
	if (cancelled_sectors(d, pkg, len, NULL, sectors, NULL, &flushes,
			      &flush_err))
		return -EPROTO;
	statuses = calloc(nr + 1, sizeof(*statuses));
	if (!statuses)
		return -ENOMEM;
	/* No statuses for an empty package (nothing was held). */
	ret = vmig_disk_import(d->ctl, d->dmfd, pkg, len,
			       VMIG_DISK_IMPORT_WAIT, nr ? statuses : NULL, nr,
			       &imp);
	if (!ret)
		cancelled_sectors(d, pkg, len, statuses, sectors, worst,
				  &flushes, &flush_err);
	for (i = 0; !ret && i < DISK_MAX_DEPTH; i++) {
		struct slot *s = &d->g->hdr->slots[i];

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
			d->g->hdr->disk_errors++;
			memset(s, 0, sizeof(*s));
		} else if (s->op == SLOT_READ) {
			r->resubmit++;
		} else {
			r->reissued++;
			guest_disk_finish(d->g, s, NULL);
		}
	}
	r->lost += ret ? 0 : flushes;
	free(statuses);
	r->ms = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
	return ret;
}

/*
 * Check every block against the guest's journal: the blocks that differ.
 * A block of a pending write may hold either generation: it is skipped.
 */
__u64 vdisk_verify(struct vdisk *d)
{
	size_t chunk = 256 * BLOCK;
	unsigned char *buf, *want = malloc(BLOCK);
	__u64 b, k, n, bad = 0;

	if (!want || posix_memalign((void **)&buf, BLOCK, chunk)) {
		free(want);
		return d->nr_blocks;
	}
	for (b = 0; b < d->nr_blocks; b += n) {
		n = d->nr_blocks - b < 256 ? d->nr_blocks - b : 256;
		if (pread(d->fd, buf, n * BLOCK, b * BLOCK) !=
		    (ssize_t)(n * BLOCK)) {
			bad += n;
			continue;
		}
		for (k = 0; k < n; k++) {
			if (guest_disk_pending(d->g, b + k))
				continue;
			guest_block_content(want, b + k, d->g->journal[b + k]);
			bad += !!memcmp(want, buf + k * BLOCK, BLOCK);
		}
	}
	free(buf);
	free(want);
	return bad;
}
