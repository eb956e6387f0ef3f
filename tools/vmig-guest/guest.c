// SPDX-License-Identifier: GPL-2.0
/*
 * vmig-guest: a program that plays both a VMM and its guest, written
 * against vmig's public interface as a VMM would use it, to show and test
 * a live migration end to end.
 *
 * The guest keeps all its state in its vmig memory (see guest.h): a
 * header (page 0), a journal (the generation of every data page) and the
 * data pages, whose content is a function of their index and generation,
 * so that anyone can check the memory against the journal. A worker thread
 * (the vCPU) writes pages at a set rate and pattern, bumping their
 * generation, and a heartbeat. Its registers (RNG, cursor, step count) are
 * the device state handed over at the switchover. With --disk it also does
 * disk IO through a dm-vmig filter, journalled the same way (disk.c).
 *
 *   vmig-guest source NAME HOST:PORT [options]   run, then migrate away
 *   vmig-guest target NAME [options]             receive, verify, run on
 *
 * With --migctl instead of HOST:PORT (and on the target), the operator's
 * migctl migrate --switchover vmm and migctl listen drive the session, and
 * vmig-guest does only what a VMM does: the switchover, the device state,
 * the disk.
 *
 * The source, as a VMM: starts the session, waits for vmig to report that
 * the rest fits in the downtime (or that it cannot converge: it forces the
 * switchover), pauses its vCPU, hands its disk off and hands over the
 * device state with the disk's package. The target: accepts the streams,
 * waits for the end, takes the device state, imports the disk's package,
 * checks its memory and disk against the journals, reports the heartbeat
 * gap (the downtime as the guest saw it), and carries on for a while,
 * checking again.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "libvmig.h"
#include "../migctl/mig.h"
#include "guest.h"

enum pattern { SEQ, RANDOM, HOT };
enum content { MIXED, ZERO, TEXT, NOISE };

/* The vCPU's registers: the device state. */
struct cpu {
	__u64 magic;
	__u64 rng;
	__u64 cursor;
	__u64 steps;
	__u32 pattern;
	__u32 content;
	__u32 rate;
	__u32 disk_depth;
	__u32 disk_rate;
	__u32 __pad;
	__u64 pause_ns;		/* CLOCK_REALTIME when the VMM paused it */
	__u64 pkg_len;		/* the disk's hand-off package follows */
};

static struct {
	__u64 nr_pages;
	unsigned int rate;
	enum pattern pattern;
	enum content content;
	const char *disk;
	unsigned int disk_depth, disk_rate, hold_ms, late_io;
	bool stall_cancel;
	bool json;
} opt = { .nr_pages = 256 * 256, .rate = 20000, .pattern = RANDOM,
	  .disk_depth = 8, .disk_rate = 200 };

unsigned char *mem;
struct header *hdr;
static __u32 *table;
static __u64 first_data;
static struct cpu cpu;
static atomic_bool paused;

