// SPDX-License-Identifier: GPL-2.0
/*
 * track_bench: write tracking, vmig against its peers, side by side.
 *
 * For each mechanism and workload: populate the memory, arm tracking, then
 * for a few rounds run the workload (timed, faults counted with
 * getrusage()) and harvest (timed). Mechanisms: vmig with groups of 1, 16,
 * 64 and 512 pages; userfaultfd write-protect in async mode harvested with
 * PAGEMAP_SCAN, and soft-dirty (clear_refs + pagemap), both on anonymous
 * memory; and the same memories untracked, for the throughput baselines.
 *
 * Prints a table of ratios, then the figures as one JSON object on a line
 * of its own after "JSON ".
 *
 *   track_bench [MiB] [rounds]   (default 128 MiB, 9 rounds)
 *
 * All mechanisms are set up at once and run interleaved, round by round;
 * times are medians over the rounds.
 */
#include <err.h>
#include <stdbool.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <vmig/libvmig.h>

#define fallthrough __attribute__((__fallthrough__))

enum kind { VMIG, VMIG_UNTRACKED, ANON_UNTRACKED, UFFD_WP, SOFT_DIRTY };

struct mech {
	const char *name;
	enum kind kind;
	unsigned int group;
};

static const struct mech mechs[] = {
	{ "untracked-vmig", VMIG_UNTRACKED, 0 },
	{ "untracked-anon", ANON_UNTRACKED, 0 },
	{ "vmig-g1", VMIG, 1 },
	{ "vmig-g16", VMIG, 16 },
	{ "vmig-g64", VMIG, 64 },
	{ "vmig-g512", VMIG, 512 },
	{ "vmig-auto", VMIG, VMIG_GROUP_AUTO },
	{ "uffd-wp-async", UFFD_WP, 0 },
	{ "soft-dirty", SOFT_DIRTY, 0 },
	/* soft-dirty's baseline, in its own process (see alone()) */
	{ "untracked-anon-sd", ANON_UNTRACKED, 1 },
};

static const char * const workloads[] = {
	"sequential", "random", "hot-set", "mixed"
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NR_MECHS ARRAY_SIZE(mechs)
#define NR_WORKLOADS ARRAY_SIZE(workloads)

/* The cost model of automatic group sizes: a fault costs 16 pages sent. */
#define FAULT_COST 16
#define MAX_ROUNDS 64

struct ctx {
	const struct mech *m;
	__u64 npages;
	char *mem;
	int dev, vmfd, uffd, pagemap, clear_refs;
	char name[VMIG_NAME_MAX];
	__u64 *bm;
	struct page_region *vec;
};

struct result {
	double faults, written, reported, write_s, harvest_s;
};

/* Shared, so that a child process can fill in its mechanism's row. */
static struct result (*results)[NR_WORKLOADS];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void setup(struct ctx *c)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_WP_ASYNC };
	struct uffdio_register reg = { 0 };
	__u64 i;

	c->bm = calloc((c->npages + 63) / 64, sizeof(__u64));
	c->vec = calloc(c->npages, sizeof(*c->vec));
	if (!c->bm || !c->vec)
		err(1, "calloc");
	if (c->m->kind == VMIG || c->m->kind == VMIG_UNTRACKED) {
		snprintf(c->name, sizeof(c->name), "bench-%d-%d", getpid(),
			 (int)(c->m - mechs));
		c->vmfd = vmig_vm_create(c->dev, c->name, c->npages);
		if (c->vmfd < 0)
			errx(1, "VMIG_VM_CREATE: %s", strerror(-c->vmfd));
		c->mem = mmap(NULL, c->npages * VMIG_PAGE_SIZE,
			      PROT_READ | PROT_WRITE, MAP_SHARED, c->vmfd, 0);
	} else {
		c->mem = mmap(NULL, c->npages * VMIG_PAGE_SIZE,
			      PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		/* Keep THP out: every peer tracks 4 KiB pages. */
		madvise(c->mem, c->npages * VMIG_PAGE_SIZE, MADV_NOHUGEPAGE);
	}
	if (c->mem == MAP_FAILED)
		err(1, "mmap");
	for (i = 0; i < c->npages; i++)
		c->mem[i * VMIG_PAGE_SIZE] = 1;

	switch (c->m->kind) {
	case VMIG:
		if (vmig_track_start(c->vmfd, c->m->group) ||
		    vmig_harvest(c->vmfd, 0, c->npages, 0, c->bm) < 0)
			errx(1, "cannot start vmig tracking");
		break;
	case UFFD_WP:
		c->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
		if (c->uffd < 0 || ioctl(c->uffd, UFFDIO_API, &api))
			err(1, "userfaultfd");
		reg.range.start = (uintptr_t)c->mem;
		reg.range.len = c->npages * VMIG_PAGE_SIZE;
		reg.mode = UFFDIO_REGISTER_MODE_WP;
		if (ioctl(c->uffd, UFFDIO_REGISTER, &reg))
			err(1, "UFFDIO_REGISTER");
		fallthrough;
	case SOFT_DIRTY:
		c->pagemap = open("/proc/self/pagemap", O_RDONLY);
		c->clear_refs = open("/proc/self/clear_refs", O_WRONLY);
		if (c->pagemap < 0 || c->clear_refs < 0)
			err(1, "/proc/self");
		break;
	default:
		break;
	}
}

