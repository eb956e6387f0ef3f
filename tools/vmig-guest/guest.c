// SPDX-License-Identifier: GPL-2.0
/*
 * vmig-guest: a program that plays both a VMM and its guest, written
 * against vmig's public interface as a VMM would use it, to show and test
 * a live migration end to end.
 *
 * The guest keeps all its state in its vmig memory: a header (page 0), a
 * journal (the generation of every data page) and the data pages, whose
 * content is a function of their index and generation, so that anyone can
 * check the memory against the journal. A worker thread (the vCPU) writes
 * pages at a set rate and pattern, bumping their generation, and a
 * heartbeat. Its registers (RNG, cursor, step count) are the device state
 * handed over at the switchover.
 *
 *   vmig-guest source NAME HOST:PORT [options]   run, then migrate away
 *   vmig-guest target NAME [options]             receive, verify, run on
 *
 * The source, as a VMM: starts the session, waits for vmig to report that
 * the rest fits in the downtime (or that it cannot converge: it forces the
 * switchover), pauses its vCPU, hands over the device state. The target:
 * accepts the streams, waits for the end, takes the device state, checks
 * its memory against the journal, reports the heartbeat gap (the downtime
 * as the guest saw it), and carries on for a while, checking again.
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

#define PAGE 4096UL
#define GUEST_MAGIC 0x54535547564d4956ULL	/* "VIMVGUST" */

enum pattern { SEQ, RANDOM, HOT };
enum content { MIXED, ZERO, TEXT, NOISE };

/* Page 0 of the guest's memory. */
struct header {
	__u64 magic;
	__u64 nr_pages;
	__u64 table_pages;
	__u64 heartbeat_ns;	/* CLOCK_REALTIME of the last step */
	__u64 steps;
};

/* The vCPU's registers: the device state. */
struct cpu {
	__u64 magic;
	__u64 rng;
	__u64 cursor;
	__u64 steps;
	__u32 pattern;
	__u32 content;
	__u32 rate;
	__u32 __pad;
	__u64 pause_ns;		/* CLOCK_REALTIME when the VMM paused it */
};

static struct {
	__u64 nr_pages;
	unsigned int rate;
	enum pattern pattern;
	enum content content;
	bool json;
} opt = { .nr_pages = 256 * 256, .rate = 20000, .pattern = RANDOM };

static unsigned char *mem;
static struct header *hdr;
static __u32 *table;
static __u64 first_data;
static struct cpu cpu;
static atomic_bool paused;

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static __u64 rnd(__u64 *s)
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

static void layout(void)
{
	hdr = (struct header *)mem;
	table = (__u32 *)(mem + PAGE);
	first_data = 1 + (opt.nr_pages * 4 + PAGE - 1) / PAGE;
}

