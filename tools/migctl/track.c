// SPDX-License-Identifier: GPL-2.0
/*
 * migctl track NAME: start write tracking, harvest in a loop and print the
 * dirty rate, stop tracking on exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vmig/libvmig.h>

#include "migctl.h"

static atomic_bool stop;

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(__u32 ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

enum { OPT_GROUP = 1, OPT_INTERVAL, OPT_COUNT, OPT_JSON };

static const struct migctl_opt track_opts[] = {
	{ "group-pages", OPT_GROUP, "G",
	  "group size: a power of two to 512, 0 automatic (64)" },
	{ "interval", OPT_INTERVAL, "MS", "milliseconds between rounds (1000)" },
	{ "count", OPT_COUNT, "N", "rounds after round 0; 0: until Ctrl-C (0)" },
	{ "json", OPT_JSON, NULL, "one JSON object per round" },
	{}
};

static const struct migctl_num group_num = {
	.what = "--group-pages",
	.min = 0,
	.max = VMIG_GROUP_PAGES_MAX,
	.unit = "pages",
};

static const struct migctl_num interval_num = {
	.what = "--interval",
	.min = 1,
	.max = 3600000,
	.unit = "ms",
};

static const struct migctl_num count_num = {
	.what = "--count",
	.min = 0,
	.max = 1000000000,
};

struct track_args {
	__u32 group, interval_ms, count;
	bool json;
};

static int track_opt(void *ctx, int id, const char *arg)
{
	struct track_args *a = ctx;

	switch (id) {
	case OPT_GROUP:
		return migctl_parse_u32(&group_num, arg, &a->group);
	case OPT_INTERVAL:
		return migctl_parse_u32(&interval_num, arg, &a->interval_ms);
	case OPT_COUNT:
		return migctl_parse_u32(&count_num, arg, &a->count);
	}
	a->json = true;
	return 0;
}

/* One round's line: JSON, or text. */
static void print_round(const struct track_args *a,
			const struct vmig_vm_entry *e, __u32 round,
			__s64 dirty, double secs, __u64 faults)
{
	double rate = round && secs > 0 ? dirty / secs : 0;
	char amount[32], bytes_rate[32];
	struct json_object *o;

	if (a->json) {
		o = json_object_new_object();
		migctl_json_str(o, "name", e->name);
		migctl_json_u64(o, "round", round);
		migctl_json_u64(o, "dirty_pages", dirty);
		migctl_json_u64(o, "dirty_rate", (__u64)rate);
		migctl_json_u64(o, "write_faults", faults);
		migctl_json_double(o, "elapsed_ms", secs * 1e3, "%.3f");
		migctl_json_print(o);
		return;
	}
	if (!round) {
		printf("round 0: %lld pages (everything is dirty at start)\n",
		       (long long)dirty);
	} else {
		migctl_fmt_bytes(amount, sizeof(amount), dirty * (double)VMIG_PAGE_SIZE);
		migctl_fmt_bytes(bytes_rate, sizeof(bytes_rate), rate * VMIG_PAGE_SIZE);
		printf("round %u: %lld pages dirty (%s), %s/s, %llu write faults\n",
		       round, (long long)dirty, amount, bytes_rate,
		       (unsigned long long)faults);
	}
	fflush(stdout);
}

static int track(int fd, const struct track_args *a)
{
	struct vmig_vm_stats s0, s1;
	struct vmig_vm_entry e;
	__u64 *bm = NULL;
	double t0, t1;
	__u32 round;
	__s64 dirty;
	int ret;

	if (vmig_vm_info(fd, &e))
		return 1;
	bm = calloc((e.nr_pages + 63) / 64, sizeof(*bm));
	if (!bm)
		return 1;
	ret = vmig_track_start(fd, a->group);
	if (ret) {
		fprintf(stderr, "migctl: cannot start tracking: %s\n",
			ret == -EBUSY ? "tracking already runs (a migration?)" :
			ret == -EINVAL ? "group size must be a power of two, 1 to 512" :
			strerror(-ret));
		free(bm);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (!a->json && a->group)
		printf("tracking %s (%llu pages) in groups of %u pages; Ctrl-C stops\n",
		       e.name, (unsigned long long)e.nr_pages, a->group);
	else if (!a->json)
		printf("tracking %s (%llu pages), group sizes chosen per 2 MiB; Ctrl-C stops\n",
		       e.name, (unsigned long long)e.nr_pages);

	vmig_vm_stats(fd, &s0);
	t0 = now();
	for (round = 0; !atomic_load(&stop) && (!a->count || round <= a->count);
	     round++) {
		dirty = vmig_harvest(fd, 0, e.nr_pages, 0, bm);
		t1 = now();
		if (dirty < 0) {
			fprintf(stderr, "migctl: harvest: %s\n", strerror(-dirty));
			vmig_track_stop(fd);
			free(bm);
			return 1;
		}
		vmig_vm_stats(fd, &s1);
		print_round(a, &e, round, dirty, t1 - t0,
			    s1.write_faults - s0.write_faults);
		s0 = s1;
		t0 = t1;
		if (!a->count || round < a->count)
			sleep_ms(a->interval_ms);
	}
	free(bm);
	return vmig_track_stop(fd) ? 1 : 0;
}

static int run_track(const struct migctl_cmd *cmd, int argc, char **argv)
{
	struct track_args a = { .group = 64, .interval_ms = 1000 };
	char **args;
	int fd, ret;

	ret = migctl_parse(cmd, argc, argv, track_opt, &a, &argc, &args);
	if (ret >= 0)
		return ret;
	fd = migctl_open_vm_name(args[0]);
	if (fd < 0)
		return 1;
	ret = track(fd, &a);
	close(fd);
	return ret;
}

const struct migctl_cmd migctl_track_cmd = {
	.name = "track",
	.args = "NAME",
	.help = "track a VM's writes and show the dirty rate",
	.opts = track_opts,
	.min_args = 1,
	.max_args = 1,
	.run = run_track,
};