__u64 now_ns(int clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* What data page @i holds at generation @gen. */
static void page_content(unsigned char *p, __u64 i, __u32 gen)
{
	static const char *const words[] = {
		"guest ", "page ", "memory ", "vmig ", "step ", "write ",
		"journal ", "0xdeadbeef ", "\n",
	};
	enum content c = cpu.content;
	__u64 s = (i << 32 | gen) * 0x9e3779b97f4a7c15ULL + 1;
	size_t k = 0, n;

	if (c == MIXED)
		c = i % 4 == 0 ? ZERO : i % 4 == 3 ? NOISE : TEXT;
	if (c == ZERO || (!gen && i % 2)) {
		memset(p, 0, PAGE);
		return;
	}
	if (c == NOISE) {
		for (k = 0; k < PAGE; k += 8) {
			__u64 v = rnd(&s);

			memcpy(p + k, &v, 8);
		}
		return;
	}
	while (k < PAGE) {
		const char *w = words[rnd(&s) % 9];

		n = strlen(w) < PAGE - k ? strlen(w) : PAGE - k;
		memcpy(p + k, w, n);
		k += n;
	}
	memcpy(p, &gen, sizeof(gen));
}

/* Where the journals and the data are, from the header. */
static void layout(void)
{
	hdr = (struct header *)mem;
	table = (__u32 *)(mem + PAGE);
	first_data = 1 + hdr->table_pages + hdr->disk_journal_pages;
}

static __u32 *disk_journal(void)
{
	return (__u32 *)(mem + (1 + hdr->table_pages) * PAGE);
}

/* Boot: every data page (and disk block) at generation 0. */
static int boot(void)
{
	__u64 i;

	hdr = (struct header *)mem;
	hdr->magic = GUEST_MAGIC;
	hdr->nr_pages = opt.nr_pages;
	hdr->table_pages = (opt.nr_pages * 4 + PAGE - 1) / PAGE;
	if (disk_present())
		disk_boot((__u32 *)(mem + (1 + hdr->table_pages) * PAGE));
	layout();
	if (first_data + 16 > opt.nr_pages) {
		fprintf(stderr, "vmig-guest: the memory is too small\n");
		return -1;
	}
	/* The content depends on the registers: set them first. */
	cpu = (struct cpu) {
		.magic = GUEST_MAGIC, .rng = 0x2545f4914f6cdd1dULL,
		.cursor = first_data, .pattern = opt.pattern,
		.content = opt.content, .rate = opt.rate,
		.disk_depth = opt.disk_depth, .disk_rate = opt.disk_rate,
	};
	for (i = first_data; i < opt.nr_pages; i++)
		page_content(mem + i * PAGE, i, 0);
	return disk_present() ? disk_format() : 0;
}

/* One step of the vCPU: rewrite a page, journal it, beat. */
static void step(void)
{
	__u64 n = opt.nr_pages - first_data, i;

	switch (cpu.pattern) {
	case SEQ:
		i = cpu.cursor++;
		if (cpu.cursor >= opt.nr_pages)
			cpu.cursor = first_data;
		break;
	case HOT:
		/* Nine writes in ten to a tenth of the memory. */
		i = rnd(&cpu.rng) % 10 ? rnd(&cpu.rng) % (n / 10 + 1) :
					 rnd(&cpu.rng) % n;
		i += first_data;
		break;
	default:
		i = first_data + rnd(&cpu.rng) % n;
	}
	page_content(mem + i * PAGE, i, table[i] + 1);
	table[i]++;
	hdr->steps = ++cpu.steps;
	hdr->heartbeat_ns = now_ns(CLOCK_REALTIME);
}

static void *vcpu(void *arg)
{
	__u64 t0 = now_ns(CLOCK_MONOTONIC), done = 0, due;

	(void)arg;
	while (!atomic_load(&paused)) {
		due = cpu.rate ? (now_ns(CLOCK_MONOTONIC) - t0) * cpu.rate /
				 1000000000ULL : done + 64;
		for (; done < due && !atomic_load(&paused); done++)
			step();
		if (cpu.rate)
			usleep(1000);
	}
	return NULL;
}

/* Check the memory against the journal: the pages that differ. */
static __u64 verify(void)
{
	unsigned char *want = malloc(PAGE);
	__u64 i, bad = 0;

	if (hdr->magic != GUEST_MAGIC || hdr->nr_pages != opt.nr_pages)
		return opt.nr_pages;
	for (i = first_data; i < opt.nr_pages; i++) {
		page_content(want, i, table[i]);
		bad += !!memcmp(want, mem + i * PAGE, PAGE);
	}
	free(want);
	return bad;
}

static int map_vm(int dev, const char *name, int *vmfd)
{
	*vmfd = vmig_vm_create(dev, name, opt.nr_pages);
	if (*vmfd < 0) {
		fprintf(stderr, "vmig-guest: cannot create VM %s: %s\n", name,
			strerror(-*vmfd));
		return -1;
	}
	mem = mmap(NULL, opt.nr_pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, *vmfd, 0);
	if (mem == MAP_FAILED) {
		perror("vmig-guest: mmap");
		return -1;
	}
	return 0;
}

static void progress(const struct vmig_mig_status *st)
{
	fprintf(stderr, "\r%-10s round %-3u sent %6llu MiB, wire %6llu MiB,",
		vmig_mig_state_name(st->state), st->round,
		(unsigned long long)(st->pages_sent >> 8),
		(unsigned long long)(st->bytes_wire >> 20));
	fprintf(stderr, " remaining %7llu pages, expected downtime %5llu ms ",
		(unsigned long long)st->pages_remaining,
		(unsigned long long)st->expected_downtime_ms);
}

/* The guest runs: its vCPU and, with a disk, its disk's queue. */
static void guest_run(pthread_t *t)
{
	atomic_store(&paused, false);
	if (pthread_create(t, NULL, vcpu, NULL) ||
	    (disk_present() && disk_start(cpu.disk_depth, cpu.disk_rate))) {
		fprintf(stderr, "vmig-guest: cannot start the guest's threads\n");
		exit(1);
	}
}

/* The VMM pauses the vCPU; the disk's requests in flight go on. */
static void guest_pause(pthread_t *t)
{
	atomic_store(&paused, true);
	pthread_join(*t, NULL);
}

/* What the source's VMM saw of the switchover. */
struct source_report {
	bool handed_off;
	struct disk_handoff ho;
	__u64 paused_ms;	/* from the vCPU's pause to the end */
};

static void summary(const char *name, const struct vmig_mig_status *st,
		    const struct vmig_vm_stats *vs,
		    const struct source_report *r)
{
	double moved = st->pages_sent * (double)PAGE;
	double ratio = st->bytes_wire ? moved / st->bytes_wire : 0;

	if (opt.json) {
		printf("{\"vm\":\"%s\",\"role\":\"source\",\"state\":\"%s\",",
		       name, vmig_mig_state_name(st->state));
		printf("\"total_ms\":%llu,\"downtime_ms\":%llu,\"rounds\":%u,",
		       (unsigned long long)st->total_ms,
		       (unsigned long long)st->downtime_ms, st->round + 1);
		printf("\"paused_ms\":%llu,\"handoff_ms\":%llu,",
		       (unsigned long long)r->paused_ms,
		       (unsigned long long)r->ho.ms);
		printf("\"io_waited\":%u,\"io_cancelled\":%u,\"io_unsent\":%u,",
		       r->ho.waited, r->ho.cancelled, r->ho.unsent);
		printf("\"disk_writes\":%llu,\"disk_reads\":%llu,",
		       (unsigned long long)hdr->disk_writes,
		       (unsigned long long)hdr->disk_reads);
		printf("\"bytes_moved\":%.0f,\"bytes_wire\":%llu,\"ratio\":%.3f,",
		       moved, (unsigned long long)st->bytes_wire, ratio);
		printf("\"write_faults\":%llu,\"pages_dirtied\":%llu,\"steps\":%llu}\n",
		       (unsigned long long)vs->write_faults,
		       (unsigned long long)vs->pages_reported,
		       (unsigned long long)cpu.steps);
		return;
	}
	printf("VM %s: migration %s\n", name, vmig_mig_state_name(st->state));
	printf("  total time %llu ms, downtime %llu ms (switchover to target ready), %u rounds\n",
	       (unsigned long long)st->total_ms,
	       (unsigned long long)st->downtime_ms, st->round + 1);
	if (r->paused_ms)
		printf("  vCPU paused at the source for %llu ms in all (disk hand-off %llu ms)\n",
		       (unsigned long long)r->paused_ms,
		       (unsigned long long)r->ho.ms);
	printf("  memory moved %.1f MiB, %.1f MiB on the wire: ratio %.2fx\n",
	       moved / (1 << 20), st->bytes_wire / (double)(1 << 20), ratio);
	printf("  pages: %llu zero, %llu lz4, %llu raw\n",
	       (unsigned long long)st->zero_pages,
	       (unsigned long long)st->lz4_pages,
	       (unsigned long long)st->raw_pages);
	printf("  write faults %llu for %llu pages dirtied; the guest ran %llu steps\n",
	       (unsigned long long)vs->write_faults,
	       (unsigned long long)vs->pages_reported,
	       (unsigned long long)cpu.steps);
	if (!disk_present())
		return;
	printf("  disk: %llu writes and %llu reads done at the source;",
	       (unsigned long long)hdr->disk_writes,
	       (unsigned long long)hdr->disk_reads);
	printf(" %u IO cancelled at the hand-off\n", r->ho.cancelled);
}

/* The guest's own view of its disk, after its queue has stopped. */
static __u64 disk_check(const char *when)
{
	__u64 bad = disk_verify();

	printf("  disk against the journal %s: %llu of %llu blocks differ;",
	       when, (unsigned long long)bad,
	       (unsigned long long)hdr->disk_blocks);
	printf(" reads that disagreed %llu, IO errors %llu, unanswered %llu\n",
	       (unsigned long long)hdr->disk_bad_reads,
	       (unsigned long long)hdr->disk_errors,
	       (unsigned long long)disk_unanswered());
	return bad + hdr->disk_bad_reads + hdr->disk_errors +
	       disk_unanswered();
}

enum cancel_at { NEVER, PRECOPY, HANDOFF, SWITCHOVER };

/*
 * A cancelled or failed migration: the guest goes on here, as if nothing
 * happened. Run it a while and check its memory and disk against its
 * journals.
 */
static int carry_on(int vmfd, pthread_t *t, const char *what)
{
	struct vmig_vm_entry e = {};
	__u64 bad;

	if (atomic_load(&paused)) {
		atomic_store(&paused, false);
		pthread_create(t, NULL, vcpu, NULL);
	}
	usleep(500000);
	guest_pause(t);
	if (disk_present())
		disk_stop();
	bad = verify();
	vmig_vm_info(vmfd, &e);
	printf("  %s: the guest ran on to step %llu;", what,
	       (unsigned long long)cpu.steps);
	printf(" %llu pages differ from the journal; tracking %s\n",
	       (unsigned long long)bad, e.group_pages ? "still on" : "off");
	if (disk_present())
		bad += disk_check("at the source");
	return bad || e.group_pages ? 1 : 0;
}

/*
 * The VMM's part of the switchover: stop the vCPU, hand the disk off,
 * hand over the device state (the vCPU's and the disk's package).
 */
static int switchover(int vmfd, pthread_t *t, struct source_report *r,
		      enum cancel_at cancel_at)
{
	size_t len = sizeof(cpu);
	void *pkg = NULL, *blob;
	int ret;

	guest_pause(t);
	cpu.pause_ns = now_ns(CLOCK_REALTIME);
	if (disk_present()) {
		ret = disk_handoff(&r->ho, &pkg, opt.late_io);
		if (ret) {
			fprintf(stderr, "vmig-guest: disk hand-off: %s\n",
				strerror(-ret));
			return ret;
		}
		r->handed_off = true;
		printf("disk: handed off in %llu ms: %u IO waited for, %u cancelled,",
		       (unsigned long long)r->ho.ms, r->ho.waited,
		       r->ho.cancelled);
		printf(" %u not yet sent; package %llu bytes\n",
		       r->ho.unsent, (unsigned long long)r->ho.pkg_len);
		if (cancel_at == HANDOFF) {
			free(pkg);
			return -ECANCELED;
		}
		if (opt.hold_ms)
			usleep(opt.hold_ms * 1000);
		len += r->ho.pkg_len;
	}
	cpu.pkg_len = r->ho.pkg_len;
	blob = malloc(len);
	if (!blob) {
		free(pkg);
		return -ENOMEM;
	}
	memcpy(blob, &cpu, sizeof(cpu));
	if (pkg)
		memcpy((char *)blob + sizeof(cpu), pkg, r->ho.pkg_len);
	free(pkg);
	ret = vmig_mig_switchover(vmfd, blob, len);
	free(blob);
	if (ret)
		fprintf(stderr, "vmig-guest: %s: %s\n", __func__,
			strerror(-ret));
	return ret;
}

/*
 * The session's status, once there is one: migctl may start it (up to
 * five minutes from now). False when none comes.
 */
static bool wait_session(int vmfd, struct vmig_mig_status *st)
{
	static __u64 deadline;
	int ret;

	if (!deadline)
		deadline = now_ns(CLOCK_MONOTONIC) + 300000000000ULL;
	while ((ret = vmig_mig_status(vmfd, st, 1)) == -ENOENT &&
	       now_ns(CLOCK_MONOTONIC) < deadline)
		usleep(100000);
	if (ret)
		fprintf(stderr, "vmig-guest: no migration: %s\n",
			strerror(-ret));
	return !ret;
}

/*
 * Run the guest and be its VMM in a migration: to @target (HOST:PORT), or
 * with @target NULL, one that migctl starts.
 */
static int run_source(const char *name, const char *target, int streams,
		      struct vmig_mig_start *start, bool show,
		      enum cancel_at cancel_at)
{
	int dev = vmig_open_dev(), vmfd, fds[VMIG_MIG_MAX_STREAMS], i, ret;
	struct pollfd p = { .events = POLLIN };
	struct source_report r = {};
	bool switched = false, gave_up = false;
	struct vmig_mig_status st;
	struct vmig_vm_stats vs;
	char host[256], port[32];
	__u64 pause_ns = 0;
	pthread_t t;

	if (dev < 0 || (target && net_split(target, host, sizeof(host), port,
					    sizeof(port))) ||
	    map_vm(dev, name, &vmfd) || (opt.disk && disk_open(opt.disk)) ||
	    boot())
		return 1;
	guest_run(&t);
	usleep(200000);
	for (i = 0; target && i < streams; i++) {
		fds[i] = net_connect(host, port);
		if (fds[i] < 0)
			return 1;
	}
	ret = target ? vmig_mig_start(vmfd, start, fds, streams) : 0;
	for (i = 0; target && i < streams; i++)
		close(fds[i]);
	if (ret) {
		fprintf(stderr, "vmig-guest: cannot migrate: %s\n",
			strerror(-ret));
		return 1;
	}
	p.fd = vmfd;
	for (;;) {
		if (!wait_session(vmfd, &st))
			return 1;
		if (show)
			progress(&st);
		if (vmig_mig_ended(st.state))
			break;
		if (!gave_up && ((cancel_at == PRECOPY && st.round >= 1) ||
				 (st.state == VMIG_MIG_STATE_STALLED &&
				  opt.stall_cancel))) {
			/* This VMM gives up: the guest stays here. */
			if (st.state == VMIG_MIG_STATE_STALLED)
				printf("stalled: %llu pages dirty, expected downtime %llu ms: %s\n",
				       (unsigned long long)st.pages_remaining,
				       (unsigned long long)st.expected_downtime_ms,
				       "cancelling");
			vmig_mig_cancel(vmfd);
			gave_up = true;
		}
		if ((st.state == VMIG_MIG_STATE_READY ||
		     st.state == VMIG_MIG_STATE_STALLED) && !pause_ns &&
		    !gave_up) {
			pause_ns = now_ns(CLOCK_MONOTONIC);
			ret = switchover(vmfd, &t, &r, cancel_at);
			switched = !ret;
			gave_up = cancel_at == HANDOFF ||
				  cancel_at == SWITCHOVER;
			if ((ret || cancel_at == SWITCHOVER) &&
			    vmig_mig_cancel(vmfd) == -EBUSY)
				/* END is out: the target decides now. */
				printf("cancel refused: the switchover's end is out\n");
		}
		poll(&p, 1, 200);
	}
	if (pause_ns)
		r.paused_ms = (now_ns(CLOCK_MONOTONIC) - pause_ns) / 1000000;
	if (show)
		fprintf(stderr, "\n");
	vmig_vm_stats(vmfd, &vs);
	if (st.state == VMIG_MIG_STATE_DONE) {
		/* The target runs the guest: its held IO ends here. */
		ret = r.handed_off ? disk_complete() : 0;
		if (ret)
			fprintf(stderr, "vmig-guest: completing the disk: %s\n",
				strerror(-ret));
		summary(name, &st, &vs, &r);
		return ret ? 1 : 0;
	}
	summary(name, &st, &vs, &r);
	fprintf(stderr, "vmig-guest: the migration %s: %s\n",
		vmig_mig_state_name(st.state), strerror(st.error));
	if (st.state == VMIG_MIG_STATE_FAILED && switched) {
		/*
		 * The device state went out: the target may have resumed
		 * the guest (its acknowledgment lost). Resuming here too
		 * could run it twice; the operator decides.
		 */
		printf("  failed in the switchover: the guest stays paused %s\n",
		       "here and its disk fenced");
		return 1;
	}
	if (r.handed_off)
		disk_release();
	ret = carry_on(vmfd, &t, st.state == VMIG_MIG_STATE_CANCELLED ?
		       "cancelled" : "failed");
	return gave_up && st.state == VMIG_MIG_STATE_CANCELLED ? ret : 1;
}

/*
 * The state that came over the network (the device state and the guest's
 * memory) makes sense: the target runs on it. Lays the memory out.
 */
static int check_state(void)
{
	hdr = (struct header *)mem;
	if (hdr->magic != GUEST_MAGIC || hdr->nr_pages != opt.nr_pages ||
	    hdr->table_pages != (opt.nr_pages * 4 + PAGE - 1) / PAGE ||
	    hdr->disk_journal_pages != disk_journal_pages() ||
	    cpu.pattern > HOT || cpu.content > NOISE)
		return -EINVAL;
	layout();
	if (first_data + 16 > opt.nr_pages || cpu.cursor < first_data ||
	    cpu.cursor >= opt.nr_pages)
		return -EINVAL;
	if (disk_present()) {
		disk_attach(disk_journal());
		return disk_check_slots(cpu.disk_depth);
	}
	return 0;
}

/* Take the device state: the vCPU's, then the disk's package. */
static void *take_blob(int vmfd)
{
	__u64 len = sizeof(cpu);
	void *blob = NULL;
	__s64 ret;

	do {
		free(blob);
		blob = malloc(len);
		if (!blob)
			return NULL;
		ret = vmig_mig_get_blob(vmfd, blob, len, &len);
	} while (ret == -EMSGSIZE);
	if (ret < (__s64)sizeof(cpu) ||
	    ((struct cpu *)blob)->magic != GUEST_MAGIC ||
	    ((struct cpu *)blob)->pkg_len != ret - sizeof(cpu)) {
		free(blob);
		return NULL;
	}
	memcpy(&cpu, blob, sizeof(cpu));
	return blob;
}

/*
 * Accept the streams on @lfd (or let migctl do it: -1) until the session
 * ends; 0 when it is done.
 */
static int receive(const char *name, int vmfd, int lfd,
		   struct vmig_mig_status *st)
{
	struct pollfd p = { .fd = vmfd, .events = POLLIN };
	int fd;

	for (;;) {
		if (!wait_session(vmfd, st))
			return -1;
		if (vmig_mig_ended(st->state))
			break;
		if (lfd >= 0 && st->state == VMIG_MIG_STATE_CONNECTING &&
		    st->nr_streams > st->streams_attached) {
			fd = net_accept(lfd, 1000);
			if (fd >= 0) {
				vmig_mig_add_stream(vmfd, fd);
				close(fd);
			}
			continue;
		}
		poll(&p, 1, 200);
	}
	if (st->state == VMIG_MIG_STATE_DONE)
		return 0;
	fprintf(stderr, "vmig-guest: the migration %s: %s\n",
		vmig_mig_state_name(st->state), strerror(st->error));
	printf("VM %s: the migration %s (%s): nothing resumed here%s\n",
	       name, vmig_mig_state_name(st->state), strerror(st->error),
	       disk_present() ? "; the disk still waits for a package" : "");
	return -1;
}

static void target_report(const char *name, const struct vmig_mig_status *st,
			  const struct disk_import *imp, __s64 gap_ms,
			  const __u64 bad[2], const __u64 dbad[2],
			  __u64 resumed_at, unsigned int run_ms)
{
	if (opt.json) {
		printf("{\"vm\":\"%s\",\"role\":\"guest\",\"pages_checked\":%llu,",
		       name, (unsigned long long)(opt.nr_pages - first_data));
		printf("\"pages_bad\":%llu,\"pages_bad_after_running\":%llu,",
		       (unsigned long long)bad[0], (unsigned long long)bad[1]);
		printf("\"blocks_checked\":%llu,\"blocks_bad\":%llu,",
		       (unsigned long long)hdr->disk_blocks,
		       (unsigned long long)dbad[0]);
		printf("\"blocks_bad_after_running\":%llu,",
		       (unsigned long long)dbad[1]);
		printf("\"io_reissued\":%u,\"io_resubmitted\":%u,\"io_unsent\":%u,",
		       imp->reissued, imp->resubmit, imp->unsent);
		printf("\"io_failed\":%u,\"io_lost\":%u,\"import_ms\":%llu,",
		       imp->failed, imp->lost, (unsigned long long)imp->ms);
		printf("\"io_unanswered\":%llu,",
		       (unsigned long long)disk_unanswered());
		printf("\"heartbeat_gap_ms\":%lld,\"downtime_ms\":%llu,\"steps\":%llu}\n",
		       (long long)gap_ms,
		       (unsigned long long)st->downtime_ms,
		       (unsigned long long)cpu.steps);
		return;
	}
	printf("VM %s resumed on the target after step %llu\n", name,
	       (unsigned long long)resumed_at);
	printf("  heartbeat gap seen by the guest: %lld ms",
	       (long long)gap_ms);
	printf(" (vmig downtime %llu ms on this side)\n",
	       (unsigned long long)st->downtime_ms);
	if (disk_present()) {
		printf("  disk: package imported in %llu ms:",
		       (unsigned long long)imp->ms);
		printf(" %u writes reissued, %u reads resubmitted,",
		       imp->reissued, imp->resubmit);
		printf(" %u requests the source never sent resubmitted, %u failed, %u lost\n",
		       imp->unsent, imp->failed, imp->lost);
	}
	printf("  memory against the journal: %llu of %llu pages differ;",
	       (unsigned long long)bad[0],
	       (unsigned long long)(opt.nr_pages - first_data));
	printf(" after running %u ms more: %llu\n", run_ms,
	       (unsigned long long)bad[1]);
	if (disk_present()) {
		printf("  disk against the journal: %llu of %llu blocks differ;",
		       (unsigned long long)dbad[0],
		       (unsigned long long)hdr->disk_blocks);
		printf(" after running: %llu; reads that disagreed %llu,",
		       (unsigned long long)dbad[1],
		       (unsigned long long)hdr->disk_bad_reads);
		printf(" IO errors %llu, unanswered %llu\n",
		       (unsigned long long)hdr->disk_errors,
		       (unsigned long long)disk_unanswered());
	}
}

static int run_target(const char *name, const char *addr, const char *port,
		      unsigned int run_ms, bool migctl)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	__u64 bad[2], dbad[2] = {}, resume_ns, resumed_at;
	__s64 gap_ms;
	int dev = vmig_open_dev(), vmfd, lfd, fd, ret;
	struct disk_import imp = {};
	struct vmig_mig_status st;
	void *blob;
	pthread_t t;

	if (dev < 0 || map_vm(dev, name, &vmfd) ||
	    (opt.disk && disk_open(opt.disk)))
		return 1;
	if (migctl) {
		/* migctl listen receives the migration into this VM. */
		lfd = -1;
	} else {
		lfd = net_listen(addr, port);
		if (lfd < 0)
			return 1;
		fd = net_accept(lfd, 120000);
		if (fd < 0 || vmig_mig_start(vmfd, &in, &fd, 1)) {
			fprintf(stderr, "vmig-guest: no migration arrived\n");
			return 1;
		}
		close(fd);
	}
	ret = receive(name, vmfd, lfd, &st);
	if (lfd >= 0)
		close(lfd);
	if (ret)
		return 1;
	blob = take_blob(vmfd);
	if (!blob) {
		fprintf(stderr, "vmig-guest: bad device state\n");
		return 1;
	}
	opt.content = cpu.content;
	if (check_state()) {
		fprintf(stderr, "vmig-guest: the guest's state makes no sense\n");
		return 1;
	}
	if (disk_present()) {
		ret = disk_import((char *)blob + sizeof(cpu), cpu.pkg_len, &imp);
		if (ret) {
			fprintf(stderr, "vmig-guest: disk import: %s\n",
				strerror(-ret));
			return 1;
		}
	}
	free(blob);
	/* Ready to resume: the guest's gap ends here (checking is ours). */
	resume_ns = now_ns(CLOCK_REALTIME);
	/* Across hosts, their clocks' offset is in it too (signed). */
	gap_ms = ((__s64)resume_ns - (__s64)hdr->heartbeat_ns) / 1000000;
	resumed_at = hdr->steps;
	bad[0] = verify();
	if (disk_present())
		dbad[0] = disk_verify();
	guest_run(&t);
	usleep(run_ms * 1000);
	guest_pause(&t);
	if (disk_present()) {
		disk_stop();
		dbad[1] = disk_verify();
	}
	bad[1] = verify();
	target_report(name, &st, &imp, gap_ms, bad, dbad, resumed_at, run_ms);
	ret = bad[0] || bad[1] || dbad[0] || dbad[1] || imp.failed ||
	      imp.lost || hdr->disk_bad_reads || hdr->disk_errors ||
	      (disk_present() && disk_unanswered());
	if (!opt.json)
		printf("  verdict: %s\n", ret ? "CORRUPT" : "intact");
	return ret ? 1 : 0;
}

