// SPDX-License-Identifier: GPL-2.0
/*
 * mig_bench: migration throughput over a shaped link, vmig against a
 * userspace pipeline, side by side.
 *
 * Runs in network namespace A; the target's listener is created in the
 * namespace named by -n (as mig_bench.sh sets them up, joined by a veth
 * pair that tc shapes to the link rate given by -r). For each content
 * (zero pages, text-like pages, random pages) it migrates a VM of -m MiB
 * with --compress none, lz4, zstd and auto, and sends the same memory
 * through 'lz4 -1 | TCP | lz4 -d' and 'zstd -1 | TCP | zstd -d', the
 * pipelines a user could build instead, and
 * migrates it once more with --compress auto over TLS 1.3 (libvmig's
 * handshake, kernel TLS; the default of migctl) to weigh TLS against the
 * plain TCP of the other runs. The whole set runs -k times (default 3),
 * interleaved, so that every ratio (auto/none, auto/best fixed mode,
 * vmig/best pipeline, tls/plain, ...) is measured -k times side by side
 * and reported as median [min, max]; the JSON keeps every run.
 * With -d it migrates text-like memory that a writer keeps dirtying at each of
 * the given rates (pages per second), to show rounds and downtime.
 *
 * Prints a table, then the figures as one JSON object after "JSON ".
 *
 *   mig_bench -n NETNS -t TARGET_IP -l LINK_NAME -r LINK_BITS_PER_S
 *             [-m MiB] [-s STREAMS] [-k PAIRS] [-d RATE,RATE,...]
 */
#include <arpa/inet.h>
#include <err.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vmig/libvmig.h>

enum content { ZERO, TEXT, RANDOM, NR_CONTENT };
static const char *const content_names[] = { "zero", "text", "random" };

static const char *netns, *target_ip, *link_name;
static double link_bps;	/* bytes per second, 0 for unshaped */
static unsigned long nr_pages = 64 * 256;
static int streams = 2;
/* Repetitions of the whole set of runs per content. */
#define MAX_REPS 9
static int reps = 3;
static int rep;
static int dev;
static int seq;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Busy CPU time of the whole VM so far, in seconds (/proc/stat). */
static double cpu_busy(void)
{
	unsigned long long v[10] = {};
	FILE *f = fopen("/proc/stat", "r");
	double busy;

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			 &v[7]) != 8)
		err(1, "/proc/stat");
	fclose(f);
	busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	return busy / sysconf(_SC_CLK_TCK);
}

static __u64 rnd(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Text-like: words from a small vocabulary, as logs and heaps hold. */
static void fill_page(unsigned char *p, enum content c, __u64 seed)
{
	static const char *const words[] = {
		"the ", "vmig ", "page ", "migration ", "kernel ", "dirty ",
		"socket ", "round ", "0x7f3a ", "error ", "ok ", "\n",
	};
	__u64 s = seed * 2654435761ULL + 1;
	size_t k = 0, n;

	if (c == ZERO) {
		memset(p, 0, VMIG_PAGE_SIZE);
		return;
	}
	if (c == RANDOM) {
		for (k = 0; k < VMIG_PAGE_SIZE; k += 8) {
			__u64 v = rnd(&s);

			memcpy(p + k, &v, 8);
		}
		return;
	}
	while (k < VMIG_PAGE_SIZE) {
		const char *w = words[rnd(&s) % 12];

		n = strlen(w);
		if (n > VMIG_PAGE_SIZE - k)
			n = VMIG_PAGE_SIZE - k;
		memcpy(p + k, w, n);
		k += n;
	}
}

struct vm {
	int fd;
	char name[VMIG_NAME_MAX];
	unsigned char *mem;
};

static void vm_new(struct vm *vm)
{
	snprintf(vm->name, sizeof(vm->name), "bench-%d-%d", getpid(), seq++);
	vm->fd = vmig_vm_create(dev, vm->name, nr_pages);
	if (vm->fd < 0)
		errx(1, "vm create: %s", strerror(-vm->fd));
	vm->mem = mmap(NULL, nr_pages * VMIG_PAGE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, vm->fd, 0);
	if (vm->mem == MAP_FAILED)
		err(1, "mmap");
}

static void vm_del(struct vm *vm)
{
	munmap(vm->mem, nr_pages * VMIG_PAGE_SIZE);
	close(vm->fd);
	vmig_vm_destroy(dev, vm->name);
}

/* A listener in the target's namespace. */
static int listen_there(struct sockaddr_in *addr, int port)
{
	int self = open("/proc/self/ns/net", O_RDONLY), ns, fd, one = 1;

	ns = open(netns, O_RDONLY);
	if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET))
		err(1, "setns %s", netns);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons(port);
	inet_pton(AF_INET, target_ip, &addr->sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)addr, sizeof(*addr)) || listen(fd, 32))
		err(1, "listen");
	if (setns(self, CLONE_NEWNET))
		err(1, "setns back");
	close(ns);
	close(self);
	return fd;
}