/* Boot: every data page at generation 0, as the journal says. */
static void boot(void)
{
	__u64 i;

	layout();
	hdr->magic = GUEST_MAGIC;
	hdr->nr_pages = opt.nr_pages;
	hdr->table_pages = first_data - 1;
	for (i = first_data; i < opt.nr_pages; i++)
		page_content(mem + i * PAGE, i, 0);
	cpu = (struct cpu) {
		.magic = GUEST_MAGIC, .rng = 0x2545f4914f6cdd1dULL,
		.cursor = first_data, .pattern = opt.pattern,
		.content = opt.content, .rate = opt.rate,
	};
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

static void summary(const char *name, const struct vmig_mig_status *st,
		    const struct vmig_vm_stats *vs)
{
	double moved = st->pages_sent * (double)PAGE;
	double ratio = st->bytes_wire ? moved / st->bytes_wire : 0;

	if (opt.json) {
		printf("{\"vm\":\"%s\",\"role\":\"source\",\"state\":\"%s\",",
		       name, vmig_mig_state_name(st->state));
		printf("\"total_ms\":%llu,\"downtime_ms\":%llu,\"rounds\":%u,",
		       (unsigned long long)st->total_ms,
		       (unsigned long long)st->downtime_ms, st->round + 1);
		printf("\"bytes_moved\":%.0f,\"bytes_wire\":%llu,\"ratio\":%.3f,",
		       moved, (unsigned long long)st->bytes_wire, ratio);
		printf("\"write_faults\":%llu,\"pages_dirtied\":%llu,\"steps\":%llu}\n",
		       (unsigned long long)vs->write_faults,
		       (unsigned long long)vs->pages_reported,
		       (unsigned long long)cpu.steps);
		return;
	}
	printf("VM %s: migration %s\n", name, vmig_mig_state_name(st->state));
	printf("  total time %llu ms, downtime %llu ms (pause to target ready), %u rounds\n",
	       (unsigned long long)st->total_ms,
	       (unsigned long long)st->downtime_ms, st->round + 1);
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
}

enum cancel_at { NEVER, PRECOPY, SWITCHOVER };

/*
 * A cancelled migration: the guest goes on here, as if nothing happened.
 * Run it a while and check its memory against its journal.
 */
static int carry_on(int vmfd, pthread_t *t)
{
	struct vmig_vm_entry e = {};
	__u64 bad;

	if (atomic_load(&paused)) {
		atomic_store(&paused, false);
		pthread_create(t, NULL, vcpu, NULL);
	}
	usleep(500000);
	atomic_store(&paused, true);
	pthread_join(*t, NULL);
	bad = verify();
	vmig_vm_info(vmfd, &e);
	printf("  cancelled: the guest ran on to step %llu;",
	       (unsigned long long)cpu.steps);
	printf(" %llu pages differ from the journal; tracking %s\n",
	       (unsigned long long)bad, e.group_pages ? "still on" : "off");
	return bad || e.group_pages ? 1 : 0;
}

static int run_source(const char *name, const char *target, int streams,
		      struct vmig_mig_start *start, bool show,
		      enum cancel_at cancel_at)
{
	int dev = vmig_open_dev(), vmfd, fds[VMIG_MIG_MAX_STREAMS], i, ret;
	struct pollfd p = { .events = POLLIN };
	struct vmig_mig_status st;
	struct vmig_vm_stats vs;
	char host[256], port[32];
	pthread_t t;

	if (dev < 0 || net_split(target, host, sizeof(host), port,
				 sizeof(port)) || map_vm(dev, name, &vmfd))
		return 1;
	boot();
	pthread_create(&t, NULL, vcpu, NULL);
	usleep(200000);
	for (i = 0; i < streams; i++) {
		fds[i] = net_connect(host, port);
		if (fds[i] < 0)
			return 1;
	}
	ret = vmig_mig_start(vmfd, start, fds, streams);
	for (i = 0; i < streams; i++)
		close(fds[i]);
	if (ret) {
		fprintf(stderr, "vmig-guest: cannot migrate: %s\n",
			strerror(-ret));
		return 1;
	}
	p.fd = vmfd;
	for (;;) {
		vmig_mig_status(vmfd, &st, 1);
		if (show)
			progress(&st);
		if (vmig_mig_ended(st.state))
			break;
		if (cancel_at == PRECOPY && st.round >= 1) {
			vmig_mig_cancel(vmfd);
			continue;
		}
		if ((st.state == VMIG_MIG_STATE_READY ||
		     st.state == VMIG_MIG_STATE_STALLED) &&
		    !atomic_load(&paused)) {
			/* The VMM's part: stop the vCPU, hand its state. */
			atomic_store(&paused, true);
			pthread_join(t, NULL);
			cpu.pause_ns = now_ns(CLOCK_REALTIME);
			ret = vmig_mig_switchover(vmfd, &cpu, sizeof(cpu));
			if (cancel_at == SWITCHOVER)
				vmig_mig_cancel(vmfd);
			if (ret) {
				fprintf(stderr, "vmig-guest: switchover: %s\n",
					strerror(-ret));
				vmig_mig_cancel(vmfd);
			}
		}
		poll(&p, 1, 200);
	}
	if (show)
		fprintf(stderr, "\n");
	vmig_vm_stats(vmfd, &vs);
	summary(name, &st, &vs);
	if (cancel_at != NEVER)
		return st.state == VMIG_MIG_STATE_CANCELLED ?
		       carry_on(vmfd, &t) : 1;
	if (st.state != VMIG_MIG_STATE_DONE)
		fprintf(stderr, "vmig-guest: the migration %s: %s\n",
			vmig_mig_state_name(st.state), strerror(st.error));
	return st.state == VMIG_MIG_STATE_DONE ? 0 : 1;
}

static int run_target(const char *name, const char *addr, const char *port,
		      unsigned int run_ms)
{
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	int dev = vmig_open_dev(), vmfd, lfd, fd, ret;
	struct pollfd p = { .events = POLLIN };
	struct vmig_mig_status st;
	__u64 bad, bad_after, resume_ns, gap_ms;
	pthread_t t;

	if (dev < 0 || map_vm(dev, name, &vmfd))
		return 1;
	lfd = net_listen(addr, port);
	if (lfd < 0)
		return 1;
	fd = net_accept(lfd, 120000);
	if (fd < 0 || vmig_mig_start(vmfd, &in, &fd, 1)) {
		fprintf(stderr, "vmig-guest: no migration arrived\n");
		return 1;
	}
	close(fd);
	p.fd = vmfd;
	for (;;) {
		vmig_mig_status(vmfd, &st, 1);
		if (vmig_mig_ended(st.state))
			break;
		if (st.state == VMIG_MIG_STATE_CONNECTING &&
		    st.nr_streams > st.streams_attached) {
			fd = net_accept(lfd, 1000);
			if (fd >= 0) {
				vmig_mig_add_stream(vmfd, fd);
				close(fd);
			}
			continue;
		}
		poll(&p, 1, 200);
	}
	/* Ready to resume: the guest's gap ends here (checking is ours). */
	resume_ns = now_ns(CLOCK_REALTIME);
	close(lfd);
	if (st.state != VMIG_MIG_STATE_DONE) {
		fprintf(stderr, "vmig-guest: the migration %s: %s\n",
			vmig_mig_state_name(st.state), strerror(st.error));
		return 1;
	}
	ret = vmig_mig_get_blob(vmfd, &cpu, sizeof(cpu), NULL);
	if (ret != sizeof(cpu) || cpu.magic != GUEST_MAGIC) {
		fprintf(stderr, "vmig-guest: bad device state\n");
		return 1;
	}
	opt.content = cpu.content;
	layout();
	gap_ms = (resume_ns - hdr->heartbeat_ns) / 1000000;
	bad = verify();
	pthread_create(&t, NULL, vcpu, NULL);
	usleep(run_ms * 1000);
	atomic_store(&paused, true);
	pthread_join(t, NULL);
	bad_after = verify();
	if (opt.json) {
		printf("{\"vm\":\"%s\",\"role\":\"guest\",\"pages_checked\":%llu,",
		       name, (unsigned long long)(opt.nr_pages - first_data));
		printf("\"pages_bad\":%llu,\"pages_bad_after_running\":%llu,",
		       (unsigned long long)bad, (unsigned long long)bad_after);
		printf("\"heartbeat_gap_ms\":%llu,\"downtime_ms\":%llu,\"steps\":%llu}\n",
		       (unsigned long long)gap_ms,
		       (unsigned long long)st.downtime_ms,
		       (unsigned long long)cpu.steps);
	} else {
		printf("VM %s resumed on the target after step %llu\n", name,
		       (unsigned long long)hdr->steps);
		printf("  heartbeat gap seen by the guest: %llu ms",
		       (unsigned long long)gap_ms);
		printf(" (vmig downtime %llu ms on this side)\n",
		       (unsigned long long)st.downtime_ms);
		printf("  memory against the journal: %llu of %llu pages differ;",
		       (unsigned long long)bad,
		       (unsigned long long)(opt.nr_pages - first_data));
		printf(" after running %u ms more: %llu\n", run_ms,
		       (unsigned long long)bad_after);
		printf("  verdict: %s\n", bad || bad_after ? "CORRUPT" : "intact");
	}
	return bad || bad_after ? 1 : 0;
}

static void die_usage(void)
{
	fprintf(stderr,
		"usage: vmig-guest source NAME HOST:PORT [--size SIZE] [--rate PAGES/S]\n"
		"           [--pattern random|seq|hot] [--content mixed|zero|text|random]\n"
		"           [--streams N] [--compress auto|lz4|none] [--downtime-ms MS]\n"
		"           [--group-pages N|auto] [--max-bandwidth BYTES/S] [--max-rounds N]\n"
		"           [--cancel-at precopy|switchover] [--progress] [--json]\n"
		"       vmig-guest target NAME [--size SIZE] [--addr ADDR] [--port PORT]\n"
		"           [--run-ms MS] [--json]\n");
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
		{ "progress", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	struct vmig_mig_start start = { .compress = VMIG_COMPRESS_AUTO,
					.group_pages = VMIG_GROUP_AUTO };
	const char *addr = NULL, *port = "7070";
	enum cancel_at cancel_at = NEVER;
	unsigned int run_ms = 1000;
	int streams = 2, c;
	bool show = false;

	if (argc < 3 || (!strcmp(argv[1], "source") && argc < 4))
		die_usage();
	optind = strcmp(argv[1], "source") ? 3 : 4;
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
				    !strcmp(optarg, "switchover") ? SWITCHOVER :
				    NEVER;
			if (cancel_at == NEVER)
				die_usage();
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
	if (opt.nr_pages < 64 || streams < 1 || streams > VMIG_MIG_MAX_STREAMS)
		die_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "source"))
		return run_source(argv[2], argv[3], streams, &start, show,
				  cancel_at);
	if (!strcmp(argv[1], "target"))
		return run_target(argv[2], addr, port, run_ms);
	die_usage();
}