static void teardown(struct ctx *c)
{
	munmap(c->mem, c->npages * VMIG_PAGE_SIZE);
	if (c->m->kind == VMIG || c->m->kind == VMIG_UNTRACKED) {
		close(c->vmfd);
		vmig_vm_destroy(c->dev, c->name);
	}
	if (c->m->kind == UFFD_WP)
		close(c->uffd);
	if (c->m->kind == UFFD_WP || c->m->kind == SOFT_DIRTY) {
		close(c->pagemap);
		close(c->clear_refs);
	}
	free(c->bm);
	free(c->vec);
}

/* Get and clear the dirty log; returns the pages reported. */
static __u64 harvest(struct ctx *c)
{
	struct pm_scan_arg arg = { .size = sizeof(arg) };
	__u64 i, n = 0, *pm;
	__s64 r;

	switch (c->m->kind) {
	case VMIG:
		r = vmig_harvest(c->vmfd, 0, c->npages, 0, c->bm);
		if (r < 0)
			errx(1, "VMIG_DIRTY_HARVEST: %s", strerror(-r));
		return r;
	case UFFD_WP:
		arg.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
		arg.start = (uintptr_t)c->mem;
		arg.end = arg.start + c->npages * VMIG_PAGE_SIZE;
		arg.vec = (uintptr_t)c->vec;
		arg.vec_len = c->npages;
		arg.category_mask = PAGE_IS_WRITTEN;
		arg.return_mask = PAGE_IS_WRITTEN;
		r = ioctl(c->pagemap, PAGEMAP_SCAN, &arg);
		if (r < 0)
			err(1, "PAGEMAP_SCAN");
		for (i = 0; i < (__u64)r; i++)
			n += (c->vec[i].end - c->vec[i].start) / VMIG_PAGE_SIZE;
		return n;
	case SOFT_DIRTY:
		pm = (__u64 *)c->vec;
		if (pread(c->pagemap, pm, c->npages * 8,
			  (uintptr_t)c->mem / VMIG_PAGE_SIZE * 8) !=
		    (ssize_t)(c->npages * 8))
			err(1, "pagemap");
		for (i = 0; i < c->npages; i++)
			n += (pm[i] >> 55) & 1;
		if (write(c->clear_refs, "4", 1) != 1)
			err(1, "clear_refs");
		return n;
	default:
		return 0;
	}
}

/*
 * The pages written by one round of a workload, 4 KiB each: a sequential
 * pass over memory; 1/64 of that at random; a pass where 90% of the writes
 * hit a tenth of memory; or the three side by side on thirds of memory.
 * Random picks change from round to round. Returns the number of writes.
 */
static __u64 sequence(int w, __u64 npages, int round, __u64 *seq)
{
	unsigned int seed = 7 + round;
	__u64 n = 0, i, third = npages / 3;

	switch (w) {
	case 0:
		for (i = 0; i < npages; i++)
			seq[n++] = i;
		break;
	case 1:
		for (i = 0; i < npages / 64; i++)
			seq[n++] = ((__u64)rand_r(&seed) << 16 ^ rand_r(&seed)) % npages;
		break;
	case 2:
		for (i = 0; i < npages; i++)
			seq[n++] = rand_r(&seed) % 10 ? rand_r(&seed) % (npages / 10) :
				   rand_r(&seed) % npages;
		break;
	default:
		for (i = 0; i < third; i++)
			seq[n++] = i;
		for (i = 0; i < third / 64; i++)
			seq[n++] = third + rand_r(&seed) % third;
		for (i = 0; i < third; i++)
			seq[n++] = 2 * third + (rand_r(&seed) % 10 ?
				   rand_r(&seed) % (third / 10) :
				   rand_r(&seed) % third);
		break;
	}
	return n;
}