static void die_usage(void)
{
	fprintf(stderr,
		"usage: vmig-guest source NAME HOST:PORT|--migctl [--size SIZE] [--rate PAGES/S]\n"
		"           [--pattern random|seq|hot] [--content mixed|zero|text|random]\n"
		"           [--streams N] [--compress auto|lz4|none] [--downtime-ms MS]\n"
		"           [--group-pages N|auto] [--max-bandwidth BYTES/S] [--max-rounds N]\n"
		"           [--disk DEV] [--disk-depth N] [--disk-rate IOPS] [--hold-ms MS]\n"
		"           [--late-io N]\n"
		"           [--cancel-at precopy|handoff|switchover] [--on-stall force|cancel]\n"
		"           [--progress] [--json]\n"
		"       vmig-guest target NAME [--size SIZE] [--addr ADDR] [--port PORT]\n"
		"           [--disk DEV] [--run-ms MS] [--migctl] [--json]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'r' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "content", required_argument, NULL, 'c' },
		{ "streams", required_argument, NULL, 's' },
		{ "compress", required_argument, NULL, 'C' },
		{ "downtime-ms", required_argument, NULL, 'd' },
		{ "group-pages", required_argument, NULL, 'g' },
		{ "max-bandwidth", required_argument, NULL, 'b' },
		{ "max-rounds", required_argument, NULL, 'm' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'P' },
		{ "run-ms", required_argument, NULL, 'R' },
		{ "cancel-at", required_argument, NULL, 'x' },
		{ "disk", required_argument, NULL, 'D' },
		{ "disk-depth", required_argument, NULL, 'q' },
		{ "disk-rate", required_argument, NULL, 'i' },
		{ "hold-ms", required_argument, NULL, 'h' },
		{ "on-stall", required_argument, NULL, 'o' },
		{ "late-io", required_argument, NULL, 'L' },
		{ "progress", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{ "migctl", no_argument, NULL, 'M' },
		{}
	};
	struct vmig_mig_start start = { .compress = VMIG_COMPRESS_AUTO,
					.group_pages = VMIG_GROUP_AUTO };
	const char *addr = NULL, *port = "7070";
	enum cancel_at cancel_at = NEVER;
	unsigned int run_ms = 1000;
	bool show = false, migctl = false;
	const char *target = NULL;
	int streams = 2, c;

	if (argc < 3)
		die_usage();
	optind = 3;
	if (!strcmp(argv[1], "source") && argc > 3 && argv[3][0] != '-')
		target = argv[optind++];
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			opt.nr_pages = strtoull(optarg, NULL, 0) * 256;
			break;
		case 'r':
			opt.rate = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			opt.pattern = !strcmp(optarg, "seq") ? SEQ :
				      !strcmp(optarg, "hot") ? HOT : RANDOM;
			break;
		case 'c':
			opt.content = !strcmp(optarg, "zero") ? ZERO :
				      !strcmp(optarg, "text") ? TEXT :
				      !strcmp(optarg, "random") ? NOISE : MIXED;
			break;
		case 's':
			streams = atoi(optarg);
			break;
		case 'C':
			start.compress = !strcmp(optarg, "none") ?
					 VMIG_COMPRESS_NONE :
					 !strcmp(optarg, "lz4") ?
					 VMIG_COMPRESS_LZ4 : VMIG_COMPRESS_AUTO;
			break;
		case 'd':
			start.downtime_ms = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			start.group_pages = strcmp(optarg, "auto") ?
					    strtoul(optarg, NULL, 0) : 0;
			break;
		case 'b':
			start.max_bandwidth = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			start.max_rounds = strtoul(optarg, NULL, 0);
			break;
		case 'a':
			addr = optarg;
			break;
		case 'P':
			port = optarg;
			break;
		case 'R':
			run_ms = strtoul(optarg, NULL, 0);
			break;
		case 'x':
			cancel_at = !strcmp(optarg, "precopy") ? PRECOPY :
				    !strcmp(optarg, "handoff") ? HANDOFF :
				    !strcmp(optarg, "switchover") ? SWITCHOVER :
				    NEVER;
			if (cancel_at == NEVER)
				die_usage();
			break;
		case 'D':
			opt.disk = optarg;
			break;
		case 'q':
			opt.disk_depth = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			opt.disk_rate = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			opt.hold_ms = strtoul(optarg, NULL, 0);
			break;
		case 'M':
			migctl = true;
			break;
		case 'L':
			opt.late_io = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			if (strcmp(optarg, "force") && strcmp(optarg, "cancel"))
				die_usage();
			opt.stall_cancel = !strcmp(optarg, "cancel");
			break;
		case 'v':
			show = true;
			break;
		case 'j':
			opt.json = true;
			break;
		default:
			die_usage();
		}
	}
	if (opt.nr_pages < 64 || streams < 1 || streams > VMIG_MIG_MAX_STREAMS ||
	    !opt.disk_depth || opt.disk_depth > DISK_MAX_DEPTH)
		die_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "source") && !target != !migctl)
		return run_source(argv[2], target, streams, &start, show,
				  cancel_at);
	if (!strcmp(argv[1], "target"))
		return run_target(argv[2], addr, port, run_ms, migctl);
	die_usage();
}
