// SPDX-License-Identifier: GPL-2.0
/*
 * vmig-guest: the VMM's memory side and the migration session, written
 * against vmig's public interface as a VMM would use it.
 *
 * The source, as a VMM: starts the session, waits for vmig to report that
 * the rest fits in the downtime (or that it cannot converge: it forces the
 * switchover), pauses its vCPU, hands its disk off (vmm_disk.c) and hands
 * over the device state with the disk's package. The target: accepts the
 * streams, waits for the end, takes the device state, imports the disk's
 * package, checks its memory and disk against the journals, reports the
 * heartbeat gap (the downtime as the guest saw it), and carries on for a
 * while, checking again.
 *
 * With migctl driving the session (migctl migrate --switchover vmm on the
 * source, migctl listen on the target), vmig-guest does only what a VMM
 * does: the switchover, the device state, the disk.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <vmig/libvmig.h>

#include "vmm.h"

/* A VMM and its guest. */
struct vmm {
	const struct vmm_opts *o;
	struct guest g;
	struct vdisk *disk;	/* NULL without --disk */
	int vmfd;
	__u64 deadline;		/* for a session to appear */
};

/*
 * Create VM @name and map its memory, for the guest; open its disk. What
 * it opens lasts as long as the program.
 */
static int vmm_open(struct vmm *v, const char *name)
{
	const struct vmm_opts *o = v->o;
	int dev = vmig_open_dev();
	void *mem;

	if (dev < 0)
		return -1;
	v->vmfd = vmig_vm_create(dev, name, o->nr_pages);
	close(dev);
	if (v->vmfd < 0) {
		fprintf(stderr, "vmig-guest: cannot create VM %s: %s\n", name,
			strerror(-v->vmfd));
		return -1;
	}
	mem = mmap(NULL, o->nr_pages * VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, v->vmfd, 0);
	if (mem == MAP_FAILED) {
		perror("vmig-guest: mmap");
		return -1;
	}
	guest_init(&v->g, mem, o->nr_pages);
	if (o->disk) {
		v->disk = vdisk_open(o->disk, &v->g);
		if (!v->disk)
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
static void vmm_run(struct vmm *v)
{
	if (guest_run(&v->g) ||
	    (v->disk && vdisk_start(v->disk, v->g.cpu.disk_depth,
				    v->g.cpu.disk_rate))) {
		fprintf(stderr, "vmig-guest: cannot start the guest's threads\n");
		exit(1);
	}
}

/* What the source's VMM saw of the switchover. */
struct source_report {
	bool handed_off;
	struct disk_handoff ho;
	__u64 paused_ms;	/* from the vCPU's pause to the end */
};

static void summary(const struct vmm *v, const char *name, const struct vmig_mig_status *st,
		    const struct vmig_vm_stats *vs,
		    const struct source_report *r)
{
	double moved = st->pages_sent * (double)VMIG_PAGE_SIZE;
	double ratio = st->bytes_wire ? moved / st->bytes_wire : 0;

	if (v->o->json) {
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
		       (unsigned long long)v->g.hdr->disk_writes,
		       (unsigned long long)v->g.hdr->disk_reads);
		printf("\"bytes_moved\":%.0f,\"bytes_wire\":%llu,\"ratio\":%.3f,",
		       moved, (unsigned long long)st->bytes_wire, ratio);
		printf("\"write_faults\":%llu,\"pages_dirtied\":%llu,\"steps\":%llu}\n",
		       (unsigned long long)vs->write_faults,
		       (unsigned long long)vs->pages_reported,
		       (unsigned long long)v->g.cpu.steps);
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
	printf("  pages: %llu zero, %llu lz4, %llu zstd, %llu raw\n",
	       (unsigned long long)st->zero_pages,
	       (unsigned long long)st->lz4_pages,
	       (unsigned long long)st->zstd_pages,
	       (unsigned long long)st->raw_pages);
	printf("  write faults %llu for %llu pages dirtied; the guest ran %llu steps\n",
	       (unsigned long long)vs->write_faults,
	       (unsigned long long)vs->pages_reported,
	       (unsigned long long)v->g.cpu.steps);
	if (!v->disk)
		return;
	printf("  disk: %llu writes and %llu reads done at the source;",
	       (unsigned long long)v->g.hdr->disk_writes,
	       (unsigned long long)v->g.hdr->disk_reads);
	printf(" %u IO cancelled at the hand-off\n", r->ho.cancelled);
}

/* The guest's own view of its disk, after its queue has stopped. */
static __u64 disk_check(struct vmm *v, const char *when)
{
	__u64 bad = vdisk_verify(v->disk);

	printf("  disk against the journal %s: %llu of %llu blocks differ;",
	       when, (unsigned long long)bad,
	       (unsigned long long)v->g.hdr->disk_blocks);
	printf(" reads that disagreed %llu, IO errors %llu, unanswered %llu\n",
	       (unsigned long long)v->g.hdr->disk_bad_reads,
	       (unsigned long long)v->g.hdr->disk_errors,
	       (unsigned long long)guest_disk_unanswered(&v->g));
	return bad + v->g.hdr->disk_bad_reads + v->g.hdr->disk_errors +
	       guest_disk_unanswered(&v->g);
}

/*
 * A cancelled or failed migration: the guest goes on here, as if nothing
 * happened. Run it a while and check its memory and disk against its
 * journals.
 */
static int carry_on(struct vmm *v, const char *what)
{
	struct vmig_vm_entry e = {};
	__u64 bad;

	if (atomic_load(&v->g.paused))
		guest_run(&v->g);
	usleep(500000);
	guest_pause(&v->g);
	if (v->disk)
		vdisk_stop(v->disk);
	bad = guest_verify(&v->g);
	vmig_vm_info(v->vmfd, &e);
	printf("  %s: the guest ran on to step %llu;", what,
	       (unsigned long long)v->g.cpu.steps);
	printf(" %llu pages differ from the journal; tracking %s\n",
	       (unsigned long long)bad, e.group_pages ? "still on" : "off");
	if (v->disk)
		bad += disk_check(v, "at the source");
	return bad || e.group_pages ? 1 : 0;
}

/*
 * The VMM's part of the switchover: stop the vCPU, hand the disk off,
 * hand over the device state (the vCPU's and the disk's package).
 */
static int switchover(struct vmm *v, struct source_report *r,
		      enum cancel_at cancel_at)
{
	size_t len = sizeof(v->g.cpu);
	void *pkg = NULL, *blob;
	int ret;

	guest_pause(&v->g);
	v->g.cpu.pause_ns = now_ns(CLOCK_REALTIME);
	if (v->disk) {
		ret = vdisk_handoff(v->disk, &r->ho, &pkg, v->o->late_io);
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
		if (v->o->hold_ms)
			usleep(v->o->hold_ms * 1000);
		len += r->ho.pkg_len;
	}
	v->g.cpu.pkg_len = r->ho.pkg_len;
	blob = malloc(len);
	if (!blob) {
		free(pkg);
		return -ENOMEM;
	}
	memcpy(blob, &v->g.cpu, sizeof(v->g.cpu));
	if (pkg)
		memcpy((char *)blob + sizeof(v->g.cpu), pkg, r->ho.pkg_len);
	free(pkg);
	ret = vmig_mig_switchover(v->vmfd, blob, len);
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
static bool wait_session(struct vmm *v, struct vmig_mig_status *st)
{
	int ret;

	if (!v->deadline)
		v->deadline = now_ns(CLOCK_MONOTONIC) + 300000000000ULL;
	while ((ret = vmig_mig_status(v->vmfd, st, true)) == -ENOENT &&
	       now_ns(CLOCK_MONOTONIC) < v->deadline)
		usleep(100000);
	if (ret)
		fprintf(stderr, "vmig-guest: no migration: %s\n",
			strerror(-ret));
	return !ret;
}

/* TLS on a stream, with the key of --psk; nothing with --insecure. */
static int vmm_secure(struct vmm *v, int fd, bool server)
{
	struct vmig_tls_cfg cfg = { .psk_file = v->o->psk_file };
	char err[512];

	if (!cfg.psk_file)
		return 0;
	if (!vmig_tls_handshake(fd, &cfg, server, err, sizeof(err)))
		return 0;
	fprintf(stderr, "vmig-guest: %s\n", err);
	return -1;
}

static int source(struct vmm *v, const char *name, const char *target,
		  int streams, struct vmig_mig_start *start, bool show,
		  enum cancel_at cancel_at)
{
	int fds[VMIG_MIG_MAX_STREAMS], i, ret;
	struct pollfd p = { .events = POLLIN };
	struct source_report r = {};
	bool switched = false, gave_up = false;
	struct vmig_mig_status st;
	struct vmig_vm_stats vs;
	char host[256], port[32];
	__u64 pause_ns = 0;

	if ((target && vmig_net_split(target, host, sizeof(host), port,
				      sizeof(port))) ||
	    vmm_open(v, name) ||
	    guest_boot(&v->g, &v->o->regs, vdisk_blocks(v->disk)) ||
	    (v->disk && vdisk_format(v->disk)))
		return 1;
	p.fd = v->vmfd;
	vmm_run(v);
	usleep(200000);
	for (i = 0; target && i < streams; i++) {
		fds[i] = vmig_net_connect(host, port);
		if (fds[i] < 0 || vmm_secure(v, fds[i], false))
			return 1;
	}
	ret = target ? vmig_mig_start(v->vmfd, start, fds, streams) : 0;
	for (i = 0; target && i < streams; i++)
		close(fds[i]);
	if (ret) {
		fprintf(stderr, "vmig-guest: cannot migrate: %s\n",
			strerror(-ret));
		return 1;
	}
	for (;;) {
		if (!wait_session(v, &st))
			return 1;
		if (show)
			progress(&st);
		if (vmig_mig_ended(st.state))
			break;
		if (!gave_up && ((cancel_at == PRECOPY && st.round >= 1) ||
				 (st.state == VMIG_MIG_STATE_STALLED &&
				  v->o->stall_cancel))) {
			/* This VMM gives up: the guest stays here. */
			if (st.state == VMIG_MIG_STATE_STALLED)
				printf("stalled: %llu pages dirty, expected downtime %llu ms: %s\n",
				       (unsigned long long)st.pages_remaining,
				       (unsigned long long)st.expected_downtime_ms,
				       "cancelling");
			vmig_mig_cancel(v->vmfd);
			gave_up = true;
		}
		if ((st.state == VMIG_MIG_STATE_READY ||
		     st.state == VMIG_MIG_STATE_STALLED) && !pause_ns &&
		    !gave_up) {
			pause_ns = now_ns(CLOCK_MONOTONIC);
			ret = switchover(v, &r, cancel_at);
			switched = !ret;
			gave_up = cancel_at == HANDOFF ||
				  cancel_at == SWITCHOVER;
			if ((ret || cancel_at == SWITCHOVER) &&
			    vmig_mig_cancel(v->vmfd) == -EBUSY)
				/* END is out: the target decides now. */
				printf("cancel refused: the switchover's end is out\n");
		}
		poll(&p, 1, 200);
	}
	if (pause_ns)
		r.paused_ms = (now_ns(CLOCK_MONOTONIC) - pause_ns) / 1000000;
	if (show)
		fprintf(stderr, "\n");
	vmig_vm_stats(v->vmfd, &vs);
	if (st.state == VMIG_MIG_STATE_DONE) {
		/* The target runs the guest: its held IO ends here. */
		ret = r.handed_off ? vdisk_complete(v->disk) : 0;
		if (ret)
			fprintf(stderr, "vmig-guest: completing the disk: %s\n",
				strerror(-ret));
		summary(v, name, &st, &vs, &r);
		return ret ? 1 : 0;
	}
	summary(v, name, &st, &vs, &r);
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
		vdisk_release(v->disk);
	ret = carry_on(v, st.state == VMIG_MIG_STATE_CANCELLED ?
		       "cancelled" : "failed");
	return gave_up && st.state == VMIG_MIG_STATE_CANCELLED ? ret : 1;
}

/*
 * The state that came over the network (the device state and the guest's
 * memory) makes sense: the target runs on it.
 */
static int check_state(struct vmm *v)
{
	int ret = guest_check_state(&v->g, vdisk_blocks(v->disk));

	if (!ret && v->disk)
		ret = vdisk_attach(v->disk, v->g.cpu.disk_depth);
	return ret;
}

/* Take the device state: the vCPU's, then the disk's package. */
static void *take_blob(struct vmm *v)
{
	__u64 len = sizeof(v->g.cpu);
	void *blob = NULL;
	__s64 ret;

	do {
		free(blob);
		blob = malloc(len);
		if (!blob)
			return NULL;
		ret = vmig_mig_get_blob(v->vmfd, blob, len, &len);
	} while (ret == -EMSGSIZE);
	if (ret < (__s64)sizeof(v->g.cpu) ||
	    ((struct cpu *)blob)->magic != GUEST_MAGIC ||
	    ((struct cpu *)blob)->pkg_len != ret - sizeof(v->g.cpu)) {
		free(blob);
		return NULL;
	}
	memcpy(&v->g.cpu, blob, sizeof(v->g.cpu));
	return blob;
}

/*
 * Accept the streams on @lfd (or let migctl do it: -1) until the session
 * ends; 0 when it is done.
 */
static int receive(struct vmm *v, const char *name, int lfd,
		   struct vmig_mig_status *st)
{
	struct pollfd p = { .fd = v->vmfd, .events = POLLIN };
	int fd;

	for (;;) {
		if (!wait_session(v, st))
			return -1;
		if (vmig_mig_ended(st->state))
			break;
		/*
		 * Before the first HELLO the number of streams is not known
		 * (0): accept meanwhile, since the source does the TLS
		 * handshake of every stream before it starts.
		 */
		if (lfd >= 0 && st->state == VMIG_MIG_STATE_CONNECTING &&
		    (!st->nr_streams || st->nr_streams > st->streams_attached)) {
			fd = vmig_net_accept(lfd, 1000);
			if (fd >= 0 && !vmm_secure(v, fd, true))
				vmig_mig_add_stream(v->vmfd, fd);
			if (fd >= 0)
				close(fd);
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
	       v->disk ? "; the disk still waits for a package" : "");
	return -1;
}

static void target_report(const struct vmm *v, const char *name, const struct vmig_mig_status *st,
			  const struct disk_import *imp, __s64 gap_ms,
			  const __u64 bad[2], const __u64 dbad[2],
			  __u64 resumed_at, unsigned int run_ms)
{
	if (v->o->json) {
		printf("{\"vm\":\"%s\",\"role\":\"guest\",\"pages_checked\":%llu,",
		       name, (unsigned long long)(v->g.nr_pages - v->g.first_data));
		printf("\"pages_bad\":%llu,\"pages_bad_after_running\":%llu,",
		       (unsigned long long)bad[0], (unsigned long long)bad[1]);
		printf("\"blocks_checked\":%llu,\"blocks_bad\":%llu,",
		       (unsigned long long)v->g.hdr->disk_blocks,
		       (unsigned long long)dbad[0]);
		printf("\"blocks_bad_after_running\":%llu,",
		       (unsigned long long)dbad[1]);
		printf("\"io_reissued\":%u,\"io_resubmitted\":%u,\"io_unsent\":%u,",
		       imp->reissued, imp->resubmit, imp->unsent);
		printf("\"io_failed\":%u,\"io_lost\":%u,\"import_ms\":%llu,",
		       imp->failed, imp->lost, (unsigned long long)imp->ms);
		printf("\"io_unanswered\":%llu,",
		       (unsigned long long)guest_disk_unanswered(&v->g));
		printf("\"heartbeat_gap_ms\":%lld,\"downtime_ms\":%llu,\"steps\":%llu}\n",
		       (long long)gap_ms,
		       (unsigned long long)st->downtime_ms,
		       (unsigned long long)v->g.cpu.steps);
		return;
	}
	printf("VM %s resumed on the target after step %llu\n", name,
	       (unsigned long long)resumed_at);
	printf("  heartbeat gap seen by the guest: %lld ms",
	       (long long)gap_ms);
	printf(" (vmig downtime %llu ms on this side)\n",
	       (unsigned long long)st->downtime_ms);
	if (v->disk) {
		printf("  disk: package imported in %llu ms:",
		       (unsigned long long)imp->ms);
		printf(" %u writes reissued, %u reads resubmitted,",
		       imp->reissued, imp->resubmit);
		printf(" %u requests the source never sent resubmitted, %u failed, %u lost\n",
		       imp->unsent, imp->failed, imp->lost);
	}
	printf("  memory against the journal: %llu of %llu pages differ;",
	       (unsigned long long)bad[0],
	       (unsigned long long)(v->g.nr_pages - v->g.first_data));
	printf(" after running %u ms more: %llu\n", run_ms,
	       (unsigned long long)bad[1]);
	if (v->disk) {
		printf("  disk against the journal: %llu of %llu blocks differ;",
		       (unsigned long long)dbad[0],
		       (unsigned long long)v->g.hdr->disk_blocks);
		printf(" after running: %llu; reads that disagreed %llu,",
		       (unsigned long long)dbad[1],
		       (unsigned long long)v->g.hdr->disk_bad_reads);
		printf(" IO errors %llu, unanswered %llu\n",
		       (unsigned long long)v->g.hdr->disk_errors,
		       (unsigned long long)guest_disk_unanswered(&v->g));
	}
}

static int target(struct vmm *v, const char *name, const char *addr,
		  const char *port, unsigned int run_ms, bool migctl)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	__u64 bad[2], dbad[2] = {}, resume_ns, resumed_at;
	__s64 gap_ms;
	int lfd, fd, ret;
	struct disk_import imp = {};
	struct vmig_mig_status st;
	void *blob;

	if (vmm_open(v, name))
		return 1;
	if (migctl) {
		/* migctl listen receives the migration into this VM. */
		lfd = -1;
	} else {
		lfd = vmig_net_listen(addr, port);
		if (lfd < 0)
			return 1;
		fd = vmig_net_accept(lfd, 120000);
		if (fd < 0 || vmm_secure(v, fd, true) ||
		    vmig_mig_start(v->vmfd, &in, &fd, 1)) {
			fprintf(stderr, "vmig-guest: no migration arrived\n");
			return 1;
		}
		close(fd);
	}
	ret = receive(v, name, lfd, &st);
	if (lfd >= 0)
		close(lfd);
	if (ret)
		return 1;
	blob = take_blob(v);
	if (!blob) {
		fprintf(stderr, "vmig-guest: bad device state\n");
		return 1;
	}
	if (check_state(v)) {
		fprintf(stderr, "vmig-guest: the guest's state makes no sense\n");
		return 1;
	}
	if (v->disk) {
		ret = vdisk_import(v->disk, (char *)blob + sizeof(v->g.cpu),
				   v->g.cpu.pkg_len, &imp);
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
	gap_ms = ((__s64)resume_ns - (__s64)v->g.hdr->heartbeat_ns) / 1000000;
	resumed_at = v->g.hdr->steps;
	bad[0] = guest_verify(&v->g);
	if (v->disk)
		dbad[0] = vdisk_verify(v->disk);
	vmm_run(v);
	usleep(run_ms * 1000);
	guest_pause(&v->g);
	if (v->disk) {
		vdisk_stop(v->disk);
		dbad[1] = vdisk_verify(v->disk);
	}
	bad[1] = guest_verify(&v->g);
	target_report(v, name, &st, &imp, gap_ms, bad, dbad, resumed_at, run_ms);
	ret = bad[0] || bad[1] || dbad[0] || dbad[1] || imp.failed ||
	      imp.lost || v->g.hdr->disk_bad_reads || v->g.hdr->disk_errors ||
	      (v->disk && guest_disk_unanswered(&v->g));
	if (!v->o->json)
		printf("  verdict: %s\n", ret ? "CORRUPT" : "intact");
	return ret ? 1 : 0;
}

int vmm_source(const struct vmm_opts *o, const char *name,
	       const char *target, int streams, struct vmig_mig_start *start,
	       bool show, enum cancel_at cancel_at)
{
	struct vmm v = { .o = o, .vmfd = -1 };

	return source(&v, name, target, streams, start, show, cancel_at);
}

int vmm_target(const struct vmm_opts *o, const char *name, const char *addr,
	       const char *port, unsigned int run_ms, bool migctl)
{
	struct vmm v = { .o = o, .vmfd = -1 };

	return target(&v, name, addr, port, run_ms, migctl);
}