static __u64 distinct(const __u64 *seq, __u64 n, __u64 npages)
{
	char *seen = calloc(npages, 1);
	__u64 i, d = 0;

	for (i = 0; i < n; i++)
		if (!seen[seq[i]]++)
			d++;
	free(seen);
	return d;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * clear_refs write-protects every PTE of the process, so soft-dirty runs
 * alone in a child process, and so does its baseline, in another; the rest
 * run together, interleaved.
 */
static bool alone(unsigned int mi)
{
	return mechs[mi].kind == SOFT_DIRTY ||
	       !strcmp(mechs[mi].name, "untracked-anon-sd");
}

/*
 * Run workload @w on the mechanisms @mask selects, interleaved: each round
 * runs all of them, in an order that rotates, so that drift in the host's
 * speed falls on all alike. Times are medians over the rounds, counts
 * means.
 */
static void run_set(int dev, int w, __u64 npages, int rounds, unsigned int mask)
{
	static struct ctx c[NR_MECHS];
	double write_s[NR_MECHS][MAX_ROUNDS], harvest_s[NR_MECHS][MAX_ROUNDS];
	__u64 *seq = malloc(npages * sizeof(*seq)), i, n, written;
	unsigned int k, mi;
	double t0, t1;
	int r;
	long f0;

	if (!seq)
		err(1, "malloc");
	for (mi = 0; mi < NR_MECHS; mi++) {
		if (!(mask & (1U << mi)))
			continue;
		c[mi] = (struct ctx){ .m = &mechs[mi], .npages = npages, .dev = dev };
		setup(&c[mi]);
		harvest(&c[mi]);
	}
	for (r = 0; r < rounds; r++) {
		n = sequence(w, npages, r, seq);
		written = distinct(seq, n, npages);
		for (k = 0; k < NR_MECHS; k++) {
			struct result *res;

			mi = (k + r) % NR_MECHS;
			if (!(mask & (1U << mi)))
				continue;
			res = &results[mi][w];
			res->written += written;
			f0 = minflt();
			t0 = now();
			for (i = 0; i < n; i++)
				memset(c[mi].mem + seq[i] * VMIG_PAGE_SIZE,
				       r + 2, VMIG_PAGE_SIZE);

			t1 = now();
			res->faults += minflt() - f0;
			write_s[mi][r] = t1 - t0;
			t0 = now();
			res->reported += harvest(&c[mi]);
			harvest_s[mi][r] = now() - t0;
		}
	}
	for (mi = 0; mi < NR_MECHS; mi++) {
		struct result *res = &results[mi][w];

		if (!(mask & (1U << mi)))
			continue;
		res->faults /= rounds;
		res->written /= rounds;
		res->reported /= rounds;
		res->write_s = median(write_s[mi], rounds);
		res->harvest_s = median(harvest_s[mi], rounds);
		teardown(&c[mi]);
	}
	free(seq);
}

static void run(int dev, int w, __u64 npages, int rounds)
{
	unsigned int mi, together = 0;
	int status;
	pid_t pid;

	for (mi = 0; mi < NR_MECHS; mi++) {
		if (!alone(mi)) {
			together |= 1U << mi;
			continue;
		}
		pid = fork();
		if (pid < 0)
			err(1, "fork");
		if (!pid) {
			run_set(dev, w, npages, rounds, 1U << mi);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			errx(1, "%s failed", mechs[mi].name);
	}
	run_set(dev, w, npages, rounds, together);
}

/* Faults and pages sent, in pages sent, per page written. */
static double cost(const struct result *r)
{
	return (r->faults * FAULT_COST + r->reported) / r->written;
}

static const struct result *find(const char *name, int w)
{
	unsigned int i;

	for (i = 0; i < NR_MECHS; i++)
		if (!strcmp(mechs[i].name, name))
			return &results[i][w];
	return NULL;
}

static const struct result *baseline(unsigned int mi, int w)
{
	if (mechs[mi].kind == VMIG)
		return find("untracked-vmig", w);
	if (mechs[mi].kind == SOFT_DIRTY)
		return find("untracked-anon-sd", w);
	return find("untracked-anon", w);
}

static void target(const char *what, int ok, double value)
{
	printf("  %-62s %-4s (%.2f)\n", what, ok ? "met" : "MISS", value);
}

int main(int argc, char **argv)
{
	unsigned int mib = argc > 1 ? atoi(argv[1]) : 128;
	int rounds = argc > 2 ? atoi(argv[2]) : 9;
	unsigned int w;
	__u64 npages = (__u64)mib << 20 >> 12;
	const struct result *g1, *g64, *uffd;
	double gib = npages * VMIG_PAGE_SIZE / (double)(1ULL << 30);
	unsigned int mi;
	int dev;

	results = mmap(NULL, sizeof(*results) * NR_MECHS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED)
		err(1, "mmap");
	dev = vmig_open_dev();
	if (dev < 0)
		errx(1, "/dev/vmig: %s", strerror(-dev));
	if (rounds < 1 || rounds > MAX_ROUNDS || !mib)
		errx(2, "usage: track_bench [MiB] [rounds, 1 to %d]", MAX_ROUNDS);
	for (w = 0; w < NR_WORKLOADS; w++)
		run(dev, w, npages, rounds);

	printf("write tracking, %u MiB, %d rounds of 4 KiB writes: a sequential pass,\n",
	       mib, rounds);
	printf("1/64 of memory at random, a hot-set pass (90%% in a tenth), or the three\n");
	printf("on thirds of memory (mixed). Mechanisms interleaved round by round, times\n");
	printf("are medians; ratios measured side by side in one run;\n");
	printf("timings are emulated (TCG). cost: (faults x %d + pages reported) per\n",
	       FAULT_COST);
	printf("page written, the model automatic group sizes minimise.\n\n");
	printf("%-11s %-15s %11s %11s %13s %10s %8s\n", "workload", "mechanism",
	       "faults/page", "throughput", "harvest time", "reported/", "cost");
	printf("%-11s %-15s %11s %11s %13s %10s\n", "", "", "written",
	       "/untracked", "/uffd-wp", "written");
	for (w = 0; w < NR_WORKLOADS; w++) {
		uffd = find("uffd-wp-async", w);
		for (mi = 0; mi < NR_MECHS; mi++) {
			const struct result *r = &results[mi][w];

			if (mechs[mi].kind == VMIG_UNTRACKED ||
			    mechs[mi].kind == ANON_UNTRACKED)
				continue;
			printf("%-11s %-15s %11.3f %11.2f %13.2f %10.2f %8.2f\n",
			       workloads[w], mechs[mi].name,
			       r->faults / r->written,
			       baseline(mi, w)->write_s / r->write_s,
			       r->harvest_s / uffd->harvest_s,
			       r->reported / r->written, cost(r));
		}
	}

	printf("\ntargets:\n");
	g1 = find("vmig-g1", 0);
	g64 = find("vmig-g64", 0);
	target("sequential: G=64 takes >= 30x fewer faults than G=1",
	       g1->faults >= 30 * g64->faults, g1->faults / g64->faults);
	target("sequential: G=64 writes at >= 0.9x untracked speed",
	       find("untracked-vmig", 0)->write_s / g64->write_s >= 0.9,
	       find("untracked-vmig", 0)->write_s / g64->write_s);
	for (mi = 0; mi < NR_MECHS; mi++) {
		const struct result *r = &results[mi][1];
		char what[80];

		unsigned int g = mechs[mi].group ? mechs[mi].group : 512;

		if (mechs[mi].kind != VMIG)
			continue;
		snprintf(what, sizeof(what),
			 "random: %s reports <= %u x the pages written",
			 mechs[mi].name, g);
		target(what, r->reported <= g * r->written,
		       r->reported / r->written);
	}
	for (mi = 0; mi < NR_MECHS; mi++) {
		const struct result *a = find("vmig-auto", 3);
		char what[80];

		if (mechs[mi].kind != VMIG || !mechs[mi].group)
			continue;
		snprintf(what, sizeof(what),
			 "mixed: auto costs less than %s (cost ratio)",
			 mechs[mi].name);
		target(what, cost(a) < cost(&results[mi][3]),
		       cost(&results[mi][3]) / cost(a));
	}
	for (w = 0; w < NR_WORKLOADS; w++) {
		char what[80];

		g1 = find("vmig-g1", w);
		uffd = find("uffd-wp-async", w);
		snprintf(what, sizeof(what),
			 "%s: G=1 no slower than uffd-wp (speed ratio)",
			 workloads[w]);
		target(what, uffd->write_s / g1->write_s >= 1.0,
		       uffd->write_s / g1->write_s);
	}

	printf("\nJSON {\"bench\": \"track\", \"mib\": %u, \"rounds\": %d, \"results\": [",
	       mib, rounds);
	for (w = 0; w < NR_WORKLOADS; w++)
		for (mi = 0; mi < NR_MECHS; mi++) {
			const struct result *r = &results[mi][w];

			printf("%s{\"workload\": \"%s\", \"mechanism\": \"%s\", ",
			       w || mi ? ", " : "", workloads[w], mechs[mi].name);
			printf("\"faults\": %.1f, \"written\": %.0f, \"reported\": %.1f, ",
			       r->faults, r->written, r->reported);
			printf("\"write_s\": %.6f, \"harvest_s\": %.6f, ",
			       r->write_s, r->harvest_s);
			printf("\"harvest_s_per_gib\": %.6f}", r->harvest_s / gib);
		}
	printf("]}\n");
	close(dev);
	return 0;
}