static int connect_to(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || connect(fd, (const void *)addr, sizeof(*addr)))
		err(1, "connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

struct result {
	const char *what;
	int rep;
	enum content content;
	unsigned int dirty_rate;
	double secs, cpu, wire, guest, downtime_ms;
	unsigned int rounds;
	unsigned long long lz4_pages, zstd_pages, raw_pages, zero_pages;
};

static struct result results[256];
static int nr_results;

/* The guest: rewrites @rate random pages a second until told to stop. */
struct writer {
	unsigned char *mem;
	unsigned int rate;
	atomic_bool stop;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	__u64 s = 42, i, gen = 1;
	double t0 = now(), done = 0;

	while (!atomic_load(&w->stop)) {
		double due = (now() - t0) * w->rate;

		for (; done < due; done++) {
			i = rnd(&s) % nr_pages;
			fill_page(w->mem + i * VMIG_PAGE_SIZE, TEXT,
				  i + (gen++ << 32));
		}
		usleep(2000);
	}
	return NULL;
}

static __u32 wait_for(int fd, struct vmig_mig_status *st)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		if (vmig_mig_status(fd, st, 1))
			errx(1, "status");
		if (st->state == VMIG_MIG_STATE_READY ||
		    st->state == VMIG_MIG_STATE_STALLED ||
		    vmig_mig_ended(st->state))
			return st->state;
		poll(&p, 1, 20);
	}
}

static void wait_end(int fd, struct vmig_mig_status *st)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (!vmig_mig_status(fd, st, 1) && !vmig_mig_ended(st->state))
		poll(&p, 1, 20);
}

/* The key of the TLS runs: a file of its own, readable by us only. */
static char psk_path[64];

struct tls_side {
	int fd;
	int ret;
};

static void *tls_server(void *arg)
{
	struct vmig_tls_cfg cfg = { .psk_file = psk_path };
	struct tls_side *t = arg;
	char e[256];

	t->ret = vmig_tls_handshake(t->fd, &cfg, true, e, sizeof(e));
	if (t->ret)
		warnx("TLS server: %s", e);
	return NULL;
}

/* TLS on a connected pair: the target's side in a thread, ours here. */
static void tls_pair(int sfd, int dfd)
{
	struct vmig_tls_cfg cfg = { .psk_file = psk_path };
	struct tls_side t = { .fd = dfd };
	pthread_t th;
	char e[256];

	if (!*psk_path) {
		char hex[2 * VMIG_TLS_PSK_BYTES + 1];
		int fd;

		snprintf(psk_path, sizeof(psk_path), "/tmp/mig_bench.XXXXXX");
		fd = mkstemp(psk_path);
		if (fd < 0 || vmig_tls_genkey(hex, sizeof(hex)) ||
		    dprintf(fd, "%s\n", hex) < 0)
			err(1, "the TLS key");
		close(fd);
	}
	pthread_create(&th, NULL, tls_server, &t);
	if (vmig_tls_handshake(sfd, &cfg, false, e, sizeof(e)))
		errx(1, "TLS: %s", e);
	pthread_join(th, NULL);
	if (t.ret)
		errx(1, "TLS server failed");
}

/*
 * One vmig migration of @src's memory; the writer runs at @rate; over
 * TLS when @what says "tls".
 */
static void run_vmig(struct vm *src, enum content c, __u32 compress,
		     const char *what, unsigned int rate)
{
	struct vmig_mig_start out = { .compress = compress,
				      .group_pages = VMIG_GROUP_AUTO,
				      .max_rounds = 20 };
	struct vmig_mig_start in = { .flags = VMIG_MIG_INCOMING };
	struct writer w = { .mem = src->mem, .rate = rate };
	struct result *r = &results[nr_results++];
	int sfd[VMIG_MIG_MAX_STREAMS], dfd[VMIG_MIG_MAX_STREAMS], lfd, i;
	struct vmig_mig_status s, d;
	struct sockaddr_in addr;
	double t0, c0;
	pthread_t t;
	struct vm dst;

	vm_new(&dst);
	lfd = listen_there(&addr, 9000 + seq);
	for (i = 0; i < streams; i++) {
		sfd[i] = connect_to(&addr);
		dfd[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (strstr(what, "tls"))
			tls_pair(sfd[i], dfd[i]);
	}
	if (rate)
		pthread_create(&t, NULL, writer_fn, &w);
	c0 = cpu_busy();
	t0 = now();
	if (vmig_mig_start(dst.fd, &in, dfd, streams) ||
	    vmig_mig_start(src->fd, &out, sfd, streams))
		errx(1, "start");
	if (wait_for(src->fd, &s) != VMIG_MIG_STATE_READY &&
	    s.state != VMIG_MIG_STATE_STALLED)
		errx(1, "%s: migration ended early: %s", what,
		     strerror(s.error));
	atomic_store(&w.stop, true);	/* the pause */
	if (rate)
		pthread_join(t, NULL);
	if (vmig_mig_switchover(src->fd, "cpu", 3))
		errx(1, "switchover");
	wait_end(src->fd, &s);
	wait_end(dst.fd, &d);
	if (s.state != VMIG_MIG_STATE_DONE || d.state != VMIG_MIG_STATE_DONE)
		errx(1, "%s: migration failed: %s", what,
		     strerror(s.error ? s.error : d.error));
	r->secs = now() - t0;
	r->cpu = cpu_busy() - c0;
	if (!rate && memcmp(src->mem, dst.mem, nr_pages * VMIG_PAGE_SIZE))
		errx(1, "%s: the target's memory differs", what);
	r->what = what;
	r->rep = rep;
	r->content = c;
	r->dirty_rate = rate;
	r->wire = s.bytes_wire;
	r->guest = (double)s.pages_sent * VMIG_PAGE_SIZE;
	r->rounds = s.round + 1;
	r->downtime_ms = s.downtime_ms;
	r->lz4_pages = s.lz4_pages;
	r->zstd_pages = s.zstd_pages;
	r->raw_pages = s.raw_pages;
	r->zero_pages = s.zero_pages;
	for (i = 0; i < streams; i++) {
		close(sfd[i]);
		close(dfd[i]);
	}
	close(lfd);
	vm_del(&dst);
}

/*
 * Fork @argv with stdin and stdout as given; every other descriptor is
 * O_CLOEXEC, so that the children see their peers close.
 */
static pid_t spawn(char *const argv[], int in, int out)
{
	pid_t pid = fork();

	if (pid < 0)
		err(1, "fork");
	if (!pid) {
		dup2(in, 0);
		dup2(out, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The same memory through PROG -1 | TCP | PROG -d (lz4 or zstd). */
static void run_pipeline(struct vm *src, enum content c, char *prog,
			 const char *what)
{
	char *const comp[] = { prog, "-1", "-c", "-q", NULL };
	char *const decomp[] = { prog, "-d", "-c", "-q", NULL };
	struct result *r = &results[nr_results++];
	int lfd, sock, conn, p[2], null, status;
	struct sockaddr_in addr;
	pid_t tx, rx;
	double t0, c0;
	size_t off = 0;
	ssize_t n;

	lfd = listen_there(&addr, 9500 + seq++);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	c0 = cpu_busy();
	t0 = now();
	sock = connect_to(&addr);
	conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	rx = spawn(decomp, conn, null);
	close(conn);
	if (pipe2(p, O_CLOEXEC))
		err(1, "pipe");
	tx = spawn(comp, p[0], sock);
	close(p[0]);
	close(sock);
	while (off < nr_pages * VMIG_PAGE_SIZE) {
		n = write(p[1], src->mem + off,
			  nr_pages * VMIG_PAGE_SIZE - off);

		if (n <= 0)
			err(1, "write to %s", prog);
		off += n;
	}
	close(p[1]);
	waitpid(tx, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		errx(1, "%s -1 failed", prog);
	waitpid(rx, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		errx(1, "%s -d failed", prog);
	r->secs = now() - t0;
	r->cpu = cpu_busy() - c0;
	r->what = what;
	r->rep = rep;
	r->content = c;
	r->guest = nr_pages * VMIG_PAGE_SIZE;
	r->rounds = 1;
	close(null);
	close(lfd);
}

/* The run @what of content @c in repetition @k, without a writer. */
static struct result *find(const char *what, enum content c, int k)
{
	int i;

	for (i = 0; i < nr_results; i++)
		if (!strcmp(results[i].what, what) && results[i].content == c &&
		    results[i].rep == k && !results[i].dirty_rate)
			return &results[i];
	errx(1, "no run %s of %s in repetition %d", what, content_names[c], k);
}

static double thru(const struct result *r)
{
	return r->guest / r->secs;
}

/* The fastest of the runs named in @whats, of content @c, repetition @k. */
static double best_of(const char *const *whats, enum content c, int k)
{
	double best = 0;

	for (; *whats; whats++)
		if (thru(find(*whats, c, k)) > best)
			best = thru(find(*whats, c, k));
	return best;
}

static const char *const none_mode[] = { "none", NULL };
static const char *const lz4_mode[] = { "lz4", NULL };
static const char *const zstd_mode[] = { "zstd", NULL };
static const char *const auto_mode[] = { "auto", NULL };
static const char *const tls_mode[] = { "auto-tls", NULL };
static const char *const fixed_modes[] = { "none", "lz4", "zstd", NULL };
static const char *const vmig_modes[] = { "none", "lz4", "zstd", "auto",
					  NULL };
static const char *const pipelines[] = { "pipe-lz4", "pipe-zstd", NULL };

/* A ratio of the best of two sets of runs, measured in every repetition. */
static const struct ratio {
	const char *name;
	const char *const *num, *const *den;
} ratios[] = {
	{ "auto/none", auto_mode, none_mode },
	{ "lz4/none", lz4_mode, none_mode },
	{ "zstd/none", zstd_mode, none_mode },
	{ "auto/best-fixed", auto_mode, fixed_modes },
	{ "auto/best-pipeline", auto_mode, pipelines },
	{ "vmig-best/best-pipeline", vmig_modes, pipelines },
	{ "tls/plain", tls_mode, auto_mode },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NR_RATIOS ARRAY_SIZE(ratios)

static double ratio_of(const struct ratio *q, enum content c, int k)
{
	return best_of(q->num, c, k) / best_of(q->den, c, k);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Ratio @q of content @c in every repetition, sorted into @v. */
static void ratio_spread(const struct ratio *q, enum content c, double *v)
{
	int k;

	for (k = 0; k < reps; k++)
		v[k] = ratio_of(q, c, k);
	qsort(v, reps, sizeof(double), cmp_double);
}

/* One repetition of the whole set on @src: vmig's modes, then the peers. */
static void run_set(struct vm *src, enum content c)
{
	run_vmig(src, c, VMIG_COMPRESS_NONE, "none", 0);
	run_vmig(src, c, VMIG_COMPRESS_LZ4, "lz4", 0);
	run_vmig(src, c, VMIG_COMPRESS_ZSTD, "zstd", 0);
	run_vmig(src, c, VMIG_COMPRESS_AUTO, "auto", 0);
	run_vmig(src, c, VMIG_COMPRESS_AUTO, "auto-tls", 0);
	run_pipeline(src, c, "lz4", "pipe-lz4");
	run_pipeline(src, c, "zstd", "pipe-zstd");
}

int main(int argc, char **argv)
{
	char rates[256] = "", *tok, *save;
	double v[MAX_REPS];
	struct vm src;
	size_t q;
	int opt, i, c;
	__u64 p;

	while ((opt = getopt(argc, argv, "n:t:l:r:m:s:k:d:")) != -1) {
		switch (opt) {
		case 'n':
			netns = optarg;
			break;
		case 't':
			target_ip = optarg;
			break;
		case 'l':
			link_name = optarg;
			break;
		case 'r':
			link_bps = atof(optarg) / 8;
			break;
		case 'm':
			nr_pages = strtoul(optarg, NULL, 0) * 256;
			break;
		case 's':
			streams = atoi(optarg);
			break;
		case 'k':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				errx(2, "-k: 1 to %d repetitions", MAX_REPS);
			break;
		case 'd':
			snprintf(rates, sizeof(rates), "%s", optarg);
			break;
		default:
			errx(2, "usage: see the comment at the top of mig_bench.c");
		}
	}
	if (!netns || !target_ip || !link_name)
		errx(2, "-n, -t and -l are needed");
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = vmig_open_dev();
	if (dev < 0)
		errx(1, "/dev/vmig: %s", strerror(-dev));

	for (c = 0; c < NR_CONTENT; c++) {
		vm_new(&src);
		for (p = 0; p < nr_pages; p++)
			fill_page(src.mem + p * VMIG_PAGE_SIZE, c, p);
		for (rep = 0; rep < reps; rep++)
			run_set(&src, c);
		vm_del(&src);
	}
	for (tok = strtok_r(rates, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		vm_new(&src);
		for (p = 0; p < nr_pages; p++)
			fill_page(src.mem + p * VMIG_PAGE_SIZE, TEXT, p);
		rep = 0;
		run_vmig(&src, TEXT, VMIG_COMPRESS_AUTO, "auto", atoi(tok));
		vm_del(&src);
	}

	printf("\nlink %s (%s), %lu MiB, %d streams; throughput = guest bytes moved per second%s\n",
	       link_name, link_bps ? "shaped" : "unshaped", nr_pages / 256,
	       streams, link_bps ? " / link rate" : ", relative to --compress none");
	printf("%-8s %-9s %3s %6s %10s %10s %8s %7s %9s %10s %10s\n",
	       "content", "mode", "rep", "dirty/s", "throughput", "wire/guest",
	       "cores", "rounds", "downtime", "lz4 pages", "zstd pages");
	for (i = 0; i < nr_results; i++) {
		struct result *r = &results[i];
		double t = link_bps ? thru(r) / link_bps :
				      thru(r) / thru(find("none", r->content, 0));

		printf("%-8s %-9s %3d %6u %10.3f %10.4f %8.2f %7u %7.0fms %10llu %10llu\n",
		       content_names[r->content], r->what, r->rep,
		       r->dirty_rate, t, r->wire ? r->wire / r->guest : 0,
		       r->cpu / r->secs, r->rounds, r->downtime_ms,
		       r->lz4_pages, r->zstd_pages);
	}
	printf("\nratios of throughput, side by side in each of %d repetitions:",
	       reps);
	printf(" median [min, max]\n");
	printf("(* marks a spread, max - min, over 5%% of the median)\n");
	for (c = 0; c < NR_CONTENT; c++) {
		printf("  %s\n", content_names[c]);
		for (q = 0; q < NR_RATIOS; q++) {
			ratio_spread(&ratios[q], c, v);
			printf("    %-24s %.3f [%.3f, %.3f]%s\n", ratios[q].name,
			       v[reps / 2], v[0], v[reps - 1],
			       v[reps - 1] - v[0] > 0.05 * v[reps / 2] ? " *" : "");
		}
	}

	printf("JSON {\"link\":\"%s\",\"link_bytes_per_s\":%.0f,",
	       link_name, link_bps);
	printf("\"mib\":%lu,\"streams\":%d,\"reps\":%d,\"ratios\":{",
	       nr_pages / 256, streams, reps);
	for (c = 0; c < NR_CONTENT; c++) {
		printf("%s\"%s\":{", c ? "," : "", content_names[c]);
		for (q = 0; q < NR_RATIOS; q++) {
			printf("%s\"%s\":[", q ? "," : "", ratios[q].name);
			for (i = 0; i < reps; i++)
				printf("%s%.4f", i ? "," : "",
				       ratio_of(&ratios[q], c, i));
			printf("]");
		}
		printf("}");
	}
	printf("},\"runs\":[");
	for (i = 0; i < nr_results; i++) {
		struct result *r = &results[i];

		printf("%s{\"content\":\"%s\",\"mode\":\"%s\",\"rep\":%d,\"dirty_rate\":%u,",
		       i ? "," : "", content_names[r->content], r->what,
		       r->rep, r->dirty_rate);
		printf("\"throughput_per_link\":%.4f,\"wire_per_guest\":%.5f,",
		       link_bps ? thru(r) / link_bps : 0,
		       r->wire ? r->wire / r->guest : 0);
		printf("\"secs\":%.3f,\"cores\":%.3f,\"rounds\":%u,\"downtime_ms\":%.0f,",
		       r->secs, r->cpu / r->secs, r->rounds, r->downtime_ms);
		printf("\"lz4_pages\":%llu,\"zstd_pages\":%llu,", r->lz4_pages,
		       r->zstd_pages);
		printf("\"raw_pages\":%llu,\"zero_pages\":%llu}", r->raw_pages,
		       r->zero_pages);
	}
	printf("]}\n");
	if (*psk_path)
		unlink(psk_path);
	return 0;
}
